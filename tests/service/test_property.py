"""Property-based run against the OpenAPI schema: no generated request may produce a 5xx.

Schemathesis derives valid (positive) and schema-violating (negative) requests for every
operation from /openapi.json and checks that the app never errors, answers with documented
status codes and content types, matches its response schemas, and rejects invalid input
with a 4xx. Bounded (MAX_EXAMPLES per operation and mode) so the run stays under a minute.
The operations are driven from a plain test because schemathesis' lazy pytest fixture
loader does not work with this pytest version.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.settings import Settings

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Every operation of the app (the schema needs no index: the app is not started here).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in create_app(Settings()).openapi()["paths"].items()
    for method in item
)


def test_every_operation_is_covered() -> None:
    assert ("POST", "/api/ask") in OPERATIONS and ("GET", "/health") in OPERATIONS
    assert len(OPERATIONS) == 11


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_request_breaks_the_api(
    client: TestClient, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=checks)

    run()
