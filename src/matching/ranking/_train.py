"""Training from the shared data: corpus → split → parse → features → fit → evaluate.

Each step is a function; ``train_rankers`` chains them. Labels are WEAK: they come from the
category ↔ occupation mapping in ``matching/datasets/data/weak_labels.json``, not from people
judging fit (see ``training/ranking/WEAK_LABELS.md``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching.datasets import (
    GroupSplit,
    JobPosting,
    LabelledResume,
    WeakLabelMapping,
    build_ranking_pairs,
    load_job_postings,
    load_livecareer,
    load_occupation_profiles,
    load_weak_labels,
    sample_per_category,
    split_by_group,
)
from matching.features import (
    BM25,
    FEATURE_NAMES,
    Encoder,
    Featurizer,
    PreparedCandidate,
    PreparedRequisition,
    keyword_text,
    tokenize,
)
from matching.ranking._calibration import ScoreCalibrator
from matching.ranking._knockouts import KnockoutRules
from matching.ranking._metrics import evaluate_groups
from matching.ranking._model import CandidateRanker, Ranker
from matching.ranking._rankers import (
    LightGBMRanker,
    LinearRanker,
    bm25_baseline,
    cosine_baseline,
    group_sizes,
)
from matching.schemas import Profile, Requisition

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
MODEL_NAMES = ("lightgbm", "linear", "bm25", "cosine")


def _quiet(stage: str, done: int, total: int) -> None:
    """The default progress callback: says nothing."""


@dataclass(frozen=True)
class TrainingConfig:
    """What to train on and how (the defaults are the quick configuration: a few minutes)."""

    resumes_per_category: int = 40
    jobs_per_source: dict[str, int] = field(
        default_factory=lambda: {"google": 400, "glassdoor": 120, "onet": 250, "esco": 250}
    )
    positives_per_job: int = 12
    hard_negatives_per_job: int = 6
    random_negatives_per_job: int = 6
    max_eval_jobs: int = 200
    seed: int = 0
    lightgbm: dict[str, Any] = field(default_factory=dict)

    def as_params(self) -> dict[str, Any]:
        """Flat parameters for the experiment log."""
        params: dict[str, Any] = {
            k: v for k, v in vars(self).items() if k not in {"jobs_per_source", "lightgbm"}
        }
        params.update({f"jobs.{k}": v for k, v in self.jobs_per_source.items()})
        params.update({f"lightgbm.{k}": v for k, v in self.lightgbm.items()})
        return params


@dataclass
class Corpus:
    """The resumes and requisitions of a training run, their split and the label mapping."""

    resumes: list[LabelledResume]
    jobs: list[JobPosting]
    split: GroupSplit
    mapping: WeakLabelMapping

    def fingerprints(self) -> dict[str, str]:
        """Short hashes of what went in (ids and texts), to tell data versions apart."""

        def digest(items: Sequence[LabelledResume | JobPosting]) -> str:
            h = hashlib.sha256()
            for item in sorted(items, key=lambda i: i.id):
                h.update(item.id.encode())
                h.update(hashlib.sha256(item.text.encode()).digest())
            return h.hexdigest()[:16]

        return {
            "resumes": digest(self.resumes),
            "jobs": digest(self.jobs),
            "weak_labels": self.mapping.version,
        }


def _sample(items: Sequence[T], n: int, seed: int) -> list[T]:
    if len(items) <= n:
        return list(items)
    chosen = np.random.default_rng(seed).choice(len(items), size=n, replace=False)
    return [items[i] for i in sorted(chosen)]


def load_corpus(config: TrainingConfig, data_dir: Path | None = None) -> Corpus:
    """Read the shared data, sample it per the configuration, and split it by group."""
    mapping = load_weak_labels()
    resumes = sample_per_category(
        load_livecareer(data_dir), config.resumes_per_category, seed=config.seed
    )
    jobs: list[JobPosting] = []
    pool = [*load_job_postings(data_dir), *load_occupation_profiles(data_dir, mapping=mapping)]
    for source, limit in config.jobs_per_source.items():
        graded = [j for j in pool if j.source == source and mapping.grades(j)]
        jobs.extend(_sample(graded, limit, config.seed))
    split = split_by_group(resumes, jobs, seed=config.seed, mapping=mapping)
    return Corpus(resumes=resumes, jobs=jobs, split=split, mapping=mapping)


# -- parsing, cached on disk by text hash ------------------------------------------------
def _cached(
    kind: str,
    texts: Sequence[str],
    parse: Callable[[str], T],
    load: Callable[[str], T],
    cache_dir: Path | None,
    progress: Progress,
) -> list[T]:
    out: list[T] = []
    folder = cache_dir / kind if cache_dir else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts):
        path = folder / f"{hashlib.sha256(text.encode()).hexdigest()}.json" if folder else None
        if path is not None and path.is_file():
            out.append(load(path.read_text(encoding="utf-8")))
        else:
            parsed = parse(text)
            if path is not None:
                path.write_text(parsed.model_dump_json(), encoding="utf-8")  # type: ignore[attr-defined]
            out.append(parsed)
        progress(f"parsing {kind}", i + 1, len(texts))
    return out


def parser_fingerprint() -> str:
    """Which parser would run now: the package version and the trained models it would load
    (a cached parse from another parser must not be reused)."""
    import matching
    from matching.settings import get_settings

    settings = get_settings()
    h = hashlib.sha256(matching.__version__.encode())
    # The parser's own code and configuration: a change to a rule changes the parse.
    package = Path(matching.__file__).parent
    for source in sorted((package / "parsing").glob("*.*")):
        if source.suffix in {".py", ".cfg"}:
            h.update(source.read_bytes())
    for folder in (settings.field_model_path(), settings.models_dir / "skills"):
        meta = folder / "meta.json"
        h.update(str(folder).encode())
        if meta.is_file():
            h.update(meta.read_bytes())
            h.update(str(meta.stat().st_mtime_ns).encode())
    return h.hexdigest()[:12]


def parse_corpus(
    corpus: Corpus, *, cache_dir: Path | None = None, progress: Progress = _quiet
) -> tuple[dict[str, Profile], dict[str, Requisition]]:
    """Parse every resume and requisition (cached in ``cache_dir`` by text hash and parser)."""
    from matching.parsing import parse_requisition_text, parse_resume_text

    if cache_dir is not None:
        cache_dir = cache_dir / parser_fingerprint()

    profiles = _cached(
        "resumes",
        [r.text for r in corpus.resumes],
        parse_resume_text,
        Profile.model_validate_json,
        cache_dir,
        progress,
    )
    requisitions = _cached(
        "requisitions",
        [j.text for j in corpus.jobs],
        parse_requisition_text,
        Requisition.model_validate_json,
        cache_dir,
        progress,
    )
    return (
        {r.id: p for r, p in zip(corpus.resumes, profiles, strict=True)},
        {j.id: q for j, q in zip(corpus.jobs, requisitions, strict=True)},
    )


# -- features -----------------------------------------------------------------------------
@dataclass
class FeatureTable:
    """Pair features with labels, rows grouped by requisition (consecutive rows)."""

    X: NDArray[np.float64]
    y: NDArray[np.float64]
    job_ids: NDArray[np.str_]
    resume_ids: NDArray[np.str_]

    @property
    def group(self) -> NDArray[np.int64]:
        """Rows per requisition, in order."""
        return group_sizes(self.job_ids)

    def __len__(self) -> int:
        return len(self.y)


def fit_bm25(corpus: Corpus, profiles: dict[str, Profile]) -> BM25:
    """BM25 statistics from the training resumes (neutralised like every scored text)."""
    train = corpus.split.train.resume_ids
    return BM25().fit(
        tokenize(keyword_text(r.text, profiles[r.id])) for r in corpus.resumes if r.id in train
    )


def _batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def prepare_documents(
    featurizer: Featurizer,
    corpus: Corpus,
    profiles: dict[str, Profile],
    requisitions: dict[str, Requisition],
    *,
    progress: Progress = _quiet,
) -> tuple[dict[str, PreparedCandidate], dict[str, PreparedRequisition]]:
    """Embed and prepare every resume and requisition once."""
    candidates: dict[str, PreparedCandidate] = {}
    done = 0
    for batch in _batches(corpus.resumes, 32):
        prepared = featurizer.prepare_candidates([(r.id, r.text, profiles[r.id]) for r in batch])
        candidates.update((c.candidate_id, c) for c in prepared)
        done += len(batch)
        progress("embedding resumes", done, len(corpus.resumes))
    jobs: dict[str, PreparedRequisition] = {}
    for i, job in enumerate(corpus.jobs):
        jobs[job.id] = featurizer.prepare_requisition(job.text, requisitions[job.id])
        progress("embedding requisitions", i + 1, len(corpus.jobs))
    return candidates, jobs


def feature_table(
    featurizer: Featurizer,
    pairs: pd.DataFrame,
    candidates: dict[str, PreparedCandidate],
    jobs: dict[str, PreparedRequisition],
    *,
    progress: Progress = _quiet,
    stage: str = "features",
) -> FeatureTable:
    """Features of ``pairs`` (columns ``job_id, resume_id, label``), grouped by job."""
    ordered = pairs.sort_values(["job_id", "resume_id"], kind="stable").reset_index(drop=True)
    blocks: list[NDArray[np.float64]] = []
    groups = list(ordered.groupby("job_id", sort=False))
    for i, (job_id, rows) in enumerate(groups):
        blocks.append(
            featurizer.features(jobs[str(job_id)], [candidates[r] for r in rows["resume_id"]])
        )
        progress(stage, i + 1, len(groups))
    width = len(FEATURE_NAMES)
    return FeatureTable(
        X=np.vstack(blocks) if blocks else np.zeros((0, width)),
        y=ordered["label"].to_numpy(dtype=np.float64),
        job_ids=ordered["job_id"].to_numpy(dtype=str),
        resume_ids=ordered["resume_id"].to_numpy(dtype=str),
    )


def all_pairs(corpus: Corpus, part: str, *, max_jobs: int, seed: int) -> pd.DataFrame:
    """Every (job, resume) pair of a split with its weak grade: how evaluation sees a pool."""
    split = getattr(corpus.split, part)
    resumes = [r for r in corpus.resumes if r.id in split.resume_ids]
    jobs = _sample([j for j in corpus.jobs if j.id in split.job_ids], max_jobs, seed)
    rows = [
        (job.id, resume.id, corpus.mapping.grade(resume.category, job))
        for job in jobs
        for resume in resumes
    ]
    return pd.DataFrame(rows, columns=["job_id", "resume_id", "label"])


def training_pairs(corpus: Corpus, config: TrainingConfig) -> pd.DataFrame:
    """Sampled graded pairs and hard negatives, drawn inside the training split only."""
    split = corpus.split.train
    return build_ranking_pairs(
        [r for r in corpus.resumes if r.id in split.resume_ids],
        [j for j in corpus.jobs if j.id in split.job_ids],
        positives_per_job=config.positives_per_job,
        hard_negatives_per_job=config.hard_negatives_per_job,
        random_negatives_per_job=config.random_negatives_per_job,
        seed=config.seed,
        mapping=corpus.mapping,
    )


# -- fitting and evaluation -----------------------------------------------------------------
def fit_rankers(
    train: FeatureTable, valid: FeatureTable, config: TrainingConfig
) -> dict[str, Ranker]:
    """The learned rankers and both baselines, fitted (baselines need no data)."""
    lgbm = LightGBMRanker(random_state=config.seed, **config.lightgbm)
    lgbm.fit(train.X, train.y, group=train.group, eval_set=(valid.X, valid.y, valid.group))
    linear = LinearRanker(random_state=config.seed).fit(train.X, train.y, group=train.group)
    return {
        "lightgbm": lgbm,
        "linear": linear,
        "bm25": bm25_baseline().fit(train.X),
        "cosine": cosine_baseline().fit(train.X),
    }


def evaluate(rankers: dict[str, Ranker], table: FeatureTable) -> pd.DataFrame:
    """Metrics per model, per requisition (rank candidates) and per candidate (rank jobs)."""
    rows = []
    for name, ranker in rankers.items():
        scores = ranker.predict(table.X)
        for direction, groups in (
            ("per requisition", table.job_ids),
            ("per candidate", table.resume_ids),
        ):
            metrics = evaluate_groups(table.y, scores, groups, ks=(5, 10))
            rows.append({"model": name, "direction": direction, **metrics})
    return pd.DataFrame(rows)


@dataclass
class TrainingResult:
    """Everything a training run produced."""

    models: dict[str, CandidateRanker]
    metrics: pd.DataFrame
    valid_metrics: pd.DataFrame
    corpus: Corpus
    sizes: dict[str, int]
    timings: dict[str, float]
    test_scores: pd.DataFrame


def train_rankers(
    config: TrainingConfig,
    encoder: Encoder,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress = _quiet,
) -> TrainingResult:
    """Run every step and return the fitted pipelines with their held-out evaluation."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    corpus = load_corpus(config, data_dir)
    lap("load")
    profiles, requisitions = parse_corpus(corpus, cache_dir=cache_dir, progress=progress)
    lap("parse")
    bm25 = fit_bm25(corpus, profiles)
    featurizer = Featurizer(encoder, bm25)
    candidates, jobs = prepare_documents(
        featurizer, corpus, profiles, requisitions, progress=progress
    )
    lap("embed")
    tables = {
        "train": training_pairs(corpus, config),
        **{
            part: all_pairs(corpus, part, max_jobs=config.max_eval_jobs, seed=config.seed)
            for part in ("valid", "test")
        },
    }
    train, valid, test = (
        feature_table(
            featurizer, pairs, candidates, jobs, progress=progress, stage=f"features ({part})"
        )
        for part, pairs in tables.items()
    )
    lap("features")
    rankers = fit_rankers(train, valid, config)
    models: dict[str, CandidateRanker] = {}
    for name, ranker in rankers.items():
        calibrator = ScoreCalibrator().fit(ranker.predict(valid.X), valid.y)
        models[name] = CandidateRanker(
            ranker=ranker,
            calibrator=calibrator,
            bm25=bm25,
            embedding_model=encoder.model_id,
            knockouts=KnockoutRules.from_settings(),
            metadata={"model": name, "weak_labels": corpus.mapping.version},
        )
    lap("fit")
    metrics = evaluate(rankers, test)
    valid_metrics = evaluate(rankers, valid)
    best = models["lightgbm"]
    test_scores = pd.DataFrame(
        {
            "job_id": test.job_ids,
            "resume_id": test.resume_ids,
            "label": test.y,
            "score": best.calibrator.transform(best.ranker.predict(test.X)),
        }
    )
    lap("evaluate")
    sizes = {
        "resumes": len(corpus.resumes),
        "jobs": len(corpus.jobs),
        "train_pairs": len(train),
        "valid_pairs": len(valid),
        "test_pairs": len(test),
        "train_groups": len(train.group),
        "test_jobs": len(set(test.job_ids.tolist())),
        "test_resumes": len(set(test.resume_ids.tolist())),
    }
    return TrainingResult(
        models=models,
        metrics=metrics,
        valid_metrics=valid_metrics,
        corpus=corpus,
        sizes=sizes,
        timings=timings,
        test_scores=test_scores,
    )


def describe(result: TrainingResult) -> str:
    """A JSON summary of sizes, timings and fingerprints."""
    return json.dumps(
        {"sizes": result.sizes, "timings": result.timings, "data": result.corpus.fingerprints()},
        indent=2,
    )


def evaluate_model(
    model: CandidateRanker,
    config: TrainingConfig,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress = _quiet,
) -> pd.DataFrame:
    """Held-out metrics of a trained pipeline beside both baselines, on the test split that
    ``config`` (same seed and sampling as training) defines."""
    corpus = load_corpus(config, data_dir)
    profiles, requisitions = parse_corpus(corpus, cache_dir=cache_dir, progress=progress)
    featurizer = model.featurizer()
    test_pairs = all_pairs(corpus, "test", max_jobs=config.max_eval_jobs, seed=config.seed)
    used = set(test_pairs["resume_id"]), set(test_pairs["job_id"])
    subset = Corpus(
        resumes=[r for r in corpus.resumes if r.id in used[0]],
        jobs=[j for j in corpus.jobs if j.id in used[1]],
        split=corpus.split,
        mapping=corpus.mapping,
    )
    candidates, jobs = prepare_documents(
        featurizer, subset, profiles, requisitions, progress=progress
    )
    test = feature_table(featurizer, test_pairs, candidates, jobs, progress=progress)
    rankers: dict[str, Ranker] = {
        "model": model.ranker,
        "bm25": bm25_baseline().fit(test.X),
        "cosine": cosine_baseline().fit(test.X),
    }
    return evaluate(rankers, test)
