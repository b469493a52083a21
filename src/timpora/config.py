"""The one place that reads the environment.

Every other module asks :func:`get_settings` for a resolved :class:`Settings`. With no
``TIMPORA_*`` variables set, the platform runs on embedded defaults: a SQLite warehouse
and SQLite Airflow metadata under a data directory, and a local landing folder. Setting
``TIMPORA_WAREHOUSE_URL`` and ``TIMPORA_S3_ENDPOINT`` (plus credentials) switches to the
production stack; no code path differs beyond what these settings choose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from timpora.resources import project_dir, source_checkout_root

LandingBackend = Literal["local", "s3"]

_TRUE = {"1", "true", "yes", "on"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


# The embedded defaults of the secrets: public (they are in this file), so production
# refuses them, as it refuses anything short or still saying change-me.
DEMO_SECRETS = {
    "TIMPORA_PSEUDONYM_KEY": "embedded-demo-pseudonym-key-change-me",
    "TIMPORA_REVIEW_SECRET": "embedded-demo-review-secret-change-me",
    "TIMPORA_AUDIT_KEY": "embedded-demo-audit-key-change-me",
}
SECRET_MIN_BYTES = 32
# What each kind of process needs: the review app signs sessions and chains the audit
# log; DAG tasks write pseudonyms (the star schema) and, on retention, audit rows.
APP_SECRETS = ("TIMPORA_PSEUDONYM_KEY", "TIMPORA_REVIEW_SECRET", "TIMPORA_AUDIT_KEY")
TASK_SECRETS = ("TIMPORA_PSEUDONYM_KEY", "TIMPORA_AUDIT_KEY")


@dataclass(frozen=True)
class S3Settings:
    """Where the S3-compatible landing bucket lives (MinIO in production)."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    bucket: str = "landing"
    secure: bool = False
    region: str | None = None


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process."""

    data_dir: Path
    warehouse_url: str
    # Who runs migrations: the owner of the schema. The app and the DAG tasks connect with
    # ``warehouse_url``, which in production is a runtime role that owns nothing.
    warehouse_owner_url: str
    landing_backend: LandingBackend
    landing_dir: Path
    s3: S3Settings | None
    airflow_home: Path
    airflow_db_url: str
    gx_dir: Path
    sql_dir: Path
    expectations_dir: Path
    dags_dir: Path
    plugins_dir: Path
    rules_config: Path
    work_dir: Path
    chunk_rows: int = 100_000
    # Small files of one feed and landing date processed together (one validation, one
    # merge): a group holds at most this many bytes of files and this many files.
    ingest_group_bytes: int = 8 * 1024 * 1024
    ingest_group_files: int = 500
    # ... spread over at least this many groups, so that an ingest run's parallel tasks
    # (up to 4 at once, see timpora.orchestration.dags) share them.
    ingest_group_spread: int = 4
    # Cases a rule describes at once: a page's cases, assessments and evidence take a few
    # kilobytes each, so this bounds the reconcile's memory whatever a run finds.
    rule_page_rows: int = 20_000
    # Days a batch's GX validation result and its Data Docs page are kept: one of each per
    # validated batch, about 170 kB together; the quarantined rows stay in the warehouse.
    gx_results_days: int = 90
    pg_work_mem: str = "256MB"
    event_queue_url: str | None = None
    event_queue_name: str = "timpora:landing-events"
    pseudonym_key: str = field(default="", repr=False)
    review_secret: str = field(default="", repr=False)
    audit_key: str = field(default="", repr=False)
    environment: str = "embedded"
    # The review app's OpenAPI page (/docs, /redoc, /openapi.json): on when embedded,
    # off in production unless asked for.
    review_api_docs: bool = True
    # Minutes a review session lasts, and minutes it may stay unused before it ends.
    session_minutes: int = 8 * 60
    session_idle_minutes: int = 30
    # Notifications by e-mail (new HIGH flags, flags in a monitoring window, deadline
    # breaches): off without a host; in the app they are shown regardless.
    smtp: SmtpSettings | None = None
    # How the app is reached, for the links e-mails carry.
    review_url: str = "http://127.0.0.1:8000"

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def separate_owner(self) -> bool:
        """Whether migrations run as another database role than the app and the tasks."""
        return self.warehouse_owner_url != self.warehouse_url

    def secret_problems(self, names: tuple[str, ...] = APP_SECRETS) -> list[str]:
        """Why each of these secrets is unsafe for production (empty when all are fine)."""
        values = {
            "TIMPORA_PSEUDONYM_KEY": self.pseudonym_key,
            "TIMPORA_REVIEW_SECRET": self.review_secret,
            "TIMPORA_AUDIT_KEY": self.audit_key,
        }
        problems = []
        for name in names:
            value = values[name]
            if not value:
                problems.append(f"{name} is not set")
            elif value in DEMO_SECRETS.values() or "change-me" in value.lower() or "changeme" in value.lower():
                problems.append(f"{name} is a demo or placeholder value")
            elif len(value.encode()) < SECRET_MIN_BYTES:
                problems.append(f"{name} is shorter than {SECRET_MIN_BYTES} bytes")
        return problems

    def require_secrets(self, names: tuple[str, ...] = APP_SECRETS, who: str = "this process") -> None:
        """In production, refuse to go on with a missing, public or short secret."""
        if not self.production:
            return
        problems = self.secret_problems(names)
        if problems:
            raise ConfigError(
                f"{who} refuses to start in production: "
                + "; ".join(problems)
                + ". Set each to a random value of at least 32 bytes, e.g. `openssl rand -base64 48`."
            )

    @property
    def warehouse_dialect(self) -> str:
        """``sqlite`` or ``postgresql``: the only two warehouses we support."""
        return self.warehouse_url.split(":", 1)[0].split("+", 1)[0]

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the replay command use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def airflow_environment(self) -> dict[str, str]:
        """Variables that point an embedded Airflow at our DAGs, plugins and metadata DB.

        Airflow reads its own configuration from the environment when it is first
        imported, so callers apply these before importing anything from ``airflow``.
        """
        return {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_dir),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.plugins_dir),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.airflow_db_url,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        }


def _default_data_dir(environ: Mapping[str, str]) -> Path:
    root = source_checkout_root()
    if root is not None:
        return root / "data"
    return Path(environ.get("HOME", ".")) / ".local" / "share" / "timpora"


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _memory(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name) or default
    if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", value):
        raise ConfigError(f"{name} must look like 64MB or 1GB, got {value!r}")
    return value


def settings_from_environ(environ: Mapping[str, str]) -> Settings:
    """Resolve settings from a mapping of environment variables (pure; testable)."""
    data_dir = Path(environ.get("TIMPORA_DATA_DIR") or _default_data_dir(environ)).resolve()
    warehouse_url = environ.get("TIMPORA_WAREHOUSE_URL") or f"sqlite:///{data_dir / 'warehouse.db'}"
    if not warehouse_url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            f"TIMPORA_WAREHOUSE_URL must be a sqlite:/// or postgresql+psycopg:// URL, got {warehouse_url!r}"
        )
    if warehouse_url.startswith("postgresql://") or warehouse_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; a bare URL would make SQLAlchemy look for psycopg2.
        warehouse_url = "postgresql+psycopg://" + warehouse_url.split("://", 1)[1]

    s3: S3Settings | None = None
    endpoint = environ.get("TIMPORA_S3_ENDPOINT")
    if endpoint:
        access_key = environ.get("TIMPORA_S3_ACCESS_KEY")
        secret_key = environ.get("TIMPORA_S3_SECRET_KEY")
        if not access_key or not secret_key:
            raise ConfigError(
                "TIMPORA_S3_ENDPOINT is set, so TIMPORA_S3_ACCESS_KEY and TIMPORA_S3_SECRET_KEY are needed"
            )
        s3 = S3Settings(
            endpoint=endpoint.removeprefix("http://").removeprefix("https://"),
            access_key=access_key,
            secret_key=secret_key,
            bucket=environ.get("TIMPORA_S3_BUCKET", "landing"),
            secure=(environ.get("TIMPORA_S3_SECURE", "").lower() in _TRUE) or endpoint.startswith("https://"),
            region=environ.get("TIMPORA_S3_REGION") or None,
        )

    airflow_home = Path(environ.get("TIMPORA_AIRFLOW_HOME") or data_dir / "airflow").resolve()
    backend = environ.get("TIMPORA_LANDING_BACKEND", "auto").lower()
    if backend not in ("auto", "local", "s3"):
        raise ConfigError(f"TIMPORA_LANDING_BACKEND must be auto, local or s3, got {backend!r}")
    if backend == "s3" and s3 is None:
        raise ConfigError("TIMPORA_LANDING_BACKEND=s3 needs TIMPORA_S3_ENDPOINT and credentials")
    landing_backend: LandingBackend = "s3" if (s3 and backend != "local") else "local"
    owner_url = environ.get("TIMPORA_WAREHOUSE_OWNER_URL") or warehouse_url
    if owner_url.startswith(("postgresql://", "postgres://")):
        owner_url = "postgresql+psycopg://" + owner_url.split("://", 1)[1]
    if owner_url.split(":", 1)[0].split("+", 1)[0] != warehouse_url.split(":", 1)[0].split("+", 1)[0]:
        raise ConfigError("TIMPORA_WAREHOUSE_OWNER_URL must name the same kind of database as TIMPORA_WAREHOUSE_URL")
    production = bool(s3 or warehouse_url.startswith("postgresql"))

    def secret(name: str) -> str:
        # Embedded, a missing secret is the public demo value; in production it stays
        # empty, and the app and the tasks refuse it (Settings.require_secrets).
        value = environ.get(name)
        if value is None:
            return "" if production else DEMO_SECRETS[name]
        return value

    docs = environ.get("TIMPORA_REVIEW_API_DOCS")
    return Settings(
        data_dir=data_dir,
        warehouse_url=warehouse_url,
        warehouse_owner_url=owner_url,
        landing_backend=landing_backend,
        landing_dir=Path(environ.get("TIMPORA_LANDING_DIR") or data_dir / "landing").resolve(),
        s3=s3,
        airflow_home=airflow_home,
        airflow_db_url=environ.get("TIMPORA_AIRFLOW_DB_URL") or f"sqlite:///{airflow_home / 'airflow.db'}",
        gx_dir=Path(environ.get("TIMPORA_GX_DIR") or data_dir / "gx").resolve(),
        sql_dir=project_dir("sql"),
        expectations_dir=project_dir("expectations"),
        dags_dir=project_dir("dags"),
        plugins_dir=project_dir("plugins"),
        rules_config=Path(environ.get("TIMPORA_RULES_CONFIG") or project_dir("config") / "rules.yaml"),
        work_dir=data_dir / "work",
        chunk_rows=_int(environ, "TIMPORA_CHUNK_ROWS", 100_000),
        ingest_group_bytes=_int(environ, "TIMPORA_INGEST_GROUP_BYTES", 8 * 1024 * 1024),
        ingest_group_files=_int(environ, "TIMPORA_INGEST_GROUP_FILES", 500),
        ingest_group_spread=_int(environ, "TIMPORA_INGEST_GROUP_SPREAD", 4),
        rule_page_rows=_int(environ, "TIMPORA_RULE_PAGE_ROWS", 20_000),
        gx_results_days=_int(environ, "TIMPORA_GX_RESULTS_DAYS", 90),
        pg_work_mem=_memory(environ, "TIMPORA_PG_WORK_MEM", "256MB"),
        event_queue_url=environ.get("TIMPORA_EVENT_QUEUE_URL") or None,
        event_queue_name=environ.get("TIMPORA_EVENT_QUEUE_NAME", "timpora:landing-events"),
        pseudonym_key=secret("TIMPORA_PSEUDONYM_KEY"),
        review_secret=secret("TIMPORA_REVIEW_SECRET"),
        audit_key=secret("TIMPORA_AUDIT_KEY"),
        environment="production" if production else "embedded",
        review_api_docs=(docs.lower() in _TRUE) if docs else not production,
        session_minutes=_int(environ, "TIMPORA_SESSION_MINUTES", 8 * 60),
        session_idle_minutes=_int(environ, "TIMPORA_SESSION_IDLE_MINUTES", 30),
        smtp=_smtp(environ),
        review_url=(environ.get("TIMPORA_REVIEW_URL") or "http://127.0.0.1:8000").rstrip("/"),
    )


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False


def _smtp(environ: Mapping[str, str]) -> SmtpSettings | None:
    """``TIMPORA_SMTP_HOST`` (and ``_PORT``, ``_FROM``, ``_USER``, ``_PASSWORD``,
    ``_STARTTLS``): the mail relay notifications go through."""
    host = environ.get("TIMPORA_SMTP_HOST")
    if not host:
        return None
    starttls = environ.get("TIMPORA_SMTP_STARTTLS", "")
    return SmtpSettings(
        host=host,
        port=_int(environ, "TIMPORA_SMTP_PORT", 25),
        sender=environ.get("TIMPORA_SMTP_FROM") or "timpora@localhost",
        user=environ.get("TIMPORA_SMTP_USER") or None,
        password=environ.get("TIMPORA_SMTP_PASSWORD") or None,
        starttls=starttls.lower() in _TRUE,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, resolved once from ``os.environ``."""
    return settings_from_environ(os.environ)


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()


def override_environment(**values: str | None) -> Settings:
    """Set (or, with ``None``, remove) ``TIMPORA_*`` variables for this process and its
    children, then re-resolve. The replay command uses it to point in-process DAG runs at
    a user's landing folder."""
    for name, value in values.items():
        variable = "TIMPORA_" + name.upper()
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    reset_settings()
    return get_settings()


@contextmanager
def environment_overrides(**values: str | None) -> Iterator[Settings]:
    """Like :func:`override_environment`, for the length of a ``with`` block: the previous
    values come back afterwards, so a command run in-process (the CLI under a test, a
    notebook) leaves the environment as it found it."""
    names = ["TIMPORA_" + name.upper() for name in values]
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield override_environment(**values)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment with ``extra`` on top, for a child process."""
    return {**os.environ, **extra}


def apply_airflow_environment(settings: Settings) -> None:
    """Export the embedded Airflow variables for this process and its children."""
    os.environ.update(settings.airflow_environment())
