"""Where MLflow keeps runs, models and artefacts: one place, set by the entry point."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from matching.errors import ConfigError, Errors
from matching.settings import configure_offline, get_settings

DEFAULT_EXPERIMENT = "candidate-ranking"
# A dead server should fail in seconds, not after MLflow's default 7 retries of 120 s each.
_PROBE_ENVIRONMENT = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
}
_configured: dict[str, str] = {}


@contextmanager
def short_http_timeouts() -> Iterator[None]:
    """Lower MLflow's HTTP timeout and retries inside the block only, then restore them."""
    saved = {name: os.environ.get(name) for name in _PROBE_ENVIRONMENT}
    os.environ.update(_PROBE_ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _is_http(uri: str) -> bool:
    return urlparse(uri).scheme in ("http", "https")


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (``None`` for in-memory or other stores)."""
    if not uri.startswith("sqlite:///"):
        return None
    path = unquote(urlparse(uri).path)
    return None if path in ("", "/", "/:memory:") else Path(path)


def configure_tracking(uri: str | None = None, *, experiment: str = DEFAULT_EXPERIMENT) -> str:
    """Point MLflow's tracking and registry at ``uri`` and select the experiment.

    Parameters
    ----------
    uri
        A tracking URI; by default ``MATCHING_MLFLOW_TRACKING_URI``, ``MLFLOW_TRACKING_URI`` or
        ``sqlite:///<MATCHING_HOME>/mlflow.db``.
    experiment
        The experiment runs are logged to; created when missing. For a local store its
        artefacts go to ``<MATCHING_HOME>/mlartifacts/<experiment>`` (never ``./mlruns``); an
        HTTP server keeps its own artefact root.

    Returns
    -------
    str
        The tracking URI in use.

    Raises
    ------
    matching.errors.ConfigError
        E303 when an HTTP tracking server does not answer within a few seconds.
    """
    configure_offline()
    settings = get_settings()
    uri = uri or settings.tracking_uri()
    database = _sqlite_path(uri)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if _is_http(uri):
        try:
            with short_http_timeouts():
                found = client.get_experiment_by_name(experiment)
                experiment_id = (
                    found.experiment_id if found else client.create_experiment(experiment)
                )
        except (MlflowException, OSError) as exc:
            raise ConfigError(Errors.E303, uri=uri, detail=first_line(exc)) from exc
    else:
        found = client.get_experiment_by_name(experiment)
        if found is not None:
            experiment_id = found.experiment_id
        else:
            location = settings.home / "mlartifacts" / _slug(experiment)
            location.mkdir(parents=True, exist_ok=True)
            experiment_id = client.create_experiment(
                experiment, artifact_location=location.resolve().as_uri()
            )
    # Process-wide, like mlflow.set_tracking_uri: set only once the store has answered.
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.set_experiment(experiment_id=experiment_id)
    _configured["uri"] = uri
    return uri


def ensure_tracking() -> str:
    """The tracking URI set by ``configure_tracking``; configures from the settings otherwise.

    A URI set directly with ``mlflow.set_tracking_uri`` afterwards is replaced, so that
    runs never land in an experiment without an explicit artefact location.
    """
    uri = _configured.get("uri")
    if uri is not None and mlflow.get_tracking_uri() == uri:
        return uri
    return configure_tracking()


def metric_key(name: str) -> str:
    """An MLflow-safe key for a metric name: ``ndcg@10`` → ``ndcg_at_10``."""
    return re.sub(r"[^\w.\- :/]", "_", name.replace("@", "_at_"))


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name).strip("-") or "default"


def first_line(exc: BaseException) -> str:
    """The first line of an error message, for a short ``detail``."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
