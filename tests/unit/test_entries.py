"""Names, positions and education entries read by rules."""

from __future__ import annotations

import pytest

from matching.parsing._entries import (
    Hint,
    _plausible_name,
    degree_level,
    find_degrees,
    find_positions,
    guess_name,
    headline_titles,
)

TITLES = {"accountant", "senior data engineer", "data engineer", "registered nurse"}


def is_title(text: str) -> bool:
    return text.lower() in TITLES


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Ada Moreau\nSenior Data Engineer\nLyon", "Ada Moreau"),
        ("JOHN SMITH\nAccountant", "John Smith"),
        ("ACCOUNTANT\nSummary", None),
        ("Senior Data Engineer\nada@example.org", None),
    ],
)
def test_guess_name(header: str, name: str | None) -> None:
    """The name is the first short capitalised line that is not a heading or a job title."""
    assert guess_name(header, is_title=is_title) == name


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Bachelor of Science in Nursing", "bachelor"),
        ("B.Tech in Electrical Engineering", "bachelor"),
        ("MBA, Finance", "master"),
        ("MS in Computer Science", "master"),
        ("Ph.D. in Physics", "doctorate"),
        ("High School Diploma", "diploma"),
        ("Proficient in MS Office", None),
    ],
)
def test_degree_level(text: str, level: str | None) -> None:
    """Degree names map to levels; 'MS Office' is not a master's degree."""
    assert degree_level(text) == level


def test_position_from_one_line_layout() -> None:
    """'Company  dates  Title' on one line gives the title and the company."""
    text = "Experience\nNorthwind Traders July 2011 to November 2012 Accountant\nDid books.\n"
    (position,) = find_positions(text, 0, len(text), [], is_title=is_title)
    assert (position.title, position.company) == ("Accountant", "Northwind Traders")
    assert position.dates.start.iso() == "2011-07"


def test_position_prefers_model_hints() -> None:
    """Entities from the field extractor win over line rules."""
    text = "Experience\nStaff Consultant\nOracle - Bangalore\nJanuary 2018 to Present\n"
    hints = [
        Hint("TITLE", 11, 27, "Staff Consultant"),
        Hint("COMPANY", 28, 34, "Oracle"),
    ]
    (position,) = find_positions(text, 0, len(text), hints, is_title=is_title)
    assert (position.title, position.company, position.dates.end) == (
        "Staff Consultant",
        "Oracle",
        None,
    )


def test_education_entry_from_one_line() -> None:
    """A degree line gives the degree, its level, the institution and the year."""
    text = "Education\nMaster of Science in Computer Science, Université Lyon 1, 2015\n"
    (entry,) = find_degrees(text, 0, len(text), [], max_year=2030)
    assert entry.degree == "Master of Science in Computer Science"
    assert entry.level == "master"
    assert entry.institution == "Université Lyon 1"
    assert entry.year == 2015


def test_education_year_beyond_limit_is_ignored() -> None:
    """A year after ``max_year`` (a typo or a phone fragment) is not a graduation year."""
    text = "Education\nBSc Physics, Example University, 2091\n"
    (entry,) = find_degrees(text, 0, len(text), [], max_year=2030)
    assert entry.year is None


def test_blank_lines_between_title_company_and_dates() -> None:
    """The Indeed export layout (title, blank, company, blank, dates) still pairs them."""
    text = (
        "WORK EXPERIENCE\n\nSenior Data Engineer\n\nNorthwind Traders -  Lyon -\n\n"
        "January 2018 to Present\n\n- Built pipelines.\n"
    )
    (position,) = find_positions(text, 0, len(text), [], is_title=is_title)
    assert (position.title, position.company) == ("Senior Data Engineer", "Northwind Traders")


def test_education_across_blank_lines() -> None:
    """Degree, institution and dates on separate lines with blanks between form one entry."""
    text = (
        "EDUCATION\n\nB.E in Computer Science\n\nAdithya Institute of Technology -  Coimbatore\n\n"
        "September 2008 to June 2012\n"
    )
    (entry,) = find_degrees(text, 0, len(text), [], max_year=2030)
    assert (entry.institution, entry.year) == ("Adithya Institute of Technology", 2012)


@pytest.mark.parametrize(
    ("fragment", "plausible"),
    [
        ("Northwind Traders", True),
        ("Senior Data Engineer", True),
        ("Bank of America", True),
        ("to September 2016 was trained and worked for EMEA", False),
        ("B+ Average", False),
        ("management", False),
        ("port in India", False),
        ("Completed the migration of all services.", False),
    ],
)
def test_plausible_name(fragment: str, plausible: bool) -> None:
    """Only short capitalised fragments without dates are taken as titles or employers."""
    assert _plausible_name(fragment) is plausible


@pytest.mark.parametrize(
    ("header", "titles"),
    [
        ("Ada Moreau\nSenior Data Engineer\nLyon", ["Senior Data Engineer"]),
        ("Ada Moreau\nada@example.org", []),
        ("Ada Moreau\nData Engineer | Lyon | +33 6 12", ["Data Engineer"]),
    ],
)
def test_headline_title(header: str, titles: list[str]) -> None:
    """The title under the name in the header is the candidate's current title."""
    assert headline_titles(header, is_title=is_title) == titles


def test_school_without_a_recognised_degree_is_kept() -> None:
    """A school listed in the education section counts even when no degree is recognised."""
    text = "Education\nElectrical Engineering\nSaranathan College of Engineering - Trichy 2014\n"
    (entry,) = find_degrees(text, 0, len(text), [], max_year=2030)
    assert (entry.degree, entry.institution, entry.year) == (
        None,
        "Saranathan College of Engineering",
        2014,
    )


def test_school_of_a_degree_is_not_repeated() -> None:
    """The school already attached to a degree is not listed again on its own."""
    text = "Education\nBSc Physics\nExample University, 2012\n"
    entries = find_degrees(text, 0, len(text), [], max_year=2030)
    assert [e.institution for e in entries] == ["Example University"]


@pytest.mark.parametrize(
    ("header", "titles"),
    [
        ("Ramesh Rao\nCES ASSOCIATE CONSULTANT\nBangalore", ["CES ASSOCIATE CONSULTANT"]),
        ("Puneeth Rao\nEscalation Specialist - HiPower Support Centre", ["Escalation Specialist"]),
        ("Ramesh Rao\nBangalore, Karnataka - Email me", []),
        ("Ramesh Rao\nTotal IT experience 5 Years", []),
    ],
)
def test_line_under_the_name_is_the_headline(header: str, titles: list[str]) -> None:
    """The line right under the name is the headline title, unless it is a place or a count."""
    assert (
        headline_titles(
            header, is_title=is_title, name="Ramesh Rao" if "Ramesh" in header else "Puneeth Rao"
        )
        == titles
    )


def test_sentence_case_title_next_to_dates() -> None:
    """A title in sentence case is still a title when the occupation index knows it."""
    text = (
        "WORK EXPERIENCE\n\nData engineer\n\nNorthwind Traders -  Lyon -\n\n"
        "February 2016 to Present\n"
    )
    (position,) = find_positions(text, 0, len(text), [], is_title=is_title)
    assert (position.title, position.company) == ("Data engineer", "Northwind Traders")


@pytest.mark.parametrize(
    "fragment", ["Infosys group as a Test Analyst", "BI / Big Data/ Azure", "Worked for Acme"]
)
def test_clauses_and_lists_are_not_titles(fragment: str) -> None:
    """Fragments that are clauses or lists are never taken as a title or an employer."""
    from matching.parsing._entries import _fragment

    assert not _fragment(fragment)
