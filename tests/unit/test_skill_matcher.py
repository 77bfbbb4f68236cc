"""Tests of the ``matching_skills`` spaCy component on a hand-made vocabulary."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from matching.taxonomy import (
    Concept,
    SkillMatcher,
    SkillVocabulary,
    SurfaceForm,
    load_skill_vocabulary,
    skill_vocabulary_v1,
)

R = "http://data.europa.eu/esco/skill/r"
PYTHON = "http://data.europa.eu/esco/skill/python"
CPP = "http://data.europa.eu/esco/skill/cpp"
SQL = "onet:tech:sql"
SQL_SERVER = "onet:tech:microsoft-sql-server"
EXCEL = "onet:tech:microsoft-excel"
GO = "onet:tech:go"
DOTNET = "onet:tech:microsoft-net-framework"
ML = "http://data.europa.eu/esco/skill/ml"
COMMUNICATION = "http://data.europa.eu/esco/skill/communication"
FIRST_AID = "http://data.europa.eu/esco/skill/first-aid"


@pytest.fixture(scope="module")
def vocabulary() -> SkillVocabulary:
    """A few concepts with the kinds of forms the real vocabulary has."""
    concepts = [
        Concept(R, "R", "esco", "technology"),
        Concept(PYTHON, "Python (computer programming)", "esco", "technology", hot=True),
        Concept(CPP, "C++", "esco", "technology"),
        Concept(SQL, "Structured query language SQL", "onet", "technology"),
        Concept(SQL_SERVER, "Microsoft SQL Server", "onet", "technology"),
        Concept(EXCEL, "Microsoft Excel", "onet", "technology"),
        Concept(GO, "Go", "onet", "technology"),
        Concept(DOTNET, "Microsoft .NET Framework", "onet", "technology"),
        Concept(ML, "machine learning", "esco", "knowledge"),
        Concept(COMMUNICATION, "communication", "esco", "skill"),
        Concept(FIRST_AID, "first aid", "esco", "knowledge"),
    ]
    forms = [
        SurfaceForm("R", R, case_sensitive=True, ambiguous=True),
        SurfaceForm("python", PYTHON),
        SurfaceForm("c++", CPP),
        SurfaceForm("SQL", SQL, case_sensitive=True),
        SurfaceForm("sql server", SQL_SERVER),
        SurfaceForm("microsoft excel", EXCEL),
        SurfaceForm("Excel", EXCEL, case_sensitive=True, ambiguous=True),
        SurfaceForm("Go", GO, case_sensitive=True, ambiguous=True),
        SurfaceForm(".net framework", DOTNET),
        SurfaceForm("machine learning", ML),
        SurfaceForm("communication", COMMUNICATION, stop=True),
        SurfaceForm("first aid", FIRST_AID),
    ]
    return SkillVocabulary(concepts, forms)


@pytest.fixture(scope="module")
def blank() -> Language:
    """A blank English pipeline: its tokenizer is all the matcher needs."""
    return spacy.blank("en")


@pytest.fixture(scope="module")
def matcher(blank: Language, vocabulary: SkillVocabulary) -> SkillMatcher:
    """The component over the hand-made vocabulary, with its default settings."""
    return SkillMatcher(blank, vocabulary)


def _found(matcher: SkillMatcher, text: str) -> list[tuple[str, str]]:
    doc = matcher(matcher.nlp.make_doc(text))
    return [(span.text, span.kb_id_) for span in doc.spans[matcher.spans_key]]


def test_spans_have_label_and_concept_id(matcher: SkillMatcher) -> None:
    """Each mention is a span labelled SKILL whose kb_id_ is the concept id."""
    doc = matcher(matcher.nlp.make_doc("Built models with Python."))
    (span,) = doc.spans["skills"]
    assert (span.text, span.label_, span.kb_id_) == ("Python", "SKILL", PYTHON)


def test_case_insensitive_forms_match_any_case(matcher: SkillMatcher) -> None:
    """Ordinary forms match in any case."""
    assert _found(matcher, "PYTHON and Machine Learning") == [
        ("PYTHON", PYTHON),
        ("Machine Learning", ML),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Skills: R, Python", [("R", R), ("Python", PYTHON)]),
        ("skills: r, python", [("python", PYTHON)]),
        ("Languages: Go, Python", [("Go", GO), ("Python", PYTHON)]),
        ("Go to the office and talk about Python.", [("Python", PYTHON)]),
    ],
)
def test_ambiguous_names_are_case_sensitive_and_need_a_neighbour(
    matcher: SkillMatcher, text: str, expected: list[tuple[str, str]]
) -> None:
    """ "R" and "Go" count only capitalised and next to another technology."""
    assert _found(matcher, text) == expected


def test_ambiguous_technology_needs_a_technology_neighbour(matcher: SkillMatcher) -> None:
    """A non-technology skill next to "Go" does not make it a programming language."""
    assert _found(matcher, "Go, first aid") == [("first aid", FIRST_AID)]


def test_ambiguous_name_alone_in_prose_is_kept(matcher: SkillMatcher) -> None:
    """A capitalised name alone inside lower-case prose is a name ("built in Excel for")."""
    assert _found(matcher, "reports were built in Excel for the team") == [("Excel", EXCEL)]


def test_ambiguous_name_after_a_capital_is_dropped(matcher: SkillMatcher) -> None:
    """A capital after a capitalised word is a heading or title, not a product."""
    assert _found(matcher, "We Excel At Service") == []


@pytest.mark.parametrize(
    "text", ["Handled A/R and billing with Python", "Met C-level and R people"]
)
def test_ambiguous_letter_glued_to_a_code_is_dropped(matcher: SkillMatcher, text: str) -> None:
    """ "R" in "A/R" and "C" in "C-level" are parts of codes, not languages."""
    assert all(span_id != R for _, span_id in _found(matcher, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Python, lathes. Go, home", [("Python", PYTHON)]),
        ("Excel 2010, welding, SQL", [("Excel", EXCEL), ("SQL", SQL)]),
        ("R and Python", [("R", R), ("Python", PYTHON)]),
        ("R\nPython", [("R", R), ("Python", PYTHON)]),
        ("Go home with Python", [("Python", PYTHON)]),
    ],
)
def test_ambiguous_name_must_be_a_list_item_in_the_same_sentence(
    matcher: SkillMatcher, text: str, expected: list[tuple[str, str]]
) -> None:
    """The ambiguous name is delimited like a list item, and no sentence end intervenes."""
    assert _found(matcher, text) == expected


def test_negative_context_window_keeps_every_ambiguous_mention(
    vocabulary: SkillVocabulary,
) -> None:
    """``context_window=-1`` switches the neighbour rule off."""
    permissive = SkillMatcher(spacy.blank("en"), vocabulary, context_window=-1)
    assert _found(permissive, "Go home") == [("Go", GO)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Microsoft Excel, SQL", [("Microsoft Excel", EXCEL), ("SQL", SQL)]),
        ("SQL Server and C++", [("SQL Server", SQL_SERVER), ("C++", CPP)]),
    ],
)
def test_longest_match_wins(
    matcher: SkillMatcher, text: str, expected: list[tuple[str, str]]
) -> None:
    """Overlapping mentions resolve to the longest ("SQL Server" over "SQL")."""
    assert _found(matcher, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C++ and .NET Framework", [("C++", CPP), (".NET Framework", DOTNET)]),
        ("python/C++", [("python", PYTHON), ("C++", CPP)]),
    ],
)
def test_symbols_in_names_are_matched(
    matcher: SkillMatcher, text: str, expected: list[tuple[str, str]]
) -> None:
    """Names with "+" or a leading "." are matched whole."""
    assert _found(matcher, text) == expected


def test_stoplisted_forms_are_not_matched(matcher: SkillMatcher) -> None:
    """A form flagged ``stop`` is never matched in text."""
    assert _found(matcher, "communication and Python") == [("Python", PYTHON)]


def test_spans_key_is_configurable(vocabulary: SkillVocabulary) -> None:
    """Spans go to the ``spans_key`` given."""
    keyed = SkillMatcher(spacy.blank("en"), vocabulary, spans_key="sk")
    assert _found(keyed, "Python") == [("Python", PYTHON)]


def test_matcher_leaves_the_tokenizer_cache_size(vocabulary: SkillVocabulary) -> None:
    """Building the matcher does not change the tokenizer's cache size."""
    pipeline = spacy.blank("en")
    size = pipeline.tokenizer.max_cache_size  # type: ignore[attr-defined]
    SkillMatcher(pipeline, vocabulary)
    assert pipeline.tokenizer.max_cache_size == size  # type: ignore[attr-defined]


def test_misc_function_loads_a_vocabulary_from_a_path() -> None:
    """``matching.skill_vocabulary.v1`` with a path loads that file."""
    from matching.taxonomy._vocabulary import data_dir

    assert skill_vocabulary_v1(str(data_dir())) is load_skill_vocabulary()


@pytest.mark.slow
def test_factory_with_a_vocabulary_path() -> None:
    """``nlp.add_pipe`` resolves the vocabulary through the registered misc function."""
    from matching.taxonomy._vocabulary import data_dir

    pipeline = spacy.blank("en")
    config = {"vocabulary": {"@misc": "matching.skill_vocabulary.v1", "path": str(data_dir())}}
    component = pipeline.add_pipe("matching_skills", config=config)
    assert isinstance(component, SkillMatcher)
    assert component.vocabulary is load_skill_vocabulary()


@pytest.mark.slow
def test_default_config_uses_the_shipped_vocabulary() -> None:
    """With the default config the component matches with the shipped vocabulary."""
    pipeline = spacy.blank("en")
    pipeline.add_pipe("matching_skills")
    doc = pipeline("Skills: R, Python, SQL, Microsoft Excel, C++. Go to the office.")
    found = [span.text for span in doc.spans["skills"]]
    assert found == ["R", "Python", "SQL", "Microsoft Excel", "C++"]
    assert doc.spans["skills"][1].kb_id_.startswith("http://data.europa.eu/esco/skill/")
