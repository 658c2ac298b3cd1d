"""Schemathesis over /openapi.json against the app on the known store: no input gives a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext


def test_no_input_gives_a_server_error(context: WebContext) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(context))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
