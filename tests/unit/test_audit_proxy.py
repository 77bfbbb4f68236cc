"""Proxy probe: features that carry an attribute score AUC ≈ 1, noise ≈ 0.5."""

from __future__ import annotations

import numpy as np
import pytest

from matching.audit import proxy_probe
from matching.errors import InputError
from matching.features import FEATURE_NAMES

N_FEATURES = len(FEATURE_NAMES)


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, N_FEATURES))


def test_a_feature_equal_to_the_attribute_is_found() -> None:
    """One column equal to the attribute gives AUC ≈ 1 and points at that column."""
    y = np.array(["f", "m"] * 50)
    X = _noise(100)
    X[:, 3] = (y == "m").astype(float)
    result = proxy_probe(X, y)
    assert result.auc > 0.98
    assert result.per_feature_auc[FEATURE_NAMES[3]] == pytest.approx(1.0)
    assert result.groups == {"f": 50, "m": 50}


def test_random_features_are_near_chance() -> None:
    """Features independent of the attribute give AUC within 0.15 of 0.5."""
    y = np.random.default_rng(1).choice(["a", "b"], size=300)
    result = proxy_probe(_noise(300), y)
    assert abs(result.auc - 0.5) < 0.15
    assert result.chance == 0.5
    assert all(abs(v - 0.5) < 0.2 for v in result.per_feature_auc.values())


def test_nan_and_unknown_labels_are_handled() -> None:
    """NaN features are accepted; rows with unknown labels are left out."""
    y = np.array(["f", "m", None, ""] * 30, dtype=object)
    X = _noise(120)
    X[::3, :5] = np.nan
    X[:, 0] = np.where(y == "m", 1.0, 0.0)
    result = proxy_probe(X, y)
    assert result.n == 60
    assert result.auc > 0.95


def test_multi_class_uses_one_vs_rest() -> None:
    """Three groups separated by one feature give a high macro one-vs-rest AUC."""
    y = np.array(["a", "b", "c"] * 40)
    X = _noise(120)
    X[:, 1] = np.searchsorted(["a", "b", "c"], y).astype(float)
    result = proxy_probe(X, y)
    assert result.auc > 0.95
    assert set(result.groups) == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("X", "y", "code"),
    [
        (np.zeros((4, N_FEATURES)), np.array(["a", "b", "a"]), "E511"),
        (np.zeros((4, 2)), np.array(["a", "b", "a", "b"]), "E511"),
        (np.zeros((10, N_FEATURES)), np.array(["a"] * 10), "E512"),
        (np.zeros((6, N_FEATURES)), np.array(["a"] * 5 + ["b"]), "E512"),
    ],
)
def test_bad_input_is_refused(X: np.ndarray, y: np.ndarray, code: str) -> None:
    """Mismatched shapes (E511) and too few groups or members (E512) are refused."""
    with pytest.raises(InputError) as error:
        proxy_probe(X, y)
    assert error.value.code == code
