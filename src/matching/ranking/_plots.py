"""Figures logged with every training run (people look at these rather than read tables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float, height: float) -> Figure:
    """A matplotlib figure for reports (the object-oriented API: no display, no pyplot)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def importance_figure(importances: Mapping[str, float], *, title: str) -> Figure:
    """Horizontal bars of feature importance, largest on top."""
    items = sorted(importances.items(), key=lambda kv: kv[1])
    fig = new_figure(7, 0.32 * len(items) + 1.2)
    ax = fig.add_subplot()
    ax.barh([k for k, _ in items], [v for _, v in items], color="#3b6ea5")
    ax.set_xlabel("importance")
    ax.set_title(title)
    return fig


def score_distribution_figure(scores: pd.DataFrame, *, title: str) -> Figure:
    """Histogram of held-out scores (0–100) per weak label grade."""
    fig = new_figure(7, 4)
    ax = fig.add_subplot()
    bins = [float(b) for b in np.linspace(0, 100, 41)]
    for label, part in scores.groupby("label"):
        ax.hist(part["score"], bins=bins, alpha=0.55, density=True, label=f"weak label {label:g}")
    ax.set_xlabel("score (0–100)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    return fig


def quality_figure(metrics: pd.DataFrame, *, metric: str = "ndcg@10") -> Figure:
    """Bars of one metric per model and direction (the learned rankers beside the baselines)."""
    table = metrics.pivot(index="model", columns="direction", values=metric)
    fig = new_figure(7, 3.5)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(table.columns))
    x = np.arange(len(table.index))
    for i, column in enumerate(table.columns):
        ax.bar(x + i * width, table[column], width=width, label=str(column))
    ax.set_xticks(x + width * (len(table.columns) - 1) / 2, list(table.index))
    ax.set_ylabel(metric)
    ax.set_ylim(0, 1)
    ax.set_title(f"held-out {metric} (weak labels)")
    ax.legend()
    return fig
