"""Chunking, neutralisation, BM25, the encoder cache and pair features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching.features import (
    BM25,
    FEATURE_NAMES,
    Encoder,
    Featurizer,
    MemoryCache,
    chunk_document,
    countable,
    embed_document,
    feature_text,
    neutralise,
    tokenize,
)
from matching.parsing import parse_requisition_text, parse_resume_text
from matching.schemas import Section, Skill, SourceSpan

RESUME = """Jordan Lee
jordan.lee@example.com | +1 415 555 0100

Summary
Data engineering lead, seven years building batch and streaming pipelines. She led a team of four.

Experience
Senior Data Engineer, Acme Corp, 2019 - present
Built Spark and Kafka pipelines on AWS; SQL and Python every day.

Skills
Python, SQL, Apache Spark, Kafka, Airflow, Terraform

Interests
Church choir, marathon running
"""
JOB = """Senior Data Engineer

Requirements
5+ years of experience in data engineering. Python, SQL and Apache Spark.

Preferred qualifications
Kafka, Terraform.
"""


def test_chunks_follow_sections_and_skip_interests() -> None:
    """Each section becomes chunks with its label; hobbies never reach the embedding."""
    sections = [
        Section(label="summary", heading="Summary", start=10, end=20),
        Section(label="interests", heading="Interests", start=20, end=40),
    ]
    text = "Jordan Lee" + "Summary ok" + "Interests: choir...."
    chunks = chunk_document(text, sections)
    assert [c.label for c in chunks] == ["header", "summary"]


def test_keyword_text_leaves_out_interests() -> None:
    """What BM25 and skill matching read excludes hobbies, like the embeddings."""
    profile = parse_resume_text(RESUME)
    text = feature_text(RESUME, profile.sections)
    assert "choir" not in text
    assert "Apache Spark" in text


def test_long_sections_are_split_not_truncated() -> None:
    """A 500-word section becomes several chunks of at most max_words, losing no word."""
    body = " ".join(f"w{i}" for i in range(500))
    chunks = chunk_document(body, [], max_words=150)
    assert all(len(c.text.split()) <= 150 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == body.split()


def test_neutralise_removes_names_contacts_and_gendered_words() -> None:
    """Name parts, e-mail, phone and 'she'/'his' are gone; the rest stays."""
    text = "Jordan Lee, jordan.lee@example.com, +1 415 555 0100. She led his team. Mrs. Lee"
    clean = neutralise(text, names=["Jordan Lee"])
    assert "Jordan" not in clean
    assert "Lee" not in clean
    assert "@" not in clean
    assert "555" not in clean
    assert "They led they team." in clean


def test_a_name_run_on_into_the_headline_removes_only_the_name() -> None:
    """A parsed name 'Mei Chen\nData' must not delete the word 'Data' from the resume."""
    clean = neutralise("Mei Chen\nData Engineer. O'Brien-Smith wrote it.", names=["Mei Chen\nData"])
    assert "Data Engineer" in clean
    assert "Mei" not in clean
    assert "O'Brien-Smith" not in neutralise("O'Brien-Smith wrote it.", names=["O'Brien-Smith"])


@pytest.mark.parametrize(
    ("text", "concept", "counted"),
    [
        ("Terraform", "onet:tech:ibm-terraform", True),
        ("dbt", None, True),
        ("build and operate data pipelines", None, False),
        ("Bachelor's degree", None, False),
    ],
)
def test_which_posting_skills_count(text: str, concept: str | None, counted: bool) -> None:
    """Linked skills and short unlinked ones count; long phrases and degrees do not."""
    skill = Skill(label=text, concept_id=concept, source=SourceSpan(start=0, end=1, text=text))
    assert countable(skill) is counted


def test_tokenize_keeps_programming_symbols() -> None:
    """C++ and C# survive tokenisation; stop words go."""
    assert tokenize("The C++ and C# developer") == ["c++", "c#", "developer"]


def test_bm25_by_hand() -> None:
    """One matching term: idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgdl))."""
    docs = [["python", "sql"], ["java"], ["python"]]
    bm25 = BM25().fit(docs)
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    norm = 1.2 * (1 - 0.75 + 0.75 * 2 / (4 / 3))
    assert bm25.score(["python"], docs[0]) == pytest.approx(idf * 2.2 / (1 + norm))
    assert bm25.score(["python"], docs[1]) == 0


def test_encoder_cache_avoids_recomputation(encoder: Encoder) -> None:
    """A text embedded once is served from the cache the second time."""
    cache = MemoryCache()
    fresh = Encoder(encoder.model, model_id=encoder.model_id, cache=cache)
    first = fresh.encode(["a unique sentence for the cache test"])
    assert len(cache) == 1
    fresh.model = None  # type: ignore[assignment]  # any call into the model would now fail
    again = fresh.encode(["a unique sentence for the cache test"])
    np.testing.assert_array_equal(first, again)


def test_vectors_are_normalised(encoder: Encoder) -> None:
    """Vectors have unit length, so a dot product is the cosine."""
    vectors = encoder.encode(["data engineer", "pastry chef"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def featurizer(encoder: Encoder) -> Featurizer:
    return Featurizer(encoder, BM25().fit([tokenize(RESUME), tokenize(JOB), ["chef"]]))


def _features(featurizer: Featurizer, resume: str, job: str = JOB) -> dict[str, float]:
    candidate = featurizer.prepare_candidates([("c1", resume, parse_resume_text(resume))])
    requisition = featurizer.prepare_requisition(job, parse_requisition_text(job))
    return dict(zip(FEATURE_NAMES, featurizer.features(requisition, candidate)[0], strict=True))


def test_pair_features_of_a_fitting_resume(featurizer: Featurizer) -> None:
    """A resume naming every required skill covers them all and is semantically close."""
    features = _features(featurizer, RESUME)
    assert features["required_coverage"] == pytest.approx(1.0)
    assert features["sim_whole"] > 0.5
    assert features["bm25"] > 0


def test_pair_features_do_not_see_the_name(featurizer: Featurizer) -> None:
    """Swapping the candidate's name and pronouns leaves every feature unchanged."""
    swapped = RESUME.replace("Jordan Lee", "Lakisha Washington").replace("jordan.lee", "lw")
    swapped = swapped.replace("She led", "He led")
    a, b = _features(featurizer, RESUME), _features(featurizer, swapped)
    for name in FEATURE_NAMES:
        assert a[name] == pytest.approx(b[name], nan_ok=True, abs=1e-6), name


def test_an_added_required_skill_raises_coverage(featurizer: Featurizer) -> None:
    """Removing Spark from the resume lowers required coverage."""
    without = RESUME.replace("Apache Spark, ", "").replace("Spark and ", "")
    assert _features(featurizer, without)["required_coverage"] < 1.0


def test_document_embedding_whole_vector_is_normalised(encoder: Encoder) -> None:
    """The whole-document vector is the unit-length mean of the chunk vectors."""
    profile = parse_resume_text(RESUME)
    doc = embed_document(encoder, RESUME, profile.sections, name=profile.name)
    assert doc.vectors.shape == (len(doc.chunks), 384)
    assert float(np.linalg.norm(doc.whole)) == pytest.approx(1.0, rel=1e-5)
    assert all("Jordan" not in c.text for c in doc.chunks)


def test_a_bio_opening_with_a_name_loses_it() -> None:
    """A name in a bio's first sentence is removed even when the parser finds none."""
    from matching.features import identity_names

    text = "Jamal Jones is a certified accountant. He audits firms."
    clean = neutralise(text, names=identity_names(text, None))
    assert "Jamal" not in clean
    assert "Jones" not in clean
    assert "certified accountant" in clean


def test_every_gendered_pronoun_reads_the_same() -> None:
    """'seen him' and 'seen her' become the same words, so swaps cannot move a feature."""
    assert neutralise("We have seen him work.") == neutralise("We have seen her work.")
    assert neutralise("Mr. Lynch and Ms. Lynch") == neutralise("Ms. Lynch and Mr. Lynch")
    assert "MS degree" in neutralise("She holds an MS degree and will not miss a deadline.")
    assert "miss a deadline" in neutralise("She will not miss a deadline.")
