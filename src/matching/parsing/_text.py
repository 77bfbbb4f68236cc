"""Bytes → str for plain-text (and HTML) documents: BOMs, strict UTF-8, then a guess.

The order matters: a byte-order mark is the author's own statement; strict UTF-8 almost never
succeeds by accident on other encodings; UTF-8 with a few broken bytes is still UTF-8 (the
broken bytes are replaced, W103); only then is the encoding guessed with charset-normalizer
(W102), which is the step that can be wrong.
"""

from __future__ import annotations

import codecs
import re

from matching.errors import Errors, InputError, Warnings
from matching.schemas import Issue

from ._clean import RawText

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_REPLACEMENT = "\ufffd"
# Single-byte code pages that charset-normalizer often cannot tell apart on short Western
# texts ("naïve" in cp1252 reads as "naďve" in cp1250); cp1252 is by far the likeliest source.
_WESTERN_RIVALS = {"cp1250", "cp1254", "cp1257", "iso8859_2", "iso8859_9", "iso8859_15", "latin_1"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark announces and the mark's length, or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when NUL bytes sit at every other position, else None.

    Text in UTF-16 without a byte-order mark is mostly ASCII letters, so one byte of each pair
    is NUL; a binary file has NULs scattered at both parities.
    """
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    if odd >= 0.4 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _decode_counting(data: bytes, encoding: str, *, path: str) -> tuple[str, list[Issue]]:
    """Decode with replacement and report how many byte sequences were replaced (W103)."""
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError as exc:  # an unknown charset name declared by the document
        raise InputError(Errors.E108, path=path, detail=f"unknown encoding {encoding!r}") from exc
    replaced = text.count(_REPLACEMENT) - _literal_replacements(data, encoding)
    warnings = [Issue.of(Warnings.W103, count=replaced)] if replaced > 0 else []
    return text, warnings


def _literal_replacements(data: bytes, encoding: str) -> int:
    """How many U+FFFD characters the source itself holds (not counted as replacements)."""
    try:
        return data.count(_REPLACEMENT.encode(encoding))
    except (UnicodeEncodeError, LookupError):
        return 0


def _mostly_utf8(data: bytes) -> bool:
    """True when the bytes are UTF-8 with a few broken sequences rather than another encoding."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count(_REPLACEMENT)
    wide = sum(1 for char in text if char > "\x7f") - broken
    return wide > 0 and broken <= wide


def _guess(data: bytes, *, path: str) -> tuple[str, list[Issue]]:
    """Decode with charset-normalizer's best guess (W102); E108 when nothing fits."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise InputError(Errors.E108, path=path, detail="no known text encoding fits the bytes")
    text, encoding = str(best), best.encoding
    if encoding in _WESTERN_RIVALS:
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            if _letters_in_words(western) >= _letters_in_words(text):
                text, encoding = western, "cp1252"
    confidence = f"{max(0.0, 1.0 - best.chaos):.2f}"
    return text, [Issue.of(Warnings.W102, encoding=encoding, confidence=confidence)]


def _letters_in_words(text: str) -> int:
    """Non-ASCII letters next to another letter: how plausible a single-byte decoding reads."""
    count = 0
    for index, char in enumerate(text):
        if char > "\x7f" and char.isalpha():
            before = text[index - 1] if index else " "
            after = text[index + 1] if index + 1 < len(text) else " "
            count += before.isalpha() or after.isalpha()
    return count


def decode_bytes(data: bytes, *, path: str, declared: str | None = None) -> tuple[str, list[Issue]]:
    """Decode a text document; ``declared`` is an encoding the document names (HTML meta).

    Raises ``InputError`` E108 when no encoding fits.
    """
    found = bom_encoding(data)
    if found is not None:
        encoding, skip = found
        return _decode_counting(data[skip:], encoding, path=path)
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    if declared is not None:
        try:
            codecs.lookup(declared)
        except LookupError:
            declared = None
        else:
            return _decode_counting(data, declared, path=path)
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        text, warnings = _decode_counting(data, utf16, path=path)
        return text, [Issue.of(Warnings.W102, encoding=utf16, confidence="0.90"), *warnings]
    if _mostly_utf8(data):
        return _decode_counting(data, "utf-8", path=path)
    return _guess(data, path=path)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a ``<meta>`` tag near its start, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def read_text(data: bytes, *, path: str) -> RawText:
    """A plain-text document as :class:`RawText`; E108 if it cannot be decoded."""
    text, warnings = decode_bytes(data, path=path)
    return RawText(text=text, warnings=warnings)
