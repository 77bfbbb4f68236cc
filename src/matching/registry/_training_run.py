"""`matching train`: train from the shared data, evaluate, log to MLflow and register."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matching.features import load_encoder
from matching.ranking._plots import importance_figure, quality_figure, score_distribution_figure
from matching.ranking._train import Progress, TrainingConfig, TrainingResult, train_rankers
from matching.registry._models import RegisteredModelInfo, log_candidate_ranker
from matching.settings import get_settings

PRIMARY = "lightgbm"
SHORT = {"per requisition": "", "per candidate": "candidate."}


@dataclass
class TrainingRun:
    """A finished training run: the evaluation, where the model was registered, how long."""

    result: TrainingResult
    info: RegisteredModelInfo | None
    seconds: float


def flat_metrics(metrics: pd.DataFrame) -> dict[str, float]:
    """``ndcg@10`` etc. for the primary model per requisition; ``<model>.<direction>.<metric>``
    for everything (``candidate.`` marks the per-candidate direction)."""
    out: dict[str, float] = {}
    for row in metrics.to_dict("records"):
        prefix = SHORT[str(row["direction"])]
        for key, value in row.items():
            if key in {"model", "direction"}:
                continue
            out[f"{row['model']}.{prefix}{key}"] = float(value)
            if row["model"] == PRIMARY:
                out[f"{prefix}{key}"] = float(value)
    return out


def train_and_register(
    config: TrainingConfig,
    *,
    data_dir: Path | None = None,
    cache: bool = True,
    register: bool = True,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train every ranker, evaluate on held-out data, log the primary model and register it
    as ``challenger`` (all figures from WEAK labels, and logged as such)."""
    start = time.perf_counter()
    settings = get_settings()
    cache_dir = settings.home / "cache" if cache else None
    embedding_cache = None
    if cache_dir is not None:
        from matching.store import Store

        cache_dir.mkdir(parents=True, exist_ok=True)
        embedding_cache = Store.open(f"sqlite:///{cache_dir / 'embeddings.db'}").embedding_cache()
    encoder = load_encoder(cache=embedding_cache)
    result = train_rankers(
        config,
        encoder,
        data_dir=data_dir or settings.resolved_data_dir(required=True),
        cache_dir=cache_dir / "parsed" if cache_dir else None,
        progress=progress or (lambda stage, done, total: None),
    )
    info = None
    if register:
        model = result.models[PRIMARY]
        model.metadata.update(
            {"sizes": result.sizes, "data": result.corpus.fingerprints(), "labels": "weak"}
        )
        figures = {
            "feature_importance.png": importance_figure(
                model.ranker.feature_importances(), title="LightGBM feature importance (gain)"
            ),
            "score_distribution.png": score_distribution_figure(
                result.test_scores, title="held-out scores by weak label"
            ),
            "quality.png": quality_figure(result.metrics),
        }
        info = log_candidate_ranker(
            model,
            params={**config.as_params(), **{f"size.{k}": v for k, v in result.sizes.items()}},
            metrics=flat_metrics(result.metrics),
            tables={
                "evaluation_test.json": result.metrics,
                "evaluation_valid.json": result.valid_metrics,
                "timings.json": pd.DataFrame([result.timings]),
            },
            figures=figures,
            data_fingerprints=result.corpus.fingerprints(),
        )
    return TrainingRun(result=result, info=info, seconds=time.perf_counter() - start)
