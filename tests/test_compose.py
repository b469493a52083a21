"""The production stack: docker-compose.yml is valid Compose and agrees with the code.

No Docker engine runs here, so the stack is checked statically: against the Compose
specification's JSON schema, and against what the code actually reads and runs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from timpora.config import settings_from_environ
from timpora.feeds.contracts import Feed

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / ".cache" / "compose-spec" / "compose-spec.json"
LONG_RUNNING = {
    "warehouse-db",
    "airflow-db",
    "redis",
    "minio",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "review-app",
    "review-proxy",
}
_VARIABLE = re.compile(r"\$\$|\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def interpolate(value: Any, variables: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ escapes."""
    if isinstance(value, dict):
        return {k: interpolate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, variables) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, kind, argument = match.groups()
        if name in variables:
            return variables[name]
        if kind == "-":
            return argument
        raise AssertionError(f"${{{name}}} is required ({argument}) but .env.example does not set it")

    return _VARIABLE.sub(replace, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return interpolate(raw, env_example())


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    import json

    import jsonschema

    assert SCHEMA.is_file(), "run ./scripts/fetch-compose-schema (make test does) to fetch the schema"
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_no_secret_is_written_in_the_compose_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    raw = yaml.safe_load(text)
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if re.search(r"PASSWORD|SECRET|FERNET|ACCESS_KEY|PSEUDONYM", key) or "@" in value:
                assert "${" in value, f"{name}: {key} must come from .env, not be written here"
    assert ".env" in (REPO / ".gitignore").read_text().split()
    assert all(
        "change-me" in v or k in ("MINIO_ROOT_USER", "TIMPORA_S3_ACCESS_KEY", "AIRFLOW_ADMIN_USER", "REVIEW_HOSTNAME")
        for k, v in env_example().items()
    )


def test_every_service_is_healthchecked_and_every_volume_named(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= LONG_RUNNING
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} needs a health check"
    declared = set(compose["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0]
            assert source in declared, f"{name} mounts {source!r}, which is not a named volume"
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker, "workers must scale with --scale"


def _config_variables() -> set[str]:
    """What the code reads: the settings module, and the CLI's own options (a password)."""
    read = set(re.findall(r"TIMPORA_[A-Z0-9_]+", (REPO / "src/timpora/config.py").read_text()))
    return read | set(re.findall(r'envvar="(TIMPORA_[A-Z0-9_]+)"', (REPO / "src/timpora/cli.py").read_text()))


def test_environment_matches_what_the_code_reads(compose: dict[str, Any]) -> None:
    readable = _config_variables()
    ours = {name: s for name, s in compose["services"].items() if s.get("image") == "timpora:latest"}
    assert len(ours) == 7  # airflow-init, api-server, scheduler, dag-processor, triggerer, worker, review app
    for name, service in ours.items():
        environment = {k: str(v) for k, v in service["environment"].items()}
        unknown = {k for k in environment if k.startswith("TIMPORA_")} - readable
        assert not unknown, f"{name} sets variables the code never reads: {unknown}"
        settings = settings_from_environ(environment)
        assert settings.environment == "production" and settings.warehouse_dialect == "postgresql"
        assert settings.landing_backend == "s3" and settings.s3 is not None and settings.s3.bucket == "landing"
        assert settings.event_queue_url == "redis://redis:6379/0"
        if name.startswith("airflow-"):
            assert environment["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/timpora/dags"
            assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "COPY --chown=airflow:0 dags /opt/timpora/dags" in dockerfile
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/timpora/dags" in dockerfile


def test_minio_notifies_each_feed_on_the_queue_its_watcher_reads(compose: dict[str, Any]) -> None:
    minio = {k: str(v) for k, v in compose["services"]["minio"]["environment"].items()}
    airflow_env = {k: str(v) for k, v in compose["services"]["airflow-triggerer"]["environment"].items()}
    settings = settings_from_environ(airflow_env)
    script = "\n".join(compose["services"]["minio-init"]["entrypoint"])
    for feed in Feed:
        target = feed.value.upper()
        assert minio[f"MINIO_NOTIFY_REDIS_ENABLE_{target}"] == "on"
        assert minio[f"MINIO_NOTIFY_REDIS_ADDRESS_{target}"] == "redis:6379"
        assert minio[f"MINIO_NOTIFY_REDIS_FORMAT_{target}"] == "access"
        assert minio[f"MINIO_NOTIFY_REDIS_KEY_{target}"] == f"{settings.event_queue_name}:{feed.value}"
    assert "for feed in visa stay_permit hotel_guest" in script
    assert 'arn:minio:sqs::$id:redis" --event put --prefix "$feed/"' in script
    assert "mc mb --ignore-existing local/landing" in script


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else list(command)


def _resolve_click(command: Any, arguments: list[str], service: str) -> None:
    """Walk timpora's command tree like the shell would; fail on an unknown command or option.

    Typer ships its own click, so groups are recognised by what they do, not by class.
    """
    path = ["timpora"]
    while hasattr(command, "list_commands") and arguments and not arguments[0].startswith("-"):
        context = command.make_context(" ".join(path), [], resilient_parsing=True)
        sub = command.get_command(context, arguments[0])
        assert sub is not None, f"{service}: `{' '.join(path)} {arguments[0]}` is not a timpora command"
        path.append(arguments[0])
        command, arguments = sub, arguments[1:]
    assert not hasattr(command, "list_commands"), f"{service}: `{' '.join(path)}` needs a subcommand"
    command.make_context(" ".join(path), list(arguments))  # raises on an unknown option


def test_every_command_exists_in_the_code(compose: dict[str, Any]) -> None:
    import typer.main
    from airflow.cli.cli_parser import get_parser

    from timpora.cli import app

    parser = get_parser()
    airflow_commands = []
    for name, service in compose["services"].items():
        command = _command(service)
        if command[:1] == ["airflow"]:
            airflow_commands.append(command[1:])
        health = service.get("healthcheck", {}).get("test", [])
        if health[:2] == ["CMD", "airflow"]:
            airflow_commands.append(health[2:])
        if command[:1] == ["timpora"]:
            _resolve_click(typer.main.get_command(app), command[1:], name)
    init = compose["services"]["airflow-init"]["command"][-1]
    assert "airflow db migrate" in init and "timpora db migrate" in init
    for part in init.split("&&"):
        if part.split()[:1] == ["timpora"]:
            _resolve_click(typer.main.get_command(app), shlex.split(part)[1:], "airflow-init")
    for arguments in airflow_commands:
        try:
            parsed = parser.parse_args(arguments)
        except SystemExit:
            pytest.fail(f"`airflow {' '.join(arguments)}` is not a command of Airflow 3.3")
        assert callable(parsed.func)
    assert ["celery", "worker", "--concurrency", "1", "--skip-serve-logs"] in airflow_commands
    assert ["triggerer", "--skip-serve-logs"] in airflow_commands


def test_only_the_init_job_connects_as_the_owner_and_the_review_app_sits_behind_tls(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        environment = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        url = environment.get("TIMPORA_WAREHOUSE_URL")
        if url is not None:
            assert url.startswith("postgresql+psycopg://timpora_app:"), f"{name} must connect as the runtime login"
        if "TIMPORA_WAREHOUSE_OWNER_URL" in environment:
            assert name == "airflow-init", f"{name} may not hold the owner's credentials"
            settings = settings_from_environ(environment)
            assert settings.separate_owner and settings.warehouse_owner_url.startswith("postgresql+psycopg://timpora:")
    review = compose["services"]["review-app"]
    assert "ports" not in review and "--forwarded-allow-ips" in review["command"]
    proxy = compose["services"]["review-proxy"]
    assert proxy["ports"] == ["443:443"] and "review-app:8000" in proxy["command"]
    assert "timpora db runtime-login timpora_app" in compose["services"]["airflow-init"]["command"][-1]


def test_every_database_url_names_a_driver_this_install_has(compose: dict[str, Any]) -> None:
    """The URLs compose hands Airflow, Celery and the platform load their drivers here: a
    psycopg2 or asyncpg URL would fail in the image built from this project's install."""
    import sqlalchemy as sa

    environment = {k: str(v) for k, v in compose["services"]["airflow-init"]["environment"].items()}
    urls = {
        name: value.removeprefix("db+")
        for name, value in environment.items()
        if name
        in (
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
            "AIRFLOW__CELERY__RESULT_BACKEND",
            "TIMPORA_WAREHOUSE_URL",
            "TIMPORA_WAREHOUSE_OWNER_URL",
        )
    }
    assert len(urls) == 5, urls
    for name, url in urls.items():
        dialect = sa.engine.make_url(url).get_dialect()
        dialect.import_dbapi()  # raises ModuleNotFoundError when the driver is not installed
        assert dialect.driver in ("psycopg", "psycopg_async"), (name, dialect.driver)
    assert environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith("postgresql+psycopg_async://")
