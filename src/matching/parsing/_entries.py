"""Rules that read names, positions and education entries from resume lines.

They work on plain text plus entity hints (character spans with a label) so that the same code
serves the trained extractor (TITLE, COMPANY, INSTITUTION, DEGREE, GRAD_YEAR, NAME, LOCATION)
and rules-only mode, where the hints come from a general English NER (ORG, PERSON, GPE).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matching.parsing._dates import YEAR, DateRange, find_date_ranges
from matching.parsing._sections import heading_label


@dataclass(frozen=True)
class Hint:
    """An entity found by a model: label and character offsets."""

    label: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Position:
    """A position read from the text."""

    title: str | None
    company: str | None
    dates: DateRange


@dataclass(frozen=True)
class Degree:
    """An education entry read from the text."""

    degree: str | None
    level: str | None
    institution: str | None
    year: int | None


_LEVELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("doctorate", re.compile(r"\b(?:ph\.?\s?d|doctor(?:ate)?\s+of|d\.?phil|ed\.?d)\b", re.I)),
    (
        "master",
        re.compile(
            r"\b(?:master'?s?|m\.?\s?b\.?\s?a|m\.?\s?c\.?\s?a|m\.?\s?tech|m\.?\s?sc|m\.?\s?com|"
            r"m\.?\s?phil|ll\.?\s?m|post\s?graduate|pgdm|pgdba)\b|\b(?:MS|MA|ME|M\.S\.|M\.A\.|M\.E\.)"
            r"(?=[\s,(]|$)",
            re.I,
        ),
    ),
    (
        "bachelor",
        re.compile(
            r"\b(?:bachelor'?s?|b\.?\s?tech|b\.?\s?sc|b\.?\s?com|b\.?\s?c\.?\s?a|b\.?\s?b\.?\s?a|"
            r"ll\.?\s?b|mbbs|b\.?\s?e\.|b\.?\s?arch|undergraduate degree)(?![a-z])"
            r"|\b(?:BS|BA|BE|B\.S\.|B\.A\.|B\.E|BSc|BEng)(?=[\s,(.]|$)",
            re.I,
        ),
    ),
    ("associate", re.compile(r"\bassociate'?s?\s+(?:of|in|degree)\b|\bA\.?A\.?S\.?\b")),
    (
        "diploma",
        re.compile(
            r"\b(?:diploma|high school|secondary school|ged|hsc|ssc|12th|10th|class xii|class x|"
            r"intermediate|higher secondary|cbse|icse|matriculation)\b",
            re.I,
        ),
    ),
)
# Case-sensitive short forms must not fire inside ordinary words ('BE responsible', 'MS Office').
_FALSE_DEGREES = re.compile(
    r"\b(?:MS|Ms)\s+(?:Office|Excel|Word|Access|Project|SQL|Dynamics)", re.I
)
_INSTITUTION = re.compile(
    r"\b(?:universit(?:y|ies|é|e|at|a)|college|institute|school|academy|polytechnic|iit|nit|"
    r"vidyalaya|vidyapeeth|mahavidyalaya|conservatory|seminary)\b",
    re.I,
)
_CLAUSE_SPLIT = re.compile(r"\s*(?:[,|;•·]|\s[-–—]\s|\(|\)|\t|\s{3,})\s*")
_DEGREE_STOP = re.compile(
    r"\s+(?:from|at)\s+|\s+-\s+|,|\(|\||\b(?:19|20)\d{2}\b|\bGPA\b|\bCGPA\b", re.I
)
_NAME_TOKEN = re.compile(r"^[A-Z][a-zA-Z'’.-]*$|^[A-Z]{2,}$")


def degree_levels(text: str) -> list[str]:
    """Every degree level named in ``text``, highest first ('BS or MS' -> master, bachelor)."""
    text = _FALSE_DEGREES.sub(" ", text)
    return [level for level, pattern in _LEVELS if pattern.search(text)]


def degree_level(text: str) -> str | None:
    """The (highest) level of a degree named in ``text`` ('B.Sc. in Physics' -> 'bachelor')."""
    levels = degree_levels(text)
    return levels[0] if levels else None


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """The non-blank lines of ``text[start:end]`` with their offsets (layouts put blank lines
    between a title, its company and its dates)."""
    lines = []
    offset = start
    for line in text[start:end].split("\n"):
        if line.strip():
            lines.append((offset, line))
        offset += len(line) + 1
    return lines


def _clean(value: str) -> str | None:
    value = re.sub(r"\s+", " ", value).strip(" \t,;:|-–—•·*()")
    return value or None


def guess_name(header: str, *, is_title: Callable[[str], bool]) -> str | None:
    """A person's name from the first lines: 2-4 capitalised words, no digits, not a title."""
    for line in header.split("\n")[:6]:
        words = line.strip().split()
        if not 2 <= len(words) <= 4 or any(ch.isdigit() or ch in "@/:" for ch in line):
            continue
        if not all(_NAME_TOKEN.match(word) for word in words):
            continue
        candidate = " ".join(words)
        if heading_label(candidate) or is_title(candidate):
            continue
        return candidate.title() if candidate.isupper() else candidate
    return None


def headline_titles(
    header: str, *, is_title: Callable[[str], bool], name: str | None = None
) -> list[str]:
    """The job title a resume opens with, under the name ('Ada Moreau / Senior Data Engineer').

    A line the occupation index knows as a title counts; so does the line right under the
    ``name`` when it reads like a name of something (no digits or commas), since that is where
    resumes put their headline even for titles no taxonomy lists ('CES Associate Consultant').
    """
    lines = [line.strip() for line in header.split("\n")[:6] if line.strip()]
    for index, line in enumerate(lines):
        first = _clean(_CLAUSE_SPLIT.split(line)[0])
        if not first or not _plausible_name(first):
            continue
        under_name = (
            name is not None
            and index > 0
            and " ".join(lines[index - 1].split()).casefold() == name.casefold()
            and "," not in line
            and len(first.split()) >= 2  # a lone word under a name is as often a place
            and not any(ch.isdigit() for ch in first)
            and not heading_label(first)
        )
        if under_name or is_title(first):
            return [first]
    return []


def find_positions(
    text: str,
    start: int,
    end: int,
    hints: Sequence[Hint],
    *,
    is_title: Callable[[str], bool],
) -> list[Position]:
    """Positions in ``text[start:end]``: each date range with the title and company near it.

    Titles and companies come from the hints on the date's line or the two lines before it
    (and the line after, for 'Title / dates / Company' layouts); without hints, the parts of the
    date's line and its neighbours are sorted into title and company by ``is_title``.
    """
    ranges = find_date_ranges(text[start:end])
    lines = _lines(text, start, end)
    line_of = [offset for offset, _ in lines]
    positions = []
    for index, found in enumerate(ranges):
        date_start, date_end = start + found.start_char, start + found.end_char
        # Two non-blank lines above the date and one below, not crossing the neighbouring dates.
        at = max(bisect_right(line_of, date_start) - 1, 0)
        window_start = lines[max(at - 2, 0)][0] if lines else start
        if index:
            window_start = max(window_start, start + ranges[index - 1].end_char)
        below = lines[min(at + 1, len(lines) - 1)] if lines else (end, "")
        window_end = min(
            below[0] + len(below[1]),
            start + ranges[index + 1].start_char if index + 1 < len(ranges) else end,
            end,
        )
        shifted = DateRange(
            found.start, found.end, date_start, date_end, found.start_text, found.end_text
        )
        title = _nearest(text, hints, ("TITLE",), window_start, window_end, date_start)
        company = _nearest(text, hints, ("COMPANY", "ORG"), window_start, window_end, date_start)
        if title is None or company is None:
            rule_title, rule_company = _split_line(
                text, window_start, window_end, date_start, date_end, is_title=is_title
            )
            title = title or rule_title
            company = company or rule_company
        positions.append(Position(title, company, shifted))
    return positions


def _nearest(
    text: str, hints: Sequence[Hint], labels: tuple[str, ...], lo: int, hi: int, anchor: int
) -> str | None:
    inside = [
        h
        for h in hints
        if h.label in labels and lo <= h.start and h.end <= hi and not _is_prose(text, h.start)
    ]
    if not inside:
        return None
    # The date's own line first, then the lines above it (title/company/date blocks), then
    # those below.
    line_start = text.rfind("\n", 0, anchor) + 1
    line_end = text.find("\n", anchor) % (len(text) + 1)
    best = min(
        inside,
        key=lambda h: (
            0 if line_start <= h.start <= line_end else 1 if h.start < line_start else 2,
            abs(h.start - anchor),
        ),
    )
    return _clean(best.text)


def _is_prose(text: str, offset: int) -> bool:
    """Whether ``offset`` lies on a bullet point or a long sentence, not a heading line."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)].strip()
    return line[:1] in {"-", "•", "*", "·", "–", "▪", "○"} or len(line) > 120


def _split_line(
    text: str,
    lo: int,
    hi: int,
    date_start: int,
    date_end: int,
    *,
    is_title: Callable[[str], bool],
) -> tuple[str | None, str | None]:
    """Title and company from the parts around a date: 'Company  July 2011 to 2012  Accountant'."""
    line_start = text.rfind("\n", 0, date_start) + 1
    line_end = text.find("\n", date_end)
    line_end = line_end if line_end >= 0 else len(text)
    parts = [
        _clean(p)
        for chunk in (text[line_start:date_start], text[date_end:line_end])
        for p in _CLAUSE_SPLIT.split(chunk)
    ]
    candidates = [p for p in parts if p and _fragment(p)]
    if len(candidates) < 2:
        # Neighbouring lines: their first clause ('Northwind Traders - Lyon' -> the employer).
        for _offset, line in _lines(text, lo, hi):
            first = _clean(_CLAUSE_SPLIT.split(line.strip())[0])
            if first and first not in candidates and _fragment(first):
                candidates.append(first)
    # A title is vouched for by the occupation index, so sentence case is fine ('Sales and
    # marketing specialist'); an employer must also look like a name.
    title = next((c for c in candidates if is_title(c)), None)
    others = [
        c
        for c in candidates
        if c != title and _plausible_name(c) and not heading_label(c) and "city" not in c.lower()
    ]
    # 'Pennine Audit Partners' also reads as a title: a name that is not one is preferred, but
    # the remaining fragment is still the employer.
    company = next((c for c in others if not is_title(c)), others[0] if others else None)
    return title, company


_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "de",
        "del",
        "der",
        "di",
        "du",
        "for",
        "in",
        "la",
        "le",
        "of",
        "on",
        "the",
        "to",
        "und",
        "van",
        "von",
        "with",
        "y",
        "&",
        "-",
        "–",
    ]
)


# Words that make a fragment a clause ('group as a Test Analyst', 'worked for Infosys').
_SENTENCE = re.compile(r"\b(?:as an?|was|were|is|are|worked|working|for the)\b", re.I)


def _fragment(text: str) -> bool:
    """Whether a line fragment could be a title or a name: short, no dates, not a sentence."""
    words = text.split()
    return (
        1 <= len(words) <= 8
        and len(text) <= 80
        and text[0].isalpha()
        and not text.endswith(".")
        and "/" not in text  # 'BI / Big Data/ Azure' is a list
        and not _SENTENCE.search(text)
        and not (find_date_ranges(text) or YEAR.search(text))
    )


def _plausible_name(text: str) -> bool:
    """Whether a line fragment reads like a job title or an organisation's name.

    Names are short and capitalised ('Northwind Traders', 'Senior Data Engineer'); sentences,
    dates, grades and stray words ('to September 2016 was trained', 'B+ Average') are not.
    """
    words = text.split()
    if not 1 <= len(words) <= 8 or len(text) > 80 or not text[0].isupper():
        return False
    if find_date_ranges(text) or YEAR.search(text) or text.endswith("."):
        return False
    if sum(ch.isalpha() for ch in text) < 2 or any(ch in text for ch in "+@:;"):
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitalised = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return bool(content) and capitalised / len(content) >= 0.6


def find_degrees(
    text: str, start: int, end: int, hints: Sequence[Hint], *, max_year: int
) -> list[Degree]:
    """Education entries in ``text[start:end]``: one per line that names a degree."""
    entries: list[Degree] = []
    lines = _lines(text, start, end)
    institutions = [h for h in hints if h.label == "INSTITUTION" and start <= h.start < end]
    degree_hints = [h for h in hints if h.label == "DEGREE" and start <= h.start < end]
    years = [h for h in hints if h.label == "GRAD_YEAR" and start <= h.start < end]
    degree_lines = {
        i
        for i, (offset, line) in enumerate(lines)
        if degree_level(line)
        or any(offset <= h.start < offset + len(line) + 1 for h in degree_hints)
    }
    for index, (offset, line) in enumerate(lines):
        hint = next((h for h in degree_hints if offset <= h.start < offset + len(line) + 1), None)
        level = degree_level(hint.text if hint else line)
        if hint is None and level is None:
            continue
        # A model's DEGREE span can run over the school and year on the same line.
        degree = _degree_phrase(hint.text if hint else line)
        # The entry's own line first, then the lines after it, then the one before, never
        # crossing into another degree's line.
        order = [
            i
            for i in (index, index + 1, index + 2, index - 1)
            if 0 <= i < len(lines) and (i == index or i not in degree_lines)
        ]
        near = [lines[i] for i in order]
        institution = next(
            (
                _clean(h.text)
                for _, (lo, ln) in enumerate(near)
                for h in institutions
                if lo <= h.start < lo + len(ln) + 1
            ),
            None,
        ) or _institution_in([candidate for _, candidate in near])
        year_hints = [h.text for lo, ln in near for h in years if lo <= h.start < lo + len(ln) + 1]
        found_years: list[int] = []
        for year_text in year_hints or [candidate for _, candidate in near]:
            found_years = [int(y) for y in YEAR.findall(year_text) if int(y) <= max_year]
            if found_years:
                break
        entries.append(
            Degree(
                degree,
                level or degree_level(degree or ""),
                institution,
                max(found_years) if found_years else None,
            )
        )
    return _merge_duplicates(entries) + _schools_without_degree(
        lines, institutions, [e.institution for e in entries], max_year=max_year
    )


def _schools_without_degree(
    lines: Sequence[tuple[int, str]],
    institutions: Sequence[Hint],
    known: Sequence[str | None],
    *,
    max_year: int,
) -> list[Degree]:
    """Schools named in an education section on a line of their own, with no degree found."""
    seen = {name.casefold() for name in known if name}
    found: list[Degree] = []
    for offset, line in lines:
        hint = next((h for h in institutions if offset <= h.start < offset + len(line) + 1), None)
        name = _clean(hint.text) if hint else _institution_in([line])
        if not name or name.casefold() in seen or not _plausible_name(name):
            continue
        seen.add(name.casefold())
        years = [int(y) for y in YEAR.findall(line) if int(y) <= max_year]
        found.append(Degree(None, None, name, max(years) if years else None))
    return found


def _degree_phrase(line: str) -> str | None:
    match = None
    for _level, pattern in _LEVELS:
        match = pattern.search(line)
        if match:
            break
    if match is None:
        return _clean(line)
    phrase = line[match.start() :]
    stop = _DEGREE_STOP.search(phrase, match.end() - match.start())
    return _clean(phrase[: stop.start()] if stop else phrase)


def _institution_in(lines: Sequence[str]) -> str | None:
    for line in lines:
        for part in _CLAUSE_SPLIT.split(line):
            if _INSTITUTION.search(part) and len(part) <= 100:
                part = re.sub(r"^(?:from|at)\s+", "", part.strip(), flags=re.I)
                part = re.sub(r"\b(?:19|20)\d{2}\b.*$", "", part)
                return _clean(part)
    return None


def _merge_duplicates(entries: list[Degree]) -> list[Degree]:
    merged: list[Degree] = []
    for entry in entries:
        if (
            merged
            and entry.degree == merged[-1].degree
            and entry.institution in (None, merged[-1].institution)
        ):
            continue
        merged.append(entry)
    return merged
