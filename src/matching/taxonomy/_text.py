"""Text normalisation shared by the vocabulary build, the loaders and the matcher.

The build stores surface forms and job titles already normalised with these functions, so
the loaders only compare strings. Changing a function here changes the keys: bump
``NORMALISATION_VERSION`` and rebuild the vocabulary (``make vocabulary``).
"""

from __future__ import annotations

import re
import unicodedata

NORMALISATION_VERSION = 1

_WHITESPACE = re.compile(r"\s+")
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Punctuation that never belongs to a term at its edges. "+", "#" and a leading "." carry
# meaning ("C++", "C#", ".NET"), so they are kept; a trailing full stop is sentence noise.
_EDGE_LEADING = " \t,;:!?\"'()[]{}*•·-–—/|"
_EDGE_TRAILING = " \t,;:!?\"'()[]{}*•·-–—/|."
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
_SLUG = re.compile(r"[^a-z0-9+#]+")
_TITLE_TOKEN = re.compile(r"[a-z0-9]+(?:[+#]+|(?:\.[a-z0-9]+)+)?")


def clean_text(text: str) -> str:
    """Unicode-normalise ``text``, unify dashes and quotes, and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES)
    return _WHITESPACE.sub(" ", text).strip()


def normalize_term(text: str, *, case_sensitive: bool = False) -> str:
    """Return the lookup key of a skill term.

    Parameters
    ----------
    text : str
        A surface form as written ("  C++, ", "Node.js", ".NET").
    case_sensitive : bool, default=False
        Keep the case (for ambiguous forms such as "R" or "Go"); otherwise case-fold.

    Returns
    -------
    str
        The term with unified Unicode, single spaces and no edge punctuation; symbols that
        are part of names ("+", "#", a leading ".") are kept.
    """
    text = clean_text(text).lstrip(_EDGE_LEADING).rstrip(_EDGE_TRAILING)
    return text if case_sensitive else text.casefold()


def strip_parenthetical(text: str) -> str:
    """Remove parenthesised qualifiers: "Python (computer programming)" -> "Python"."""
    return _WHITESPACE.sub(" ", _PARENTHETICAL.sub("", text)).strip()


def slugify(text: str) -> str:
    """Return a stable ASCII identifier part: "Microsoft Excel" -> "microsoft-excel"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", ascii_text.casefold()).strip("-")


def singularize(word: str) -> str:
    """Return a crude singular of an English job-title word ("technologies" -> "technology").

    Only needs to map the plural O*NET titles ("Software Developers") and singular resume
    titles to the same key; it is applied to both sides, so its errors cancel out.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def title_tokens(text: str) -> list[str]:
    """Split a job title into lower-case word tokens ("Sr. C++ Dev" -> ["sr", "c++", "dev"])."""
    text = clean_text(text).casefold().replace("&", " and ")
    return _TITLE_TOKEN.findall(text)


__all__ = [
    "NORMALISATION_VERSION",
    "clean_text",
    "normalize_term",
    "singularize",
    "slugify",
    "strip_parenthetical",
    "title_tokens",
]
