"""Significance tests and confidence intervals for rates (Wilson, Fisher exact, z-test)."""

from __future__ import annotations

import math
from typing import Literal

TestName = Literal["fisher_exact", "two_proportion_z"]

# Two-sided 95 % quantile of the standard normal distribution.
Z_95 = 1.959963984540054
# Below this expected cell count the normal approximation is not trusted (Cochran's rule).
MIN_EXPECTED = 5.0


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default).

    Parameters
    ----------
    successes, n
        Number of people selected (or scoring above the median) and number of people.
    z
        Normal quantile of the interval; the default gives 95 %.

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(0.0, 1.0)`` when ``n`` is 0.
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def expected_counts(table: tuple[tuple[int, int], tuple[int, int]]) -> list[float]:
    """Expected cell counts of a 2×2 table under independence."""
    (a, b), (c, d) = table
    total = a + b + c + d
    if total == 0:
        return [0.0, 0.0, 0.0, 0.0]
    rows = (a + b, c + d)
    cols = (a + c, b + d)
    return [rows[i] * cols[j] / total for i in (0, 1) for j in (0, 1)]


def two_proportion_z(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when undefined)."""
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (successes_a + successes_b) / (n_a + n_b)
    variance = pooled * (1 - pooled) * (1 / n_a + 1 / n_b)
    if variance <= 0:
        return 1.0
    z = (successes_a / n_a - successes_b / n_b) / math.sqrt(variance)
    # Two-sided tail of the standard normal: 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt(2)).
    return math.erfc(abs(z) / math.sqrt(2))


def fisher_exact_p(table: tuple[tuple[int, int], tuple[int, int]]) -> float:
    """Two-sided p-value of Fisher's exact test on a 2×2 table."""
    from scipy.stats import fisher_exact  # type: ignore[import-untyped]

    result = fisher_exact([list(table[0]), list(table[1])], alternative="two-sided")
    return float(min(1.0, result.pvalue))


def compare_rates(
    successes: int, n: int, reference_successes: int, reference_n: int
) -> tuple[TestName, float]:
    """Test a category's rate against the reference (highest-rate) category.

    Fisher's exact test is used when any cell of the 2×2 table (category/reference ×
    selected/not selected) has an expected count under 5; the pooled two-proportion z-test
    otherwise.

    Returns
    -------
    tuple
        ``(test name, two-sided p-value)``.
    """
    table = ((successes, n - successes), (reference_successes, reference_n - reference_successes))
    if min(expected_counts(table)) < MIN_EXPECTED:
        return "fisher_exact", fisher_exact_p(table)
    return "two_proportion_z", two_proportion_z(successes, n, reference_successes, reference_n)
