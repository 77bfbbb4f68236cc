"""The service as a child process (`bentoml serve`): for the demo, the tests and benchmarks.

::

    with running_service(env, key=key) as service:   # waits for /readyz
        httpx.post(service.url + "/shortlist", json=..., headers=service.headers)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from matching._ports import free_port

# The checkout: `service/service.py` lives beside `src/`.
ROOT = Path(__file__).resolve().parents[3]


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
    env: Mapping[str, str],
    *,
    key: str,
    timeout: float = 240.0,
    port: int | None = None,
    log_dir: Path | None = None,
) -> ServiceProcess:
    """Start the service with this environment over ours, and wait until it is ready.

    ``env`` names its home (``MATCHING_HOME``), store and MLflow store; ``key`` is a plain API
    key that the service accepts (the caller made it). Raises ``RuntimeError`` with the end of
    its log when it exits or is not ready within ``timeout`` seconds.
    """
    port = port or free_port()
    folder = log_dir or Path(env.get("MATCHING_HOME") or ".")
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"service-{port}.log"
    full_env = {**os.environ, **env}
    full_env.pop("MATCHING_API_KEYS", None)
    started = time.perf_counter()
    command = [
        sys.executable, "-m", "bentoml", "serve", "service.service:Matching",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
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
def running_service(
    env: Mapping[str, str], *, key: str, timeout: float = 240.0
) -> Iterator[ServiceProcess]:
    """:func:`start_service` as a context manager that always stops it."""
    service = start_service(env, key=key, timeout=timeout)
    try:
        yield service
    finally:
        service.stop()


__all__ = ["ROOT", "ServiceProcess", "free_port", "running_service", "start_service"]
