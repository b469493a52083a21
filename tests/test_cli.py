"""The command line: replay a user's landing folder through the DAGs, export flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import copy_samples
from timpora.cli import app
from timpora.config import get_settings
from timpora.warehouse.db import warehouse_engine

runner = CliRunner()


@pytest.mark.airflow
def test_replay_runs_the_dags_over_a_user_folder(warehouse: str, airflow_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "their-landing"
    copy_samples(folder)
    (folder / "notes.txt").write_text("not a feed file")
    before = get_settings()
    result = runner.invoke(app, ["replay", str(folder), "--date", "2024-10-03"])
    assert result.exit_code == 0, result.output
    # The folder override lasts for the command only: whoever runs it in-process keeps theirs.
    assert get_settings() == before
    assert "reconcile: DagRunState.SUCCESS" in result.output or "reconcile: success" in result.output
    with warehouse_engine(get_settings()).connect() as conn:
        statuses = [row[0] for row in conn.execute(sa.text("SELECT status FROM file_ledger"))]
        flags_before = conn.execute(sa.text("SELECT COUNT(*) FROM flag")).scalar_one()
    assert statuses == ["LOADED"] * 4
    again = runner.invoke(app, ["replay", str(folder)])
    assert again.exit_code == 0, again.output
    with warehouse_engine(get_settings()).connect() as conn:
        # Without --date the stray note is replayed too: on the ledger, rejected for its key.
        rejected = conn.execute(sa.text("SELECT object_key, rows_read FROM file_ledger WHERE status = 'REJECTED'"))
        assert rejected.all() == [("notes.txt", 1)]
        assert conn.execute(sa.text("SELECT COUNT(*) FROM file_ledger")).scalar_one() == 5
        assert conn.execute(sa.text("SELECT COUNT(*) FROM flag")).scalar_one() == flags_before


def test_replay_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output


def test_flags_export_writes_json_lines(warehouse: str, landing: Path, tmp_path: Path) -> None:
    from timpora.ingest.pipeline import ingest_keys
    from timpora.reconcile.engine import reconcile

    keys = copy_samples(landing)
    hotel = landing / "hotel_guest/2024/10/03/LDG-167101_20241003T1200.csv"
    hotel.write_text(
        hotel.read_text(encoding="utf-8-sig")
        + "LDG-167101-01000;CHECK_IN;LDG-167101;Hotel Sriwijaya Palembang;16.71;Smith;Ann;P;01/02/1990;GBR;"
        "123456789;01/01/2030;02/10/2024 14:00;;301;tourist;liburan;02/10/2024 15:00;;\n",
        encoding="utf-8",
    )
    ingest_keys(keys)
    reconcile()
    output = tmp_path / "flags.jsonl"
    result = runner.invoke(app, ["flags", "export", "--format", "jsonl", "--output", str(output)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert {r["rule_code"] for r in records} == {"NO_VALID_PERMIT", "PURPOSE_MISMATCH", "LATE_REPORT"}
    assert [r["priority"] for r in records] == sorted((r["priority"] for r in records), reverse=True)
    bad = runner.invoke(app, ["flags", "export", "--format", "xml"])
    assert bad.exit_code == 2 and "--format must be one of" in bad.output


def test_quarantine_list_and_export_by_file(warehouse: str, landing: Path, tmp_path: Path) -> None:
    from tests.test_bad_inputs import guest_line, hotel_file
    from timpora.ingest.pipeline import ingest_key

    key = hotel_file(landing, "dq", [guest_line(1), guest_line(2, guest_surname="=HYPERLINK(1)"), guest_line(3)])
    other = hotel_file(landing, "clean", [guest_line(4)])
    ingest_key(key)
    ingest_key(other)
    listed = runner.invoke(app, ["quarantine", "list", "--file", key])
    assert listed.exit_code == 0, listed.output
    assert "guest_surname holds characters a name cannot have" in listed.output
    out = tmp_path / "q.csv"
    exported = runner.invoke(app, ["quarantine", "export", "--file", key, "--format", "csv", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(key)
    assert "guest_surname: guest_surname holds characters" in rows[1]
    jsonl = runner.invoke(app, ["quarantine", "export", "--file", key])
    record = json.loads(jsonl.output.splitlines()[0])
    assert record["line_no"] == 3 and record["reasons"][0]["column"] == "guest_surname"
    assert record["reasons"][0]["value"] == "=HYPERLINK(1)"


def test_spreadsheet_formulas_are_neutralised() -> None:
    from timpora.flags.queries import spreadsheet_safe

    for formula in ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx"):
        assert spreadsheet_safe(formula) == "'" + formula
    assert spreadsheet_safe("O'Brien") == "O'Brien" and spreadsheet_safe(3) == 3


def test_evaluate_scores_a_generated_day_against_its_truth(warehouse: str, landing: Path, tmp_path: Path) -> None:
    from timpora.generator import generate_day
    from timpora.ingest.pipeline import ingest_keys
    from timpora.reconcile.engine import reconcile

    truth = generate_day(landing, tmp_path / "truth.json", stays=240, seed=19)
    ingest_keys(truth["files"])
    reconcile()
    output = tmp_path / "quality.json"
    result = runner.invoke(app, ["evaluate", str(tmp_path / "truth.json"), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "IDENTITY_MISMATCH" in result.output and "noise: typo" in result.output
    figures = json.loads(output.read_text())
    assert len(figures["rules"]) == 8
    for row in figures["rules"] + figures["identity_links"]:
        assert (row["precision"], row["recall"]) == (1.0, 1.0), row
    missing = runner.invoke(app, ["evaluate", str(tmp_path / "nope.json")])
    assert missing.exit_code != 0 and "does not exist" in missing.output


def test_review_commands_work_the_queue(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.review_support import PASSWORD, create_users, flag_state, make_flag

    create_users()
    first, second = make_flag("FCLI000001"), make_flag("FCLI000002")
    monkeypatch.setenv("TIMPORA_REVIEW_PASSWORD", PASSWORD)
    listed = runner.invoke(app, ["review", "list", "--user", "reviewer", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {json.loads(line)["flag_id"] for line in listed.output.splitlines()} == {first, second}
    assert runner.invoke(app, ["review", "claim", "--user", "reviewer", first]).exit_code == 0
    taken = runner.invoke(app, ["review", "claim", "--user", "supervisor", first])
    assert taken.exit_code == 2 and "cannot be claimed" in taken.output
    no_disposition = runner.invoke(app, ["review", "close", "--user", "reviewer", first, "--note", "x"])
    assert no_disposition.exit_code == 2
    closed = runner.invoke(
        app,
        ["review", "close", "--user", "reviewer", first, "--disposition", "WARNING_ISSUED", "--note", "ditegur"],
    )
    assert closed.exit_code == 0, closed.output
    assert flag_state(first) == ("CLOSED", None, "WARNING_ISSUED")
    # A reviewer may not bulk-close; a supervisor may.
    bulk = ["review", "close", first, second, "--disposition", "FALSE_POSITIVE", "--note", "duplikat"]
    refused = runner.invoke(app, [*bulk[:2], "--user", "reviewer", *bulk[2:]])
    assert refused.exit_code == 2 and "may not do this" in refused.output
    # Each flag gets its own outcome: the closed one is reported, the other still closes.
    partly = runner.invoke(app, [*bulk[:2], "--user", "supervisor", *bulk[2:]])
    assert partly.exit_code == 1 and f"{first}: already closed" in partly.output, partly.output
    assert flag_state(second) == ("CLOSED", None, "FALSE_POSITIVE")
    assert runner.invoke(app, ["review", "reopen", "--user", "supervisor", first, "--note", "cek lagi"]).exit_code == 0
    assert runner.invoke(app, ["review", "close", "--user", "supervisor", first, *bulk[4:]]).exit_code == 0
    assert flag_state(second) == ("CLOSED", None, "FALSE_POSITIVE")
    monkeypatch.setenv("TIMPORA_REVIEW_PASSWORD", "wrong")
    denied = runner.invoke(app, ["review", "list", "--user", "reviewer"])
    assert denied.exit_code == 2 and "wrong username or password" in denied.output


def test_the_demos_last_lines_are_commands_that_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo ends with what to do next: each a command of this install, by the path
    the user can type (the virtual environment is not on their PATH)."""
    import shlex
    import shutil
    import sys

    import typer.main

    from tests.test_compose import _resolve_click
    from timpora import cli

    cli._print_next_steps(None, 12.0, Path("data/truth/ground_truth_20241003.json"))
    printed = capsys.readouterr().out
    venv_timpora = Path(sys.executable).parent / "timpora"
    expected = "timpora" if shutil.which("timpora") == str(venv_timpora) else str(venv_timpora.relative_to(Path.cwd()))
    lines = [line.split(":", 1)[1].split("→")[0].strip() for line in printed.splitlines() if "•" in line]
    commands = [shlex.split(line) for line in lines if line.split()[0].endswith("timpora")]
    assert len(commands) == 4 and all(command[0] == expected for command in commands), lines
    for command in commands:
        _resolve_click(typer.main.get_command(cli.app), command[1:], "the demo's next steps")
