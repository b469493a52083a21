"""Test setup: real SQLite and PostgreSQL warehouses, a real Airflow metadata database.

The environment is set here, at import time, before anything imports Airflow (which
reads its configuration once). Every test that takes the ``warehouse`` fixture runs twice,
once per database; each run gets a fresh, migrated database of its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Processes the tests spawn (GX workers, multiprocessing pools) import this module too:
# they share the session's folder, which only the pytest process that made it removes.
_INHERITED_SESSION_DIR = os.environ.get("TIMPORA_TEST_SESSION_DIR")
SESSION_DIR = Path(_INHERITED_SESSION_DIR or tempfile.mkdtemp(prefix="timpora-tests-"))
os.environ["TIMPORA_TEST_SESSION_DIR"] = str(SESSION_DIR)
os.environ["TIMPORA_DATA_DIR"] = str(SESSION_DIR / "data")
os.environ["TIMPORA_AIRFLOW_HOME"] = str(SESSION_DIR / "airflow")
os.environ.pop("TIMPORA_WAREHOUSE_URL", None)
os.environ.pop("TIMPORA_S3_ENDPOINT", None)
os.environ["TIMPORA_CHUNK_ROWS"] = "5000"
# One GX context for the session: creating one costs about a second.
os.environ["TIMPORA_GX_DIR"] = str(SESSION_DIR / "gx")
# A PostgreSQL warehouse is production mode, which refuses missing or public secrets.
os.environ["TIMPORA_PSEUDONYM_KEY"] = "tests-pseudonym-key-0123456789abcdefghijkl"
os.environ["TIMPORA_REVIEW_SECRET"] = "tests-review-secret-0123456789abcdefghijkl"
os.environ["TIMPORA_AUDIT_KEY"] = "tests-audit-key-0123456789abcdefghijklmnop"

from timpora.config import apply_airflow_environment, get_settings, override_environment  # noqa: E402

apply_airflow_environment(get_settings())

PG_ADMIN_URL = os.environ.get("TIMPORA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# The login the PostgreSQL tests run the platform as: a member of the runtime role, as the
# app and the DAG tasks are in production. Migrations run as the owner (PG_ADMIN_URL).
PG_RUNTIME_LOGIN = "timpora_test_app"


def pg_url(database: str, user: str | None = None) -> str:
    """The machine's PostgreSQL, a database of it, as the admin or as another login."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    if user is not None:
        scheme, rest = base.split("://", 1)
        base = f"{scheme}://{user}@{rest.split('@', 1)[-1]}"
    return base + "/" + database


REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The shared sample landing day (FEEDS.md formats, with what a correct platform makes of it).
SAMPLES = DATA / "samples" / "landing"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _INHERITED_SESSION_DIR:
        shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _process_environment_is_restored() -> Iterator[None]:
    """Whatever a test (or a command it runs in-process) sets in ``os.environ`` is undone,
    so no test sees another's settings: Airflow children inherit the environment."""
    from timpora.config import reset_settings

    saved = dict(os.environ)
    yield
    if dict(os.environ) != saved:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """An Airflow metadata database (SQLite) migrated once per session."""
    home = get_settings().airflow_home
    home.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return home


def _admin_engine():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones (cloning beats migrating)."""
    import sqlalchemy as sa

    from timpora.warehouse.db import dispose_engines, engine_for_url
    from timpora.warehouse.migrate import migrate

    name = f"timpora_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = pg_url(name)
    migrate(engine_for_url(url))
    dispose_engines()
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": PG_RUNTIME_LOGIN}).first()
        if not exists:
            # Another session of the suite may make it meanwhile.
            with contextlib.suppress(sa.exc.ProgrammingError):
                conn.execute(sa.text(f"CREATE ROLE {PG_RUNTIME_LOGIN} LOGIN"))
        conn.execute(sa.text(f"GRANT timpora_runtime TO {PG_RUNTIME_LOGIN}"))
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Point the settings at a fresh, migrated warehouse of each kind; yields its dialect."""
    import sqlalchemy as sa

    from timpora.warehouse.db import dispose_engines, warehouse_engine
    from timpora.warehouse.migrate import migrate

    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        override_environment(
            data_dir=str(data_dir),
            warehouse_url=f"sqlite:///{tmp_path / 'warehouse.db'}",
            landing_dir=str(tmp_path / "landing"),
        )
        migrate(warehouse_engine())
        yield "sqlite"
    else:
        template = request.getfixturevalue("pg_template")
        name = f"timpora_t_{uuid.uuid4().hex[:10]}"
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        override_environment(
            data_dir=str(data_dir),
            warehouse_url=pg_url(name, PG_RUNTIME_LOGIN),
            warehouse_owner_url=pg_url(name),
            landing_dir=str(tmp_path / "landing"),
        )
        yield "postgresql"
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    dispose_engines()
    override_environment(
        data_dir=str(SESSION_DIR / "data"), warehouse_url=None, warehouse_owner_url=None, landing_dir=None
    )


@pytest.fixture
def landing(warehouse: str) -> Path:
    """The (empty) landing folder of the current warehouse's settings."""
    path = get_settings().landing_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def copy_samples(target: Path) -> list[str]:
    """The shared sample landing day, copied under ``target``; returns its keys."""
    keys = []
    for path in sorted(SAMPLES.rglob("*")):
        if path.is_file():
            key = path.relative_to(SAMPLES).as_posix()
            destination = target / key
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            keys.append(key)
    assert len(keys) == 4, f"the sample landing day is missing under {SAMPLES}"
    return keys


REDIS_URL = os.environ.get("TIMPORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real S3 server (SeaweedFS ``weed mini``) for the session, on free loopback ports."""
    from tests.services import SeaweedS3

    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_landing(s3_server: object, warehouse: str) -> Iterator[str]:
    """Settings pointed at a fresh bucket of the S3 server; yields the bucket name."""
    from tests.services import SeaweedS3

    assert isinstance(s3_server, SeaweedS3)
    bucket = f"landing-{uuid.uuid4().hex[:10]}"
    s3_server.client().make_bucket(bucket)
    override_environment(
        s3_endpoint=f"http://{s3_server.endpoint}",
        s3_access_key=SeaweedS3.ACCESS_KEY,
        s3_secret_key=SeaweedS3.SECRET_KEY,
        s3_bucket=bucket,
    )
    yield bucket
    override_environment(s3_endpoint=None, s3_access_key=None, s3_secret_key=None, s3_bucket=None)


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue-name prefix of its own on the machine's Redis; its keys are removed afterwards."""
    import redis

    prefix = f"timpora-test:{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()
