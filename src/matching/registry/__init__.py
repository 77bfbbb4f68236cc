"""MLflow tracking and registry: log a trained ranker, serve it as a pyfunc, promote it.

::

    from matching.registry import configure_tracking, log_candidate_ranker, promote

    configure_tracking()                       # MLFLOW_TRACKING_URI or <MATCHING_HOME>/mlflow.db
    info = log_candidate_ranker(model, params=..., metrics={"ndcg@10": 0.71}, ...)
    record_audit(info.version, passed=True, min_impact_ratio=0.86, report_path="audit.json")
    promote()                                  # challenger → champion if no worse and audited
    load_scoring_model().predict(frame)        # models:/candidate-ranker@champion

The pyfunc carries the ``matching`` package (``code_paths``) and exact pins of the packages it
needs, so ``mlflow models serve`` or ``spark_udf`` can build a serving environment from it.
"""

from __future__ import annotations

from matching.registry._models import (
    RegisteredModelInfo,
    describe_model,
    load_candidate_ranker,
    load_scoring_model,
    log_candidate_ranker,
)
from matching.registry._promotion import (
    PREVIOUS_CHAMPION,
    AuditTagGate,
    FairnessGate,
    GateResult,
    PromotionDecision,
    promote,
    record_audit,
)
from matching.registry._pyfunc import (
    CandidateRankerModel,
    input_example,
    model_signature,
    pip_requirements,
    score_frame,
)
from matching.registry._tracking import (
    DEFAULT_EXPERIMENT,
    configure_tracking,
    metric_key,
    short_http_timeouts,
)
from matching.registry._training_run import TrainingRun, train_and_register

__all__ = [
    "DEFAULT_EXPERIMENT",
    "PREVIOUS_CHAMPION",
    "AuditTagGate",
    "CandidateRankerModel",
    "FairnessGate",
    "GateResult",
    "PromotionDecision",
    "RegisteredModelInfo",
    "TrainingRun",
    "configure_tracking",
    "describe_model",
    "input_example",
    "load_candidate_ranker",
    "load_scoring_model",
    "log_candidate_ranker",
    "metric_key",
    "model_signature",
    "pip_requirements",
    "promote",
    "record_audit",
    "score_frame",
    "short_http_timeouts",
    "train_and_register",
]
