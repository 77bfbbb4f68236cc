"""The field extractor component: a NER run only where resume fields are written.

Names, titles, employers, schools and degrees sit in the header, the education section and the
few lines around each dated position; bullet points and summaries rarely hold them and make up
about two thirds of a resume. Running the (costly) NER on those windows only roughly halves
parse time. A document without recognised sections is read whole.
"""

from __future__ import annotations

from bisect import bisect_right
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from matching.errors import ConfigError, Errors
from matching.parsing._dates import find_date_ranges

# Lines kept around each date range in an experience section (title/company above, sometimes
# the employer below).
_CONTEXT_LINES = 3
_WHOLE_SECTIONS = ("header", "education")
# A general-English NER's labels that stand in for the trained ones (rules-only mode).
_RULES_LABELS = {"PERSON": "NAME", "ORG": "ORG", "GPE": "LOCATION"}
_BASE_EXCLUDE = ["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]


def field_windows(text: str, sections: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """Character ranges of ``text`` the NER should read, sorted and merged."""
    if not any(label in ("experience", "education") for label, _, _ in sections):
        return [(0, len(text))]
    ranges: list[tuple[int, int]] = []
    for label, start, end in sections:
        if label in _WHOLE_SECTIONS:
            ranges.append((start, end))
        elif label == "experience":
            ranges.extend(_around_dates(text, start, end))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _around_dates(text: str, start: int, end: int) -> list[tuple[int, int]]:
    lines: list[tuple[int, int]] = []
    offset = start
    for line in text[start:end].split("\n"):
        if line.strip():
            lines.append((offset, offset + len(line)))
        offset += len(line) + 1
    if not lines:
        return []
    starts = [line_start for line_start, _ in lines]
    # The section's first lines (a heading and often the first position) always count.
    picked = set(range(min(_CONTEXT_LINES, len(lines))))
    for found in find_date_ranges(text[start:end]):
        at = bisect_right(starts, start + found.start_char) - 1
        picked.update(range(max(at - _CONTEXT_LINES, 0), min(at + _CONTEXT_LINES, len(lines))))
    return [lines[index] for index in sorted(picked)]


class FieldExtractor:
    """Run ``ner`` on the field windows of a document and write its entities back.

    Entities go to ``doc.ents`` and, for cheap reading, to ``doc.spans[spans_key]``. With
    ``rules_labels`` a general-English NER's PERSON/ORG/GPE become NAME/ORG/LOCATION.
    """

    def __init__(self, ner: Language, *, spans_key: str = "fields", rules_labels: bool) -> None:
        self.ner = ner
        self.spans_key = spans_key
        self.rules_labels = rules_labels

    def __call__(self, doc: Doc) -> Doc:
        sections = [(s.label_, s.start_char, s.end_char) for s in doc.spans.get("sections", [])]
        text = doc.text  # spaCy rebuilds this string from the tokens on every access
        windows = field_windows(text, sections)
        sub_text = "\n".join(text[start:end] for start, end in windows)
        sub_starts: list[int] = []
        position = 0
        for start, end in windows:
            sub_starts.append(position)
            position += end - start + 1
        found: list[Span] = []
        for ent in self.ner(sub_text).ents:
            index = bisect_right(sub_starts, ent.start_char) - 1
            shift = windows[index][0] - sub_starts[index]
            if ent.end_char + shift > windows[index][1]:
                continue  # runs across two windows: an artefact of the joining
            label = _RULES_LABELS.get(ent.label_) if self.rules_labels else ent.label_
            if label is None:
                continue
            doc.vocab.strings.add(label)  # the NER's labels live in its own string store
            span = doc.char_span(
                ent.start_char + shift, ent.end_char + shift, label=label, alignment_mode="expand"
            )
            if span is not None:
                found.append(span)
        kept = filter_spans(found)
        doc.set_ents(kept, default="outside")
        doc.spans[self.spans_key] = kept
        return doc


@Language.factory(
    "matching_fields",
    default_config={"model": "", "rules_labels": False, "spans_key": "fields"},
)
def make_fields(
    nlp: Language, name: str, model: str, rules_labels: bool, spans_key: str
) -> FieldExtractor:
    """Build the field extractor (``matching_fields``) over the spaCy pipeline ``model``."""
    try:
        ner = spacy.load(model, exclude=_BASE_EXCLUDE)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(Errors.E201, path=model, detail=exc) from exc
    if isinstance(ner.tokenizer, Tokenizer) and isinstance(nlp.tokenizer, Tokenizer):
        ner.tokenizer.max_cache_size = nlp.tokenizer.max_cache_size
    if Path(model).exists():
        ner.select_pipes(enable=["ner"])
    return FieldExtractor(ner, spans_key=spans_key, rules_labels=rules_labels)
