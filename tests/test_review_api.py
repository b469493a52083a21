"""The review app's API and pages: every route x role x region, the flag's life, the audit log.

``ROUTES`` describes how to call each route. ``test_every_route_has_a_case`` fails when the
app gains a route that is missing here or in the app's own access table, so no route can
be added without deciding who may use it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from tests.review_support import PASSWORD, USERS, client, create_users, flag_state, make_flag
from timpora.config import get_settings
from timpora.review.app import ACCESS, DOCS_ROUTES, PUBLIC, create_app
from timpora.review.service import Role
from timpora.warehouse.db import warehouse_engine

_ids = itertools.count(1)


def new_flag(where: str = "16", **kwargs: Any) -> str:
    return make_flag(f"FT{next(_ids):08d}", where, **kwargs)


@dataclass
class Route:
    method: str
    path: str  # {flag} is replaced by a flag made for the call
    flag: dict[str, Any] | None = None  # how that flag must be (status, and whether the caller holds it)
    json: Callable[[str], Any] | None = None
    form: Callable[[str], dict[str, Any]] | None = None
    ok: int = 200
    fresh_session: bool = False  # the call ends the session (logout)
    # What a flag outside the caller's scope gets: a 404, or (bulk actions, which report
    # each id) the batch's answer with that id "not_found".
    outside: int = 404
    extra: dict[str, Any] = field(default_factory=dict)


CLOSE = {"disposition": "CONFIRMED_VIOLATION", "note": "paspor dicek, tidak ada izin"}
ROUTES: dict[str, Route] = {
    "healthz": Route("GET", "/healthz"),
    "openapi": Route("GET", "/openapi.json"),
    "swagger_ui_html": Route("GET", "/docs"),
    "swagger_assets": Route("GET", "/docs/assets/swagger-ui.css"),
    "static": Route("GET", "/static/app.css"),
    "api_login": Route("POST", "/api/login", json=lambda _: {"username": "reviewer", "password": PASSWORD}),
    "login_page": Route("GET", "/login"),
    "login_submit": Route("POST", "/login", ok=303),
    "api_me": Route("GET", "/api/me"),
    "api_logout": Route("POST", "/api/logout", fresh_session=True),
    # The real change is walked in test_review_security; here the new password is refused
    # for being the current one, which only a logged-in user may be told.
    "api_password": Route(
        "POST", "/api/password", json=lambda _: {"current_password": PASSWORD, "new_password": PASSWORD}, ok=422
    ),
    "page_password_form": Route("GET", "/password"),
    "page_password": Route(
        "POST", "/password", form=lambda _: {"current_password": PASSWORD, "new_password": PASSWORD}, ok=422
    ),
    "api_windows": Route("GET", "/api/windows"),
    "api_queue": Route("GET", "/api/flags?rule=NO_VALID_PERMIT&open_only=true&sort=age"),
    "api_export": Route("GET", "/api/flags/export.csv"),
    "api_flag": Route("GET", "/api/flags/{flag}", flag={"status": "OPEN"}),
    "api_claim": Route("POST", "/api/flags/{flag}/claim", flag={"status": "OPEN"}),
    "api_release": Route("POST", "/api/flags/{flag}/release", flag={"status": "IN_REVIEW", "held": True}),
    "api_comment": Route("POST", "/api/flags/{flag}/comments", flag={"status": "OPEN"}, json=lambda _: {"body": "cek"}),
    "api_close": Route(
        "POST", "/api/flags/{flag}/close", flag={"status": "IN_REVIEW", "held": True}, json=lambda _: CLOSE
    ),
    "api_reopen": Route(
        "POST", "/api/flags/{flag}/reopen", flag={"status": "CLOSED"}, json=lambda _: {"note": "data baru"}
    ),
    "api_reassign": Route(
        "POST", "/api/flags/{flag}/reassign", flag={"status": "OPEN"}, json=lambda _: {"assignee": "reviewer"}
    ),
    "api_bulk_close": Route(
        "POST", "/api/bulk-close", flag={"status": "OPEN"}, json=lambda f: {"flag_ids": [f], **CLOSE}, outside=200
    ),
    "api_dashboard": Route("GET", "/api/dashboard"),
    "api_audit": Route("GET", "/api/audit"),
    "page_logout": Route("POST", "/logout", ok=303, fresh_session=True, form=lambda _: {}),
    "page_language": Route("GET", "/lang/en?next=/", ok=303),
    "page_queue": Route("GET", "/?status=OPEN&sort=priority"),
    "page_export": Route("GET", "/export.csv"),
    "page_flag": Route("GET", "/flags/{flag}", flag={"status": "OPEN"}),
    "page_flag_action": Route(
        "POST", "/flags/{flag}/action", flag={"status": "OPEN"}, form=lambda _: {"action": "claim"}, ok=303
    ),
    "page_bulk_close": Route(
        "POST", "/bulk-close", flag={"status": "OPEN"}, form=lambda f: {"flag_id": f, **CLOSE}, outside=200
    ),
    "page_close_linked": Route("POST", "/flags/{flag}/close-linked", flag={"status": "OPEN"}, form=lambda _: CLOSE),
    "api_assignable": Route("GET", "/api/flags/{flag}/assignable", flag={"status": "OPEN"}),
    "page_dashboard": Route("GET", "/dashboard"),
    "page_notifications": Route("GET", "/notifications"),
    "page_notifications_read": Route("POST", "/notifications/read", ok=303, form=lambda _: {}),
    "page_save_view": Route("POST", "/views", ok=303, form=lambda _: {"name": "tinggi", "query": "severity=HIGH"}),
    "page_delete_view": Route("POST", "/views/delete", ok=303, form=lambda _: {"name": "tinggi"}),
    "api_notifications": Route("GET", "/api/notifications"),
    "api_views": Route("GET", "/api/views"),
    "page_audit": Route("GET", "/audit"),
}


class Session:
    """A logged-in client of one user, with its CSRF token."""

    def __init__(self, app: Any, username: str) -> None:
        self.username = username
        self.client = client(app, follow_redirects=False)
        answer = self.client.post("/api/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.csrf = answer.json()["csrf_token"]

    def call(self, route: Route, flag_id: str | None) -> Any:
        path = route.path.replace("{flag}", flag_id or "none")
        kwargs: dict[str, Any] = {}
        if route.method == "POST":
            if route.form is not None:
                kwargs["data"] = {"csrf_token": self.csrf, **route.form(flag_id or "")}
            else:
                kwargs["headers"] = {"X-CSRF-Token": self.csrf}
                if route.json is not None:
                    kwargs["json"] = route.json(flag_id or "")
        return self.client.request(route.method, path, **kwargs)


@pytest.fixture
def review_app(warehouse: str) -> Any:
    create_users()
    return create_app()


def _prepare(route: Route, actor: str | None, in_scope: bool) -> str | None:
    if route.flag is None:
        return None
    holder = actor if route.flag.get("held") else None
    return new_flag("16" if in_scope else "31", status=route.flag["status"], assignee=holder)


def _present(app: Any) -> set[str]:
    return {getattr(route, "name", "") for route in app.routes}


def test_every_route_has_a_case(review_app: Any) -> None:
    names = _present(review_app)
    # The API docs are off in production (PostgreSQL here) unless TIMPORA_REVIEW_API_DOCS asks.
    expected = set(ACCESS) if get_settings().review_api_docs else set(ACCESS) - DOCS_ROUTES
    assert names == expected, "a route was added or removed: update ACCESS in the app"
    assert set(ACCESS) == set(ROUTES), "a route has no case in ROUTES: say how to call it and who may"


def test_every_route_by_role_and_region(review_app: Any) -> None:
    sessions = {username: Session(review_app, username) for username in ("reviewer", "supervisor", "analyst", "admin")}
    anonymous = client(review_app, follow_redirects=False)
    failures: list[tuple[Any, ...]] = []
    present = _present(review_app)
    for name, route in ROUTES.items():
        if name not in present:
            continue
        allowed = ACCESS[name]
        if allowed is PUBLIC:
            if name == "login_submit":
                form_page = anonymous.get("/login")
                csrf = form_page.cookies.get("timpora_login_csrf") or anonymous.cookies.get("timpora_login_csrf")
                answer = anonymous.post(
                    "/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": csrf, "next": "/"}
                )
            else:
                flag_id = _prepare(route, None, True)
                answer = anonymous.request(route.method, route.path, json=route.json("") if route.json else None)
            if answer.status_code != route.ok:
                failures.append((name, "anonymous", answer.status_code))
            continue
        # Nobody logged in: the API answers 401, pages send the browser to the login page.
        flag_id = _prepare(route, None, True)
        nobody = client(review_app, follow_redirects=False)  # no cookie from the public calls above
        answer = nobody.request(route.method, route.path.replace("{flag}", flag_id or "x"))
        expected_anonymous = 401 if route.path.startswith("/api/") else 303
        if answer.status_code != expected_anonymous:
            failures.append((name, "anonymous", answer.status_code))
        for username, (role, _) in USERS.items():
            if username not in sessions:
                continue
            may = Role(role) in allowed
            for in_scope in (True, False) if route.flag else (True,):
                session = Session(review_app, username) if route.fresh_session else sessions[username]
                flag_id = _prepare(route, username, in_scope)
                answer = session.call(route, flag_id)
                expected = route.ok if (may and in_scope) else (route.outside if may else 403)
                if answer.status_code != expected:
                    failures.append((name, username, "in scope" if in_scope else "outside", answer.status_code))
    assert not failures, failures


def test_changes_need_the_csrf_token(review_app: Any) -> None:
    session = Session(review_app, "reviewer")
    flag_id = new_flag()
    assert session.client.post(f"/api/flags/{flag_id}/claim").status_code == 403
    assert session.client.post(f"/api/flags/{flag_id}/claim", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert session.client.post(f"/flags/{flag_id}/action", data={"action": "claim"}).status_code == 403
    assert flag_state(flag_id) == ("OPEN", None, None)
    assert session.call(ROUTES["api_claim"], flag_id).status_code == 200


def test_a_regency_scope_sees_nothing_of_the_next_regency(review_app: Any) -> None:
    mine, theirs = new_flag("16"), new_flag("16.72")
    session = Session(review_app, "reviewer_city")
    listed = {f["flag_id"] for f in session.client.get("/api/flags?page_size=200").json()["flags"]}
    assert mine in listed and theirs not in listed
    assert session.client.get(f"/api/flags/{theirs}").status_code == 404
    assert session.call(ROUTES["api_claim"], theirs).status_code == 404
    assert theirs not in session.client.get("/api/flags/export.csv").text
    assert theirs not in session.client.get("/?page_size=200").text
    # Filtering by a region outside the scope finds nothing rather than leaking.
    assert session.client.get("/api/flags?region=16.72").json()["total"] == 0


def test_a_flags_life_through_the_api(review_app: Any) -> None:
    flag_id = new_flag()
    ana, budi = Session(review_app, "reviewer"), Session(review_app, "supervisor")
    assert ana.call(ROUTES["api_claim"], flag_id).status_code == 200
    assert budi.call(ROUTES["api_claim"], flag_id).status_code == 409  # someone holds it
    assert ana.call(ROUTES["api_comment"], flag_id).status_code == 200
    no_disposition = ana.client.post(
        f"/api/flags/{flag_id}/close", json={"note": "x"}, headers={"X-CSRF-Token": ana.csrf}
    )
    assert no_disposition.status_code == 422
    assert ana.call(ROUTES["api_close"], flag_id).status_code == 200
    assert flag_state(flag_id) == ("CLOSED", None, "CONFIRMED_VIOLATION")
    assert ana.call(ROUTES["api_reopen"], flag_id).status_code == 200
    assert flag_state(flag_id) == ("REOPENED", None, None)
    assert budi.call(ROUTES["api_reassign"], flag_id).status_code == 200
    assert flag_state(flag_id) == ("IN_REVIEW", "reviewer", None)
    bad = budi.client.post(
        f"/api/flags/{flag_id}/reassign", json={"assignee": "reviewer_jakarta"}, headers={"X-CSRF-Token": budi.csrf}
    )
    assert bad.status_code == 422  # Jakarta's reviewer cannot hold a flag of province 16
    bulk = [new_flag(), new_flag(), flag_id]
    answer = budi.client.post(
        "/api/bulk-close",
        json={"flag_ids": bulk, "disposition": "FALSE_POSITIVE", "note": "sumber data salah"},
        headers={"X-CSRF-Token": budi.csrf},
    )
    assert answer.status_code == 200, answer.text
    # The flag the reviewer holds stays theirs until the supervisor overrides explicitly.
    assert [r["outcome"] for r in answer.json()["results"]] == ["closed", "closed", "held"]
    assert flag_state(flag_id) == ("IN_REVIEW", "reviewer", None)
    answer = budi.client.post(
        "/api/bulk-close",
        json={"flag_ids": bulk, "disposition": "FALSE_POSITIVE", "note": "sumber data salah", "override_holds": True},
        headers={"X-CSRF-Token": budi.csrf},
    )
    assert [r["outcome"] for r in answer.json()["results"]] == ["already_closed", "already_closed", "closed"]
    assert {flag_state(f) for f in bulk} == {("CLOSED", None, "FALSE_POSITIVE")}
    history = ana.client.get(f"/api/flags/{flag_id}").json()["history"]
    assert [h["kind"] for h in history] == ["CLAIMED", "COMMENT", "CLOSED", "REOPENED", "REASSIGNED", "CLOSED"]
    dashboard = budi.client.get("/api/dashboard").json()
    by_rule = {row["rule_code"]: row for row in dashboard["closed_by_rule"]}
    assert by_rule["NO_VALID_PERMIT"]["closed"] == 3 and by_rule["NO_VALID_PERMIT"]["false_positive_rate"] == 1.0


def test_analysts_see_pseudonyms_and_change_nothing(review_app: Any) -> None:
    flag_id = new_flag(passport="X98765432")
    analyst = Session(review_app, "analyst")
    detail = analyst.client.get(f"/api/flags/{flag_id}").json()
    text = json.dumps(detail)
    assert "X98765432" not in text
    assert detail["flag"]["passport_number"].startswith("PSN-")
    assert "line2" not in detail["flag"]["evidence"]["mrz"]  # MRZ lines never reach an analyst
    listed = analyst.client.get("/api/flags").json()["flags"]
    assert all(f["passport_number"].startswith("PSN-") for f in listed)
    assert "X98765432" not in analyst.client.get("/api/flags/export.csv").text
    assert analyst.call(ROUTES["api_claim"], flag_id).status_code == 403
    # The same passport gets the same pseudonym: analysts can still count and join.
    assert new_flag(passport="X98765432") and len({f["passport_number"] for f in listed}) >= 1


def test_csv_export_is_safe_in_a_spreadsheet(review_app: Any) -> None:
    new_flag(reason_id='=HYPERLINK("http://evil","klik")')
    text = Session(review_app, "reviewer").client.get("/api/flags/export.csv").text
    assert "=HYPERLINK" in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_every_view_and_change_is_audited_and_the_log_is_append_only(review_app: Any) -> None:
    flag_id = new_flag()
    ana = Session(review_app, "reviewer")
    ana.client.get(f"/flags/{flag_id}")
    ana.call(ROUTES["api_claim"], flag_id)
    admin = Session(review_app, "admin")
    entries = admin.client.get(f"/api/audit?flag_id={flag_id}").json()
    assert [(e["actor"], e["action"]) for e in reversed(entries)] == [("reviewer", "VIEW_FLAG"), ("reviewer", "CLAIM")]
    assert ana.client.get("/api/audit").status_code == 403
    assert "LOGIN" in {e["action"] for e in admin.client.get("/api/audit?actor=reviewer").json()}
    with warehouse_engine(get_settings()).connect() as conn:
        for statement in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
            # The runtime role may not (PostgreSQL); the triggers refuse everyone else.
            with pytest.raises(sa.exc.DatabaseError, match=r"append-only|permission denied"), conn.begin():
                conn.execute(sa.text(statement))


def test_login_failures_and_expired_sessions(review_app: Any) -> None:
    anonymous = client(review_app, follow_redirects=False)
    assert anonymous.post("/api/login", json={"username": "reviewer", "password": "salah"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "nobody", "password": "salah"}).status_code == 401
    session = Session(review_app, "reviewer")
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(sa.text("UPDATE user_session SET expires_at = '2000-01-01 00:00:00'"))
    assert session.client.get("/api/me").status_code == 401
    page = session.client.get("/flags/F1?x=1")
    assert page.status_code == 303 and "/login?next=" in page.headers["location"]
    # The next= target never leaves the app.
    form = anonymous.get("/login?next=https://evil.example/")
    assert 'value="/"' in form.text


def test_closed_flags_reraised_by_new_data_come_back_reopened(warehouse: str) -> None:
    """update_changed: a closed flag reopens only when its evidence changed in substance."""
    from timpora.warehouse.db import run_sql, transaction

    same, changed = new_flag(status="CLOSED"), new_flag(status="CLOSED")
    engine = warehouse_engine(get_settings())
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO flag_candidate SELECT flag_id, rule_code, subject_key, person_key, severity, priority, "
                "passport_number, nationality, report_ids, lodging_id, region_code, province_code, first_night, "
                "last_night, night_count, reason_id, reason_en, evidence, 'f' || SUBSTR(evidence_hash, 2), "
                "rule_version, CASE WHEN flag_id = :changed THEN 'n' || SUBSTR(material_hash, 2) "
                "ELSE material_hash END FROM flag WHERE flag_id IN (:same, :changed)"
            ),
            {"same": same, "changed": changed},
        )
    with transaction(engine) as conn:
        run_sql(conn, "flags/update_changed", {"now": "2024-10-04 00:00:00"})
    assert flag_state(same)[0] == "CLOSED"  # one more night of the same stay
    assert flag_state(changed)[0] == "REOPENED"


def test_nul_characters_are_refused_not_crashed_on(review_app: Any) -> None:
    """PostgreSQL text cannot hold NUL: such requests get a 4xx, never a server error."""
    supervisor = Session(review_app, "supervisor")
    flag_id = new_flag()
    headers = {"X-CSRF-Token": supervisor.csrf}
    answers = [
        supervisor.client.post(
            "/api/bulk-close",
            json={"flag_ids": ["F\x00"], "disposition": "FALSE_POSITIVE", "note": "x"},
            headers=headers,
        ),
        supervisor.client.post(f"/api/flags/{flag_id}/comments", json={"body": "a\x00b"}, headers=headers),
        supervisor.client.get("/api/flags/F%00X"),
        supervisor.client.get("/api/flags?assignee=a%00b"),
        supervisor.client.post(
            f"/flags/{flag_id}/action", data={"csrf_token": supervisor.csrf, "action": "comment", "body": "a\x00b"}
        ),
        client(review_app).post("/api/login", json={"username": "a\x00", "password": "b"}),
    ]
    assert [a.status_code for a in answers] == [422, 422, 400, 400, 422, 422]
    assert flag_state(flag_id) == ("OPEN", None, None)
