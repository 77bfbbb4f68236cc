"""Ranking quality and retraining time: LightGBM vs scikit-learn vs BM25 vs cosine, one run.

    python benchmarks/bench_ranking.py [--resumes-per-category 30] [--seed 0] [--warm]

Runs ``matching train`` end to end (data → parse → embed → features → fit → evaluate →
MLflow run → registered ``challenger``) against a fresh, temporary MLflow store and, unless
``--warm``, an empty cache: the wall time is a cold retrain on this machine. Every model is
evaluated on the same held-out split (resumes AND requisitions never seen in training).
The labels are WEAK (category ↔ occupation mapping, training/ranking/WEAK_LABELS.md).
Needs ../shared/data (or MATCHING_DATA_DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from _machine import machine
from matching.settings import configure_offline

RESULTS = Path(__file__).resolve().parent / "results" / "ranking.json"
TARGET_SECONDS = 600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--resumes-per-category", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warm", action="store_true", help="reuse MATCHING_HOME's cache")
    args = parser.parse_args()
    configure_offline()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.warm:
            os.environ["MATCHING_HOME"] = tmp
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        from matching.ranking import TrainingConfig
        from matching.registry import configure_tracking, train_and_register

        configure_tracking()
        config = TrainingConfig(resumes_per_category=args.resumes_per_category, seed=args.seed)
        tasks: dict[str, object] = {}
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        started = time.perf_counter()
        with Progress(*columns, console=Console(stderr=True)) as progress:

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

            run = train_and_register(config, progress=update)
        seconds = time.perf_counter() - started
    metrics = run.result.metrics
    meta = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "config": config.as_params(),
        "sizes": run.result.sizes,
        "timings": run.result.timings,
        "data": run.result.corpus.fingerprints(),
        "cold": not args.warm,
        "retrain_seconds": round(seconds, 1),
        "labels": "weak (category <-> occupation mapping)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"meta": meta, "results": metrics.to_dict("records")}, indent=2) + "\n"
    )
    console = Console()
    for direction in ("per requisition", "per candidate"):
        table = Table(
            title=f"Held-out ranking quality, {direction} (WEAK labels, same split, same run)"
        )
        names = ["ndcg@5", "ndcg@10", "map", "mrr", "recall@5", "recall@10"]
        table.add_column("model")
        for name in names:
            table.add_column(name, justify="right")
        for row in metrics[metrics["direction"] == direction].to_dict("records"):
            table.add_row(str(row["model"]), *(f"{row[n]:.3f}" for n in names))
        console.print(table)
    verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
    console.print(
        f"retrain data → registered challenger: {seconds:.0f} s "
        f"({'cold' if not args.warm else 'warm'} cache; target < {TARGET_SECONDS} s: {verdict}); "
        f"stages {run.result.timings}"
    )
    console.print(f"sizes {run.result.sizes}; {meta['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
