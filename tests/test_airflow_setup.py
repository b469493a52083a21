"""Airflow's embedded metadata set-up survives a kill and a concurrent start (issue 35)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from timpora.config import get_settings
from timpora.runner import metadata_complete, prepare_airflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def test_a_half_migrated_database_is_moved_aside_and_made_again(tmp_path: Path) -> None:
    settings = get_settings().with_overrides(
        airflow_home=tmp_path / "airflow", airflow_db_url=f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"
    )
    prepare_airflow(settings)
    database = tmp_path / "airflow" / "airflow.db"
    assert metadata_complete(database)
    # What a kill during the first `airflow db migrate` left: stamped, but no log template
    # (every later run then failed on INSERT INTO dag_run).
    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM log_template")
    assert not metadata_complete(database)
    prepare_airflow(settings)
    assert metadata_complete(database)
    assert list((tmp_path / "airflow").glob("airflow.db.incomplete-*"))
    assert not list((tmp_path / "airflow").glob(".airflow.db.migrating*"))


def test_two_set_ups_at_once_make_one_complete_database(tmp_path: Path) -> None:
    settings = get_settings().with_overrides(
        airflow_home=tmp_path / "airflow", airflow_db_url=f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"
    )
    errors: list[BaseException] = []

    def set_up() -> None:
        try:
            prepare_airflow(settings)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=set_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and metadata_complete(tmp_path / "airflow" / "airflow.db")
