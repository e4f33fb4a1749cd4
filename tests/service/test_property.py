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
# Every operation of the app (the schema needs no index: the app is not started here);
# negative cases only exist for operations that take input.
_PATHS = create_app(Settings()).openapi()["paths"]
OPERATIONS = sorted((method.upper(), path) for path, item in _PATHS.items() for method in item)
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE
    or {"parameters", "requestBody"} & set(_PATHS[path][method.lower()])
]


def rejected_with_4xx(ctx: object, response: schemathesis.Response, case: object) -> None:
    """Schema-violating input gets a 4xx (413 included: schemathesis' own negative-data
    check does not list it, but an oversized body is exactly what 413 is for)."""
    assert 400 <= response.status_code < 500, f"invalid input answered {response.status_code}"


def test_every_operation_is_covered() -> None:
    assert len(OPERATIONS) == 10
    assert {("POST", "/api/ask"), ("POST", "/api/ask/stream"), ("GET", "/health")} <= set(
        OPERATIONS
    )


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_request_breaks_the_api(
    client: TestClient, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    checks = [*CHECKS, rejected_with_4xx] if mode is GenerationMode.NEGATIVE else CHECKS

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
