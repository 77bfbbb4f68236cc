"""The trained skill and knowledge span tagger (SkillSpan), for job postings.

The pipeline under ``models/skills`` (built by ``training/skills/train.py``) runs::

    ner_skill → skill_spans → ner_knowledge → knowledge_spans

Each ``ner_*`` component is a spaCy NER with its own inline tok2vec, so either can be sourced
into another pipeline alone. Skill and knowledge spans may overlap, which one NER cannot
express, so after each NER a ``matching_ents_to_spans`` component moves ``doc.ents`` into the
span group ``doc.spans["skill_tagger"]`` (labels ``SKILL`` and ``KNOWLEDGE``) and clears the
entities before the next NER runs. A pipeline that sources an ``ner_*`` component should add
``matching_ents_to_spans`` after it in the same way (importing this module registers it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from matching.errors import ConfigError, Errors

SpanLabel = Literal["SKILL", "KNOWLEDGE"]
SPANS_KEY = "skill_tagger"
REQUIRED_COMPONENTS = ("ner_skill", "ner_knowledge")
LABELS: tuple[SpanLabel, ...] = ("SKILL", "KNOWLEDGE")
# spaCy's tokenizer slows sharply once its default 10,000-entry cache is full (STACK.md).
TOKENIZER_CACHE_SIZE = 200_000


@dataclass(frozen=True)
class TaggedSpan:
    """A skill or knowledge mention: character offsets ``[start, end)`` into the text."""

    start: int
    end: int
    label: SpanLabel
    text: str


class EntsToSpans:
    """Move ``doc.ents`` into ``doc.spans[spans_key]`` and clear them for the next NER."""

    def __init__(self, spans_key: str = SPANS_KEY) -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        """Append the entities to the span group, then leave every token's entity unset."""
        if self.spans_key not in doc.spans:
            doc.spans[self.spans_key] = []
        doc.spans[self.spans_key].extend(list(doc.ents))
        doc.set_ents([], default="missing")
        return doc


@Language.factory(
    "matching_ents_to_spans",
    default_config={"spans_key": SPANS_KEY},
    assigns=["doc.spans"],
)
def make_ents_to_spans(nlp: Language, name: str, spans_key: str) -> EntsToSpans:
    """Build the ``matching_ents_to_spans`` component (spaCy factory)."""
    return EntsToSpans(spans_key)


class SkillTagger:
    """Tag SKILL and KNOWLEDGE spans in texts with a trained spaCy pipeline.

    Parameters
    ----------
    nlp : spacy.language.Language
        A pipeline that writes ``doc.spans[spans_key]`` (see ``load_skill_tagger``).
    batch_size : int
        Texts per ``nlp.pipe`` batch.
    spans_key : str
        The span group that holds the tagged spans.
    """

    def __init__(self, nlp: Language, *, batch_size: int = 64, spans_key: str = SPANS_KEY) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self.spans_key = spans_key

    @property
    def labels(self) -> tuple[SpanLabel, ...]:
        """The labels the tagger emits."""
        return LABELS

    def tag(self, texts: Iterable[str]) -> list[list[TaggedSpan]]:
        """Return, for each text, its spans sorted by start, end and label.

        Offsets are characters into the text as given. Spans of different labels may overlap.
        """
        results: list[list[TaggedSpan]] = []
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
            spans = doc.spans.get(self.spans_key, [])
            found = {
                TaggedSpan(
                    start=span.start_char,
                    end=span.end_char,
                    label=cast(SpanLabel, span.label_),
                    text=span.text,
                )
                for span in spans
                if span.label_ in LABELS
            }
            results.append(sorted(found, key=lambda s: (s.start, s.end, s.label)))
        return results


def load_skill_tagger(path: Path | str, *, batch_size: int = 64) -> SkillTagger | None:
    """Load the trained tagger from ``path``; ``None`` when nothing is there.

    Raises
    ------
    ConfigError
        E201 when something is at ``path`` but is not a usable skill tagger pipeline.
    """
    import spacy

    path = Path(path)
    if not path.exists():
        return None
    try:
        nlp = spacy.load(path)
    # spaCy, thinc, srsly and catalogue raise many types for a broken artefact.
    except Exception as exc:
        raise ConfigError(Errors.E201, path=path, detail=f"{type(exc).__name__}: {exc}") from exc
    missing = [name for name in REQUIRED_COMPONENTS if name not in nlp.pipe_names]
    if missing:
        raise ConfigError(
            Errors.E201,
            path=path,
            detail=f"not a skill tagger pipeline: missing component(s) {', '.join(missing)}",
        )
    if isinstance(nlp.tokenizer, Tokenizer):
        nlp.tokenizer.max_cache_size = max(nlp.tokenizer.max_cache_size, TOKENIZER_CACHE_SIZE)
    return SkillTagger(nlp, batch_size=batch_size)


__all__ = [
    "LABELS",
    "SPANS_KEY",
    "EntsToSpans",
    "SkillTagger",
    "SpanLabel",
    "TaggedSpan",
    "load_skill_tagger",
    "make_ents_to_spans",
]
