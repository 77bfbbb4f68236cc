"""Section headings in resumes and postings."""

from __future__ import annotations

import itertools

import pytest

from matching.parsing._sections import find_sections, heading_label


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("Experience", "experience"),
        ("WORK EXPERIENCE", "experience"),
        ("  Education:", "education"),
        ("Technical Skills", "skills"),
        ("Minimum qualifications", "requirements"),
        ("Preferred Qualifications:", "preferred"),
        ("Designations & Promotions", "experience"),
    ],
)
def test_heading_is_recognised(line: str, label: str) -> None:
    """Common headings, in any case and with a trailing colon, open their section."""
    found = heading_label(line)
    assert found is not None
    assert found[0] == label


@pytest.mark.parametrize(
    "line",
    ["Experience in Python and SQL for ten years", "Skilled in SQL", "", "Education is key to"],
)
def test_sentence_is_not_a_heading(line: str) -> None:
    """A sentence that starts with a heading word is content, not a heading."""
    assert heading_label(line) is None


def test_inline_heading_keeps_its_content_in_the_section() -> None:
    """'Skills: Python, SQL' opens a skills section whose body holds the skills."""
    text = "Jane Doe\nSkills: Python, SQL\nEducation\nBSc, 2010\n"
    sections = find_sections(text)
    assert [s.label for s in sections] == ["header", "skills", "education"]
    skills = sections[1]
    assert text[skills.body_start : skills.end].strip() == "Python, SQL"


def test_sections_cover_the_text_in_order() -> None:
    """Sections follow each other without gaps from the first heading to the end."""
    text = "Name\n\nSummary\nabc\n\nExperience\nx\ny\n\nSkills\nz\n"
    sections = find_sections(text)
    assert sections[0].start == 0
    for before, after in itertools.pairwise(sections):
        assert before.end == after.start
    assert sections[-1].end == len(text)
