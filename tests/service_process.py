"""Start the real service (`bentoml serve`) in a subprocess, for integration tests and benchmarks.

::

    env = prepare_home(home, ranker)            # MLflow store with `ranker` as champion, a key
    with running_service(env) as service:       # waits for /readyz
        httpx.post(service.url + "/score", json=..., headers=service.headers)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from matching.ranking import CandidateRanker
from matching.serving import _process as serving_process
from matching.serving._process import ServiceProcess, free_port

__all__ = ["KEY_ENV", "ROOT", "ServiceProcess", "free_port", "prepare_home", "start_service"]
from matching.settings import OFFLINE_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "MATCHING_TEST_API_KEY"


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


def start_service(
    env: dict[str, str], *, timeout: float = 240.0, extra: dict[str, str] | None = None
) -> ServiceProcess:
    """Start the service with ``env`` (from :func:`prepare_home`) and wait until it is ready."""
    return serving_process.start_service(
        {**env, **(extra or {})}, key=env[KEY_ENV], timeout=timeout
    )


@contextlib.contextmanager
def running_service(env: dict[str, str], **kwargs: object) -> Iterator[ServiceProcess]:
    """:func:`start_service` as a context manager that always stops it."""
    service = start_service(env, **kwargs)  # type: ignore[arg-type]
    try:
        yield service
    finally:
        service.stop()
