"""Text normalisation shared by every document reader.

Readers return a :class:`RawText` (text plus counts of hidden characters they dropped);
:func:`clean_text` then normalises it the same way for every format, and
:func:`hidden_text_detail` words the one W101 warning a document gets.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from matching.schemas import Issue

# Labels of hidden-text counts, in the order the W101 detail lists them.
INVISIBLE = "invisible"
WHITE = "white or pale"
TRANSPARENT = "transparent"
TINY = "tiny"
OUTSIDE = "outside the page"
COVERED = "covered"
ZERO_WIDTH = "zero-width inside words"
HIDDEN_ELEMENT = "hidden element"
OFF_SCREEN = "off-screen"
VANISHED = "marked hidden"
_ORDER = (
    WHITE,
    INVISIBLE,
    TRANSPARENT,
    TINY,
    OUTSIDE,
    COVERED,
    HIDDEN_ELEMENT,
    VANISHED,
    OFF_SCREEN,
)

# Characters that are whitespace to a reader but not to str.split(): map them to a space.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Hyphen look-alikes that would split "e-mail" or "front-end" into different tokens.
_HYPHENS = "\u2010\u2011"
_ZERO_WIDTH_JOINERS = "\u200c\u200d"

_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACE_RUNS = re.compile(r" {2,}")
_TAB_RUNS = re.compile(r"[ \t]*\t[ \t]*")
_BLANK_RUNS = re.compile(r"\n{3,}")


# Text whose contrast with a white page is under 1.3:1 cannot be read (WCAG asks 4.5:1 of body
# text): white, near-white and pale colours such as light yellow. Relative luminance over 0.76.
_FAINT_LUMINANCE = 0.76


def _linear(channel: float) -> float:
    """An sRGB channel (0-255) as linear light (0-1)."""
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def is_faint(red: float, green: float, blue: float) -> bool:
    """Whether a text colour (0-255 channels) is too pale to read on white (or to darken a
    background behind white text)."""
    luminance = 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)
    return luminance > _FAINT_LUMINANCE


@dataclass
class RawText:
    """What a reader extracted, before normalisation.

    ``hidden`` counts the visible-looking characters (not whitespace) that were dropped, by
    reason; ``warnings`` holds the reader's own warnings (W102, W103, W105).
    """

    text: str
    pages: int | None = None
    hidden: Counter[str] = field(default_factory=Counter)
    warnings: list[Issue] = field(default_factory=list)


@functools.cache
def _table() -> dict[int, str | None]:
    """The str.translate table: spaces, ligatures, hyphens; control and format chars removed."""
    table: dict[int, str | None] = {ord(char): " " for char in _SPACES}
    table.update({ord(char): text for char, text in _LIGATURES.items()})
    table.update({ord(char): "-" for char in _HYPHENS})
    table[ord("\t")] = "\t"
    table[ord("\n")] = "\n"
    for code in range(0x20):
        table.setdefault(code, None)
    for code in range(0x7F, 0xA0):
        table[code] = None
    for code in _format_characters():
        table[code] = None
    # Full-width Latin letters and digits read like ASCII ("Ｐｙｔｈｏｎ"); NFKC would do this
    # but also folds superscripts, fractions, "™" and the full-width punctuation of CJK text,
    # which are better kept as written.
    for start, end in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)):
        for code in range(start, end):
            table[code] = chr(code - 0xFEE0)
    return table


@functools.cache
def _format_characters() -> tuple[int, ...]:
    """Every code point of category Cf (zero-width spaces, joiners, bidi controls, tags, BOM)."""
    # Only these blocks hold Cf characters (Unicode 15); scanning them instead of all 1.1
    # million code points keeps the first call at a few milliseconds.
    blocks = (
        (0x0000, 0x3000),
        (0xFB00, 0x10000),
        (0x11000, 0x14000),
        (0x1BC00, 0x1BD00),
        (0x1D100, 0x1D200),
        (0xE0000, 0xE0100),
    )
    return tuple(
        code
        for start, end in blocks
        for code in range(start, end)
        if unicodedata.category(chr(code)) == "Cf"
    )


@functools.cache
def _format_pattern() -> re.Pattern[str]:
    """Matches one format character (category Cf)."""
    ranges: list[tuple[int, int]] = []
    for code in _format_characters():
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    body = "".join(
        re.escape(chr(start)) if start == end else f"{re.escape(chr(start))}-{re.escape(chr(end))}"
        for start, end in ranges
    )
    return re.compile(f"[{body}]")


def count_zero_width_in_words(text: str) -> int:
    """How many format characters (zero-width spaces, joiners …) sit between two word characters.

    A soft hyphen is a normal hyphenation hint and is not counted; zero-width (non-)joiners
    between non-ASCII letters are ordinary spelling in several scripts and are not counted.
    """
    count = 0
    pattern = _format_pattern()
    for match in pattern.finditer(text):
        char = match.group()
        if char == "\u00ad":
            continue
        start, end = match.span()
        # Walk over a run of format characters to the real neighbours.
        before = start - 1
        while before >= 0 and pattern.fullmatch(text[before]):
            before -= 1
        after = end
        while after < len(text) and pattern.fullmatch(text[after]):
            after += 1
        if before < 0 or after >= len(text):
            continue
        left, right = text[before], text[after]
        if not (left.isalnum() and right.isalnum()):
            continue
        if char in _ZERO_WIDTH_JOINERS and not (left.isascii() and right.isascii()):
            continue
        count += 1
    return count


def clean_text(text: str) -> tuple[str, int]:
    """Normalise extracted text; return it with the count of zero-width characters in words.

    Line endings become ``\\n``, non-breaking and other wide spaces a plain space, ligatures
    (``ﬁ``) their letters, full-width Latin letters and digits plain ASCII; format characters
    (zero-width spaces and joiners, soft hyphens, bidi controls, tag characters) and control
    characters are removed; the result is NFC-composed. Runs of spaces collapse to one, runs of
    blank lines to one blank line (a paragraph break), and lines lose leading and trailing
    spaces and tabs.
    """
    text = _LINE_BREAKS.sub("\n", text)
    hidden = count_zero_width_in_words(text) if _format_pattern().search(text) else 0
    if text.isascii():
        # The common case, and 3x faster: only control characters can need removing.
        text = _ASCII_CONTROLS.sub("", text)
    else:
        text = unicodedata.normalize("NFC", text.translate(_table()))
    text = _TAB_RUNS.sub("\t", text)
    text = _SPACE_RUNS.sub(" ", text)
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n"), hidden


def hidden_text_detail(hidden: Counter[str]) -> str:
    """The W101 detail, for example ``"412 characters: 380 white, 32 outside the page"``."""
    total = sum(hidden.values())
    known = [label for label in _ORDER if hidden.get(label)]
    others = sorted(label for label in hidden if label not in _ORDER and hidden[label])
    parts = [f"{hidden[label]} {label}" for label in known + others]
    noun = "character" if total == 1 else "characters"
    return f"{total} {noun}: " + ", ".join(parts)


def cut_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a line or word end when one is near."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    # Prefer not to leave half a word or line behind; look back at most 200 characters.
    for separator in ("\n", " "):
        at = head.rfind(separator, max(0, limit - 200))
        if at > 0:
            return head[:at].rstrip()
    return head
