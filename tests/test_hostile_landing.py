"""A hostile landing day beside a real one, through ``timpora replay`` (the real DAGs), on
SQLite and PostgreSQL.

``tests/data/hostile/landing`` holds 47 files, each one way a landing goes wrong (see
``make_corpus.py``), and the test adds what git cannot keep: symbolic links to a file
inside the folder, to ``/etc/passwd`` and to nothing, and a named pipe. Every object ends
in the ledger with the status and counts of ``expected.json``, with the quarantine checks
it names; every ledger row conserves its rows; the sample day's files load with their
reference counts; the replay exits 0 and nothing it prints carries a raw control character.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import DATA, SAMPLES
from timpora.cli import app
from timpora.config import get_settings
from timpora.warehouse.db import warehouse_engine

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
HOSTILE = DATA / "hostile"
DAY = "2024/10/03"
SAMPLE_COUNTS = {
    f"hotel_guest/{DAY}/LDG-167101_20241003T1200.csv": (2, 2),
    f"hotel_guest/{DAY}/LDG-167201_20241003T1200.csv": (3, 3),
    f"stay_permit/{DAY}/KANIM-PLG_20241003_0800.csv": (4, 4),
    f"visa/{DAY}/evisa_20241003_001.jsonl": (4, 4),
}


def hostile_folder(target: Path) -> Path:
    shutil.copytree(HOSTILE / "landing", target)
    shutil.copytree(SAMPLES, target, dirs_exist_ok=True)
    hotel = target / "hotel_guest" / DAY
    (target / "stay_permit" / DAY / "KANIM-PLG_link_outside.csv").symlink_to("/etc/passwd")
    (hotel / "LDG-167101_link_inside.csv").symlink_to(hotel / "LDG-167101_resent_a_original.csv")
    (hotel / "LDG-167101_dangling.csv").symlink_to("/nonexistent/file.csv")
    os.mkfifo(hotel / "LDG-167101_a_pipe.csv")
    # An upload in progress (a hidden name) is no object yet: not on the ledger.
    (hotel / ".LDG-167101_uploading.csv.part").write_text("report_id;event\n")
    return target


def ledger() -> dict[str, dict[str, Any]]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT object_key, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM file_ledger"
            )
        ).all()
        reasons = conn.execute(sa.text("SELECT object_key, reasons FROM quarantine WHERE scope = 'row'")).all()
    checks: dict[str, set[str]] = {}
    for key, found in reasons:
        for item in json.loads(found):
            checks.setdefault(key, set()).add(item["check"] + (":" + item["column"] if item.get("column") else ""))
    return {
        key: {
            "status": status,
            "read": read,
            "loaded": loaded,
            "quarantined": quarantined,
            "duplicates": duplicates,
            "checks": sorted(checks.get(key, ())),
        }
        for key, status, read, loaded, quarantined, duplicates in rows
    }


def test_every_hostile_object_is_on_the_ledger_with_its_reason_and_the_real_day_loads(
    warehouse: str, tmp_path: Path
) -> None:
    folder = hostile_folder(tmp_path / "landing")
    result = CliRunner().invoke(app, ["replay", str(folder)])
    assert result.exit_code == 0, result.output[-3000:]
    assert "\x1b" not in result.output and "\u202e" not in result.output

    expected = json.loads((HOSTILE / "expected.json").read_text())
    found = ledger()
    assert len(expected) >= 40 + 4  # the corpus and the links and pipe, beside the real day
    assert set(found) == set(expected), set(found) ^ set(expected)
    wrong = {key: (found[key], want) for key, want in expected.items() if found[key] != want}
    assert not wrong, json.dumps(wrong, indent=1)[:4000]
    for key, row in found.items():
        assert row["read"] == row["loaded"] + row["quarantined"] + row["duplicates"], key
    for key, (read, loaded) in SAMPLE_COUNTS.items():
        assert (found[key]["read"], found[key]["loaded"]) == (read, loaded), key

    # Every reason reads in both languages, and the refused objects say why.
    with warehouse_engine(get_settings()).connect() as conn:
        notes: dict[str, str] = {
            key: note or "" for key, note in conn.execute(sa.text("SELECT object_key, note FROM file_ledger"))
        }
        reasons = [json.loads(r) for (r,) in conn.execute(sa.text("SELECT reasons FROM quarantine"))]
    assert all(item["message_en"] and item["message_id"] for group in reasons for item in group)
    assert "symbolic link (to /etc/passwd)" in notes[f"stay_permit/{DAY}/KANIM-PLG_link_outside.csv"]
    assert "symbolic link" in notes[f"hotel_guest/{DAY}/LDG-167101_dangling.csv"]
    assert "not a regular file" in notes[f"hotel_guest/{DAY}/LDG-167101_a_pipe.csv"]
    assert (
        "UTF-16 text without a byte-order mark: send UTF-8" in notes[f"hotel_guest/{DAY}/LDG-167101_utf16_no_bom.csv"]
    )
    assert "byte-identical to hotel_guest" in notes[f"hotel_guest/{DAY}/LDG-167101_resent_b_copy.csv"]

    # The ledger and the quarantine render whatever they hold; a second replay is a no-op.
    for command in (["ledger"], ["quarantine", "list", "--limit", "500"]):
        shown = CliRunner().invoke(app, command)
        assert shown.exit_code == 0 and "\x1b" not in shown.output, shown.output[-2000:]
    again = CliRunner().invoke(app, ["replay", str(folder)])
    assert again.exit_code == 0 and ledger() == found
