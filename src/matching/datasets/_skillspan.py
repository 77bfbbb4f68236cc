"""SkillSpan (Zhang et al., NAACL 2022): job-posting sentences with skill and knowledge spans.

The CoNLL files hold one token a line as ``token <TAB> skill_tag <TAB> knowledge_tag`` with a
blank line between sentences; each tag column is BIO on its own, so a skill span and a knowledge
span may overlap. The shared data folder has ``skillspan/skillspan_{domain}_{split}.conll`` for
the ``house`` and ``tech`` domains and the ``train`` and ``dev`` splits (the test split is not
public, so ``dev`` is this project's test set: never tune on it).

Malformed BIO is read the way ``conlleval`` reads it: an ``I-`` tag that does not continue a
span (at the start of a sentence or after ``O``) starts a new span, as if it were ``B-``. Each
sentence counts such repairs in ``TaggedSentence.repaired``. Tokens are stripped of surrounding
whitespace, and whitespace-only tokens are dropped before the tags are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from matching.errors import ConfigError, Errors, InputError

Domain = Literal["house", "tech"]
Split = Literal["train", "dev"]
TokenSpan = tuple[int, int]
"""A span as token offsets ``(start, end)``, ``end`` exclusive."""

DOMAINS: tuple[Domain, ...] = ("house", "tech")
SPLITS: tuple[Split, ...] = ("train", "dev")


@dataclass(frozen=True)
class TaggedSentence:
    """One SkillSpan sentence: its tokens and its skill and knowledge spans.

    Attributes
    ----------
    tokens : tuple of str
        The sentence's tokens, as the annotators saw them.
    skills, knowledge : tuple of (int, int)
        Spans as token offsets ``(start, end)``, ``end`` exclusive, in reading order. The two
        columns are independent: a skill span may overlap a knowledge span.
    domain : {"house", "tech"}
        The source of the job posting.
    repaired : int
        How many stray ``I-`` tags (not continuing a span) were read as ``B-``.
    """

    tokens: tuple[str, ...]
    skills: tuple[TokenSpan, ...]
    knowledge: tuple[TokenSpan, ...]
    domain: Domain
    repaired: int = 0

    @property
    def text(self) -> str:
        """The tokens joined by single spaces."""
        return " ".join(self.tokens)

    def token_offsets(self) -> list[tuple[int, int]]:
        """Character offsets ``(start, end)`` of each token in ``text``."""
        offsets = []
        start = 0
        for token in self.tokens:
            offsets.append((start, start + len(token)))
            start += len(token) + 1
        return offsets

    def char_spans(self, spans: Iterable[TokenSpan]) -> list[tuple[int, int]]:
        """Character offsets in ``text`` of token ``spans`` (``end`` exclusive)."""
        offsets = self.token_offsets()
        return [(offsets[start][0], offsets[end - 1][1]) for start, end in spans]


@dataclass(frozen=True)
class SkillSpanCounts:
    """What a list of sentences holds (``count_skillspan``)."""

    sentences: int
    tokens: int
    skills: int
    knowledge: int
    overlapping: int
    """Skill–knowledge pairs of spans that share at least one token."""
    repaired: int
    sentences_without_spans: int


def bio_to_spans(tags: Sequence[str]) -> tuple[list[TokenSpan], int]:
    """Read one BIO tag column into token spans; return ``(spans, repaired)``.

    ``repaired`` counts ``I-`` tags that did not continue a span (sentence start, after ``O``,
    or after a span of another label) and so started one. Raise ``ValueError`` for a tag that
    is not ``O``, ``B-…`` or ``I-…``.
    """
    spans: list[TokenSpan] = []
    repaired = 0
    start: int | None = None
    label: str | None = None
    for i, tag in enumerate(tags):
        if tag == "O":
            if start is not None:
                spans.append((start, i))
            start, label = None, None
            continue
        prefix, _, tag_label = tag.partition("-")
        if prefix not in ("B", "I") or not tag_label:
            raise ValueError(f"token {i + 1}: unknown tag {tag!r} (expected O, B-… or I-…)")
        if prefix == "I" and start is not None and tag_label == label:
            continue
        if prefix == "I":
            repaired += 1
        if start is not None:
            spans.append((start, i))
        start, label = i, tag_label
    if start is not None:
        spans.append((start, len(tags)))
    return spans, repaired


def read_conll(path: Path, *, domain: Domain) -> list[TaggedSentence]:
    """Read one SkillSpan CoNLL file; raise ``InputError`` (E109, E204) when it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Errors.E109, path=path, detail=str(exc)) from exc
    return [
        _sentence(rows, path=path, domain=domain, line=line)
        for line, rows in _blocks(text.splitlines())
    ]


def _blocks(lines: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first line number, lines)`` for each blank-line separated block."""
    rows: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not rows:
                first = number
            rows.append(line)
        elif rows:
            yield first, rows
            rows = []
    if rows:
        yield first, rows


def _sentence(rows: list[str], *, path: Path, domain: Domain, line: int) -> TaggedSentence:
    """Build one sentence from its CoNLL rows (first row at ``line``)."""
    tokens: list[str] = []
    skill_tags: list[str] = []
    knowledge_tags: list[str] = []
    for offset, row in enumerate(rows):
        fields = row.split("\t")
        if len(fields) != 3:
            raise InputError(
                Errors.E204,
                path=path,
                detail=f"line {line + offset} has {len(fields)} tab-separated field(s), "
                "expected token, skill tag and knowledge tag",
            )
        token = fields[0].strip()
        if not token:
            continue
        tokens.append(token)
        skill_tags.append(fields[1].strip())
        knowledge_tags.append(fields[2].strip())
    try:
        skills, skill_repairs = bio_to_spans(skill_tags)
        knowledge, knowledge_repairs = bio_to_spans(knowledge_tags)
    except ValueError as exc:
        raise InputError(Errors.E204, path=path, detail=f"sentence at line {line}: {exc}") from exc
    return TaggedSentence(
        tokens=tuple(tokens),
        skills=tuple(skills),
        knowledge=tuple(knowledge),
        domain=domain,
        repaired=skill_repairs + knowledge_repairs,
    )


def skillspan_folder(data_dir: Path) -> Path:
    """The folder with the CoNLL files: ``data_dir/skillspan`` or ``data_dir`` itself."""
    for candidate in (Path(data_dir) / "skillspan", Path(data_dir)):
        if any(candidate.glob("skillspan_*_*.conll")):
            return candidate
    raise ConfigError(Errors.E200, path=Path(data_dir) / "skillspan")


def load_skillspan(
    data_dir: Path | str,
    *,
    split: Split,
    domains: Sequence[Domain] = DOMAINS,
) -> list[TaggedSentence]:
    """Load SkillSpan sentences of one split, domain by domain in the order given.

    Parameters
    ----------
    data_dir : path
        The shared data folder (which holds ``skillspan/``) or the ``skillspan`` folder itself.
    split : {"train", "dev"}
        ``dev`` is the evaluation set here (the test split is not public): never tune on it.
    domains : sequence of {"house", "tech"}
        Which sources to read.

    Returns
    -------
    list of TaggedSentence

    Raises
    ------
    ConfigError
        E200 when no SkillSpan folder is found.
    InputError
        E109 when a file is missing or unreadable, E204 when a line is malformed.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    unknown = [domain for domain in domains if domain not in DOMAINS]
    if unknown:
        raise ValueError(f"domains must be among {DOMAINS}, got {unknown!r}")
    folder = skillspan_folder(Path(data_dir))
    sentences: list[TaggedSentence] = []
    for domain in domains:
        path = folder / f"skillspan_{domain}_{split}.conll"
        sentences.extend(read_conll(path, domain=domain))
    return sentences


def count_skillspan(sentences: Iterable[TaggedSentence]) -> SkillSpanCounts:
    """Count sentences, tokens, spans, skill–knowledge overlaps and BIO repairs."""
    counts = dict.fromkeys(
        ("sentences", "tokens", "skills", "knowledge", "overlapping", "repaired", "empty"), 0
    )
    for sentence in sentences:
        counts["sentences"] += 1
        counts["tokens"] += len(sentence.tokens)
        counts["skills"] += len(sentence.skills)
        counts["knowledge"] += len(sentence.knowledge)
        counts["repaired"] += sentence.repaired
        counts["empty"] += not (sentence.skills or sentence.knowledge)
        counts["overlapping"] += sum(
            1
            for skill in sentence.skills
            for knowledge in sentence.knowledge
            if skill[0] < knowledge[1] and knowledge[0] < skill[1]
        )
    return SkillSpanCounts(
        sentences=counts["sentences"],
        tokens=counts["tokens"],
        skills=counts["skills"],
        knowledge=counts["knowledge"],
        overlapping=counts["overlapping"],
        repaired=counts["repaired"],
        sentences_without_spans=counts["empty"],
    )


__all__ = [
    "DOMAINS",
    "SPLITS",
    "Domain",
    "SkillSpanCounts",
    "Split",
    "TaggedSentence",
    "TokenSpan",
    "bio_to_spans",
    "count_skillspan",
    "load_skillspan",
    "read_conll",
]
