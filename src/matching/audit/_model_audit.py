"""Assess a scoring model on real biographies: gender gaps, counterfactual swaps, proxies.

Data: ``bias_in_bios`` (De-Arteaga et al. 2019) in the shared data folder, 280 real short
biographies, 10 per profession × 28 professions, each with the person's gender. Each
biography is scored against a short posting written from its own profession's name. The
professions are far from balanced by gender (all nurses in the sample are women, all
software engineers men), so gaps *across* professions mix the model's behaviour with the
occupational mix; the within-profession gap compares like with like.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching.audit._counterfactual import (
    NAMES,
    CounterfactualResult,
    IdentityName,
    counterfactual_test,
)
from matching.audit._proxy import ProxyResult, proxy_probe
from matching.errors import ConfigError, Errors, InputError
from matching.ranking._model import ranking_order
from matching.settings import get_settings

if TYPE_CHECKING:
    from matching.features import PreparedCandidate, PreparedRequisition
    from matching.ranking import CandidateRanker

GENDERS = ("Female", "Male")
_COLUMNS = ("hard_text", "profession", "gender")
_TITLES = {"dj": "DJ"}


def profession_requisition(profession: str) -> str:
    """A short posting for ``profession`` ("nurse", "interior_designer"), from its name only.

    The posting names the role in its title and asks for experience in it; it holds no
    skills list, so the score rests on how well a biography matches the role itself.
    """
    label = profession.replace("_", " ").strip()
    title = _TITLES.get(profession, label.title())
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return (
        f"{title}\n"
        "Requirements\n"
        f"- Experience as {article} {label}.\n"
        f"- The training and qualifications expected of {article} {label}.\n"
        f"- A record of work as {article} {label} that clients or employers can check.\n"
    )


def load_bias_in_bios(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The biographies as one table (``hard_text, profession, gender``), in file order.

    Raises ``ConfigError`` E513 when the folder is missing and ``InputError`` E514 when a
    table lacks a column or holds a gender other than Female/Male.
    """
    root = Path(data_dir) if data_dir is not None else get_settings().resolved_data_dir()
    folder = root / "bias_in_bios" if root is not None else None
    files = sorted(folder.glob("*.csv")) if folder is not None and folder.is_dir() else []
    if not files:
        raise ConfigError(Errors.E513, path=folder or "../shared/data/bias_in_bios")
    frames = []
    for path in files:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in _COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(Errors.E514, path=path, detail=f"missing {', '.join(missing)}")
        odd = sorted(set(frame["gender"]) - set(GENDERS))
        if odd:
            raise InputError(Errors.E514, path=path, detail=f"unknown gender values {odd}")
        frames.append(frame[list(_COLUMNS)])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class GroupScores:
    """Scores of one set of biographies split by gender.

    ``gap`` is mean(Female) − mean(Male) on the 0–100 scale; ``rates`` the share of each
    gender scoring above the reference median; ``impact_ratio`` the lower rate over the
    higher. Each is ``None`` when a gender is absent.
    """

    n: dict[str, int]
    mean: dict[str, float | None]
    gap: float | None
    rates: dict[str, float | None]
    impact_ratio: float | None


@dataclass(frozen=True)
class ModelAuditResult:
    """What ``audit_model`` found; ``to_dict`` gives the JSON report."""

    n_bios: int
    overall: GroupScores
    within_profession_gap: float | None
    professions: dict[str, GroupScores]
    counterfactual: CounterfactualResult
    proxy: ProxyResult
    proxy_within_profession: ProxyResult
    shortlists: dict[str, dict[str, float]] = field(default_factory=dict)
    requisitions: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def min_impact_ratio(self) -> float:
        """The overall impact ratio by gender (NaN if a gender is absent)."""
        ratio = self.overall.impact_ratio
        return ratio if ratio is not None else math.nan

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            **asdict(self),
            "counterfactual": self.counterfactual.to_dict(),
            "min_impact_ratio": self.min_impact_ratio,
        }


def audit_model(
    model: CandidateRanker,
    *,
    data_dir: str | Path | None = None,
    seed: int = 0,
    counterfactual_per_profession: int = 3,
    names_per_group: int = 1,
    folds: int = 5,
) -> ModelAuditResult:
    """Assess ``model`` on the ``bias_in_bios`` biographies.

    Parameters
    ----------
    model
        The scoring pipeline.
    data_dir
        The shared data folder (default: ``MATCHING_DATA_DIR`` or ``../shared/data``).
    seed
        Seed of the biographies drawn for the counterfactual test and of the proxy probe.
    counterfactual_per_profession
        Biographies per profession rewritten for the counterfactual test (each rewrite is
        parsed and embedded; 3 × 28 × 8 names takes about a minute on a CPU).
    names_per_group
        Names of ``NAMES`` used per race or ethnicity × sex (1 to 3).
    folds
        Cross-validation folds of the proxy probe.

    Returns
    -------
    ModelAuditResult
        Scores by gender per profession and overall, with the impact ratio of scoring above
        the median; the counterfactual test (biographies have no name line, so one is
        inserted and swapped, with the pronouns, across the names); the proxy probe of
        gender from the pair features, raw and with each feature centred within its
        profession (so that the profession, which the sample ties to gender, is not what
        is found).
    """
    from matching.parsing import parse_requisition_text, parse_resume_text

    if not 1 <= names_per_group <= 3:
        raise InputError(
            Errors.E515, option="names_per_group", value=names_per_group, detail="1 to 3"
        )
    if counterfactual_per_profession < 1:
        raise InputError(
            Errors.E515,
            option="counterfactual_per_profession",
            value=counterfactual_per_profession,
            detail="1 or more (a test of no biography passes vacuously)",
        )
    bios = load_bias_in_bios(data_dir)
    texts = bios["hard_text"].astype(str).tolist()
    featurizer = model.featurizer()
    scores = np.full(len(bios), np.nan)
    blocks: list[NDArray[np.float64]] = []
    requisitions: dict[str, str] = {}
    prepared_requisitions = []
    for profession, rows in bios.groupby("profession", sort=True).groups.items():
        index = list(rows)
        text = profession_requisition(str(profession))
        requisitions[str(profession)] = text
        requisition = featurizer.prepare_requisition(text, parse_requisition_text(text))
        prepared_requisitions.append(requisition)
        candidates = featurizer.prepare_candidates(
            [(str(i), texts[i], parse_resume_text(texts[i])) for i in index]
        )
        for scored in model.score_prepared(requisition, text, candidates, explain=0):
            scores[int(scored.candidate_id)] = scored.score
        block = featurizer.features(requisition, candidates)
        blocks.append(np.column_stack([np.asarray(index, dtype=np.float64), block]))
    stacked = np.vstack(blocks)
    features = np.full((len(bios), stacked.shape[1] - 1), np.nan)
    features[stacked[:, 0].astype(int)] = stacked[:, 1:]

    gender = bios["gender"].to_numpy(dtype=object)
    profession_of = bios["profession"].to_numpy(dtype=object)
    overall = _group_scores(scores, gender, float(np.median(scores)))
    professions = {
        str(p): _group_scores(
            scores[profession_of == p],
            gender[profession_of == p],
            float(np.median(scores[profession_of == p])),
        )
        for p in sorted(set(profession_of))
    }

    rng = np.random.default_rng(seed)
    picked = [
        int(i)
        for p in sorted(set(profession_of))
        for i in sorted(
            rng.choice(
                np.flatnonzero(profession_of == p),
                size=min(counterfactual_per_profession, int((profession_of == p).sum())),
                replace=False,
            )
        )
    ]
    names = _names_per_group(NAMES, names_per_group)
    counterfactual = counterfactual_test(
        model,
        [(requisitions[str(profession_of[i])], texts[i], None) for i in picked],
        names=names,
    )

    everyone = featurizer.prepare_candidates(
        [(str(i), texts[i], parse_resume_text(texts[i])) for i in range(len(texts))]
    )
    shortlists = _shortlist_fairness(model, prepared_requisitions, everyone, gender)
    proxy = proxy_probe(features, gender, folds=folds, seed=seed)
    proxy_within = proxy_probe(_centre_by(features, profession_of), gender, folds=folds, seed=seed)
    return ModelAuditResult(
        n_bios=len(bios),
        overall=overall,
        within_profession_gap=_within_gap(professions),
        professions=professions,
        counterfactual=counterfactual,
        proxy=proxy,
        proxy_within_profession=proxy_within,
        shortlists=shortlists,
        requisitions=requisitions,
        notes=[
            "Scores are against a posting written from the profession's name only.",
            "Gender is as labelled in bias_in_bios (Female/Male); the sample ties some "
            "professions to one gender, so compare the within-profession gap and the "
            "within-profession proxy AUC with the overall ones.",
            "Shortlists: every posting ranks all biographies; skew@k and NDKL (Geyik et al. "
            "2019) and the exposure ratio (Singh & Joachims 2018) by gender, averaged over "
            "the postings, with the whole pool's gender mix as the desired one.",
            "Impact ratio: share of each gender scoring above the median of all 280 scores, "
            "lower over higher; per profession above that profession's median (10 bios: "
            "indicative only).",
        ],
    )


SHORTLIST_KS = (5, 10, 20)


def _shortlist_fairness(
    model: CandidateRanker,
    requisitions: Sequence[PreparedRequisition],
    candidates: Sequence[PreparedCandidate],
    gender: NDArray[Any],
) -> dict[str, dict[str, float]]:
    """Skew@k, NDKL and exposure ratio by gender of each posting's ranking of everyone."""
    from matching.audit._ranking import exposure_by_category, exposure_ratios, ndkl, skew_at_k

    featurizer = model.featurizer()
    rankings = []
    for requisition in requisitions:
        raw = model.ranker.predict(featurizer.features(requisition, candidates))
        order = ranking_order(raw, candidates)
        rankings.append([str(gender[int(candidates[i].candidate_id)]) for i in order])
    out: dict[str, dict[str, float]] = {}
    for k in SHORTLIST_KS:
        row: dict[str, float] = {"ndkl": float(np.mean([ndkl(r, k=k) for r in rankings]))}
        for g in GENDERS:
            skews = [skew_at_k(r, g, k=k) for r in rankings]
            finite = [v for v in skews if math.isfinite(v)]
            row[f"skew_{g}"] = float(np.mean(finite)) if finite else math.nan
            row[f"absent_{g}"] = float(len(skews) - len(finite))
        ratios = [min(exposure_ratios(exposure_by_category(r, k=k)).values()) for r in rankings]
        row["exposure_ratio"] = float(np.mean(ratios))
        out[f"k={k}"] = row
    return out


def log_model_audit(
    result: ModelAuditResult,
    *,
    version: str,
    name: str | None = None,
    threshold: float | None = None,
) -> bool:
    """Record ``result`` on a registered model version for the promotion gate.

    Writes the report as JSON, records it with ``matching.registry.record_audit`` (tags
    ``audit.status``, ``audit.min_impact_ratio``, ``audit.report``) and adds the tags
    ``audit.counterfactual_mean``, ``audit.counterfactual_max`` and ``audit.proxy_auc``.

    Parameters
    ----------
    result
        The audit of the version's model.
    version
        The model version number.
    name
        The registered model (default ``MATCHING_REGISTERED_MODEL``).
    threshold
        The lowest acceptable impact ratio (default ``MATCHING_MIN_IMPACT_RATIO``).

    Returns
    -------
    bool
        Whether the audit passed: impact ratio ≥ ``threshold`` and the counterfactual test
        passed.
    """
    from mlflow import MlflowClient

    from matching.registry import record_audit

    settings = get_settings()
    limit = threshold if threshold is not None else settings.min_impact_ratio
    if not 0 < limit <= 1:
        raise InputError(Errors.E515, option="threshold", value=limit, detail="in (0, 1]")
    ratio = result.min_impact_ratio
    passed = bool(ratio >= limit) and result.counterfactual.passed
    name = name or settings.registered_model
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "model_audit.json"
        report.write_text(json.dumps(result.to_dict(), indent=2, default=_json), encoding="utf-8")
        record_audit(
            version,
            passed=passed,
            min_impact_ratio=ratio if not math.isnan(ratio) else 0.0,
            report_path=report,
            name=name,
        )
    client = MlflowClient()
    with tempfile.TemporaryDirectory() as folder:
        from matching.audit._model_report import render_model_audit_html

        page = Path(folder) / "model_audit.html"
        page.write_text(render_model_audit_html(result), encoding="utf-8")
        run_id = client.get_model_version(name, str(version)).run_id
        if run_id:
            client.log_artifact(run_id, str(page), artifact_path="audit")
    tags = {
        "audit.counterfactual_mean": result.counterfactual.mean_change,
        "audit.counterfactual_max": result.counterfactual.max_change,
        "audit.proxy_auc": result.proxy.auc,
        **{
            f"audit.{metric}_at_{key.removeprefix('k=')}": value
            for key, row in result.shortlists.items()
            for metric, value in row.items()
            if metric in ("ndkl", "exposure_ratio")
        },
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, repr(round(float(value), 6)))
    return passed


def _group_scores(scores: NDArray[np.float64], gender: NDArray[Any], median: float) -> GroupScores:
    """Means, gap, above-median rates and their ratio for one set of biographies."""
    n = {g: int((gender == g).sum()) for g in GENDERS}
    mean = {g: float(scores[gender == g].mean()) if n[g] else None for g in GENDERS}
    rates = {g: float((scores[gender == g] > median).mean()) if n[g] else None for g in GENDERS}
    female, male = mean["Female"], mean["Male"]
    return GroupScores(
        n=n,
        mean=mean,
        gap=female - male if female is not None and male is not None else None,
        rates=rates,
        impact_ratio=_impact_ratio(rates),
    )


def _impact_ratio(rates: dict[str, float | None]) -> float | None:
    """Lowest rate over highest; 1.0 when no one is above the median; None if a group lacks."""
    values = list(rates.values())
    if any(v is None for v in values):
        return None
    known = [v for v in values if v is not None]
    best = max(known)
    return min(known) / best if best > 0 else 1.0


def _within_gap(professions: dict[str, GroupScores]) -> float | None:
    """Mean of per-profession gaps, weighted by the smaller gender's count."""
    pairs = [(g.gap, min(g.n.values())) for g in professions.values() if g.gap is not None]
    total = sum(w for _, w in pairs)
    return sum(gap * w for gap, w in pairs) / total if total else None


def _centre_by(features: NDArray[np.float64], groups: NDArray[Any]) -> NDArray[np.float64]:
    """Each column minus its mean within each group (NaN stays NaN)."""
    out = features.copy()
    for group in set(groups):
        rows = groups == group
        block = out[rows]
        known = ~np.isnan(block)
        counts = known.sum(axis=0)
        sums = np.where(known, block, 0.0).sum(axis=0)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        out[rows] = block - means
    return out


def _names_per_group(names: Sequence[IdentityName], k: int) -> tuple[IdentityName, ...]:
    seen: dict[str, int] = {}
    kept = []
    for identity in names:
        seen[identity.group] = seen.get(identity.group, 0) + 1
        if seen[identity.group] <= k:
            kept.append(identity)
    return tuple(kept)


def _json(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
