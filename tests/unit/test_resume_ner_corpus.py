"""The DataTurks loader: span repair, label mapping, overlaps and the deterministic split."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from matching.datasets._resume_ner import (
    LABEL_MAP,
    NER_LABELS,
    AnnotatedResume,
    Span,
    alignment_stats,
    load_dataturks,
    split_dataturks,
)
from matching.errors import ConfigError


def point(label: str, start: int, end_inclusive: int, text: str) -> dict[str, Any]:
    """One DataTurks annotation with a single point (``end`` inclusive, as in the source)."""
    return {"label": [label], "points": [{"start": start, "end": end_inclusive, "text": text}]}


def at(content: str, text: str, label: str, *, occurrence: int = 0) -> dict[str, Any]:
    """A correct annotation of the ``occurrence``-th ``text`` in ``content``."""
    start = -1
    for _ in range(occurrence + 1):
        start = content.index(text, start + 1)
    return point(label, start, start + len(text) - 1, text)


def load_one(tmp_path: Path, content: str, *annotations: dict[str, Any]) -> AnnotatedResume:
    """Write one record as JSON lines and load it back."""
    path = tmp_path / "traindata.json"
    path.write_text(json.dumps({"content": content, "annotation": list(annotations)}) + "\n")
    (doc,) = load_dataturks(path)
    return doc


def texts(doc: AnnotatedResume, spans: tuple[Span, ...]) -> list[tuple[str, str]]:
    """``(label, text)`` of each span, for readable assertions."""
    return [(s.label, doc.text[s.start : s.end]) for s in spans]


def test_inclusive_end_becomes_exclusive(tmp_path: Path) -> None:
    """A source ``end`` that points at the last character gives a span ending after it."""
    doc = load_one(tmp_path, "Jane Doe\nEngineer", point("Name", 0, 7, "Jane Doe"))
    assert doc.spans == (Span(0, 8, "NAME"),)


def test_shifted_span_moves_to_the_nearest_occurrence(tmp_path: Path) -> None:
    """A span whose offsets miss its text is moved to the closest place the text occurs."""
    content = "Oracle then Infosys, then Oracle again"
    second = content.rindex("Oracle")
    shifted = point("Companies worked at", second - 4, second + 1, "Oracle")
    doc = load_one(tmp_path, content, shifted)
    assert doc.spans == (Span(second, second + 6, "COMPANY"),)
    assert (doc.stats.realigned, doc.stats.searched) == (1, 1)


def test_character_references_are_decoded_and_offsets_follow(tmp_path: Path) -> None:
    """Offsets counted on decoded text ('&' for '&amp;') select their text once decoded."""
    content = "R&amp;D lead at Oracle"
    start = len("R&D lead at ")
    doc = load_one(tmp_path, content, point("Companies worked at", start, start + 5, "Oracle"))
    assert doc.text == "R&D lead at Oracle"
    assert texts(doc, doc.spans) == [("COMPANY", "Oracle")]
    assert (doc.stats.realigned, doc.stats.searched) == (1, 0)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" Senior Engineer\n", "Senior Engineer"),
        ("Bengaluru, ", "Bengaluru"),
        ("• Team Lead -", "Team Lead"),
        ("B.E.", "B.E."),
    ],
)
def test_whitespace_and_dangling_separators_are_trimmed(
    tmp_path: Path, given: str, expected: str
) -> None:
    """Leading/trailing whitespace and separators go; a final full stop stays."""
    content = f"Header\n{given}\nFooter"
    doc = load_one(tmp_path, content, at(content, given, "Designation"))
    assert texts(doc, doc.spans) == [("TITLE", expected)]


def test_overlapping_spans_keep_the_longest(tmp_path: Path) -> None:
    """Of nested spans the NER view keeps the longer one; the evaluation view keeps both."""
    content = "Senior Technical Lead at Amazon Development Centre"
    doc = load_one(
        tmp_path,
        content,
        at(content, "Technical Lead", "Designation"),
        at(content, "Senior Technical Lead", "Designation"),
        at(content, "Amazon", "Companies worked at"),
        at(content, "Amazon Development Centre", "Companies worked at"),
    )
    assert texts(doc, doc.spans) == [
        ("TITLE", "Senior Technical Lead"),
        ("COMPANY", "Amazon Development Centre"),
    ]
    assert len(doc.annotations) == 4
    assert doc.stats.dropped_overlap == 2


def test_overlap_across_labels_keeps_the_longest(tmp_path: Path) -> None:
    """A location inside an institution's name gives way to the institution."""
    content = "Pune University, 2012"
    doc = load_one(
        tmp_path,
        content,
        at(content, "Pune", "Location"),
        at(content, "Pune University", "College Name"),
    )
    assert texts(doc, doc.spans) == [("INSTITUTION", "Pune University")]


def test_span_across_a_blank_line_is_left_out_of_training(tmp_path: Path) -> None:
    """A span that swallows the next paragraph is an annotation slip: no NER span."""
    content = "M.Sc in Physics\n\nDelhi University"
    doc = load_one(tmp_path, content, at(content, content, "Degree"))
    assert doc.spans == ()
    assert doc.values("DEGREE") == [content]
    assert doc.stats.dropped_blank_line == 1


@pytest.mark.parametrize(
    ("source_label", "ours", "trained"),
    [
        ("Name", "NAME", True),
        ("Designation", "TITLE", True),
        ("Companies worked at", "COMPANY", True),
        ("College Name", "INSTITUTION", True),
        ("Degree", "DEGREE", True),
        ("Graduation Year", "GRAD_YEAR", True),
        ("Location", "LOCATION", True),
        ("Email Address", "EMAIL", False),
        ("Skills", "SKILLS", False),
        ("Years of Experience", "YEARS_EXPERIENCE", False),
    ],
)
def test_labels_are_mapped(tmp_path: Path, source_label: str, ours: str, trained: bool) -> None:
    """Each source label maps to ours; e-mails, skills and years are for evaluation only."""
    content = "value here"
    doc = load_one(tmp_path, content, at(content, "value", source_label))
    assert [s.label for s in doc.annotations] == [ours]
    assert (ours in NER_LABELS) is trained
    assert bool(doc.spans) is trained


@pytest.mark.parametrize("labels", [["UNKNOWN"], [], ["Skills", "Name"]])
def test_unknown_empty_or_multiple_labels_are_dropped(tmp_path: Path, labels: list[str]) -> None:
    """Spans without exactly one known label are dropped and counted."""
    record = {"label": labels, "points": [{"start": 0, "end": 5, "text": "Oracle"}]}
    doc = load_one(tmp_path, "Oracle", record)
    assert doc.annotations == ()
    assert doc.stats.dropped_label == 1


def test_text_found_nowhere_is_dropped(tmp_path: Path) -> None:
    """A span whose text does not occur in the document is dropped and counted."""
    doc = load_one(tmp_path, "Jane Doe", point("Name", 0, 7, "John Roe"))
    assert doc.annotations == ()
    assert doc.stats.dropped_unaligned == 1


def test_duplicate_spans_are_kept_once(tmp_path: Path) -> None:
    """The same span annotated twice counts once."""
    content = "Jane Doe"
    doc = load_one(tmp_path, content, at(content, content, "Name"), at(content, content, "Name"))
    assert len(doc.annotations) == 1
    assert doc.stats.dropped_duplicate == 1


def test_doc_id_is_the_sha1_of_the_content(tmp_path: Path) -> None:
    """The document id is the SHA-1 of the source content, so it is the same everywhere."""
    content = "Q&amp;A engineer"
    doc = load_one(tmp_path, content)
    assert doc.doc_id == hashlib.sha1(content.encode("utf-8")).hexdigest()


def test_missing_file_raises_a_config_error(tmp_path: Path) -> None:
    """A wrong path names the missing data folder (E200)."""
    with pytest.raises(ConfigError, match="E200"):
        load_dataturks(tmp_path / "absent.json")


def synthetic(count: int, *, seed: int = 0) -> list[AnnotatedResume]:
    """Resumes with distinct names and contents, built without the loader."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        name = f"Person {i} {rng.randrange(10**6)}"
        text = f"{name}\nEngineer"
        doc_id = hashlib.sha1(text.encode()).hexdigest()
        span = Span(0, len(name), "NAME")
        docs.append(AnnotatedResume(doc_id, text, (span,), (span,)))
    return docs


def ids(docs: list[AnnotatedResume]) -> set[str]:
    """The ids of ``docs``."""
    return {d.doc_id for d in docs}


def test_split_does_not_depend_on_order() -> None:
    """Shuffling the input gives the same two sides."""
    docs = synthetic(300)
    train, test = split_dataturks(docs, seed=7)
    shuffled = docs[:]
    random.Random(1).shuffle(shuffled)
    train2, test2 = split_dataturks(shuffled, seed=7)
    assert (ids(train), ids(test)) == (ids(train2), ids(test2))


def test_split_side_of_a_resume_does_not_depend_on_the_others() -> None:
    """A resume keeps its side when the rest of the collection changes."""
    docs = synthetic(300)
    _, test = split_dataturks(docs, seed=7)
    _, test_of_half = split_dataturks(docs[:150], seed=7)
    assert ids(test_of_half) == ids(test) & ids(docs[:150])


def test_split_has_no_leakage() -> None:
    """Every resume is on exactly one side."""
    docs = synthetic(300)
    train, test = split_dataturks(docs)
    assert ids(train).isdisjoint(ids(test))
    assert ids(train) | ids(test) == ids(docs)


def test_split_keeps_one_persons_resumes_together() -> None:
    """Two versions of the same person's resume land on the same side."""
    docs = synthetic(200)
    copies = []
    for doc in docs:
        text = doc.text + "\nUpdated"
        copies.append(AnnotatedResume(doc.doc_id + "-v2", text, doc.spans, doc.annotations))
    train, test = split_dataturks(docs + copies)
    for doc, copy in zip(docs, copies, strict=True):
        assert (doc in test) == (copy in test)
    assert train
    assert test


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.5])
def test_split_test_share_is_close_to_the_fraction(fraction: float) -> None:
    """Over 2,000 resumes the test share is within 3 points of ``test_fraction``."""
    docs = synthetic(2000)
    _, test = split_dataturks(docs, test_fraction=fraction)
    assert abs(len(test) / len(docs) - fraction) < 0.03


def test_split_seed_changes_the_split() -> None:
    """Another seed draws another test set."""
    docs = synthetic(300)
    assert ids(split_dataturks(docs, seed=1)[1]) != ids(split_dataturks(docs, seed=2)[1])


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_split_refuses_a_fraction_outside_0_1(fraction: float) -> None:
    """A test fraction outside [0, 1] is a ValueError."""
    with pytest.raises(ValueError, match="test_fraction"):
        split_dataturks(synthetic(3), test_fraction=fraction)


@pytest.fixture(scope="session")
def dataturks(data_dir: Path) -> list[AnnotatedResume]:
    """The real DataTurks resumes (skips when the data folder is absent)."""
    path = data_dir / "dataturks_resume_ner" / "traindata.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return load_dataturks(path)


@pytest.mark.data
def test_all_real_resumes_load_with_every_span_aligned(dataturks: list[AnnotatedResume]) -> None:
    """All 200 resumes load; no span is lost for want of its text."""
    assert len(dataturks) == 200
    stats = alignment_stats(dataturks)
    assert stats.dropped_unaligned == 0
    assert stats.realigned > 100  # the ~7% shifted by '&amp;' in the source


@pytest.mark.data
def test_real_spans_select_their_source_text(data_dir: Path) -> None:
    """Each repaired span holds its source text, trimmed (checked against the raw file)."""
    path = data_dir / "dataturks_resume_ner" / "traindata.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    lines = path.read_text(encoding="utf-8").splitlines()
    docs = load_dataturks(path)
    edges = " \t\r\n\f\v\u00a0,;:|•·◦▪●❖*-–—"
    for line, doc in zip(lines, docs, strict=True):
        kept = {(s.label, doc.text[s.start : s.end]) for s in doc.annotations}
        for item in json.loads(line)["annotation"]:
            if len(item["label"]) != 1 or item["label"][0] not in LABEL_MAP:
                continue
            for p in item["points"]:
                given = p["text"].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                assert (LABEL_MAP[item["label"][0]], given.strip(edges)) in kept


@pytest.mark.data
def test_real_split_is_disjoint_and_about_a_fifth(dataturks: list[AnnotatedResume]) -> None:
    """The held-out split shares no resume or person with training and is 15-25% of them."""
    train, test = split_dataturks(dataturks)
    assert ids(train).isdisjoint(ids(test))
    assert 0.15 <= len(test) / len(dataturks) <= 0.25
