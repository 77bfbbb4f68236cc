"""Remove what identifies a person, and gendered words, before text becomes features."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PRONOUNS = {
    "he": "they",
    "she": "they",
    "him": "them",
    "his": "their",
    "her": "their",
    "hers": "theirs",
    "himself": "themselves",
    "herself": "themselves",
    "mr": "",
    "mrs": "",
    "ms": "",
    "miss": "",
    "mr.": "",
    "mrs.": "",
    "ms.": "",
}
_GENDERED = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _PRONOUNS) + r")\b\.?", re.I)
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_NAME_PART = re.compile(r"[^\W\d_][\w'’-]*")
_PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")


def _replace(match: re.Match[str]) -> str:
    found = match.group().rstrip(".")
    word = _PRONOUNS.get(found.lower(), "")
    return word.capitalize() if found[:1].isupper() else word


def neutralise(text: str, *, names: Iterable[str | None] = ()) -> str:
    """``text`` without the given names, e-mails, links, phone numbers and gendered pronouns.

    Names and pronouns are proxies of sex and ethnicity; the ranker must not see them
    (the counterfactual test swaps them and expects the same score).
    """
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
