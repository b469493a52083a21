"""A reviewer's day in a real browser (Playwright driving Debian's headless Chromium).

Screenshots of every step are written to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.review_support import PASSWORD, create_users
from tests.test_rules import fixture_day, land
from timpora.ingest.pipeline import ingest_keys
from timpora.reconcile.engine import reconcile

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
pytestmark = [pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(warehouse: str, landing: Path) -> Iterator[str]:
    import uvicorn

    from timpora.review.app import create_app

    if warehouse != "sqlite":
        pytest.skip("one warehouse is enough for the browser; the API tests cover both")
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    create_users()
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


def test_reviewer_logs_in_filters_claims_closes_and_switches_language(served: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: scripts/ensure-chromium installs it")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(served + "/")
        expect(page).to_have_url(f"{served}/login?next=%2F")
        page.fill("#username", "reviewer")
        page.fill("#password", "wrong password")
        page.click("#login")
        expect(page.get_by_role("alert")).to_contain_text("salah")
        page.fill("#username", "reviewer")
        page.fill("#password", PASSWORD)
        page.screenshot(path=str(SHOTS / "01-login.png"))
        page.click("#login")
        expect(page.locator("#queue-table")).to_be_visible()
        expect(page.locator("#nav-queue")).to_have_text("Antrean")
        page.screenshot(path=str(SHOTS / "02-queue.png"), full_page=True)

        page.select_option("#filter-rule", "IDENTITY_MISMATCH")
        page.click("#apply-filters")
        expect(page.locator("#queue-total")).to_contain_text("2 flag")
        expect(page.locator(".flag-row")).to_have_count(2)
        page.screenshot(path=str(SHOTS / "03-queue-filtered.png"), full_page=True)

        page.locator(".flag-link").first.click()
        expect(page.locator("#flag-title")).to_contain_text("IDENTITY_MISMATCH")
        expect(page.locator("#side-by-side td.differs").first).to_be_visible()
        page.screenshot(path=str(SHOTS / "04-flag-side-by-side.png"), full_page=True)

        page.click("#claim")
        expect(page.locator("#flag-status")).to_have_text("Sedang diperiksa")
        expect(page.locator("#flag-assignee")).to_have_text("reviewer")
        page.fill("#comment-body", "Paspor dicocokkan dengan data izin tinggal: orang berbeda.")
        page.click("#comment")
        page.select_option("#disposition", "REFERRED_FOR_ACTION")
        page.fill("#close-note", "Diteruskan ke Kanim Palembang.")
        page.click("#close")
        expect(page.locator("#flag-status")).to_have_text("Ditutup")
        expect(page.locator("#history")).to_contain_text("CLOSED")
        page.screenshot(path=str(SHOTS / "05-flag-closed.png"), full_page=True)

        page.click("#switch-language")
        expect(page.locator("#flag-status")).to_have_text("Closed")
        expect(page.locator("#nav-queue")).to_have_text("Queue")
        page.screenshot(path=str(SHOTS / "06-flag-english.png"), full_page=True)
        page.click("#nav-queue")
        expect(page.locator("#apply-filters")).to_have_text("Filter")
        page.screenshot(path=str(SHOTS / "07-queue-english.png"), full_page=True)
        browser.close()
