"""Schemathesis against the review API's OpenAPI schema: whatever it sends, no 5xx.

Calls run as a logged-in supervisor (cookie and CSRF header), so the generated requests
reach the operations rather than stopping at the login check.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.review_support import PASSWORD, create_users, make_flag

pytestmark = [pytest.mark.slow]


def _app() -> Any:
    from timpora.review.app import create_app

    return create_app()


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@pytest.fixture
def logged_in(warehouse: str) -> dict[str, str]:
    create_users()
    for index in range(3):
        make_flag(f"FS{index:08d}")
    client = TestClient(schema.app)
    answer = client.post("/api/login", json={"username": "supervisor", "password": PASSWORD})
    assert answer.status_code == 200
    return {"cookie": f"timpora_session={client.cookies['timpora_session']}", "csrf": answer.json()["csrf_token"]}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case, logged_in: dict[str, str]) -> None:
    if case.path == "/api/logout":
        return  # ending the session would only make the rest of the run anonymous
    response = case.call(headers={"Cookie": logged_in["cookie"], "X-CSRF-Token": logged_in["csrf"]})
    case.validate_response(response, checks=[not_a_server_error])
