"""Pure analytics over events: no I/O."""
