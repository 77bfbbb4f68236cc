"""The whole parse (real spaCy pipeline, real vocabulary) on the bundled example documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from matching.errors import InputError
from matching.parsing import parse_requisition, parse_resume
from matching.schemas import Profile
from matching.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "matching" / "examples"
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module", params=["rules", "trained"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Rules-only mode always; trained mode when `make train-parser` has built the model."""
    if request.param == "rules":
        return Settings(field_model="/nonexistent/fields")
    settings = Settings()
    if not (settings.field_model_path() / "meta.json").is_file():
        pytest.skip("models/fields is absent (build it with `make train-parser`)")
    return settings


@pytest.fixture(scope="module")
def ada(settings: Settings) -> Profile:
    return parse_resume(EXAMPLES / "resumes" / "ada_moreau.txt", today=TODAY, settings=settings)


@pytest.fixture(scope="module")
def li(settings: Settings) -> Profile:
    return parse_resume(EXAMPLES / "resumes" / "li_wei.html", today=TODAY, settings=settings)


@pytest.fixture(scope="module")
def sam(settings: Settings) -> Profile:
    return parse_resume(EXAMPLES / "resumes" / "sam_okafor.pdf", today=TODAY, settings=settings)


def test_extractor_mode_is_reported(ada: Profile, settings: Settings) -> None:
    """A profile says whether the trained extractor ran; rules-only mode warns (W104)."""
    trained = (settings.field_model_path() / "meta.json").is_file()
    assert ada.extractor == ("trained" if trained else "rules")
    assert any(w.code == "W104" for w in ada.warnings) is not trained


def _concepts(profile: Profile) -> set[str]:
    """Lower-cased skill labels without ESCO's qualifier: 'Python (computer programming)'."""
    return {skill.label.lower().split(" (")[0] for skill in profile.skills}


def test_contacts_and_name(ada: Profile) -> None:
    """Name, e-mail, phone and profile link are read from the header."""
    assert ada.name == "Ada Moreau"
    assert ada.emails == ["ada.moreau@example.org"]
    assert ada.phones == ["+33612345678"]
    assert ada.links == ["linkedin.com/in/ada-moreau-example"]


def test_positions_and_years(ada: Profile) -> None:
    """Three dated positions give titles, employers and the years they cover."""
    assert [(e.start, e.end) for e in ada.experience] == [
        ("2021-03", "present"),
        ("2017-06", "2021-02"),
        ("2015-09", "2017-05"),
    ]
    assert "Senior Data Engineer" in ada.titles
    assert any("Northwind" in company for company in ada.companies)
    assert ada.total_experience_years == pytest.approx(11.2, abs=0.1)


def test_education(ada: Profile) -> None:
    """Both degrees are read with level, institution and year."""
    assert [(e.level, e.year) for e in ada.education] == [("master", 2015), ("bachelor", 2013)]
    assert ada.education[0].institution == "Université Claude Bernard Lyon 1"


def test_skills_are_normalised_with_sources(ada: Profile) -> None:
    """Skills carry a concept id and the span they were read from."""
    assert {"python", "sql"} <= _concepts(ada)
    for skill in ada.skills:
        assert skill.concept_id
        text = (EXAMPLES / "resumes" / "ada_moreau.txt").read_text(encoding="utf-8")
        assert text[skill.source.start : skill.source.end] == skill.source.text


def test_hidden_html_keywords_do_not_count(li: Profile) -> None:
    """Keywords in a hidden element are reported (W101) and never become skills."""
    assert any(w.code == "W101" for w in li.warnings)
    assert "python" not in _concepts(li)
    assert "kubernetes" not in _concepts(li)
    assert li.name == "Li Wei"


def test_requisition_requirements() -> None:
    """Required and preferred skills, minimum years, degree and remote policy are read."""
    job = parse_requisition(EXAMPLES / "jobs" / "data_engineer.txt")
    required = {s.label.lower().split(" (")[0] for s in job.required_skills}
    preferred = {s.label.lower().split(" (")[0] for s in job.preferred_skills}
    assert {"python", "sql"} <= required
    assert {"kubernetes", "docker"} <= preferred
    assert not required & preferred
    assert job.min_years_experience == 5.0
    assert job.education_level == "bachelor"
    assert job.remote == "hybrid"
    assert job.location == "Lyon, France"
    assert job.title == "Senior Data Engineer"
    assert job.occupation is not None


def test_cli_json_lines_and_bad_file_exit_status(tmp_path: Path) -> None:
    """`matching parse --json` prints one object per file, reports a bad file and exits 1."""
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "matching",
            "parse",
            "--json",
            str(EXAMPLES / "resumes" / "ada_moreau.txt"),
            str(empty),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert result.returncode == 1
    assert lines[0]["name"] == "Ada Moreau"
    assert lines[1]["error"]["code"] == "E101"
    assert lines[1]["path"] == str(empty)


def test_glued_list_items_are_separate_skills() -> None:
    """'C++,Python' and 'C#/.NET' are split: each name is found, not one unknown token.

    ('C#' itself is then left out by the vocabulary's rule against short names glued to a
    slash, as in 'A/R'.)
    """
    from matching.parsing import parse_resume_text

    profile = parse_resume_text("Jane Roe\nSkills\nC++,Python and C#/.NET\n", today=TODAY)
    found = {skill.source.text for skill in profile.skills}
    assert {"C++", "Python", ".NET"} <= found


def test_hidden_pdf_keywords_do_not_count(sam: Profile) -> None:
    """White and 1 pt keywords in a PDF are reported (W101) and never become skills."""
    warning = next(w for w in sam.warnings if w.code == "W101")
    assert "white" in warning.message
    assert "tiny" in warning.message
    assert not {"python", "kubernetes", "tensorflow", "machine learning"} & _concepts(sam)
    assert "microsoft excel" in _concepts(sam)


def test_location_from_a_header_segment(sam: Profile) -> None:
    """'Leeds, United Kingdom | e-mail | phone' gives the location."""
    assert sam.location == "Leeds, United Kingdom"


def test_pdf_positions(sam: Profile) -> None:
    """Both positions of the PDF example are read with their employers."""
    assert [(e.title, e.company, e.start) for e in sam.experience] == [
        ("Senior Accountant", "Harbour Logistics Ltd", "2021-04"),
        ("Accountant", "Pennine Audit Partners", "2018-09"),
    ]


def test_docx_vanished_run_is_ignored(settings: Settings) -> None:
    """A DOCX run marked hidden is reported and does not count."""
    maria = parse_resume(EXAMPLES / "resumes" / "maria_santos.docx", today=TODAY, settings=settings)
    assert maria.name == "Maria Santos"
    assert any(w.code == "W101" for w in maria.warnings)
    assert not {"java", "python", "sql"} & _concepts(maria)


def test_scanned_pdf_is_refused() -> None:
    """An image-only PDF is refused with E105, never turned into an empty profile."""
    with pytest.raises(InputError) as caught:
        parse_resume(EXAMPLES / "resumes" / "scanned_resume.pdf")
    assert caught.value.code == "E105"


def test_rules_mode_names_the_missing_model() -> None:
    """W104 names the folder where the trained extractor was looked for."""
    settings = Settings(field_model="/nonexistent/fields")
    profile = parse_resume(EXAMPLES / "resumes" / "ada_moreau.txt", settings=settings)
    (warning,) = [w for w in profile.warnings if w.code == "W104"]
    assert "/nonexistent/fields" in warning.message


def test_cli_reports_a_broken_model_without_a_traceback(tmp_path: Path) -> None:
    """A model folder that cannot be loaded ends the command with E201 and status 2."""
    broken = tmp_path / "fields"
    broken.mkdir()
    (broken / "meta.json").write_text("{not json", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "matching", "parse", str(EXAMPLES / "resumes" / "ada_moreau.txt")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "MATCHING_FIELD_MODEL": str(broken)},
    )
    assert result.returncode == 2
    assert "E201" in result.stderr
    assert "Traceback" not in result.stderr
