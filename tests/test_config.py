"""Configuration resolves once, from the environment only, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from timpora.config import ConfigError, settings_from_environ


def test_embedded_defaults(tmp_path: Path) -> None:
    settings = settings_from_environ({"TIMPORA_DATA_DIR": str(tmp_path)})
    assert settings.environment == "embedded"
    assert settings.warehouse_url == f"sqlite:///{tmp_path / 'warehouse.db'}"
    assert settings.landing_backend == "local" and settings.landing_dir == tmp_path / "landing"
    assert settings.airflow_db_url.startswith("sqlite:///") and settings.airflow_home == tmp_path / "airflow"
    assert (settings.sql_dir / "migrations").is_dir() and (settings.expectations_dir / "suites" / "visa.json").is_file()


def test_production_settings(tmp_path: Path) -> None:
    settings = settings_from_environ(
        {
            "TIMPORA_DATA_DIR": str(tmp_path),
            "TIMPORA_WAREHOUSE_URL": "postgresql://timpora:secret@warehouse:5432/timpora",
            "TIMPORA_S3_ENDPOINT": "http://minio:9000",
            "TIMPORA_S3_ACCESS_KEY": "access",
            "TIMPORA_S3_SECRET_KEY": "secret",
        }
    )
    assert settings.environment == "production"
    assert settings.warehouse_url.startswith("postgresql+psycopg://")
    assert settings.landing_backend == "s3"
    assert settings.s3 is not None and settings.s3.endpoint == "minio:9000" and settings.s3.bucket == "landing"
    assert "secret" not in repr(settings.s3)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TIMPORA_WAREHOUSE_URL": "mysql://x"}, "TIMPORA_WAREHOUSE_URL"),
        ({"TIMPORA_S3_ENDPOINT": "http://minio:9000"}, "TIMPORA_S3_ACCESS_KEY"),
        ({"TIMPORA_CHUNK_ROWS": "many"}, "TIMPORA_CHUNK_ROWS must be a whole number"),
        ({"TIMPORA_CHUNK_ROWS": "0"}, "TIMPORA_CHUNK_ROWS must be positive"),
        ({"TIMPORA_RULE_PAGE_ROWS": "-5"}, "TIMPORA_RULE_PAGE_ROWS must be positive"),
        ({"TIMPORA_GX_RESULTS_DAYS": "0"}, "TIMPORA_GX_RESULTS_DAYS must be positive"),
        ({"TIMPORA_GX_RESULTS_DAYS": "90d"}, "TIMPORA_GX_RESULTS_DAYS must be a whole number"),
        ({"TIMPORA_LANDING_BACKEND": "ftp"}, "TIMPORA_LANDING_BACKEND"),
    ],
)
def test_bad_settings_name_the_variable(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_environ({"TIMPORA_DATA_DIR": str(tmp_path), **environ})


def test_no_other_module_reads_the_environment() -> None:
    """Only timpora.config touches os.environ / os.getenv (and timpora.localstack, which
    starts the services of tests and benchmarks and hands them their environment)."""
    package = Path(__file__).resolve().parent.parent / "src" / "timpora"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name not in ("config.py", "localstack.py")
        and ("os.environ" in path.read_text() or "getenv" in path.read_text())
    ]
    assert offenders == []
