"""Real resumes: the livecareer PDFs yield clean text with nothing flagged as hidden."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from matching.parsing._documents import PDF, extract_text
from matching.settings import Settings

pytestmark = pytest.mark.data


def _sample(data_dir: Path, count: int = 20) -> list[Path]:
    """A fixed spread of PDFs: the first ones of each category, in name order."""
    folder = data_dir / "livecareer" / "pdf"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    categories = sorted(path for path in folder.iterdir() if path.is_dir())
    picked: list[Path] = []
    rank = 0
    while len(picked) < count and rank < 5:
        for category in categories:
            files = sorted(category.glob("*.pdf"))
            if rank < len(files) and len(picked) < count:
                picked.append(files[rank])
        rank += 1
    return picked


def _pdfminer_text(data_dir: Path) -> dict[str, str]:
    """pdfminer.six's text of each resume, from the data set's CSV."""
    csv.field_size_limit(10**8)
    with (data_dir / "livecareer" / "resumes.csv").open(encoding="utf-8") as handle:
        return {row["ID"]: row["Resume_text_pdfminer"] for row in csv.DictReader(handle)}


def test_real_resumes_yield_text_without_hidden_text_warnings(data_dir: Path) -> None:
    """Twenty real resumes all give text, a page count and no W101 (nothing in them is hidden)."""
    settings = Settings()
    for path in _sample(data_dir):
        result = extract_text(path, settings=settings)
        assert result.media_type == PDF
        assert result.pages is not None
        assert result.pages >= 1
        assert len(result.text) > 500, path
        assert "W101" not in [issue.code for issue in result.warnings], path


def test_real_resumes_read_like_pdfminer(data_dir: Path) -> None:
    """Words are neither glued nor split: at least 97 % of pdfminer.six's words are found, in
    the same first line (the resume's title)."""
    reference = _pdfminer_text(data_dir)
    settings = Settings()
    found = expected = 0
    for path in _sample(data_dir):
        ours = extract_text(path, settings=settings).text
        theirs = reference[path.stem]
        assert ours.splitlines()[0].strip() == theirs.strip().splitlines()[0].strip(), path
        ours_words = Counter(re.findall(r"\w+", ours.lower()))
        their_words = Counter(re.findall(r"\w+", theirs.lower()))
        found += sum((ours_words & their_words).values())
        expected += sum(their_words.values())
    assert found / expected >= 0.97
