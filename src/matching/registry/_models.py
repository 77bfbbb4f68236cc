"""Log a trained ``CandidateRanker`` to MLflow, register it, and load it back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel

import matching
from matching.errors import ConfigError, Errors
from matching.ranking import CandidateRanker
from matching.registry._pyfunc import (
    ARTIFACT_KEY,
    CandidateRankerModel,
    input_example,
    model_signature,
    pip_requirements,
)
from matching.registry._tracking import ensure_tracking, first_line, metric_key
from matching.settings import get_settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHAMPION = "champion"
CHALLENGER = "challenger"
_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


@dataclass(frozen=True)
class RegisteredModelInfo:
    """Where a logged model lives: its run, a URI to load it, and its registry entry."""

    run_id: str
    model_uri: str
    name: str | None
    version: str | None
    alias: str | None


def log_candidate_ranker(
    model: CandidateRanker,
    *,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tables: Mapping[str, pd.DataFrame] | None = None,
    figures: Mapping[str, Figure] | None = None,
    data_fingerprints: Mapping[str, str] | None = None,
    register: bool = True,
    alias: str = CHALLENGER,
    run_name: str | None = None,
) -> RegisteredModelInfo:
    """Log a trained model with its evidence as one MLflow run; register it as ``alias``.

    Parameters
    ----------
    model
        The trained pipeline.
    params
        Training configuration (hyperparameters, data sizes, seeds).
    metrics
        Evaluation results, e.g. ``evaluate_groups`` output (``ndcg@10`` is stored as
        ``ndcg_at_10``: MLflow keys cannot hold ``@``). Each is also a model-version tag
        ``eval.<key>`` so that promotion compares versions without reading runs.
    tables
        Tables logged as CSV artefacts ``tables/<name>.csv`` (the MLflow UI shows them as
        tables).
    figures
        Figures logged as ``figures/<name>.png``.
    data_fingerprints
        Content hashes of the training and evaluation data, logged as tags ``data.<name>``
        on the run and the model version.
    register
        Register the model under ``MATCHING_REGISTERED_MODEL`` (default ``candidate-ranker``)
        and point ``alias`` at the new version.
    alias
        The alias of the new version (``challenger``: awaiting ``promote``).
    run_name
        A readable run name (MLflow picks one when omitted).

    Returns
    -------
    RegisteredModelInfo
        ``model_uri`` is ``models:/<name>/<version>`` when registered, else MLflow's logged
        model URI.
    """
    ensure_tracking()
    name = get_settings().registered_model
    evaluation = {metric_key(key): float(value) for key, value in metrics.items()}
    fingerprints = {
        f"data.{metric_key(key)}": str(v) for key, v in (data_fingerprints or {}).items()
    }
    with mlflow.start_run(run_name=run_name) as run:
        run_id = run.info.run_id
        mlflow.log_params({metric_key(key): value for key, value in params.items()})
        mlflow.log_metrics(evaluation)
        mlflow.set_tags(
            {
                **fingerprints,
                "matching.version": matching.__version__,
                "model.ranker": type(model.ranker).__name__,
                "model.embedding": model.embedding_model,
            }
        )
        for key, table in (tables or {}).items():
            mlflow.log_text(table.to_csv(index=False), f"tables/{key}.csv")
        for key, figure in (figures or {}).items():
            mlflow.log_figure(figure, f"figures/{key}.png")
        with TemporaryDirectory(prefix="matching-model-") as folder:
            path = model.save(Path(folder) / "candidate_ranker.joblib")
            logged = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("_model_code.py")),
                artifacts={ARTIFACT_KEY: str(path)},
                # The package travels with the model: a fresh serving environment installs
                # the pinned requirements and imports `matching` from the model's code/.
                code_paths=[str(Path(matching.__file__).parent)],
                signature=model_signature(),
                input_example=input_example(),
                pip_requirements=pip_requirements(),
                model_config={"model_version": f"run:{run_id}"},
                metadata={"matching_version": matching.__version__},
            )
    if not register:
        return RegisteredModelInfo(run_id, logged.model_uri, None, None, None)
    version = mlflow.register_model(
        logged.model_uri,
        name,
        tags={
            **{f"eval.{key}": repr(value) for key, value in evaluation.items()},
            **fingerprints,
            "matching.version": matching.__version__,
        },
    )
    MlflowClient().set_registered_model_alias(name, alias, version.version)
    return RegisteredModelInfo(
        run_id=run_id,
        model_uri=f"models:/{name}/{version.version}",
        name=name,
        version=str(version.version),
        alias=alias,
    )


def _registry_entry(uri: str) -> tuple[str, str] | None:
    """``(name, version)`` of a ``models:/name@alias`` or ``models:/name/N`` URI, else None."""
    found = _MODELS_URI.match(uri)
    if found is None:
        return None
    name = found["name"]
    if found["version"]:
        return name, found["version"]
    try:
        version = MlflowClient().get_model_version_by_alias(name, found["alias"])
    except MlflowException as exc:
        raise ConfigError(
            Errors.E302,
            uri=uri,
            detail=f"no version of {name!r} has the alias {found['alias']!r}"
            + (
                "; promote a challenger with `matching promote`"
                if found["alias"] == CHAMPION
                else ""
            ),
        ) from exc
    return name, str(version.version)


def describe_model(name: str, version: str) -> dict[str, Any]:
    """Facts about a registered version for people and callers: aliases, dates, audit, metrics.

    Returns ``name``, ``version``, ``aliases``, ``run_id``, ``registered_at`` and
    ``trained_at`` (ISO 8601, UTC), ``audit`` (the ``audit.*`` tags without the prefix) and
    ``evaluation`` (the ``eval.*`` tags). A field MLflow cannot give is None or empty.
    """
    client = MlflowClient()
    try:
        entry = client.get_model_version(name, version)
    except MlflowException as exc:
        raise ConfigError(
            Errors.E302, uri=f"models:/{name}/{version}", detail=first_line(exc)
        ) from exc
    trained_at = None
    if entry.run_id:
        try:
            started = client.get_run(entry.run_id).info.start_time
        except MlflowException:
            started = None
        trained_at = _iso(started)
    tags = dict(entry.tags or {})
    return {
        "name": name,
        "version": str(entry.version),
        "aliases": sorted(entry.aliases or []),
        "run_id": entry.run_id,
        "registered_at": _iso(entry.creation_timestamp),
        "trained_at": trained_at,
        "audit": {k.removeprefix("audit."): v for k, v in tags.items() if k.startswith("audit.")},
        "evaluation": {
            k.removeprefix("eval."): v for k, v in tags.items() if k.startswith("eval.")
        },
    }


def _iso(millis: int | None) -> str | None:
    """MLflow's epoch milliseconds as ISO 8601 UTC."""
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat()


def load_scoring_model(uri: str | None = None) -> PyFuncModel:
    """Load the scoring pyfunc (default ``models:/<registered model>@champion``).

    Its ``predict`` takes the table described in ``CandidateRankerModel``; ``model_version``
    in the output is the registry version when ``uri`` names one.

    Raises
    ------
    matching.errors.ConfigError
        E302 when the model, version or alias does not exist or cannot be loaded; E303 when
        the tracking server cannot be reached.
    """
    return _load(uri)[0]


def load_candidate_ranker(uri: str | None = None) -> CandidateRanker:
    """The ``CandidateRanker`` inside a registered model (for the service and ``shortlist``).

    ``metadata["registry"]`` holds the ``uri``, ``name`` and ``version`` it was loaded from.
    Raises like ``load_scoring_model``.
    """
    model, uri, entry = _load(uri)
    wrapper = model.unwrap_python_model()  # type: ignore[no-untyped-call]  # MLflow leaves it untyped
    if not isinstance(wrapper, CandidateRankerModel):
        raise ConfigError(
            Errors.E302, uri=uri, detail=f"it holds a {type(wrapper).__name__}, not a ranker"
        )
    ranker = wrapper.ranker
    ranker.metadata["registry"] = {
        "uri": uri,
        "name": entry[0] if entry else None,
        "version": entry[1] if entry else None,
    }
    return ranker


def _load(uri: str | None) -> tuple[PyFuncModel, str, tuple[str, str] | None]:
    ensure_tracking()
    uri = uri or f"models:/{get_settings().registered_model}@{CHAMPION}"
    entry = _registry_entry(uri)
    # The registry version is only known here, not when the model was logged.
    config = {"model_version": entry[1]} if entry else None
    try:
        return mlflow.pyfunc.load_model(uri, model_config=config), uri, entry
    except (MlflowException, OSError) as exc:
        raise ConfigError(Errors.E302, uri=uri, detail=first_line(exc)) from exc
