"""Promotion: a challenger becomes champion only when it is no worse and its audit passes."""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from matching.errors import ConfigError, Errors
from matching.registry._models import CHALLENGER, CHAMPION
from matching.registry._tracking import ensure_tracking, metric_key
from matching.settings import get_settings

PREVIOUS_CHAMPION = "previous-champion"
_MAX_TAG = 5000  # MLflow's limit on a model-version tag value


@dataclass(frozen=True)
class GateResult:
    """A fairness gate's verdict and the sentences that explain it."""

    passed: bool
    reasons: list[str] = field(default_factory=list)


class FairnessGate(Protocol):
    """Decides whether a model version's fairness evidence allows it to serve."""

    def check(self, client: MlflowClient, version: ModelVersion) -> GateResult:
        """Assess ``version`` (its tags, runs or artefacts) and explain the verdict."""
        ...


@dataclass(frozen=True)
class AuditTagGate:
    """Passes a version whose recorded audit passed with a high enough minimum impact ratio.

    Reads the model-version tags that ``record_audit`` writes: ``audit.status``
    (``passed``/``failed``) and ``audit.min_impact_ratio``.

    Parameters
    ----------
    min_impact_ratio
        The lowest acceptable selection-rate ratio of any group to the best group; default
        ``MATCHING_MIN_IMPACT_RATIO`` (0.8, the four-fifths rule).
    """

    min_impact_ratio: float | None = None

    def check(self, client: MlflowClient, version: ModelVersion) -> GateResult:
        """Refuse a version without an audit, with a failed one, or under the threshold."""
        threshold = (
            self.min_impact_ratio
            if self.min_impact_ratio is not None
            else get_settings().min_impact_ratio
        )
        tags = version.tags or {}
        number = version.version
        status = tags.get("audit.status")
        if status is None:
            return GateResult(
                False,
                [
                    f"no fairness audit is recorded for version {number}; audit it (the audit "
                    "stage records one with record_audit) or pass --override-reason with a "
                    "written reason"
                ],
            )
        ratio = _as_float(tags.get("audit.min_impact_ratio"))
        if ratio is None:
            return GateResult(
                False, [f"the audit of version {number} records no valid minimum impact ratio"]
            )
        failures = []
        if status != "passed":
            failures.append(f"the fairness audit of version {number} is marked {status!r}")
        if not ratio >= threshold:
            failures.append(
                f"version {number}'s minimum impact ratio {ratio:.3f} is below the threshold "
                f"{threshold:.3f} (MATCHING_MIN_IMPACT_RATIO)"
            )
        if failures:
            return GateResult(False, failures)
        return GateResult(
            True,
            [f"fairness audit passed: minimum impact ratio {ratio:.3f} ≥ {threshold:.3f}"],
        )


@dataclass(frozen=True)
class PromotionDecision:
    """What ``promote`` decided and why."""

    promoted: bool
    reasons: list[str]
    challenger_version: str
    champion_version: str | None
    metric: str
    challenger_metric: float | None
    champion_metric: float | None
    overridden: bool = False


def record_audit(
    version: str | int,
    *,
    passed: bool,
    min_impact_ratio: float,
    report_path: str | Path | None = None,
    name: str | None = None,
) -> None:
    """Record a fairness audit's outcome on a model version (read by ``AuditTagGate``).

    Writes tags ``audit.status``, ``audit.min_impact_ratio`` and ``audit.recorded_at``; a
    report file is also logged to the version's run under ``audit/`` and its URI kept in
    ``audit.report``.
    """
    ensure_tracking()
    client = MlflowClient()
    name = name or get_settings().registered_model
    number = str(version)
    tags = {
        "audit.status": "passed" if passed else "failed",
        "audit.min_impact_ratio": repr(float(min_impact_ratio)),
        "audit.recorded_at": _now(),
    }
    if report_path is not None:
        report = Path(report_path)
        run_id = client.get_model_version(name, number).run_id
        if run_id:
            client.log_artifact(run_id, str(report), artifact_path="audit")
            tags["audit.report"] = f"runs:/{run_id}/audit/{report.name}"
        else:
            tags["audit.report"] = str(report)
    for key, value in tags.items():
        client.set_model_version_tag(name, number, key, value)


def promote(
    name: str | None = None,
    *,
    challenger: str = CHALLENGER,
    champion: str = CHAMPION,
    metric: str = "ndcg@10",
    gate: FairnessGate | None = None,
    override_reason: str | None = None,
    actor: str | None = None,
) -> PromotionDecision:
    """Move ``champion`` to the ``challenger`` version if it is no worse and passes the gate.

    Parameters
    ----------
    name
        The registered model (default ``MATCHING_REGISTERED_MODEL``).
    challenger, champion
        The aliases compared.
    metric
        The evaluation metric compared, as logged (``ndcg@10``); read from the version tags
        ``eval.<key>`` that ``log_candidate_ranker`` writes. Higher is better; a tie promotes.
    gate
        The fairness gate (default ``AuditTagGate()``).
    override_reason
        Lets a version through a failed *fairness* gate (never a worse metric). The reason,
        who and when are kept as tags ``promotion.override_*`` on the version.
    actor
        Who promotes (default: the operating-system user).

    Returns
    -------
    PromotionDecision
        ``promoted`` and the reasons. On success the previous champion keeps the alias
        ``previous-champion`` and the version gets ``promotion.promoted_at`` and
        ``promotion.promoted_by`` tags; a refusal is tagged ``promotion.refused_at`` and
        ``promotion.refusal``.

    Raises
    ------
    matching.errors.ConfigError
        E304 when no version carries the ``challenger`` alias.
    """
    ensure_tracking()
    client = MlflowClient()
    name = name or get_settings().registered_model
    gate = gate if gate is not None else AuditTagGate()
    actor = actor or _user()
    try:
        candidate = client.get_model_version_by_alias(name, challenger)
    except MlflowException as exc:
        if not _missing(exc):
            raise
        raise ConfigError(Errors.E304, name=name, alias=challenger) from exc
    current = _by_alias(client, name, champion)
    tag = f"eval.{metric_key(metric)}"
    ours = _as_float((candidate.tags or {}).get(tag))
    theirs = _as_float((current.tags or {}).get(tag)) if current is not None else None

    failures: list[str] = []
    passes: list[str] = []
    if current is not None and current.version == candidate.version:
        failures.append(f"version {candidate.version} is already the {champion}")
    if ours is None:
        failures.append(
            f"version {candidate.version} has no `{tag}` tag; log it with its evaluation "
            "metrics (log_candidate_ranker)"
        )
    elif current is None:
        passes.append(f"no {champion} yet; {metric} of version {candidate.version} is {ours:.4f}")
    elif theirs is None:
        passes.append(f"the {champion} (version {current.version}) has no `{tag}` to compare")
    elif ours >= theirs:
        passes.append(
            f"{metric} {ours:.4f} of version {candidate.version} ≥ {theirs:.4f} of the "
            f"{champion} (version {current.version})"
        )
    else:
        failures.append(
            f"{metric} {ours:.4f} of version {candidate.version} is below {theirs:.4f} of the "
            f"{champion} (version {current.version})"
        )

    verdict = gate.check(client, candidate)
    override = (override_reason or "").strip()
    overridden = False
    if verdict.passed:
        passes.extend(verdict.reasons)
    elif override:
        overridden = True
        passes.extend(f"overridden: {reason}" for reason in verdict.reasons)
        passes.append(f"fairness gate overridden by {actor}: {override}")
    else:
        failures.extend(verdict.reasons)

    decision = PromotionDecision(
        promoted=not failures,
        reasons=failures or passes,
        challenger_version=str(candidate.version),
        champion_version=str(current.version) if current is not None else None,
        metric=metric,
        challenger_metric=ours,
        champion_metric=theirs,
        overridden=overridden and not failures,
    )
    now = _now()
    if failures:
        _tag(
            client,
            name,
            candidate.version,
            {
                "promotion.refused_at": now,
                "promotion.refusal": "; ".join(failures),
            },
        )
        return decision
    tags = {"promotion.promoted_at": now, "promotion.promoted_by": actor}
    if overridden:
        tags |= {
            "promotion.override_reason": override,
            "promotion.override_by": actor,
            "promotion.override_at": now,
            "promotion.override_gate": "; ".join(verdict.reasons),
        }
    if current is not None:
        tags["promotion.previous_champion"] = str(current.version)
        client.set_registered_model_alias(name, PREVIOUS_CHAMPION, current.version)
    client.set_registered_model_alias(name, champion, candidate.version)
    _tag(client, name, candidate.version, tags)
    return decision


def _by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if not _missing(exc):
            raise
        return None


def _missing(exc: MlflowException) -> bool:
    """Whether MLflow says the model or alias does not exist (not: the store failed)."""
    # An unknown model is RESOURCE_DOES_NOT_EXIST; an unknown alias INVALID_PARAMETER_VALUE.
    return exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


def _tag(client: MlflowClient, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value[:_MAX_TAG])


def _as_float(value: str | None) -> float | None:
    """A tag as a number; missing, unparsable or NaN values are ``None``."""
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
