"""Fairness assessment of scores, selections and rankings per demographic category.

``audit_table`` computes scoring or selection rates, impact ratios (NYC Local Law 144), tests
against the highest-rate category and ranking metrics; ``write_report`` writes the JSON and the
self-contained HTML report. ``rerank_shortlists`` and ``threshold_mitigation`` assess a
post-processing mitigation (before and after); protected attributes are read only there.
"""

from __future__ import annotations

from matching.audit._audit import (
    AttributeResult,
    AuditReport,
    CategoryResult,
    OutcomeResult,
    RankingCategory,
    RankingResult,
    audit_table,
)
from matching.audit._counterfactual import (
    MAX_CHANGE,
    MAX_MEAN_CHANGE,
    NAMES,
    CounterfactualResult,
    IdentityName,
    counterfactual_test,
    pronoun_sex,
    swap_identity,
)
from matching.audit._mitigation import (
    MitigationResult,
    ThresholdResult,
    best_single_threshold,
    bios_rankings,
    fair_top_k,
    rerank_shortlists,
    threshold_mitigation,
)
from matching.audit._model_audit import (
    GroupScores,
    ModelAuditResult,
    audit_model,
    load_bias_in_bios,
    log_model_audit,
    profession_requisition,
)
from matching.audit._model_report import render_model_audit_html
from matching.audit._proxy import ProxyResult, proxy_probe
from matching.audit._ranking import exposure_by_category, exposure_ratios, ndkl, skew_at_k
from matching.audit._rates import (
    SMALL_SHARE,
    UNKNOWN,
    above_median,
    category_labels,
    category_rates,
    impact_ratios,
    intersect,
    selection_flags,
)
from matching.audit._report import render_html, write_report
from matching.audit._tests import compare_rates, wilson_interval

__all__ = [
    "MAX_CHANGE",
    "MAX_MEAN_CHANGE",
    "NAMES",
    "SMALL_SHARE",
    "UNKNOWN",
    "AttributeResult",
    "AuditReport",
    "CategoryResult",
    "CounterfactualResult",
    "GroupScores",
    "IdentityName",
    "MitigationResult",
    "ModelAuditResult",
    "OutcomeResult",
    "ProxyResult",
    "RankingCategory",
    "RankingResult",
    "ThresholdResult",
    "above_median",
    "audit_model",
    "audit_table",
    "best_single_threshold",
    "bios_rankings",
    "category_labels",
    "category_rates",
    "compare_rates",
    "counterfactual_test",
    "exposure_by_category",
    "exposure_ratios",
    "fair_top_k",
    "impact_ratios",
    "intersect",
    "load_bias_in_bios",
    "log_model_audit",
    "ndkl",
    "profession_requisition",
    "pronoun_sex",
    "proxy_probe",
    "render_html",
    "render_model_audit_html",
    "rerank_shortlists",
    "selection_flags",
    "skew_at_k",
    "swap_identity",
    "threshold_mitigation",
    "wilson_interval",
    "write_report",
]
