"""Loading and running the skill tagger (matching.parsing._skilltagger)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from matching.errors import ConfigError
from matching.parsing._skilltagger import SPANS_KEY, TaggedSpan, load_skill_tagger
from matching.settings import get_settings


def rule_pipeline(
    skill_patterns: list[str], knowledge_patterns: list[str], *, names: tuple[str, str]
) -> Language:
    """A stand-in for the trained model: entity rulers where the two NERs would be."""
    nlp = spacy.blank("en")
    for name, label, patterns in (
        (names[0], "SKILL", skill_patterns),
        (names[1], "KNOWLEDGE", knowledge_patterns),
    ):
        ruler = nlp.add_pipe("entity_ruler", name=name)
        ruler.add_patterns([{"label": label, "pattern": p} for p in patterns])  # type: ignore[attr-defined]
        nlp.add_pipe("matching_ents_to_spans", name=f"{name}_spans")
    return nlp


def test_load_skill_tagger_returns_none_when_absent(tmp_path: Path) -> None:
    """No model at the path means no tagger, not an error."""
    assert load_skill_tagger(tmp_path / "skills") is None


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.mkdir(), id="empty-folder"),
        pytest.param(lambda p: p.write_text("not a model"), id="a-file"),
        pytest.param(
            lambda p: (p.mkdir(), (p / "config.cfg").write_text("[nlp\nbroken")), id="bad-config"
        ),
    ],
)
def test_load_skill_tagger_refuses_a_broken_model(tmp_path: Path, make: object) -> None:
    """Something at the path that spaCy cannot load raises ConfigError E201."""
    path = tmp_path / "skills"
    make(path)  # type: ignore[operator]
    with pytest.raises(ConfigError) as caught:
        load_skill_tagger(path)
    assert caught.value.code == "E201"


def test_load_skill_tagger_refuses_another_pipeline(tmp_path: Path) -> None:
    """A loadable pipeline without the two NER heads raises ConfigError E201."""
    spacy.blank("en").to_disk(tmp_path / "skills")
    with pytest.raises(ConfigError, match="ner_skill"):
        load_skill_tagger(tmp_path / "skills")


def test_tag_returns_overlapping_spans_with_char_offsets(tmp_path: Path) -> None:
    """Skill and knowledge spans may overlap; offsets index the text as given."""
    rule_pipeline(
        ["develop Python services"], ["Python"], names=("ner_skill", "ner_knowledge")
    ).to_disk(tmp_path / "skills")
    tagger = load_skill_tagger(tmp_path / "skills")
    assert tagger is not None
    text = "You develop Python services."
    assert tagger.tag([text, "Nothing here."]) == [
        [
            TaggedSpan(start=4, end=27, label="SKILL", text="develop Python services"),
            TaggedSpan(start=12, end=18, label="KNOWLEDGE", text="Python"),
        ],
        [],
    ]


def test_ents_to_spans_clears_entities_for_the_next_component() -> None:
    """After the component, the entities sit in the span group and doc.ents is empty."""
    nlp = rule_pipeline(["SQL"], ["Oracle"], names=("ner_skill", "ner_knowledge"))
    doc = nlp("Write SQL.")
    assert doc.ents == ()
    assert [(s.text, s.label_) for s in doc.spans[SPANS_KEY]] == [("SQL", "SKILL")]


@pytest.fixture(scope="session")
def trained_tagger_path() -> Path:
    """The trained model under models/skills; tests that need it skip when it is absent."""
    path = get_settings().models_dir / "skills"
    if not path.exists():
        pytest.skip("models/skills is absent (build it with training/skills/train.py)")
    return path


@pytest.mark.model
def test_trained_tagger_spans_index_the_text(trained_tagger_path: Path) -> None:
    """Each span's text is the slice of the input its offsets name."""
    tagger = load_skill_tagger(trained_tagger_path)
    assert tagger is not None
    texts = [
        "You will design and maintain data pipelines in Python and SQL.",
        "Strong communication skills and the ability to work in a team.",
    ]
    for text, spans in zip(texts, tagger.tag(texts), strict=True):
        assert all(text[s.start : s.end] == s.text for s in spans)
        assert all(s.label in ("SKILL", "KNOWLEDGE") for s in spans)
