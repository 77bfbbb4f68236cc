"""A tiny, real ranking pipeline (2 postings × 4 hand-written resumes) for tests."""

from __future__ import annotations

import numpy as np

from matching.features import BM25, Featurizer, load_encoder, tokenize
from matching.parsing import parse_requisition_text, parse_resume_text
from matching.ranking import CandidateRanker, LightGBMRanker, ScoreCalibrator

JOBS = {
    "data": (
        "Senior Data Engineer\n"
        "Minimum qualifications\n"
        "- 5+ years of experience in data engineering.\n"
        "- Strong Python, SQL, Apache Spark and Apache Kafka.\n"
        "Preferred qualifications\n"
        "- Airflow and dbt.\n"
    ),
    "nurse": (
        "Registered Nurse\n"
        "Requirements\n"
        "- 3+ years of experience in acute care.\n"
        "- BLS and ACLS certification.\n"
        "- Patient assessment and medication administration.\n"
    ),
}
RESUMES = {
    "ada": (
        "Ada Moreau\nData Engineer\nSkills\nPython, SQL, Apache Spark, Apache Kafka, Airflow, dbt\n"
        "Experience\nData Engineer, Northwind, 2016 - Present\n- Built Spark and Kafka pipelines.\n"
    ),
    "ben": (
        "Ben Li\nRegistered Nurse\nSkills\nPatient assessment, medication administration, BLS, "
        "ACLS\nExperience\nRegistered Nurse, City Hospital, 2018 - Present\n- Acute care ward.\n"
    ),
    "chris": (
        "Chris Doe\nSales Associate\nSkills\nCustomer service, cash handling\n"
        "Experience\nSales Associate, Corner Shop, 2020 - Present\n"
    ),
    "dana": (
        "Dana Roe\nSoftware Developer\nSkills\nPython, Java, SQL\n"
        "Experience\nSoftware Developer, Contoso, 2019 - Present\n- Wrote Python services.\n"
    ),
}
LABELS = {
    "data": {"ada": 3, "ben": 0, "chris": 0, "dana": 2},
    "nurse": {"ada": 0, "ben": 3, "chris": 1, "dana": 0},
}


def build_tiny_ranker() -> CandidateRanker:
    """A pipeline fitted on 2 postings × 4 hand-written resumes (LightGBM lambdarank)."""
    encoder = load_encoder()
    bm25 = BM25().fit(tokenize(text) for text in [*JOBS.values(), *RESUMES.values()])
    featurizer = Featurizer(encoder, bm25)
    candidates = featurizer.prepare_candidates(
        [(cid, text, parse_resume_text(text)) for cid, text in RESUMES.items()]
    )
    blocks, labels = [], []
    for job, text in JOBS.items():
        prepared = featurizer.prepare_requisition(text, parse_requisition_text(text))
        blocks.append(featurizer.features(prepared, candidates))
        labels += [LABELS[job][cid] for cid in RESUMES]
    X, y = np.vstack(blocks), np.asarray(labels, dtype=float)
    ranker = LightGBMRanker(n_estimators=20, min_child_samples=1).fit(
        X, y, group=[len(RESUMES)] * len(JOBS)
    )
    return CandidateRanker(
        ranker=ranker,
        calibrator=ScoreCalibrator().fit(ranker.predict(X), y),
        bm25=bm25,
        embedding_model=encoder.model_id,
    )
