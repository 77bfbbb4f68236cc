"""Remove what identifies a person, and gendered words, before text becomes features."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# Every gendered pronoun becomes the same word: "seen him" and "seen her" must read alike
# (grammar does not matter to features; equality does).
_PRONOUNS = {
    "he": "they",
    "she": "they",
    "him": "they",
    "her": "they",
    "his": "they",
    "hers": "they",
    "himself": "themselves",
    "herself": "themselves",
}
_GENDERED = re.compile(r"\b(?:" + "|".join(_PRONOUNS) + r")\b", re.I)
# Titles only before a capitalised word, so the MS degree and the verb "miss" stay.
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\b\.?(?=\s+[A-Z])")
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_NAME_PART = re.compile(r"[^\W\d_][\w'’-]*")
_PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")


def _replace(match: re.Match[str]) -> str:
    found = match.group()
    word = _PRONOUNS[found.lower()]
    return word.capitalize() if found[:1].isupper() else word


def neutralise(text: str, *, names: Iterable[str | None] = ()) -> str:
    """``text`` without the given names, e-mails, links, phone numbers and gendered pronouns.

    Names and pronouns are proxies of sex and ethnicity; the ranker must not see them
    (the counterfactual test swaps them and expects the same score).
    """
    text = _TITLE.sub("", text)
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _PHONE.sub(" ", text)
    for name in names:
        if not name:
            continue
        # Only the first line: a parser may run a name on into the headline.
        full = name.strip().splitlines()[0].strip() if name.strip() else ""
        parts = [p for p in re.split(r"\s+", full) if len(p) > 1 and _NAME_PART.fullmatch(p)]
        for part in sorted({full, *parts} - {""}, key=len, reverse=True):
            text = re.sub(r"\b" + re.escape(part) + r"\b", " ", text, flags=re.I)
    return _GENDERED.sub(_replace, text)


# People are named near the top of a resume or bio; deeper names are references (skipped).
NAME_SEARCH_CHARS = 2000


@lru_cache(maxsize=2)
def _person_tagger(model: str) -> Language:
    import spacy

    return spacy.load(model, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])


@lru_cache(maxsize=8192)
def _cached_person_names(text: str, model: str) -> tuple[str, ...]:
    doc = _person_tagger(model)(text)
    found: list[str] = []
    for ent in doc.ents:
        words = ent.text.split()
        if ent.label_ == "PERSON" and len(words) >= 2 and all(w[:1].isupper() for w in words):
            found.append(ent.text)
    return tuple(found)


def person_names(text: str, *, model: str | None = None) -> list[str]:
    """Person names the base spaCy pipeline finds in the first ``NAME_SEARCH_CHARS`` characters.

    Only names of two or more capitalised words count, to spare skills that NER mistakes for
    people. The parser's own name field misses a name inside a sentence ("Emily Walsh is a
    certified ..."), and a name it misses would otherwise reach the features.
    """
    from matching.settings import get_settings

    # Cached: a document is neutralised for its embeddings and again for its keywords.
    head = text[:NAME_SEARCH_CHARS]
    return list(_cached_person_names(head, model or get_settings().spacy_base_model))


# A bio opens with its subject: "Jamal Jones is a ...", "Mei Chen, a nurse, ...".
_LEADING_NAME = re.compile(
    r"^\s*([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,2})(?=\s*(?:,|\s(?:is|was|has|holds|works)\b))"
)


def identity_names(text: str, name: str | None) -> list[str]:
    """The names to remove from ``text``: the parsed ``name``, any person NER finds near the
    top, and a name the text opens with ("Jamal Jones is a ...")."""
    leading = _LEADING_NAME.match(text)
    found = [name, *person_names(text), leading.group(1) if leading else None]
    return [n for n in found if n]
