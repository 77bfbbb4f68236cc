"""Start the real service (`bentoml serve`) in a subprocess, for integration tests and benchmarks.

::

    env = prepare_home(home, ranker)            # MLflow store with `ranker` as champion, a key
    with running_service(env) as service:       # waits for /readyz
        httpx.post(service.url + "/score", json=..., headers=service.headers)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from matching.ranking import CandidateRanker
from matching.settings import OFFLINE_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "MATCHING_TEST_API_KEY"


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_home(
    home: Path, ranker: CandidateRanker | None = None, *, metrics: dict[str, float] | None = None
) -> dict[str, str]:
    """A service home: MLflow store (``ranker`` registered as champion), store file, a key.

    Returns the environment the service needs (``KEY_ENV`` holds the plain key for clients).
    """
    import mlflow

    from matching.registry import configure_tracking, log_candidate_ranker
    from matching.serving import add_key
    from matching.settings import Settings

    home.mkdir(parents=True, exist_ok=True)
    tracking = f"sqlite:///{home / 'mlflow.db'}"
    key, _ = add_key("tests", settings=Settings(home=home))
    env = {
        **OFFLINE_ENVIRONMENT,
        "MATCHING_HOME": str(home),
        "MLFLOW_TRACKING_URI": tracking,
        "MATCHING_DATABASE_URL": f"sqlite:///{home / 'matching.db'}",
        "BENTOML_HOME": str(home / "bentoml"),
        KEY_ENV: key,
    }
    if ranker is not None:
        previous = mlflow.get_tracking_uri()
        saved = {k: os.environ.get(k) for k in ("MATCHING_HOME", "MLFLOW_TRACKING_URI")}
        try:
            os.environ["MATCHING_HOME"] = str(home)
            os.environ["MLFLOW_TRACKING_URI"] = tracking
            configure_tracking(tracking)
            log_candidate_ranker(
                ranker,
                params={"ranker": "tiny"},
                metrics=metrics or {"ndcg@10": 0.5},
                alias="champion",
                run_name="service-tests",
            )
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            mlflow.set_tracking_uri(previous)
    return env


@dataclass
class ServiceProcess:
    """A running `bentoml serve` and how to call it."""

    url: str
    key: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float
    headers: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the service's output."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 20 s; then any worker left over.

        BentoML's workers run in process groups of their own, so they are found (before the
        server goes) and killed one by one if they outlive it.
        """
        import psutil

        if self.process.poll() is not None:
            return
        try:
            workers = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            workers = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()


def start_service(
    env: dict[str, str], *, timeout: float = 240.0, extra: dict[str, str] | None = None
) -> ServiceProcess:
    """Start the service with ``env`` (from :func:`prepare_home`) and wait until it is ready.

    Raises ``RuntimeError`` with the end of its log when it exits or is not ready in time.
    """
    port = free_port()
    home = Path(env["MATCHING_HOME"])
    log_path = home / f"service-{port}.log"
    full_env = {**os.environ, **env, **(extra or {})}
    full_env.pop("MATCHING_API_KEYS", None)
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bentoml",
                "serve",
                "service.service:Matching",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    key = env[KEY_ENV]
    service = ServiceProcess(
        url=url,
        key=key,
        process=process,
        log_path=log_path,
        started_in=0.0,
        headers={"Authorization": f"Bearer {key}"},
    )
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited ({process.returncode}):\n{service.log_tail()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                service.started_in = time.perf_counter() - started
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    service.stop()
    raise RuntimeError(f"the service was not ready in {timeout:.0f} s:\n{service.log_tail()}")


@contextlib.contextmanager
def running_service(env: dict[str, str], **kwargs: object) -> Iterator[ServiceProcess]:
    """:func:`start_service` as a context manager that always stops it."""
    service = start_service(env, **kwargs)  # type: ignore[arg-type]
    try:
        yield service
    finally:
        service.stop()
