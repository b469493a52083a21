"""The privacy boundary, as a matrix: every route x every role x a flag inside and outside
the user's region, on real flags of all eight rules, on SQLite and PostgreSQL.

The personal data of the fixture (names, passport numbers as stored and as typed, MRZ
lines, addresses, dates of birth, permit and visa numbers, what reviewers wrote) is read
back from the warehouse itself, so a field the rules start to carry is searched for too.
Each response body (and redirect target) is searched for it byte by byte, after undoing
HTML and JSON escaping: an analyst must find none of it anywhere; nobody may find what
belongs to a region outside their scope. A positive control proves the search finds what
a reviewer of the region is meant to see.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.review_support import PASSWORD, USERS, client, create_users
from tests.test_review_api import ROUTES, Session
from tests.test_rules import fixture_day, land
from timpora.config import get_settings
from timpora.ingest.pipeline import ingest_keys
from timpora.reconcile.engine import reconcile
from timpora.review import service as svc
from timpora.review.app import ACCESS, PUBLIC, create_app
from timpora.review.service import Role
from timpora.warehouse.db import warehouse_engine

# The province-31 flag's own personal data, which no user of province 16 may see.
JAKARTA = {
    "passport": "Q71828182",
    "surname": "KOWALSKAJA",
    "given": "ZOFIA HELENA",
    "mrz1": "P<POLKOWALSKAJA<<ZOFIA<HELENA<<<<<<<<<<<<<<<<",
    "mrz2": "Q71828182<4POL7001018F3001019<<<<<<<<<<<<<<02",
    "comment": "Kowalskaja mengaku bekerja di Kemang",
}
COMMENT_16 = "tamu mengaku wartawan lepas di Pasar 16 Ilir"
CLOSE_NOTE_16 = "dicek ke kantor imigrasi Palembang, paspor benar"
EXTRA_USERS = {"analyst_jakarta": ("analyst", "31"), "admin_jakarta": ("admin", "31")}


def _scope_secrets_16() -> set[str]:
    """Every personal value the warehouse holds of province 16's people."""
    columns = {
        "guest_stay": [
            "guest_surname",
            "guest_given_names",
            "passport_number",
            "passport_number_raw",
            "mrz_line1",
            "mrz_line2",
            "date_of_birth",
        ],
        "stay_permit": ["surname", "given_names", "passport_number", "address", "permit_number", "date_of_birth"],
        "visa": ["surname", "given_names", "passport_number", "visa_number", "date_of_birth"],
    }
    found: set[str] = set()
    with warehouse_engine(get_settings()).connect() as conn:
        for table, names in columns.items():
            for row in conn.execute(sa.text(f"SELECT {', '.join(names)} FROM {table}")):
                for value in row:
                    if value is not None:
                        found.add(str(value)[:10] if "date" in str(type(value)) else str(value))
    found |= {COMMENT_16, CLOSE_NOTE_16}
    # Short values (a two-letter given name) would match ordinary words of any page.
    return {value for value in found if len(value) >= 4}


def _variants(secret: str) -> set[str]:
    return {secret, secret.upper(), secret.lower(), secret.title()}


def leaks(text: str, secrets: set[str]) -> set[str]:
    """Which secrets a response shows, through HTML or JSON escaping."""
    plain = html.unescape(text)
    with contextlib.suppress(ValueError):
        plain += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    return {secret for secret in secrets if any(_word(v).search(plain) for v in _variants(secret))}


def _word(value: str) -> re.Pattern[str]:
    # As a word: the surname WHITE is no leak in a stylesheet's "white-space".
    return re.compile(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])")


def _jakarta_flag() -> str:
    """A flag of province 31 whose record carries its own person."""
    from tests.review_support import make_flag

    flag_id = make_flag(
        "FJKT0000001",
        "31",
        passport=JAKARTA["passport"],
        reason_id=f"Tamu {JAKARTA['surname']} {JAKARTA['given']} (paspor {JAKARTA['passport']}, POL)",
    )
    evidence = {
        "stay": {
            "report_id": f"R-{flag_id}",
            "guest_surname": JAKARTA["surname"],
            "guest_given_names": JAKARTA["given"],
            "passport_number": JAKARTA["passport"],
            "passport_number_as_typed": JAKARTA["passport"].lower(),
        },
        "mrz": {"line1": JAKARTA["mrz1"], "line2": JAKARTA["mrz2"]},
        "nights": {"first": "2024-10-02", "last": "2024-10-02", "count": 1},
    }
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(
            sa.text("UPDATE flag SET evidence = :e, reason_en = :r WHERE flag_id = :f"),
            {"e": json.dumps(evidence), "r": f"Guest {JAKARTA['surname']} {JAKARTA['given']}", "f": flag_id},
        )
    return flag_id


@pytest.fixture
def real_flags(warehouse: str, landing: Any) -> dict[str, Any]:
    """The rules' fixture day, reconciled; users of every role in provinces 16 and 31."""
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    create_users()
    for username, (role, scope) in EXTRA_USERS.items():
        svc.save_user(username, PASSWORD, role, scope)
    with warehouse_engine(get_settings()).connect() as conn:
        flags = [
            row[0] for row in conn.execute(sa.text("SELECT flag_id FROM flag WHERE status = 'OPEN' ORDER BY rule_code"))
        ]
    rules = {row.rule_code for row in _flag_rules()}
    assert len(rules) == 8, rules
    reviewer = svc.authenticate("reviewer", PASSWORD)
    supervisor = svc.authenticate("supervisor", PASSWORD)
    assert reviewer and supervisor
    svc.comment(reviewer, flags[0], COMMENT_16)
    svc.claim(reviewer, flags[1])
    svc.close(reviewer, flags[1], "FALSE_POSITIVE", CLOSE_NOTE_16)
    jakarta = _jakarta_flag()
    jakarta_reviewer = svc.authenticate("reviewer_jakarta", PASSWORD)
    assert jakarta_reviewer
    svc.comment(jakarta_reviewer, jakarta, JAKARTA["comment"])
    secrets_16 = _scope_secrets_16()
    secrets_31 = {value for value in JAKARTA.values()} | {JAKARTA["passport"].lower()}
    return {"flags": flags, "jakarta": jakarta, "16": secrets_16, "31": secrets_31}


def _flag_rules() -> list[Any]:
    with warehouse_engine(get_settings()).connect() as conn:
        return list(conn.execute(sa.text("SELECT DISTINCT rule_code FROM flag")))


def _body(answer: Any) -> str:
    return answer.text + "\n" + answer.headers.get("location", "")


ROLES_OF = {
    "reviewer": "16",
    "supervisor": "16",
    "analyst": "16",
    "admin": "16",
    "reviewer_jakarta": "31",
    "analyst_jakarta": "31",
    "admin_jakarta": "31",
}


def test_no_route_shows_a_role_or_region_what_it_may_not_see(real_flags: dict[str, Any]) -> None:
    app = create_app()
    sessions = {username: Session(app, username) for username in ROLES_OF}
    found: list[tuple[str, str, str, str]] = []
    control: set[str] = set()
    extra_paths = [
        "/api/audit?page=1",
        "/audit?page=1",
        "/?page_size=200",
        "/api/flags?page_size=200",
        "/api/flags?page_size=200&status=CLOSED",
    ]
    for username, scope in ROLES_OF.items():
        session = sessions[username]
        role = Role({**USERS, **EXTRA_USERS}[username][0])
        forbidden = real_flags["31" if scope == "16" else "16"] | (
            real_flags["16"] | real_flags["31"] if role is Role.ANALYST else set()
        )
        own_flags = real_flags["flags"] if scope == "16" else [real_flags["jakarta"]]
        foreign_flags = [real_flags["jakarta"]] if scope == "16" else real_flags["flags"][:3]
        for name, route in ROUTES.items():
            if ACCESS[name] is PUBLIC or route.fresh_session or name in ("api_password", "page_password"):
                continue
            targets = (own_flags + foreign_flags) if route.flag else [None]
            for flag_id in targets:
                answer = session.call(route, flag_id)
                for secret in leaks(_body(answer), forbidden):
                    found.append((username, name, str(flag_id), secret))
                if username == "reviewer" and name == "page_flag":
                    control |= leaks(answer.text, real_flags["16"])
        for path in extra_paths + [f"/api/audit?flag_id={f}" for f in own_flags + foreign_flags]:
            answer = session.client.get(path)
            for secret in leaks(_body(answer), forbidden):
                found.append((username, path, "-", secret))
    assert not found, sorted(set(found))[:40]
    # The search finds what it looks for: the region's reviewer sees names, passports and MRZ.
    assert COMMENT_16 in control and any(re.fullmatch(r"[A-Z]\d{8}", s) for s in control), sorted(control)[:10]


def test_analysts_get_pseudonyms_that_join_the_analyst_views(real_flags: dict[str, Any]) -> None:
    analyst = Session(create_app(), "analyst")
    listed = analyst.client.get("/api/flags?page_size=200").json()["flags"]
    with warehouse_engine(get_settings()).connect() as conn:
        people = {row[0] for row in conn.execute(sa.text("SELECT person_pseudonym FROM analyst_people"))}
        facts = {row[0] for row in conn.execute(sa.text("SELECT person_pseudonym FROM fact_flag"))}
    shown = {flag["passport_number"] for flag in listed}
    assert shown and shown <= people | facts, shown - people - facts
    detail = analyst.client.get(f"/api/flags/{listed[0]['flag_id']}").json()
    # The reason is written again from what an analyst may see, in both languages.
    assert detail["flag"]["reason_id"].startswith(detail["flag"]["reason_id"].split(":")[0])
    assert detail["flag"]["passport_number"] in detail["flag"]["reason_id"]
    assert detail["flag"]["passport_number"] in detail["flag"]["reason_en"]
    assert all(note is None for note in (h["note"] for h in detail["history"] if h["actor"] != "reconcile"))


def test_the_cli_shows_an_analyst_no_personal_data(real_flags: dict[str, Any]) -> None:
    from timpora.cli import app

    forbidden = real_flags["16"] | real_flags["31"]
    runner = CliRunner()
    for arguments in (["review", "list", "--user", "analyst", "--json"], ["review", "list", "--user", "analyst"]):
        result = runner.invoke(app, arguments, env={"TIMPORA_REVIEW_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output
        assert result.output.strip() and not leaks(result.output, forbidden)
    reviewer = runner.invoke(
        app, ["review", "list", "--user", "reviewer", "--json"], env={"TIMPORA_REVIEW_PASSWORD": PASSWORD}
    )
    assert leaks(reviewer.output, real_flags["16"])


def test_an_anonymous_client_sees_nothing(real_flags: dict[str, Any]) -> None:
    anonymous = client(create_app(), follow_redirects=False)
    forbidden = real_flags["16"] | real_flags["31"]
    for name, route in ROUTES.items():
        if name in ("static", "swagger_assets"):  # the app's own files (a stylesheet says "white")
            continue
        flag_id = real_flags["flags"][0]
        answer = anonymous.request(route.method, route.path.replace("{flag}", flag_id))
        assert not leaks(_body(answer), forbidden), name
