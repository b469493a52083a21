"""The reviewer's workbench (issue 38), on both warehouses: evidence panels per rule, the
app in Bahasa Indonesia with errors as pages, the queue's views, deadlines and badges,
linked flags, claim expiry, supervision (bulk close with a confirmation, reassign from the
region's reviewers, the dashboard) and the audit page's filters and grouping.

The browser walk (real Chromium, axe-core, phones) is in ``test_review_browser.py``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests.review_support import PASSWORD, client, create_users, flag_state, make_flag
from tests.test_rules import fixture_day, land
from timpora.config import get_settings
from timpora.ingest.pipeline import ingest_keys
from timpora.reconcile.engine import reconcile
from timpora.review import service as svc
from timpora.review.app import create_app
from timpora.review.i18n import GLOSSARY_FILE, TEXT, glossary, rule_name, term
from timpora.review.panels import FACTS, build_panel, mrz_view, name_order_swapped
from timpora.rules.config import RuleCode
from timpora.warehouse.db import warehouse_engine

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "docs" / "FEEDS.md"


def _login(app: Any, username: str) -> tuple[Any, str]:
    session = client(app, follow_redirects=False)
    answer = session.post("/api/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return session, answer.json()["csrf_token"]


def _reviewer(username: str) -> svc.Reviewer:
    with warehouse_engine(get_settings()).connect() as conn:
        row = conn.execute(
            sa.text("SELECT role, region_scope FROM app_user WHERE username = :u"), {"u": username}
        ).one()
    return svc.Reviewer(username, username, svc.Role(row[0]), row[1], "id", "Asia/Jakarta", "csrf")


@pytest.fixture
def day(warehouse: str, landing: Path) -> dict[str, str]:
    """The fixture day reconciled: one flag of each rule (and more); rule code -> a flag id."""
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    create_users()
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(sa.text("SELECT rule_code, flag_id, passport_number FROM flag ORDER BY flag_id")).all()
    chosen: dict[str, str] = {}
    # The fixture's first planted case of each rule (passport ...00000001), else any.
    for rule, flag_id, _ in sorted(rows, key=lambda r: (r[0], not r[2].endswith("00000001"), r[1])):
        chosen.setdefault(rule, flag_id)
    return chosen


def _panel(flag_id: str, language: str = "id", user: str = "supervisor") -> dict[str, Any]:
    return build_panel(svc.flag_detail(_reviewer(user), flag_id), language)


def _cells(panel: dict[str, Any], row_key: str) -> list[dict[str, Any]]:
    return next(r["cells"] for r in panel["rows"] if r["key"] == row_key)


def _column(panel: dict[str, Any], key: str) -> int:
    return next(i for i, c in enumerate(panel["columns"]) if c["key"] == key)


# --- evidence per rule ---------------------------------------------------------------------


def test_every_rule_has_its_evidence_panel() -> None:
    assert set(FACTS) == set(RuleCode)


def test_each_rule_marks_the_fields_that_decide_it(day: dict[str, str]) -> None:
    assert set(day) == {code.value for code in RuleCode}, day
    overstay = _panel(day["OVERSTAY"])
    permit = _column(overstay, "ITK-OVER-01")
    assert _cells(overstay, "dates")[permit]["mark"] == "decisive"
    assert "2024-09-30" in _cells(overstay, "dates")[permit]["value"]
    assert overstay["facts"][0]["mark"] == "decisive" and "2024-09-30" in overstay["facts"][0]["value"]

    region = _panel(day["REGION_MISMATCH"])
    permit = _column(region, "ITAS-REG-01")
    province = _cells(region, "province")
    assert province[permit]["mark"] == "decisive" and "Daerah Khusus Ibukota Jakarta" in province[permit]["value"]
    assert province[0]["mark"] == "decisive" and "Sumatera Selatan" in province[0]["value"]
    facts = {f["label"]: f["value"] for f in region["facts"]}
    assert (
        "Jl. Merdeka No. 1" in facts["Alamat terdaftar"]
        and "39 malam" in facts["Malam berturut-turut di luar provinsi"]
    )

    late = _panel(day["LATE_REPORT"])
    assert _cells(late, "reported")[0]["mark"] == "decisive"
    assert _cells(late, "reported")[0]["value"] == "2024-10-02 13:30"
    assert any("28.5 jam" in f["value"] and "batas 24 jam" in f["value"] for f in late["facts"])

    purpose = _panel(day["PURPOSE_MISMATCH"])
    assert _cells(purpose, "activity")[0]["mark"] == "decisive"
    assert "Wartawan lepas" in _cells(purpose, "activity")[0]["value"]
    assert _cells(purpose, "activity")[_column(purpose, "ITK-PUR-01")]["value"].startswith("Wisata")
    assert any("indeks C1" in f["value"] for f in purpose["facts"])
    assert "«Wartawan»" in purpose["facts"][0]["value"]  # where the finding came from
    assert [a["activity"] for a in purpose["assessment"] if a["decisive"]] == ["Jurnalistik"]

    concurrent = _panel(day["CONCURRENT_STAY"])
    places = _cells(concurrent, "place")
    assert [c["mark"] for c in places[:2]] == ["decisive", "decisive"]
    assert {"Hotel Sriwijaya Palembang", "Hotel Gunung Gare"} <= {c["value"].split(" · ")[0] for c in places[:2]}

    document = _panel(day["DOCUMENT_INVALID"])
    assert any(f["mark"] == "decisive" for f in document["facts"])

    identity = _panel(day["IDENTITY_MISMATCH"])
    marks = {c["mark"] for key in ("surname", "date_of_birth", "sex") for c in _cells(identity, key)}
    assert "differs" in marks

    nvp = _panel(day["NO_VALID_PERMIT"])
    assert nvp["facts"][1]["value"] == "0" and _cells(nvp, "dates")[0]["mark"] == "decisive"

    # Lodging and region names, not only ids; the rule's name and explanation.
    assert "Hotel Sriwijaya Palembang" in _cells(overstay, "place")[0]["value"]
    assert _cells(overstay, "region")[0]["value"] == "Kota Palembang (16.71)"
    assert overstay["rule_name"] == rule_name("OVERSTAY", "id") != "OVERSTAY" and overstay["explanation"]


def test_the_panel_shows_an_analyst_nothing_the_boundary_hides(day: dict[str, str]) -> None:
    panel = _panel(day["REGION_MISMATCH"], user="analyst")
    text = json.dumps(panel, ensure_ascii=False)
    for secret in ("Hall", "HALL", "Oscar", "Jl. Merdeka", "R00000001"):
        assert secret not in text


def test_a_name_order_swap_is_marked_as_such() -> None:
    assert name_order_swapped("Liu", "Ming", "MING", "LIU")
    assert not name_order_swapped("Liu", "Ming", "LIU", "MING")
    detail = {
        "flag": {"rule_code": "IDENTITY_MISMATCH", "evidence": {}},
        "stays": [{"report_id": "R1", "guest_surname": "Ming", "guest_given_names": "Liu"}],
        "documents": [
            {
                "document_kind": "PERMIT",
                "document_number": "ITK-1",
                "surname": "LIU",
                "given_names": "MING",
                "status": "ACTIVE",
            }
        ],
        "links": [{"report_id": "R1", "document_number": "ITK-1", "name_verdict": "DIFFERENT"}],
    }
    panel = build_panel(detail, "id")
    assert [c["mark"] for c in _cells(panel, "surname")] == ["swapped", "swapped"]


def test_the_mrz_shows_the_failing_check_digit() -> None:
    line2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    view = mrz_view(
        {
            "line1": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "line2": line2,
            "check_digits": {"passport_number": False, "date_of_birth": True},
            "fields": {"sex": {"typed": "M", "mrz": "F", "differs": True}},
        },
        "id",
    )
    assert view is not None
    marks = [c["mark"] for c in view["lines"][1]]
    assert marks[9] == "decisive" and marks[19] == "" and marks[20] == "differs"
    assert view["failing_checks"] == ["Nomor paspor"]


# --- Bahasa Indonesia ------------------------------------------------------------------------


def test_the_glossary_names_every_code_in_both_languages() -> None:
    terms = glossary()
    feeds = FEEDS.read_text(encoding="utf-8")
    activities = re.search(r"Activity codes[^:]*:(.*?)\n\n", feeds, re.S)
    sponsors = re.search(r"Sponsor types:(.*?)\n\n", feeds, re.S)
    assert activities and sponsors
    wanted = {
        "flag_status": set(svc.STATUSES),
        "disposition": {d.value for d in svc.Disposition},
        "severity": set(svc.SEVERITIES),
        "activity": set(re.findall(r"`([A-Z_]+)`", activities.group(1))),
        "sponsor_type": set(re.findall(r"`([A-Z_]+)`", sponsors.group(1))),
        "document_status": {"ACTIVE", "ISSUED", "CANCELLED", "REVOKED"},
        "flag_event": {"RAISED", "UPDATED", "CLEARED", "REOPENED", "CLAIMED", "RELEASED", "CLOSED", "REASSIGNED"},
    }
    for kind, codes in wanted.items():
        assert codes <= set(terms[kind]), (kind, codes - set(terms[kind]))
        for code in codes:
            assert terms[kind][code]["id"] and terms[kind][code]["en"], (kind, code)
    assert term("activity", "TOURISM", "id") == "Wisata"
    assert yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8"))
    assert set(TEXT["id"]) == set(TEXT["en"])
    # "Pemegang" is the permit holder in reasons ("pemegang ITAP"); the reviewer is not.
    assert TEXT["id"]["assignee"] == "Ditangani oleh"


def test_pages_speak_indonesian_and_errors_are_pages(day: dict[str, str]) -> None:
    app = create_app()
    session, csrf = _login(app, "reviewer")
    flag_id = day["OVERSTAY"]
    page = session.get(f"/flags/{flag_id}").text
    assert "Melebihi izin tinggal" in page and "Dimunculkan" in page  # rule name, history event
    assert "RAISED" not in page.split('id="technical-details"')[0]
    assert "Berlaku" in page and "Wisata" in page  # permit status and activity
    # Closing without a disposition: the flag page says so, in Indonesian.
    session.post(f"/flags/{flag_id}/action", data={"csrf_token": csrf, "action": "claim"})
    answer = session.post(
        f"/flags/{flag_id}/action", data={"csrf_token": csrf, "action": "close", "disposition": "", "note": "x"}
    )
    assert answer.status_code == 303
    shown = session.get(answer.headers["location"]).text
    assert "pilih disposisi untuk menutup flag" in shown and "CONFIRMED_VIOLATION," not in shown
    # A region typed as a name: the one region of the scope of that name; a name none
    # bears, a page in the app's layout and language, not FastAPI's JSON.
    assert session.get("/?region=Palembang").status_code == 200
    answer = session.get("/?region=Atlantis")
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert 'id="error-page"' in answer.text and "bukan kode wilayah: pilih wilayah dari daftar" in answer.text
    # The API keeps JSON, in both languages.
    answer = session.get("/api/flags?region=Palembang")
    assert answer.status_code == 422 and "message_id" in answer.json() and "message_en" in answer.json()
    # English by switch.
    session.get("/lang/en?next=/")
    assert (
        "Overstay" in session.get(f"/flags/{flag_id}").text
        or "overstay" in session.get(f"/flags/{flag_id}").text.lower()
    )


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_shows_open_work_by_default_with_views_deadlines_and_badges(warehouse: str) -> None:
    create_users()
    make_flag("FQ00000001", status="OPEN", first_night="2024-10-02")
    make_flag("FQ00000002", status="CLOSED", first_night="2024-10-02")
    make_flag("FQ00000003", status="IN_REVIEW", assignee="reviewer", first_night="2024-10-02")
    make_flag("FQ00000004", status="IN_REVIEW", assignee="supervisor", first_night="2024-10-02")
    app = create_app()
    session, _ = _login(app, "reviewer")
    page = session.get("/").text
    shown = set(re.findall(r'data-flag="([^"]+)"', page))
    assert shown == {"FQ00000001", "FQ00000003", "FQ00000004"}  # no closed flag by default
    mine = set(re.findall(r'data-flag="([^"]+)"', session.get("/?view=mine").text))
    assert mine == {"FQ00000003"}
    everything = set(re.findall(r'data-flag="([^"]+)"', session.get("/?view=all").text))
    assert "FQ00000002" in everything
    # Raised 2024-10-03 (make_flag): HIGH is due 24 h later, long past: overdue, marked.
    assert 'class="flag-row overdue"' in page and "Lewat tenggat" in page
    assert "10-04 13:00 WIB" in page  # the deadline, in the reviewer's time zone
    assert 'title="16.71">Kota Palembang<' in page  # region names (the code on hover)
    assert "Pengawasan +150" in page  # the Pilkada window's boost as a badge
    assert "2 Okt" in page and "2024-10-02" not in page.split('id="queue-table"')[1]  # compact dates
    # The API carries the deadline too.
    row = session.get("/api/flags?open_only=true").json()["flags"][0]
    assert row["overdue"] is True and row["deadline_at"].startswith("2024-10-04")


def test_next_and_previous_keep_the_filters(day: dict[str, str]) -> None:
    app = create_app()
    session, _ = _login(app, "reviewer")
    queue = session.get("/?severity=HIGH").text
    links = re.findall(r'href="(/flags/[^"]+)" class="flag-link"', queue)
    assert len(links) >= 3 and "severity=HIGH" in links[1]
    second = session.get(links[1].replace("&amp;", "&")).text
    previous = re.search(r'href="(/flags/[^"]+)" id="previous-flag"', second)
    following = re.search(r'href="(/flags/[^"]+)" id="next-flag"', second)
    assert previous and following
    assert previous.group(1).split("?")[0] == links[0].split("?")[0]
    assert following.group(1).split("?")[0] == links[2].split("?")[0]
    assert "severity=HIGH" in following.group(1)


# --- linked flags, claims -------------------------------------------------------------------


def test_linked_flags_of_a_person_and_one_decision_for_them(warehouse: str) -> None:
    create_users()
    make_flag("FL00000001", passport="B11111111", rule="NO_VALID_PERMIT")
    make_flag("FL00000002", passport="B11111111", rule="LATE_REPORT")
    make_flag("FL00000003", passport="B11111111", rule="OVERSTAY", status="IN_REVIEW", assignee="supervisor")
    make_flag("FL00000004", passport="B22222222")
    app = create_app()
    session, csrf = _login(app, "reviewer")
    page = session.get("/flags/FL00000001").text
    linked = page.split('id="linked-flags"')[1].split("</table>")[0]
    assert "FL00000002" in linked and "FL00000003" in linked and "FL00000004" not in linked
    answer = session.post(
        "/flags/FL00000001/close-linked",
        data={
            "csrf_token": csrf,
            "flag_id": ["FL00000002", "FL00000003", "FL00000004"],
            "disposition": "FALSE_POSITIVE",
            "note": "satu orang, satu keputusan",
        },
    )
    assert answer.status_code == 200
    assert flag_state("FL00000001")[0] == "CLOSED" and flag_state("FL00000002")[0] == "CLOSED"
    assert flag_state("FL00000003") == ("IN_REVIEW", "supervisor", None)  # another's: not taken
    assert flag_state("FL00000004")[0] == "OPEN"  # not this person's
    assert "dipegang pemeriksa lain" in answer.text and "bukan flag orang ini" in answer.text


def test_an_idle_claim_expires_with_an_audit_row(warehouse: str) -> None:
    create_users()
    make_flag("FC00000001", status="OPEN")
    reviewer = _reviewer("reviewer")
    svc.claim(reviewer, "FC00000001")
    assert svc.expire_claims() == []  # just claimed
    later = svc.now_utc() + timedelta(hours=9)  # claim_idle_hours: 8
    assert svc.expire_claims(now=later) == ["FC00000001"]
    assert flag_state("FC00000001") == ("OPEN", None, None)
    with warehouse_engine(get_settings()).connect() as conn:
        audit = conn.execute(
            sa.text("SELECT actor, detail FROM audit_log WHERE action = 'CLAIM_EXPIRED' AND flag_id = 'FC00000001'")
        ).all()
        events = conn.execute(sa.text("SELECT kind FROM flag_event WHERE flag_id = 'FC00000001'")).scalars().all()
    assert len(audit) == 1 and audit[0][0] == "system" and json.loads(audit[0][1])["held_by"] == "reviewer"
    assert "CLAIM_EXPIRED" in events


# --- supervision ------------------------------------------------------------------------------


def test_bulk_close_confirms_reports_each_flag_and_keeps_the_filters(warehouse: str) -> None:
    create_users()
    make_flag("FB00000001")
    make_flag("FB00000002", status="IN_REVIEW", assignee="reviewer")
    make_flag("FB00000003", status="CLOSED")
    app = create_app()
    session, csrf = _login(app, "supervisor")
    form = {
        "csrf_token": csrf,
        "flag_id": ["FB00000001", "FB00000002", "FB00000003"],
        "disposition": "FALSE_POSITIVE",
        "note": "pengecekan massal",
        "return_query": "severity=HIGH&view=open",
    }
    plan = session.post("/bulk-close", data=form)
    assert plan.status_code == 200 and 'id="bulk-confirm"' in plan.text
    assert flag_state("FB00000001")[0] == "OPEN"  # nothing closed before the confirmation
    assert "1 dari 3 flag akan ditutup" in plan.text
    done = session.post("/bulk-close", data={**form, "confirmed": "1"})
    assert done.status_code == 200
    assert flag_state("FB00000001")[0] == "CLOSED"
    assert flag_state("FB00000002") == ("IN_REVIEW", "reviewer", None)  # another's hold kept
    assert "ditutup: 1" in done.text and "dipegang pemeriksa lain: 1" in done.text and "sudah ditutup: 1" in done.text
    assert 'href="/?severity=HIGH&amp;view=open" id="back-to-queue"' in done.text
    # An empty selection: a page that says so, not plain text.
    empty = session.post("/bulk-close", data={"csrf_token": csrf, "disposition": "FALSE_POSITIVE", "note": "x"})
    assert empty.status_code == 422 and 'id="error-page"' in empty.text and "tidak ada flag yang dipilih" in empty.text


def test_reassign_picks_from_the_regions_reviewers(warehouse: str) -> None:
    create_users()
    make_flag("FR00000001")
    app = create_app()
    session, _ = _login(app, "supervisor")
    page = session.get("/flags/FR00000001").text
    picker = page.split('id="reassign-to"')[1].split("</select>")[0]
    assert 'value="reviewer"' in picker and 'value="supervisor"' in picker
    assert 'value="reviewer_jakarta"' not in picker and 'value="analyst"' not in picker
    names = {u["username"] for u in session.get("/api/flags/FR00000001/assignable").json()}
    assert names == {"reviewer", "reviewer_city", "supervisor"}  # the flag is in 16.71


def test_the_dashboard_shows_workload_ageing_breaches_and_filters(warehouse: str) -> None:
    create_users()
    make_flag("FD00000001", status="IN_REVIEW", assignee="reviewer")
    make_flag("FD00000002", status="OPEN", first_night="2024-08-01")
    make_flag("FD00000003", status="CLOSED")
    app = create_app()
    session, _ = _login(app, "supervisor")
    data = session.get("/api/dashboard").json()
    assert data["workload"] == [
        {"assignee": "reviewer", "held": 1, "overdue": 1, "oldest_hours": data["workload"][0]["oldest_hours"]}
    ]
    assert data["breaches"]["HIGH"] == 2 and data["unassigned_open"] == 1
    assert data["ageing"]["gt_7d"] == 2
    assert data["closed_by_rule"][0]["false_positive_rate"] == 1.0
    windowed = session.get("/api/dashboard", params={"window": "Pilkada 2024 Sumatera Selatan"}).json()
    assert windowed["breaches"]["HIGH"] == 1  # the August flag is outside the window
    later = session.get("/api/dashboard", params={"date_from": "2030-01-01"}).json()
    assert later["breaches"]["HIGH"] == 0
    page = session.get("/dashboard").text
    for part in ('id="workload"', 'id="ageing"', 'id="breaches"', '<svg class="bar"', "Tanpa izin tinggal"):
        assert part in page


def test_the_audit_page_filters_and_groups_views(warehouse: str) -> None:
    create_users()
    make_flag("FA00000001")
    app = create_app()
    reviewer, _ = _login(app, "reviewer")
    for _ in range(5):
        reviewer.get("/")
    reviewer.get("/flags/FA00000001")
    admin, _ = _login(app, "admin")
    page = admin.get("/audit").text
    assert "× 5" in page  # five queue views, one line
    only_flag = admin.get("/audit", params={"action": "VIEW_FLAG"}).text
    assert "FA00000001" in only_flag and "Melihat antrean" not in only_flag.split('id="audit"')[1]
    by_actor = admin.get("/audit", params={"actor": "nobody"}).text
    assert "0 catatan audit" in by_actor
    for field in ('id="audit-actor"', 'id="audit-flag"', 'id="audit-action"', 'id="audit-from"', 'id="audit-until"'):
        assert field in page


# --- notifications, escalation, saved filters ----------------------------------------------


@pytest.fixture
def mailbox(warehouse: str) -> Any:
    """A real SMTP server (aiosmtpd) on a free port; the settings point at it."""
    import socket

    from aiosmtpd.controller import Controller

    from timpora.config import override_environment

    class Keep:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            import email

            self.messages.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    override_environment(smtp_host="127.0.0.1", smtp_port=str(port), smtp_from="timpora@imigrasi.test")
    yield handler
    override_environment(smtp_host=None, smtp_port=None, smtp_from=None)
    controller.stop()


def test_new_high_and_window_flags_notify_the_regions_reviewers_by_mail_and_in_the_app(
    mailbox: Any, landing: Path
) -> None:
    from timpora.review import notify

    ingest_keys(land(landing, fixture_day()))
    reconcile()
    create_users()
    svc.save_user("budi", PASSWORD, "reviewer", "16", email="budi@imigrasi.test")
    svc.save_user("sari", PASSWORD, "reviewer", "16", email="sari@imigrasi.test", notify_digest=True)
    svc.save_user("joko", PASSWORD, "reviewer", "31", email="joko@imigrasi.test")
    svc.save_user("ana", PASSWORD, "analyst", "16", email="ana@imigrasi.test")
    with warehouse_engine(get_settings()).connect() as conn:
        high = conn.execute(
            sa.text("SELECT COUNT(*) FROM flag WHERE severity = 'HIGH' AND status = 'OPEN' AND province_code = '16'")
        ).scalar_one()
        everything = conn.execute(sa.text("SELECT COUNT(*) FROM flag WHERE province_code = '16'")).scalar_one()
    first = notify.run()
    assert first.email_failures == 0
    to_budi = [m for m in mailbox.messages if m["To"] == "budi@imigrasi.test"]
    to_sari = [m for m in mailbox.messages if m["To"] == "sari@imigrasi.test"]
    # Every fixture flag lies in the Pilkada window (province 16); HIGH ones are told twice
    # (new HIGH, window): one message per notification for budi, one digest for sari.
    assert len(to_budi) == high + everything and len(to_sari) == 1
    assert not [m for m in mailbox.messages if m["To"] in ("joko@imigrasi.test", "ana@imigrasi.test")]
    body = to_sari[0].get_payload()
    assert "/flags/F" in body and "Kota Palembang" in body
    for secret in ("CLARK", "Clark", "O00000001", "Hotel Sriwijaya"):  # nothing personal by e-mail
        assert secret not in body and all(secret not in m.get_payload() for m in to_budi)
    # A rerun tells nobody again.
    before = len(mailbox.messages)
    again = notify.run()
    assert again.told == {"NEW_HIGH": 0, "WINDOW": 0, "OVERDUE": 0} and len(mailbox.messages) == before
    # In the app: the count in the header, the list, read when the flag is opened.
    app = create_app()
    session, _ = _login(app, "reviewer")
    page = session.get("/").text
    assert f'id="unread-count">{high + everything}<' in page
    listing = session.get("/api/notifications").json()
    session.get(f"/flags/{listing[0]['flag_id']}")
    assert f'id="unread-count">{high + everything - 1}<' in session.get("/").text
    analyst, _ = _login(app, "analyst")
    assert "nav-notifications" not in analyst.get("/").text


def test_deadline_breaches_escalate_to_the_regions_supervisors_once(mailbox: Any) -> None:
    from timpora.review import notify

    create_users()
    svc.save_user("kepala", PASSWORD, "supervisor", "16", email="kepala@imigrasi.test")
    svc.save_user("petugas", PASSWORD, "reviewer", "16", email="petugas@imigrasi.test")
    make_flag("FE00000001", status="IN_REVIEW", assignee="reviewer", first_night="2024-08-01")
    later = svc.now_utc()
    result = notify.run(now=later)
    assert result.escalated == ["FE00000001"]  # raised 2024-10-03 (make_flag): long past 24 h
    overdue = [m for m in mailbox.messages if "lewat tenggat" in m["Subject"].lower()]
    assert [m["To"] for m in overdue] == ["kepala@imigrasi.test"]  # supervisors, not reviewers
    with warehouse_engine(get_settings()).connect() as conn:
        events = conn.execute(sa.text("SELECT kind FROM flag_event WHERE flag_id = 'FE00000001'")).scalars().all()
        audit = conn.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'ESCALATED' AND flag_id = 'FE00000001'")
        ).scalar_one()
    assert events.count("ESCALATED") == 1 and audit == 1
    assert notify.run(now=later + timedelta(minutes=5)).escalated == []


def test_mail_that_fails_waits_for_the_next_run(warehouse: str) -> None:
    from timpora.config import override_environment
    from timpora.review import notify

    create_users()
    svc.save_user("budi", PASSWORD, "reviewer", "16", email="budi@imigrasi.test")
    make_flag("FM00000001", first_night="2024-10-02")
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(sa.text("UPDATE flag SET raised_at = :now"), {"now": svc.now_utc()})
    override_environment(smtp_host="127.0.0.1", smtp_port="9")  # nothing listens there
    try:
        result = notify.run()
    finally:
        override_environment(smtp_host=None, smtp_port=None)
    assert result.emails_sent == 0 and result.email_failures >= 1
    with warehouse_engine(get_settings()).connect() as conn:
        unsent = conn.execute(
            sa.text("SELECT COUNT(*) FROM notification WHERE username = 'budi' AND emailed_at IS NULL")
        ).scalar_one()
    assert unsent >= 1


def test_saved_filters_per_user(warehouse: str) -> None:
    create_users()
    app = create_app()
    session, csrf = _login(app, "reviewer")
    answer = session.post(
        "/views", data={"csrf_token": csrf, "name": "Tinggi di Palembang", "query": "severity=HIGH&region=16.71&page=3"}
    )
    assert answer.status_code == 303
    assert session.get("/api/views").json() == [{"name": "Tinggi di Palembang", "query": "severity=HIGH&region=16.71"}]
    page = session.get("/").text
    assert 'href="/?severity=HIGH&amp;region=16.71" class="saved-view">Tinggi di Palembang<' in page
    other, _ = _login(app, "supervisor")
    assert other.get("/api/views").json() == []  # per user
    session.post("/views/delete", data={"csrf_token": csrf, "name": "Tinggi di Palembang"})
    assert session.get("/api/views").json() == []
