"""The reviewer's workbench in a real browser (Playwright driving Debian's headless Chromium),
on both warehouses: a reviewer, a supervisor and an admin walk through their day; every
page is checked by axe-core (no critical or serious violation) and at 375 px wide (no
sideways scrolling, tap targets of 44 px or more).

Screenshots of every page at 1366x900 and 375x812 go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.review_support import PASSWORD, create_users
from tests.test_rules import fixture_day, land
from timpora.ingest.pipeline import ingest_keys
from timpora.reconcile.engine import reconcile

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
pytestmark = [pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(warehouse: str, landing: Path) -> Iterator[str]:
    import uvicorn

    from timpora.review.app import create_app

    ingest_keys(land(landing, fixture_day()))
    reconcile()
    create_users()
    from timpora.review import notify

    notify.run()  # the reconcile DAG's last task: the reviewers are told of the HIGH flags
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the review app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/ensure-chromium installs it")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def _log_in(page: Any, served: str, username: str) -> None:
    page.goto(served + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#queue-table, #no-flags")


def _check(page: Any, name: str, engine: str) -> None:
    """axe-core on the page as it is, then a screenshot; at phone width, no sideways scroll
    and no tap target under 44 px."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert not bad, f"{name}: axe-core found {bad}"
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{engine}-{name}-{width}.png"), full_page=True)
    if width <= 400:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name}: the page scrolls sideways at {width} px ({scroll} px wide)"
        small = page.evaluate(
            """() => [...document.querySelectorAll('a, button, input, select, summary')]
                .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
                    && e.type !== 'hidden'
                    && !e.closest('.skip-link, td.col-reason, #flag-reason, p.legend, dl')
                    && r.height < 44; })
                .map(e => e.tagName + '#' + e.id + ' ' + (e.innerText || e.value || '').slice(0, 30))"""
        )
        assert not small, f"{name}: tap targets under 44 px at {width} px: {small[:8]}"


def test_a_reviewers_day(served: str, browser: Any, warehouse: str) -> None:
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        page = browser.new_page(viewport=viewport)
        page.goto(served + "/")
        expect(page).to_have_url(f"{served}/login?next=%2F")
        page.fill("#username", "reviewer")
        page.fill("#password", "wrong password")
        page.click("#login")
        expect(page.get_by_role("alert")).to_contain_text("salah")
        _check(page, "01-login", warehouse)
        page.fill("#username", "reviewer")
        page.fill("#password", PASSWORD)
        page.click("#login")
        expect(page.locator("#queue-table")).to_be_visible()
        expect(page.locator("h1")).to_contain_text("Antrean")
        expect(page.locator("#tab-open")).to_have_attribute("aria-current", "page")
        _check(page, "02-queue", warehouse)
        page.close()

    page = browser.new_page(viewport=DESKTOP)
    _log_in(page, served, "reviewer")
    # About twice the rows of old above the fold at 1366x900.
    visible = page.evaluate(
        "[...document.querySelectorAll('tr.flag-row')].filter(r => r.getBoundingClientRect().bottom <= 900).length"
    )
    assert visible >= 7, visible
    page.select_option("#filter-rule", "IDENTITY_MISMATCH")
    page.click("#apply-filters")
    expect(page.locator("#queue-total")).to_contain_text("2 flag")
    _check(page, "03-queue-filtered", warehouse)

    # Keyboard: j selects the first row, o opens it; the flag page keeps the filters.
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(page.locator("#flag-title")).to_contain_text("Identitas tidak cocok")
    expect(page.locator("#side-by-side td.differs").first).to_be_visible()
    expect(page.locator("#next-flag")).to_be_visible()
    _check(page, "04-flag-identity", warehouse)
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    _check(page, "05-shortcuts", warehouse)
    page.keyboard.press("Escape")
    page.keyboard.press("c")  # claim
    expect(page.locator("#flag-status")).to_have_text("Sedang diperiksa")
    expect(page.locator("#flag-assignee")).to_have_text("reviewer")
    page.fill("#comment-body", "Paspor dicocokkan dengan data izin tinggal: orang berbeda.")
    page.click("#comment")
    page.click("#close")  # no disposition: told so, in Indonesian, on the page
    expect(page.locator("#flag-error")).to_contain_text("pilih disposisi")
    page.select_option("#disposition", "REFERRED_FOR_ACTION")
    page.fill("#close-note", "Diteruskan ke Kanim Palembang.")
    page.click("#close")
    expect(page.locator("#flag-status")).to_have_text("Ditutup")
    expect(page.locator("#history")).to_contain_text("Ditutup")
    _check(page, "06-flag-closed", warehouse)
    page.click("#next-flag")
    expect(page.locator("#flag-title")).to_contain_text("Identitas tidak cocok")

    # Every rule's own panel, desktop and phone.
    for viewport in (DESKTOP, PHONE):
        phone = browser.new_page(viewport=viewport)
        _log_in(phone, served, "reviewer")
        links = phone.eval_on_selector_all(".flag-link", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
        seen: set[str] = set()
        for name, href in links:
            if name in seen:
                continue
            seen.add(name)
            phone.goto(served + href)
            expect(phone.locator("#facts .decisive").first).to_be_visible()
            _check(phone, f"07-flag-{len(seen):02d}", warehouse)
        assert len(seen) == 8, seen
        phone.close()

    # Told in the app; a saved filter.
    page.click("#nav-notifications")
    expect(page.locator("#notifications")).to_contain_text("Flag baru tingkat tinggi")
    _check(page, "10-notifications", warehouse)
    page.click("#nav-queue")
    page.select_option("#filter-severity", "HIGH")
    page.click("#apply-filters")
    page.click("#saved-box summary")
    page.fill("#save-view-name", "Tinggi")
    page.click("#save-view")
    expect(page.locator("a.saved-view")).to_have_text("Tinggi")
    _check(page, "11-queue-saved-filter", warehouse)
    page.locator(".flag-link").first.click()

    page.click("#switch-language")
    expect(page.locator("#nav-queue")).to_have_text("Queue")
    expect(page.locator("#facts-title")).to_have_text("What decides this flag")
    _check(page, "12-flag-english", warehouse)
    page.click("#nav-queue")
    expect(page.locator("#apply-filters")).to_have_text("Filter")
    _check(page, "13-queue-english", warehouse)
    page.close()


def test_a_supervisors_and_an_admins_day(served: str, browser: Any, warehouse: str) -> None:
    from playwright.sync_api import expect

    for viewport in (DESKTOP, PHONE):
        page = browser.new_page(viewport=viewport)
        _log_in(page, served, "reviewer")
        page.goto(served + "/?status=OPEN")
        page.locator(".flag-link").first.click()
        page.click("#claim")
        page.close()

        page = browser.new_page(viewport=viewport)
        _log_in(page, served, "supervisor")
        boxes = page.locator("#queue-table input[type=checkbox]")
        assert boxes.count() >= 3
        for i in range(3):
            boxes.nth(i).check()
        page.select_option("#bulk-disposition", "FALSE_POSITIVE")
        page.fill("#bulk-note", "Pemeriksaan massal")
        page.click("#bulk-close")
        expect(page.locator("#bulk-summary")).to_contain_text("dari 3 flag akan ditutup")
        expect(page.locator("#bulk-plan")).to_contain_text("dipegang reviewer")
        _check(page, "20-bulk-confirm", warehouse)
        if viewport is PHONE:
            page.click("#bulk-cancel")
            expect(page.locator("#queue-table")).to_be_visible()
        else:
            page.click("#bulk-confirm")
            expect(page.locator("#bulk-result-summary")).to_contain_text("ditutup: 2")
            expect(page.locator("#bulk-result-summary")).to_contain_text("dipegang pemeriksa lain: 1")
            _check(page, "21-bulk-result", warehouse)
            page.click("#back-to-queue")
        page.locator(".flag-link").first.click()
        expect(page.locator("#reassign-to option")).to_contain_text(["— pilih —"])
        _check(page, "22-flag-supervisor", warehouse)
        page.click("#nav-dashboard")
        expect(page.locator("#workload")).to_contain_text("reviewer")
        expect(page.locator("#breaches")).to_be_visible()
        _check(page, "23-dashboard", warehouse)
        page.select_option("#dash-window", "Pilkada 2024 Sumatera Selatan")
        page.click("#dash-apply")
        expect(page.locator("#dash-window")).to_have_value("Pilkada 2024 Sumatera Selatan")
        page.close()

        page = browser.new_page(viewport=viewport)
        _log_in(page, served, "admin")
        page.click("#nav-audit")
        expect(page.locator("#audit")).to_be_visible()
        _check(page, "24-audit", warehouse)
        page.select_option("#audit-action", "BULK_CLOSE" if viewport is DESKTOP else "CLAIM")
        page.click("#audit-apply")
        expect(page.locator("#audit tbody tr").first).to_be_visible()
        _check(page, "25-audit-filtered", warehouse)
        page.goto(served + "/password")
        _check(page, "26-password", warehouse)
        page.goto(served + "/flags/NO-SUCH-FLAG")
        expect(page.locator("#error-page")).to_be_visible()
        _check(page, "27-error", warehouse)
        page.close()
