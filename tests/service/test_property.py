"""Property-based run against the OpenAPI schema: no generated request may produce a 5xx.

Schemathesis derives valid and invalid requests for every operation from /openapi.json and
checks that the app never errors, answers with documented status codes and content types,
matches its response schemas, and rejects schema-violating input with a 4xx. Bounded to
~25 examples per operation so the whole run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_schema(client: TestClient) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, called in-process (the app is already started)."""
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_api(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
