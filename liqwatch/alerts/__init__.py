"""Alerts: rules in the config file (`alerts.config`), pure evaluation (`alerts.rules`,
`alerts.bursts`), payloads (`alerts.format`), senders with retries (`alerts.sinks`) and the
engine that runs them as a pipeline sink (`alerts.engine`). `alerts.wiring` plugs it into `run`."""
