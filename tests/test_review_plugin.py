"""The review app inside Airflow: the plugin mounts it under /timpora with a navigation link."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.airflow]

PROBE = textwrap.dedent(
    """
    import json
    from fastapi.testclient import TestClient
    from airflow import plugins_manager
    from airflow.api_fastapi.app import create_app

    client = TestClient(create_app(), follow_redirects=False)
    info = [p for p in plugins_manager.get_plugin_info() if p["name"] == "timpora_review"]
    print(json.dumps({
        "health": client.get("/timpora/healthz").status_code,
        "queue": [client.get("/timpora/").status_code, client.get("/timpora/").headers.get("location")],
        "login": client.get("/timpora/login").status_code,
        "api": client.get("/timpora/api/flags").status_code,
        "plugin": info[0] if info else None,
    }, default=str))
    """
)


def test_airflow_serves_the_review_app_with_a_nav_link(airflow_db: Path, warehouse: str) -> None:
    from timpora.config import get_settings

    if warehouse != "sqlite":
        pytest.skip("the mount does not depend on the warehouse")
    import os

    env = {**os.environ, **get_settings().airflow_environment()}
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["health"] == 200
    assert answer["queue"] == [303, "/timpora/login?next=%2Ftimpora%2F"]
    assert answer["login"] == 200
    assert answer["api"] == 401  # Airflow does not authenticate plugin apps: ours does
    views = answer["plugin"]["external_views"]
    assert any(v["href"] == "timpora/" and v["destination"] == "nav" for v in views)
