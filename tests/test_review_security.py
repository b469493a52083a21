"""Issue 34's points, each as it was measured when filed, on SQLite and PostgreSQL.

The route x role x region matrix of the privacy boundary is in test_privacy_boundary.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.review_support import PASSWORD, client, create_users, flag_state, make_flag
from tests.test_review_api import Session
from timpora.cli import app as cli
from timpora.config import ConfigError, get_settings, settings_from_environ
from timpora.review import service as svc
from timpora.review.app import create_app
from timpora.review.audit import verify
from timpora.warehouse.db import owner_engine, warehouse_engine

runner = CliRunner()
STRONG = "Kopi-tubruk-Sriwijaya-88"


@pytest.fixture
def app(warehouse: str) -> Any:
    create_users()
    return create_app()


def audit_rows(**where: str) -> list[dict[str, Any]]:
    clauses = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(sa.text(f"SELECT * FROM audit_log WHERE {clauses} ORDER BY seq"), where)
        return [dict(row._mapping) for row in rows]


# --- 2. production refuses insecure settings --------------------------------------------------

PRODUCTION = {"TIMPORA_WAREHOUSE_URL": "postgresql+psycopg://app@db/warehouse"}
GOOD = {
    "TIMPORA_PSEUDONYM_KEY": "p" * 40,
    "TIMPORA_REVIEW_SECRET": "r" * 40,
    "TIMPORA_AUDIT_KEY": "a" * 40,
}


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("TIMPORA_PSEUDONYM_KEY", None, "is not set"),
        ("TIMPORA_PSEUDONYM_KEY", "", "is not set"),
        ("TIMPORA_PSEUDONYM_KEY", "embedded-demo-pseudonym-key-change-me", "is a demo or placeholder"),
        ("TIMPORA_PSEUDONYM_KEY", "change-me", "is a demo or placeholder"),
        ("TIMPORA_PSEUDONYM_KEY", "short-but-real-31-bytes-long!!!", "is shorter than 32 bytes"),
        ("TIMPORA_REVIEW_SECRET", None, "is not set"),
        ("TIMPORA_AUDIT_KEY", "changeme-changeme-changeme-changeme", "is a demo or placeholder"),
    ],
)
def test_production_refuses_missing_public_or_short_secrets(variable: str, value: str | None, why: str) -> None:
    environ = {**PRODUCTION, **GOOD}
    if value is None:
        environ.pop(variable)
    else:
        environ[variable] = value
    settings = settings_from_environ(environ)
    assert settings.production
    with pytest.raises(ConfigError, match=f"{variable} {why}"):
        settings.require_secrets(who="the review app")
    # The embedded demo keeps its public defaults: nothing there is production data.
    settings_from_environ({}).require_secrets()
    settings_from_environ({**PRODUCTION, **GOOD}).require_secrets()


def test_the_app_the_tasks_and_pseudonyms_refuse_a_default_key_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from timpora import privacy
    from timpora.config import reset_settings
    from timpora.orchestration.tasks import ready_warehouse

    monkeypatch.setenv("TIMPORA_WAREHOUSE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("TIMPORA_PSEUDONYM_KEY")
    reset_settings()
    for refused in (create_app, ready_warehouse, lambda: privacy.pseudonym("A1234567")):
        with pytest.raises(ConfigError, match="TIMPORA_PSEUDONYM_KEY is not set"):
            refused()
    result = runner.invoke(cli, ["review", "serve"])
    assert result.exit_code == 2 and "TIMPORA_PSEUDONYM_KEY is not set" in result.output


def test_sessions_are_kept_as_hmacs_under_the_session_secret(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from timpora.config import reset_settings

    session = Session(app, "reviewer")
    token = session.client.cookies.get("timpora_session")
    with warehouse_engine(get_settings()).connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM user_session")).scalars().all()
    assert token and hashlib.sha256(token.encode()).hexdigest() not in stored
    assert svc._token_hash(token) in stored
    # Another secret: the stored sessions are nobody's.
    monkeypatch.setenv("TIMPORA_REVIEW_SECRET", "another-review-secret-0123456789abcdef")
    reset_settings()
    assert session.client.get("/api/me").status_code == 401


# --- 3 and 4. the audit log: scoped, failures on record, chained --------------------------------


def test_an_admin_reads_only_the_audit_of_their_region_and_reading_it_is_audited(app: Any) -> None:
    svc.save_user("admin_jakarta", PASSWORD, "admin", "31")
    mine, theirs = make_flag("FAUD000016", "16"), make_flag("FAUD000031", "31")
    palembang, jakarta = Session(app, "reviewer"), Session(app, "reviewer_jakarta")
    for session, flag_id in ((palembang, mine), (jakarta, theirs)):
        answer = session.client.post(
            f"/api/flags/{flag_id}/comments",
            json={"body": f"catatan {flag_id}"},
            headers={"X-CSRF-Token": session.csrf},
        )
        assert answer.status_code == 200
    admin_16, admin_31 = Session(app, "admin"), Session(app, "admin_jakarta")
    seen_16 = admin_16.client.get("/api/audit").json()
    seen_31 = admin_31.client.get("/api/audit").json()
    assert {e["flag_id"] for e in seen_16 if e["flag_id"]} == {mine}
    assert {e["flag_id"] for e in seen_31 if e["flag_id"]} == {theirs}
    assert admin_31.client.get(f"/api/audit?flag_id={mine}").json() == []
    assert all(e["province_code"] == "31" for e in seen_31)
    assert "reviewer" not in {e["actor"] for e in seen_31}
    assert audit_rows(actor="admin", action="VIEW_AUDIT") and audit_rows(actor="admin_jakarta", action="VIEW_AUDIT")
    # Filters: by action and by date.
    comments = admin_16.client.get("/api/audit?action=COMMENT").json()
    assert [e["action"] for e in comments] == ["COMMENT"]
    assert admin_16.client.get("/api/audit?date_until=2000-01-01").json() == []


def test_refused_requests_are_audited(app: Any) -> None:
    theirs = make_flag("FDEN000031", "31")
    reviewer, analyst = Session(app, "reviewer"), Session(app, "analyst")
    assert reviewer.client.get(f"/api/flags/{theirs}").status_code == 404
    assert reviewer.client.get(f"/flags/{theirs}").status_code == 404
    assert analyst.client.post(f"/api/flags/{theirs}/claim", headers={"X-CSRF-Token": analyst.csrf}).status_code == 403
    assert reviewer.client.get("/api/audit").status_code == 403
    assert reviewer.client.post(f"/api/flags/{theirs}/claim", headers={"X-CSRF-Token": "forged"}).status_code == 403
    anonymous = client(app)
    assert anonymous.post("/api/login", json={"username": "reviewer", "password": "salah-sekali"}).status_code == 401
    assert (
        anonymous.post("/login", data={"username": "reviewer", "password": "x", "csrf_token": "x"}).status_code == 403
    )
    actions = [(row["actor"], row["action"]) for row in audit_rows()]
    for expected in [
        ("reviewer", "NOT_FOUND"),
        ("analyst", "ACCESS_DENIED"),
        ("reviewer", "ACCESS_DENIED"),
        ("reviewer", "CSRF_FAILED"),
        ("reviewer", "LOGIN_FAILED"),
        ("reviewer", "LOGIN_CSRF_FAILED"),
    ]:
        assert expected in actions, (expected, actions)
    # A refusal is on the actor's record, in their region; the foreign flag's own history gains nothing.
    denied = audit_rows(actor="reviewer", action="NOT_FOUND")
    assert denied[0]["flag_id"] is None and denied[0]["province_code"] == "16" and theirs in denied[0]["detail"]
    assert audit_rows(flag_id=theirs) == []


def test_the_audit_chain_detects_a_rewrite_a_removal_and_an_insertion_even_by_the_owner(app: Any) -> None:
    flag_id = make_flag("FCHN000001")
    reviewer = Session(app, "reviewer")
    reviewer.client.get(f"/api/flags/{flag_id}")
    reviewer.client.post(f"/api/flags/{flag_id}/claim", headers={"X-CSRF-Token": reviewer.csrf})
    report = verify(warehouse_engine())
    assert report.intact and report.rows >= 4 and report.head_seq == report.rows
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0 and "audit chain intact" in verified.output
    owner = owner_engine()
    dialect = owner.dialect.name
    lift = (
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"
        if dialect == "postgresql"
        else "DROP TRIGGER audit_log_no_update"
    )
    with owner.begin() as conn:  # as the table's owner: past the triggers (SQLite: anyone)
        conn.execute(sa.text(lift))
        conn.execute(sa.text('UPDATE audit_log SET detail = \'{"role": "admin"}\' WHERE seq = 2'))
    rewritten = verify(warehouse_engine())
    assert not rewritten.intact and any("row 2" in p and "changed" in p for p in rewritten.problems)
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 1 and "changed after it was written" in verified.output
    with owner.begin() as conn:
        if dialect == "sqlite":
            conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))
    assert any("place 3 is missing" in p for p in verify(warehouse_engine()).problems)
    with owner.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (audit_id, at, actor, action, detail) "
                "VALUES ('forged', '2024-10-03 00:00:00', 'x', 'LOGIN', '{}')"
            )
        )
    assert any("no place in the chain" in p for p in verify(warehouse_engine()).problems)


def test_rows_written_before_the_chain_are_chained_by_the_migration(warehouse: str, tmp_path: Any) -> None:
    from timpora.review.audit import chain_existing_rows

    with owner_engine().begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_chain"))
        conn.execute(sa.text("INSERT INTO audit_chain (chain_id, seq, last_hash) VALUES (1, 0, '')"))
        for number in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (audit_id, at, actor, action, detail) "
                    f"VALUES ('old-{number}', '2024-10-0{number + 1} 08:00:00', 'budi', 'LOGIN', '{{}}')"
                )
            )
        chain_existing_rows(conn)
    report = verify(warehouse_engine())
    assert report.intact and report.rows == 3, report.problems


# --- 5 and 6. throttling; the same cost for an unknown user ----------------------------------


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash verification the login makes (argon2's cost, counted)."""
    seen: list[str] = []
    real = svc._verify

    def counting(stored: str, password: str) -> bool:
        seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(svc, "_verify", counting)
    return seen


def test_forty_wrong_passwords_lock_the_user_out_and_cost_no_hash_once_throttled(app: Any, hashes: list[str]) -> None:
    anonymous = client(app)
    answers = [
        anonymous.post("/api/login", json={"username": "reviewer", "password": f"salah-{n}"}).status_code
        for n in range(40)
    ]
    # Three tries are judged at once; then each must wait a growing pause, and a try
    # that comes early is refused (429) without hashing anything.
    assert answers[:3] == [401, 401, 401] and set(answers[3:]) == {429}
    assert len(hashes) == 3
    right = anonymous.post("/api/login", json={"username": "reviewer", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    assert "coba lagi" in right.json()["message_id"] and "try again" in right.json()["message_en"]
    assert audit_rows(actor="reviewer", action="LOGIN_THROTTLED")
    # After the waits, ten failures within the window lock the user out for 15 minutes.
    for _ in range(7):
        _pause_over("user:reviewer")
        _pause_over("addr:testclient")
        assert anonymous.post("/api/login", json={"username": "reviewer", "password": "salah"}).status_code == 401
    _pause_over("addr:testclient")
    locked = anonymous.post("/api/login", json={"username": "reviewer", "password": PASSWORD})
    assert locked.status_code == 429 and 800 <= int(locked.headers["Retry-After"]) <= 901


def _pause_over(key: str) -> None:
    """Move a key's last failure back past its pause (the test does not wait a minute)."""
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(
            sa.text("UPDATE login_throttle SET last_failure_at = :t WHERE throttle_key = :k AND locked_until IS NULL"),
            {"k": key, "t": svc.now_utc() - svc.timedelta(seconds=61)},
        )


def test_one_address_trying_many_users_is_throttled_too(app: Any) -> None:
    anonymous = client(app)
    for n in range(3):
        assert anonymous.post("/api/login", json={"username": f"ghost{n}", "password": "x"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "ghost9", "password": "x"}).status_code == 429
    # A login page shows the wait in the user's language.
    page = anonymous.get("/login")
    csrf = anonymous.cookies.get("timpora_login_csrf")
    answer = anonymous.post("/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": csrf})
    assert page.status_code == 200 and answer.status_code == 429 and "Coba lagi dalam" in answer.text


def test_an_unknown_user_costs_the_same_password_hash_as_a_known_one(app: Any, hashes: list[str]) -> None:
    anonymous = client(app)
    assert anonymous.post("/api/login", json={"username": "reviewer", "password": "salah"}).status_code == 401
    assert anonymous.post("/api/login", json={"username": "nobody-here", "password": "salah"}).status_code == 401
    assert len(hashes) == 2
    known, unknown = hashes
    assert known.split("$")[:4] == unknown.split("$")[:4]  # the same argon2 variant and parameters


# --- 7 and 8. cookies, sessions, deactivation --------------------------------------------------


def test_the_session_cookie_is_secure_in_production_or_over_https(app: Any) -> None:
    answer = client(app).post("/api/login", json={"username": "reviewer", "password": PASSWORD})
    assert "secure" in answer.headers["set-cookie"].lower()
    if not get_settings().production:
        from fastapi.testclient import TestClient

        plain = TestClient(app).post("/api/login", json={"username": "reviewer", "password": PASSWORD})
        assert "secure" not in plain.headers["set-cookie"].lower()  # embedded, plain HTTP on localhost


def test_a_reset_a_deactivation_and_an_own_password_change_end_sessions(app: Any) -> None:
    first, second = Session(app, "reviewer"), Session(app, "reviewer")
    svc.save_user("reviewer", STRONG, "reviewer", "16")
    assert first.client.get("/api/me").status_code == 401 and second.client.get("/api/me").status_code == 401
    assert client(app).post("/api/login", json={"username": "reviewer", "password": PASSWORD}).status_code == 401

    svc.save_user("reviewer", PASSWORD, "reviewer", "16")
    here, elsewhere = Session(app, "reviewer"), Session(app, "reviewer")
    changed = here.client.post(
        "/api/password",
        json={"current_password": PASSWORD, "new_password": STRONG},
        headers={"X-CSRF-Token": here.csrf},
    )
    assert changed.status_code == 200 and changed.json()["other_sessions_ended"] == 1
    assert here.client.get("/api/me").status_code == 200 and elsewhere.client.get("/api/me").status_code == 401
    wrong = here.client.post(
        "/api/password",
        json={"current_password": "salah", "new_password": STRONG + "x"},
        headers={"X-CSRF-Token": here.csrf},
    )
    assert wrong.status_code == 403 and audit_rows(actor="reviewer", action="PASSWORD_CHANGE_FAILED")

    result = runner.invoke(cli, ["review", "user", "reviewer", "--deactivate"])
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert here.client.get("/api/me").status_code == 401
    assert client(app).post("/api/login", json={"username": "reviewer", "password": STRONG}).status_code == 401
    assert audit_rows(action="DEACTIVATE_USER")


def test_an_idle_session_ends_before_its_absolute_end(app: Any) -> None:
    session = Session(app, "reviewer")
    assert session.client.get("/api/me").status_code == 200
    idle = get_settings().session_idle_minutes
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(
            sa.text("UPDATE user_session SET last_seen_at = :t"), {"t": svc.now_utc() - svc.timedelta(minutes=idle + 1)}
        )
    assert session.client.get("/api/me").status_code == 401


# --- 9. least privilege -------------------------------------------------------------------


@pytest.mark.postgres
def test_the_runtime_role_cannot_touch_the_audit_log_or_its_triggers(warehouse: str) -> None:
    if warehouse != "postgresql":
        pytest.skip("SQLite has no roles: the chain is what detects a rewrite there (test above)")
    from timpora.warehouse.privileges import least_privilege_problems, require_least_privilege

    create_users()
    assert least_privilege_problems() == []
    require_least_privilege()
    refused = [
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "SET session_replication_role = replica",
        "CREATE TABLE sneaky (a INTEGER)",
        "INSERT INTO schema_migration (version, name, applied_at) VALUES (99, 'x', now())",
    ]
    for statement in refused:
        with (
            warehouse_engine().connect() as conn,
            pytest.raises(sa.exc.DatabaseError, match=r"permission denied|must be owner"),
        ):
            conn.execute(sa.text(statement))
    # The owner's login is refused as the app's and the tasks' connection in production.
    owner_settings = get_settings().with_overrides(warehouse_url=get_settings().warehouse_owner_url)
    problems = least_privilege_problems(owner_settings)
    assert any("superuser" in p for p in problems) and any("owns" in p for p in problems)
    with pytest.raises(ConfigError, match="privileged database login"):
        require_least_privilege(owner_settings)


@pytest.mark.postgres
def test_the_app_answers_503_when_connected_as_the_owner(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if warehouse != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    from timpora.config import reset_settings

    create_users()
    monkeypatch.setenv("TIMPORA_WAREHOUSE_URL", get_settings().warehouse_owner_url)
    reset_settings()
    answer = client(create_app()).get("/healthz")
    assert answer.status_code == 503 and "privileged database login" in answer.json()["detail"]


# --- 10 and 11. headers, docs, malformed bodies -----------------------------------------------


def test_every_answer_carries_the_security_headers(app: Any) -> None:
    flag_id = make_flag("FHDR000001")
    reviewer = Session(app, "reviewer")
    answers = [
        reviewer.client.get("/"),
        reviewer.client.get(f"/flags/{flag_id}"),
        reviewer.client.get("/api/flags"),
        reviewer.client.get("/api/flags/export.csv"),
        reviewer.client.get("/export.csv"),
        reviewer.client.get("/api/flags/FNOPE"),
        reviewer.client.get("/flags/FNOPE"),
        client(app).get("/login"),
        client(app).get("/healthz"),
        client(app).get("/api/me"),
    ]
    for answer in answers:
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], answer.url
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store", answer.url
        assert headers["strict-transport-security"].startswith("max-age=")  # the client speaks HTTPS
    from fastapi.testclient import TestClient

    assert "strict-transport-security" not in TestClient(app).get("/healthz").headers
    # Error pages are pages of the app, in its language.
    missing = reviewer.client.get("/flags/FNOPE")
    assert missing.status_code == 404 and 'id="error-page"' in missing.text and "tidak ditemukan" in missing.text


def test_the_api_docs_are_off_in_production_and_use_no_cdn_when_on(
    warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from timpora.config import reset_settings

    create_users()
    app = create_app()
    docs = client(app).get("/docs")
    if get_settings().production:
        assert docs.status_code == 404 and client(app).get("/openapi.json").status_code == 404
        monkeypatch.setenv("TIMPORA_REVIEW_API_DOCS", "1")
        reset_settings()
        app = create_app()
        docs = client(app).get("/docs")
    assert docs.status_code == 200
    assert "http" not in docs.text.replace("https://testserver", "")  # every asset from the app itself
    assert client(app).get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client(app).get("/openapi.json").json()["info"]["title"] == "TIMPORA review queue"


def test_malformed_bodies_get_a_4xx_and_no_password_reaches_the_log(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "rahasia-yang-bocor"
    anonymous = client(app, raise_server_exceptions=False)
    bodies = [
        b'{"username": "reviewer", "password": "' + secret.encode() + b'\\ud800"}',
        b'{"username": "\\udfff", "password": "' + secret.encode() + b'"}',
        b'{"username": "reviewer", "password": "' + secret.encode() + b'\xff\xfe"}',
        secret.encode("utf-16"),
        b"\x00\x01\x02",
    ]
    for body in bodies:
        answer = anonymous.post("/api/login", content=body, headers={"content-type": "application/json"})
        assert 400 <= answer.status_code < 500, (body, answer.status_code, answer.text)
        assert secret not in answer.text
    form_bodies = [
        b"username=reviewer&password=" + secret.encode() + b"%ED%A0%80&csrf_token=x",
        b"username=%FF%FE&password=" + secret.encode() + b"&csrf_token=x",
    ]
    for body in form_bodies:
        answer = anonymous.post("/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
        assert secret not in answer.text
    assert secret not in caplog.text


# --- 13 and 14. passwords, user names, bulk ids -----------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaa", "password12", "aaaaaaaaaaaaaaaa", "password1234", "budi-santoso-2024", "qwertyuiop123"]
)
def test_weak_passwords_are_refused(warehouse: str, password: str) -> None:
    with pytest.raises(svc.ReviewError) as refused:
        svc.save_user("budi-santoso", password, "reviewer", "16")
    assert refused.value.status == 422 and "kata sandi" in refused.value.message_id


@pytest.mark.parametrize("username", ["<img src=x onerror=alert(1)>", "Budi", "a", "budi santoso", "x" * 61])
def test_user_names_are_plain(warehouse: str, username: str) -> None:
    with pytest.raises(svc.ReviewError, match="user name"):
        svc.save_user(username, STRONG, "reviewer", "16")


def test_bulk_close_counts_each_id_once_and_reports_each(app: Any) -> None:
    flag_id, closed = make_flag("FBLK000001"), make_flag("FBLK000002", status="CLOSED")
    foreign = make_flag("FBLK000031", "31")
    supervisor = Session(app, "supervisor")
    answer = supervisor.client.post(
        "/api/bulk-close",
        json={"flag_ids": [flag_id] * 998 + [closed, foreign], "disposition": "FALSE_POSITIVE", "note": "duplikat"},
        headers={"X-CSRF-Token": supervisor.csrf},
    )
    assert answer.status_code == 200, answer.text
    outcomes = {r["flag_id"]: r["outcome"] for r in answer.json()["results"]}
    assert outcomes == {flag_id: "closed", closed: "already_closed", foreign: "not_found"}
    assert flag_state(flag_id) == ("CLOSED", None, "FALSE_POSITIVE") and flag_state(foreign)[0] == "OPEN"
    with warehouse_engine(get_settings()).connect() as conn:
        events = conn.execute(sa.text("SELECT COUNT(*) FROM flag_event WHERE flag_id = :f"), {"f": flag_id}).scalar()
    assert events == 1 and len(audit_rows(flag_id=flag_id)) == 1
    page = supervisor.client.post(
        "/bulk-close",
        data={
            "csrf_token": supervisor.csrf,
            "flag_id": [closed, foreign],
            "disposition": "FALSE_POSITIVE",
            "note": "x",
            "return_query": "rule=OVERSTAY&status=OPEN",
        },
    )
    assert page.status_code == 200 and "sudah ditutup" in page.text and "rule=OVERSTAY&amp;status=OPEN" in page.text


# --- 12. terminal escapes ---------------------------------------------------------------------


def test_control_characters_in_feed_text_are_quarantined_and_never_printed_raw(warehouse: str, landing: Any) -> None:
    from tests.test_bad_inputs import guest_line, hotel_file
    from timpora.ingest.pipeline import ingest_key

    escape = "Hotel \x1b[2J\x1b[31mMerah\x1b[0m"
    key = hotel_file(
        landing,
        "esc",
        [
            guest_line(1),
            guest_line(2, lodging_name=escape),
            guest_line(3, guest_given_names="Ann\u202eA"),
            guest_line(4, occupation="wartawan\x07"),
        ],
    )
    result = ingest_key(key)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 1, 3)
    listed = runner.invoke(cli, ["quarantine", "list", "--file", key])
    assert listed.exit_code == 0 and "\x1b" not in listed.output and "\u202e" not in listed.output
    assert "lodging_name contains control characters" in listed.output and "\\x1b[2J" in listed.output
    for column in ("lodging_name", "guest_given_names", "occupation"):
        assert f"{column} contains control characters" in listed.output
    for command in (["ledger"], ["quarantine", "export", "--file", key], ["quarantine", "export", "--format", "csv"]):
        output = runner.invoke(cli, command).output
        assert "\x1b" not in output and "\u202e" not in output and "\x07" not in output, command
    exported = json.loads(runner.invoke(cli, ["quarantine", "export", "--file", key]).output.splitlines()[0])
    assert exported["raw"].count("\x1b") == 3  # the JSON keeps the line as it came, escaped


def test_a_flag_with_control_characters_prints_them_escaped(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    create_users()
    make_flag("FESC000001", reason_id="Tamu \x1b]0;pwned\x07 di Hotel")
    for command in (["flags", "list"], ["flags", "export"], ["flags", "export", "--format", "csv"]):
        output = runner.invoke(cli, command).output
        assert "\x1b" not in output and "\x07" not in output, command
    monkeypatch.setenv("TIMPORA_REVIEW_PASSWORD", PASSWORD)
    listed = runner.invoke(cli, ["review", "list", "--user", "reviewer", "--json"])
    assert listed.exit_code == 0 and "\x1b" not in listed.output
