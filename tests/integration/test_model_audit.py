"""The model audit on real biographies, and its record in a real MLflow store."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from matching.audit import NAMES, ModelAuditResult, audit_model, log_model_audit
from matching.ranking import CandidateRanker

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def audit(data_dir: Path, tiny_ranker: CandidateRanker) -> ModelAuditResult:
    """The tiny ranker's audit: one biography per profession rewritten under 8 names."""
    return audit_model(tiny_ranker, data_dir=data_dir, counterfactual_per_profession=1)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh project home with its own SQLite MLflow store."""
    import mlflow

    from matching.registry import configure_tracking

    previous = mlflow.get_tracking_uri()
    monkeypatch.setenv("MATCHING_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MATCHING_DATABASE_URL", raising=False)
    configure_tracking()
    yield tmp_path
    mlflow.set_tracking_uri(previous)


def test_audit_covers_all_biographies_with_figures_in_range(audit: ModelAuditResult) -> None:
    """All 280 bios in 28 professions are scored; rates, ratios and AUCs lie in [0, 1]."""
    assert audit.n_bios == 280
    assert len(audit.professions) == 28 == len(audit.requisitions)
    assert sum(audit.overall.n.values()) == 280
    assert 0.0 <= audit.min_impact_ratio <= 1.0
    assert audit.professions["nurse"].gap is None  # the sample has no male nurse
    assert audit.within_profession_gap is not None
    assert audit.counterfactual.n_resumes == 28
    assert audit.counterfactual.n_variants == 28 * (len({n.group for n in NAMES}) - 1)
    for proxy in (audit.proxy, audit.proxy_within_profession):
        assert proxy.n == 280
        assert 0.0 <= proxy.auc <= 1.0
        assert all(0.5 <= v <= 1.0 for v in proxy.per_feature_auc.values())
    report = json.loads(json.dumps(audit.to_dict()))
    assert report["counterfactual"]["passed"] is audit.counterfactual.passed


def test_shortlist_metrics_by_gender_at_each_k(audit: ModelAuditResult) -> None:
    """Every posting's ranking of all bios gives NDKL ≥ 0 and an exposure ratio in (0, 1]."""
    assert set(audit.shortlists) == {"k=5", "k=10", "k=20"}
    for row in audit.shortlists.values():
        assert row["ndkl"] >= 0
        assert 0 < row["exposure_ratio"] <= 1


def test_the_html_report_has_its_tables_and_plots(audit: ModelAuditResult) -> None:
    """The model audit renders as one page with the summary, two plots and the notes."""
    from matching.audit import render_model_audit_html

    page = render_model_audit_html(audit)
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "name and pronoun swaps" in page
    assert "Method and limits" in page
    assert "unbiased" not in page.lower()
    assert "debias" not in page.lower()


def test_tiny_ranker_keeps_scores_under_name_and_pronoun_swaps(audit: ModelAuditResult) -> None:
    """Inserted names and swapped pronouns move no score past the targets."""
    assert audit.counterfactual.passed, audit.counterfactual.to_dict()


def test_logged_audit_is_read_by_the_promotion_gate(
    store: Path, audit: ModelAuditResult, tiny_ranker: CandidateRanker
) -> None:
    """Tags are written; a failed audit blocks promotion and a passed one lets it through."""
    from mlflow import MlflowClient

    from matching.registry import AuditTagGate, log_candidate_ranker, promote

    info = log_candidate_ranker(tiny_ranker, params={}, metrics={"ndcg@10": 0.5})
    ratio = audit.min_impact_ratio
    assert not math.isnan(ratio)
    strict = min(1.0, ratio + 0.1)
    assert log_model_audit(audit, version=info.version, threshold=strict) is False
    tags = MlflowClient().get_model_version("candidate-ranker", info.version).tags
    assert tags["audit.status"] == "failed"
    assert float(tags["audit.min_impact_ratio"]) == pytest.approx(ratio)
    assert float(tags["audit.counterfactual_mean"]) == pytest.approx(
        audit.counterfactual.mean_change
    )
    assert float(tags["audit.counterfactual_max"]) == pytest.approx(audit.counterfactual.max_change)
    assert float(tags["audit.proxy_auc"]) == pytest.approx(audit.proxy.auc, abs=1e-6)
    assert tags["audit.report"].endswith("/audit/model_audit.json")
    assert not promote(gate=AuditTagGate(min_impact_ratio=strict)).promoted

    lenient = max(ratio, 0.01)
    assert log_model_audit(audit, version=info.version, threshold=lenient) is True
    assert promote(gate=AuditTagGate(min_impact_ratio=lenient)).promoted
