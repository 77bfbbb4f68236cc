"""Reading SkillSpan CoNLL files (matching.datasets._skillspan)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.datasets._skillspan import (
    TaggedSentence,
    bio_to_spans,
    count_skillspan,
    load_skillspan,
    read_conll,
)
from matching.errors import ConfigError, InputError


def write_conll(folder: Path, name: str, rows: list[str]) -> Path:
    """Write CoNLL rows (``token\\tskill\\tknowledge`` or blank) to ``folder/name``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        pytest.param(["O", "O"], [], id="no-span"),
        pytest.param(["B-Skill", "I-Skill", "O"], [(0, 2)], id="b-i"),
        pytest.param(["O", "B-Skill"], [(1, 2)], id="span-at-end"),
        pytest.param(["B-Skill", "B-Skill"], [(0, 1), (1, 2)], id="b-b-two-spans"),
        pytest.param(["B-Skill", "I-Skill", "O", "B-Skill"], [(0, 2), (3, 4)], id="two-spans"),
    ],
)
def test_bio_to_spans_reads_well_formed_tags(tags: list[str], spans: list[tuple[int, int]]) -> None:
    """B- opens a span, I- continues it, O and the sentence end close it."""
    assert bio_to_spans(tags) == (spans, 0)


@pytest.mark.parametrize(
    ("tags", "spans", "repaired"),
    [
        pytest.param(["I-Skill", "I-Skill"], [(0, 2)], 1, id="stray-at-start"),
        pytest.param(["O", "I-Skill", "O"], [(1, 2)], 1, id="stray-after-o"),
        pytest.param(["B-Skill", "I-Other"], [(0, 1), (1, 2)], 1, id="label-change"),
    ],
)
def test_bio_to_spans_reads_stray_i_as_b(
    tags: list[str], spans: list[tuple[int, int]], repaired: int
) -> None:
    """An I- tag that continues no span starts one, and is counted as a repair."""
    assert bio_to_spans(tags) == (spans, repaired)


@pytest.mark.parametrize("tag", ["X", "B-", "S-Skill", "Skill"])
def test_bio_to_spans_refuses_unknown_tags(tag: str) -> None:
    """A tag that is not O, B-… or I-… is an error, not a silent O."""
    with pytest.raises(ValueError, match="unknown tag"):
        bio_to_spans(["O", tag])


def test_read_conll_keeps_overlapping_skill_and_knowledge(tmp_path: Path) -> None:
    """The two tag columns are independent, so their spans may overlap."""
    path = write_conll(
        tmp_path,
        "skillspan_tech_train.conll",
        [
            "develop\tB-Skill\tO",
            "Python\tI-Skill\tB-Knowledge",
            "services\tI-Skill\tO",
            ".\tO\tO",
        ],
    )
    [sentence] = read_conll(path, domain="tech")
    assert sentence.skills == ((0, 3),)
    assert sentence.knowledge == ((1, 2),)
    assert count_skillspan([sentence]).overlapping == 1


def test_read_conll_splits_sentences_on_blank_lines(tmp_path: Path) -> None:
    """Blank lines (one or more) separate sentences; tokens keep their order."""
    path = write_conll(
        tmp_path,
        "x.conll",
        ["Use\tO\tO", "SQL\tO\tB-Knowledge", "", "", "Lead\tB-Skill\tO", "teams\tI-Skill\tO"],
    )
    sentences = read_conll(path, domain="house")
    assert [s.tokens for s in sentences] == [("Use", "SQL"), ("Lead", "teams")]
    assert [s.domain for s in sentences] == ["house", "house"]


def test_read_conll_strips_tokens_and_drops_blank_ones(tmp_path: Path) -> None:
    """Surrounding whitespace is removed and whitespace-only tokens are dropped."""
    path = write_conll(tmp_path, "x.conll", ["  18\tO\tO", " \tO\tO", "years\tO\tO"])
    [sentence] = read_conll(path, domain="house")
    assert sentence.tokens == ("18", "years")


@pytest.mark.parametrize(
    ("rows", "detail"),
    [
        pytest.param(["Python\tO"], "line 1 has 2", id="missing-column"),
        pytest.param(["Python\tO\tZ-Knowledge"], "unknown tag", id="unknown-tag"),
    ],
)
def test_read_conll_reports_malformed_lines(tmp_path: Path, rows: list[str], detail: str) -> None:
    """A malformed line raises InputError E204 naming the file and the line."""
    path = write_conll(tmp_path, "x.conll", rows)
    with pytest.raises(InputError, match=detail) as caught:
        read_conll(path, domain="tech")
    assert caught.value.code == "E204"


def test_tagged_sentence_char_spans_follow_the_joined_text() -> None:
    """Token spans map to character offsets in the space-joined text."""
    sentence = TaggedSentence(
        tokens=("Build", "REST", "APIs"), skills=((0, 3),), knowledge=((1, 3),), domain="tech"
    )
    assert [sentence.text[s:e] for s, e in sentence.char_spans(sentence.knowledge)] == ["REST APIs"]


def test_load_skillspan_reads_domains_in_order(tmp_path: Path) -> None:
    """Sentences of each requested domain come in the order the domains are given."""
    folder = tmp_path / "skillspan"
    write_conll(folder, "skillspan_house_dev.conll", ["Cook\tB-Skill\tO"])
    write_conll(folder, "skillspan_tech_dev.conll", ["Java\tO\tB-Knowledge"])
    sentences = load_skillspan(tmp_path, split="dev", domains=("tech", "house"))
    assert [s.domain for s in sentences] == ["tech", "house"]


def test_load_skillspan_without_data_raises_config_error(tmp_path: Path) -> None:
    """A folder without SkillSpan files raises ConfigError E200."""
    with pytest.raises(ConfigError) as caught:
        load_skillspan(tmp_path, split="train")
    assert caught.value.code == "E200"


def test_load_skillspan_missing_domain_file_raises_input_error(tmp_path: Path) -> None:
    """A requested domain whose file is missing raises InputError E109."""
    write_conll(tmp_path / "skillspan", "skillspan_house_dev.conll", ["Cook\tO\tO"])
    with pytest.raises(InputError) as caught:
        load_skillspan(tmp_path, split="dev", domains=("house", "tech"))
    assert caught.value.code == "E109"


def expected_sentences(path: Path) -> int:
    """Count blank-line separated blocks the plain way, independently of the loader."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    return sum(1 for block in blocks if block.strip())


@pytest.mark.data
@pytest.mark.parametrize("split", ["train", "dev"])
@pytest.mark.parametrize("domain", ["house", "tech"])
def test_load_skillspan_reads_the_shared_data(data_dir: Path, split: str, domain: str) -> None:
    """Every sentence of the real files is read, with spans inside the sentence."""
    sentences = load_skillspan(data_dir, split=split, domains=(domain,))  # type: ignore[arg-type]
    path = data_dir / "skillspan" / f"skillspan_{domain}_{split}.conll"
    assert len(sentences) == expected_sentences(path)
    counts = count_skillspan(sentences)
    assert counts.skills > 0
    assert counts.knowledge > 0
    assert all(
        0 <= start < end <= len(s.tokens)
        for s in sentences
        for start, end in s.skills + s.knowledge
    )
