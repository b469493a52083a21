"""The production stack's dependencies, as this project's own install resolves them: the
Celery executor loads, and Airflow's metadata opens over the sync and the async psycopg
drivers, Celery's result backend over SQLAlchemy, on the machine's PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import _admin_engine, pg_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def scratch_database() -> Iterator[str]:
    name = f"timpora_deps_{uuid.uuid4().hex[:8]}"
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield name
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_celery_executor_and_its_worker_code_import() -> None:
    # Celery 5.7 dropped what the provider imports here: the scheduler and the workers
    # would exit at once with an ImportError (the production extra caps Celery below it).
    from airflow.providers.celery.executors import celery_executor_utils
    from airflow.providers.celery.executors.celery_executor import CeleryExecutor

    assert CeleryExecutor.__name__ == "CeleryExecutor" and celery_executor_utils.app is not None


def test_airflow_metadata_opens_over_sync_and_async_psycopg(scratch_database: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    sync_url = pg_url(scratch_database)  # postgresql+psycopg://
    engine = sa.create_engine(sync_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()

    async def probe() -> int:
        async_engine = create_async_engine(sync_url.replace("+psycopg://", "+psycopg_async://"))
        async with async_engine.connect() as conn:
            value = (await conn.execute(sa.text("SELECT 2"))).scalar()
        await async_engine.dispose()
        return int(value or 0)

    assert asyncio.run(probe()) == 2


def test_celerys_result_backend_stores_over_psycopg(scratch_database: str) -> None:
    from celery import Celery
    from celery.backends.database import DatabaseBackend

    app = Celery("probe", backend="db+" + pg_url(scratch_database))
    backend = app.backend
    assert isinstance(backend, DatabaseBackend)
    task_id = uuid.uuid4().hex
    backend.store_result(task_id, {"ok": True}, "SUCCESS")
    assert backend.get_task_meta(task_id)["result"] == {"ok": True}
