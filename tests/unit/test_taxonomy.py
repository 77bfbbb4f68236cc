"""Tests of the vocabulary build, skill lookup and job-title normalisation.

Most tests build a vocabulary from a handful of hand-written ESCO and O*NET rows in
``tmp_path``; a few check the vocabulary shipped with the package, and one (marked
``data``) rebuilds it from the shared data folder.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from matching.errors import ConfigError
from matching.taxonomy import (
    BuildReport,
    OccupationIndex,
    SkillVocabulary,
    build_vocabulary,
    load_occupations,
    load_skill_vocabulary,
    normalize_term,
    normalize_title,
)

ESCO = "http://data.europa.eu/esco/skill/"
PYTHON = ESCO + "python-0001"
R_LANGUAGE = ESCO + "r-0002"
CPP = ESCO + "cpp-0003"
MACHINE_LEARNING = ESCO + "ml-0004"
COMMUNICATION = ESCO + "communication-0005"
LONG_SKILL = ESCO + "long-0006"
SOFTWARE_DEVELOPER = "http://data.europa.eu/esco/occupation/software-developer-0001"

#: Words the tests treat as ordinary English (the build uses WordNet by default).
LEXICON = frozenset({"excel", "go", "communication", "learning", "machine"})


def _write_csv(path: Path, header: list[str], rows: list[list[str]], *, tab: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        if tab:
            handle.write("\t".join(header) + "\n")
            handle.writelines("\t".join(row) + "\n" for row in rows)
        else:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)


def write_tiny_taxonomies(root: Path) -> Path:
    """Write a few ESCO and O*NET rows in the shared data layout under ``root``."""
    esco, onet = root / "esco", root / "onet"
    _write_csv(
        esco / "esco_skills_merged.csv",
        ["conceptUri", "preferredLabel", "altLabels", "label_alt_description_text"],
        [
            [PYTHON, "python (computer programming)", "", "Python (computer programming) code."],
            [R_LANGUAGE, "r", "", "R The techniques of programming in R."],
            [CPP, "c++", "", "C++ The techniques of programming in C++."],
            [MACHINE_LEARNING, "machine learning", "", "machine learning Learning from data."],
            [COMMUNICATION, "communication", "", "communication Go and go on talking."],
            [
                LONG_SKILL,
                "apply anti-oppressive practices in rural social services",
                "",
                "apply anti-oppressive practices in rural social services Act well.",
            ],
        ],
    )
    _write_csv(
        esco / "digitalSkillsCollection_en.csv",
        ["conceptUri", "preferredLabel", "altLabels", "skillType", "description"],
        [
            [PYTHON, "Python (computer programming)", "Python programming", "knowledge", ""],
            [R_LANGUAGE, "R", "", "knowledge", ""],
            [CPP, "C++", "", "knowledge", ""],
        ],
    )
    _write_csv(
        esco / "occupations_en.csv",
        ["conceptUri", "preferredLabel", "altLabels", "hiddenLabels", "description"],
        [
            [
                SOFTWARE_DEVELOPER,
                "software developer",
                "programmer\napplication developer",
                "",
                "Software developers write programs.",
            ]
        ],
    )
    technology = [
        ("15-1252.00", "Python", "Object or component oriented development software", "Y"),
        ("15-1252.00", "R", "Object or component oriented development software", "Y"),
        ("15-1252.00", "C++", "Object or component oriented development software", "Y"),
        ("15-1252.00", "Go", "Object or component oriented development software", "N"),
        ("15-1252.00", "Microsoft Excel", "Spreadsheet software", "Y"),
        ("43-9061.00", "Microsoft Excel", "Spreadsheet software", "Y"),
        ("15-1252.00", "Microsoft .NET Framework", "Development environment software", "Y"),
        ("15-1252.00", "Node.js", "Web platform development software", "Y"),
        ("15-1252.00", "Structured query language SQL", "Data base software", "Y"),
        ("15-1252.00", "Microsoft SQL Server", "Data base software", "Y"),
    ]
    _write_csv(
        onet / "Technology Skills.txt",
        [
            "O*NET-SOC Code",
            "Example",
            "Commodity Code",
            "Commodity Title",
            "Hot Technology",
            "In Demand",
        ],
        [[code, name, "43232", title, hot, "N"] for code, name, title, hot in technology],
        tab=True,
    )
    _write_csv(
        onet / "Occupation Data.txt",
        ["O*NET-SOC Code", "Title", "Description"],
        [
            ["15-1252.00", "Software Developers", "Develop software."],
            ["15-2051.00", "Data Scientists", "Analyse data."],
            ["43-9061.00", "Office Clerks, General", "Perform clerical duties."],
        ],
        tab=True,
    )
    _write_csv(
        onet / "Alternate Titles.txt",
        ["O*NET-SOC Code", "Alternate Title", "Short Title", "Source(s)"],
        [
            ["15-1252.00", "Software Engineer", "n/a", "08"],
            ["15-1252.00", "Backend Developer", "n/a", "10"],
            ["15-2051.00", "Machine Learning Scientist", "n/a", "10"],
            ["43-9061.00", "Office Clerk", "n/a", "08"],
        ],
        tab=True,
    )
    return root


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """A vocabulary built once from the hand-written rows."""
    root = write_tiny_taxonomies(tmp_path_factory.mktemp("data"))
    return build_vocabulary(root, root / "out", lexicon=LEXICON)


@pytest.fixture(scope="module")
def skills(tiny_build: BuildReport) -> SkillVocabulary:
    """The skill vocabulary of the tiny build."""
    return load_skill_vocabulary(tiny_build.skills_path)


@pytest.fixture(scope="module")
def occupations(tiny_build: BuildReport) -> OccupationIndex:
    """The occupation index of the tiny build."""
    return load_occupations(tiny_build.occupations_path)


# ------------------------------------------------------------------------------- build


def test_build_writes_vocabularies_and_attribution(tiny_build: BuildReport) -> None:
    """The build writes both gzipped vocabularies and ATTRIBUTION.md next to them."""
    assert tiny_build.skills_path.is_file()
    assert tiny_build.occupations_path.is_file()
    assert tiny_build.bytes_on_disk == (
        tiny_build.skills_path.stat().st_size + tiny_build.occupations_path.stat().st_size
    )


@pytest.mark.parametrize(
    "wording",
    ["© European Union", "2011/833/EU", "O*NET 30.2", "CC BY 4.0", "USDOL/ETA", "**modified**"],
)
def test_attribution_has_required_wording(tiny_build: BuildReport, wording: str) -> None:
    """ATTRIBUTION.md carries the ESCO and O*NET attribution and says the data were modified."""
    assert wording in tiny_build.attribution_path.read_text(encoding="utf-8")


def test_build_is_reproducible(tmp_path: Path) -> None:
    """Two builds of the same inputs write byte-identical vocabulary files."""
    root = write_tiny_taxonomies(tmp_path / "data")
    first = build_vocabulary(root, tmp_path / "a", lexicon=LEXICON)
    second = build_vocabulary(root, tmp_path / "b", lexicon=LEXICON)
    assert first.skills_path.read_bytes() == second.skills_path.read_bytes()
    assert first.occupations_path.read_bytes() == second.occupations_path.read_bytes()


def test_build_without_data_folder_raises_e200(tmp_path: Path) -> None:
    """A data folder without esco/ and onet/ is refused with E200."""
    with pytest.raises(ConfigError) as info:
        build_vocabulary(tmp_path, tmp_path / "out", lexicon=LEXICON)
    assert info.value.code == "E200"


def test_build_with_missing_column_raises_e204(tmp_path: Path) -> None:
    """An O*NET file without a required column is refused with E204."""
    root = write_tiny_taxonomies(tmp_path / "data")
    _write_csv(root / "onet" / "Occupation Data.txt", ["Code", "Title"], [], tab=True)
    with pytest.raises(ConfigError) as info:
        build_vocabulary(root, tmp_path / "out", lexicon=LEXICON)
    assert info.value.code == "E204"


# ------------------------------------------------------------------------------ lookup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  C++, ", "C++"),
        ("c++", "C++"),
        ("Node.js", "node.js"),
        (".NET Framework.", ".net framework"),
        ("Machine\u00a0  Learning", "machine learning"),
        ("C#", "c#"),
    ],
)
def test_normalize_term_keeps_symbols_of_names(text: str, expected: str) -> None:
    """Lookup keys fold case and spaces but keep "+", "#" and a leading "."."""
    assert normalize_term(text) == expected.casefold()


@pytest.mark.parametrize(
    ("text", "concept_id"),
    [
        ("python", PYTHON),
        ("PYTHON", PYTHON),
        ("Python programming", PYTHON),
        ("c++", CPP),
        ("C++", CPP),
        ("machine learning", MACHINE_LEARNING),
        (" Machine Learning. ", MACHINE_LEARNING),
    ],
)
def test_lookup_is_case_and_space_insensitive(
    skills: SkillVocabulary, text: str, concept_id: str
) -> None:
    """Ordinary forms are found whatever their case, spacing or edge punctuation."""
    concept = skills.lookup(text)
    assert concept is not None
    assert concept.id == concept_id


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (".NET Framework", "Microsoft .NET Framework"),
        (".net framework", "Microsoft .NET Framework"),
        ("node.js", "Node.js"),
        ("SQL", "Structured query language SQL"),
        ("structured query language", "Structured query language SQL"),
        ("SQL Server", "Microsoft SQL Server"),
        ("MS SQL Server", "Microsoft SQL Server"),
    ],
)
def test_lookup_finds_short_names_of_onet_technologies(
    skills: SkillVocabulary, text: str, label: str
) -> None:
    """Derived short names (no vendor, acronym alone, "MS") lead to the O*NET concept."""
    concept = skills.lookup(text)
    assert concept is not None
    assert concept.label == label
    assert concept.id.startswith("onet:tech:")


@pytest.mark.parametrize(
    ("text", "found"), [("R", True), ("r", False), ("Go", True), ("go", False)]
)
def test_ambiguous_names_are_case_sensitive(
    skills: SkillVocabulary, text: str, found: bool
) -> None:
    """Single letters and ordinary words ("R", "Go") are found only in their own case."""
    assert (skills.lookup(text) is not None) is found


def test_excel_is_kept_case_sensitive_and_ambiguous(skills: SkillVocabulary) -> None:
    """ "Excel" (from "Microsoft Excel") is a case-sensitive, ambiguous form."""
    concept = skills.lookup("Excel")
    assert concept is not None
    (form,) = [f for f in skills.forms_of(concept.id) if f.text == "Excel"]
    assert (form.case_sensitive, form.ambiguous) == (True, True)
    assert skills.lookup("excel") is None


@pytest.mark.parametrize("name", ["Python", "R", "C++"])
def test_linked_concepts_take_the_esco_uri(skills: SkillVocabulary, name: str) -> None:
    """An O*NET name equal to an ESCO label becomes a form of the ESCO concept."""
    concept = skills.lookup(name)
    assert concept is not None
    assert concept.taxonomy == "esco"
    assert concept.id.startswith(ESCO)
    assert f"onet:tech:{name.casefold()}" not in skills


def test_linked_concept_keeps_onet_flags(skills: SkillVocabulary) -> None:
    """A linked concept keeps the O*NET hot flag and commodity category, kind technology."""
    concept = skills.get(PYTHON)
    assert concept is not None
    assert (concept.hot, concept.kind) == (True, "technology")
    assert concept.category == "Object or component oriented development software"


def test_esco_label_is_shown_without_parenthetical_form(skills: SkillVocabulary) -> None:
    """ "Python (computer programming)" keeps its label, but is matched as "python"."""
    concept = skills.get(PYTHON)
    assert concept is not None
    assert concept.label == "Python (computer programming)"
    assert {form.text for form in skills.forms_of(PYTHON)} >= {"python"}


def test_long_esco_labels_are_not_surface_forms(skills: SkillVocabulary) -> None:
    """Labels of more than six words are not kept (nobody writes them verbatim)."""
    assert skills.lookup("apply anti-oppressive practices in rural social services") is None


def test_stoplisted_form_is_found_by_lookup_but_marked_stop(skills: SkillVocabulary) -> None:
    """A stoplisted form ("communication") is looked up but flagged never to match text."""
    concept = skills.lookup("communication")
    assert concept is not None
    assert [form.stop for form in skills.forms_of(concept.id)] == [True]


def test_loading_is_cached(tiny_build: BuildReport) -> None:
    """Loading the same file twice returns the same object."""
    path = tiny_build.skills_path
    assert load_skill_vocabulary(path) is load_skill_vocabulary(str(path))


def test_loading_a_folder_finds_the_file(tiny_build: BuildReport) -> None:
    """A folder holding ``skills.json.gz`` can be given instead of the file."""
    assert len(load_skill_vocabulary(tiny_build.skills_path.parent)) > 0


# ------------------------------------------------------------------------- load errors


@pytest.mark.parametrize("loader", [load_skill_vocabulary, load_occupations])
def test_missing_vocabulary_raises_e202(tmp_path: Path, loader: object) -> None:
    """A missing vocabulary file raises ConfigError E202."""
    with pytest.raises(ConfigError) as info:
        loader(tmp_path / "missing.json.gz")  # type: ignore[operator]
    assert info.value.code == "E202"


@pytest.mark.parametrize(
    "content",
    [b"not gzip at all", gzip.compress(b"{not json"), gzip.compress(b'{"format": "other"}')],
)
def test_corrupt_vocabulary_raises_e202(tmp_path: Path, content: bytes) -> None:
    """A file that is not gzip, not JSON, or not a skill vocabulary raises E202."""
    path = tmp_path / "skills.json.gz"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_skill_vocabulary(path)
    assert info.value.code == "E202"


def test_malformed_rows_raise_e202(tmp_path: Path) -> None:
    """A well-formed file with a malformed concept row raises E202, not a TypeError."""
    payload = {"format": "matching.skills", "version": 1, "normalisation": 1}
    payload |= {"categories": [], "concepts": [["x", "y"]]}
    path = tmp_path / "skills.json.gz"
    path.write_bytes(gzip.compress(json.dumps(payload).encode()))
    with pytest.raises(ConfigError) as info:
        load_skill_vocabulary(path)
    assert info.value.code == "E202"


# ------------------------------------------------------------------------- occupations


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sr. Software Engineers", "senior software engineer"),
        ("HR Mgr", "human resource manager"),
        ("Jr. Dev (C++)", "junior developer c++"),
        ("Waiters & Waitresses", "waiter and waitress"),
    ],
)
def test_normalize_title(title: str, expected: str) -> None:
    """Titles are lower-cased, abbreviations expanded and words singularised."""
    assert normalize_title(title) == expected


@pytest.mark.parametrize(
    ("title", "concept_id", "score"),
    [
        ("Software Developers", "onet:soc:15-1252.00", 1.0),
        ("software engineer", "onet:soc:15-1252.00", 1.0),
        ("Senior Software Engineer", "onet:soc:15-1252.00", 0.95),
        ("Sr. Software Engineer II - Backend", "onet:soc:15-1252.00", 0.9),
        ("Backend Developer - Payments", "onet:soc:15-1252.00", 0.9),
        ("Programmer", SOFTWARE_DEVELOPER, 1.0),
        ("Data Scientists", "onet:soc:15-2051.00", 1.0),
    ],
)
def test_match_exact_titles(
    occupations: OccupationIndex, title: str, concept_id: str, score: float
) -> None:
    """Known titles match exactly, after seniority words and qualifiers are dropped."""
    occupation = occupations.match(title)
    assert occupation is not None
    assert (occupation.concept_id, occupation.score) == (concept_id, score)


def test_match_similar_title(occupations: OccupationIndex) -> None:
    """An unknown title falls back to the most similar known one, scored below 0.9."""
    occupation = occupations.match("Principal Machine Learning Research Scientist")
    assert occupation is not None
    assert occupation.concept_id == "onet:soc:15-2051.00"
    assert 0.5 <= occupation.score < 0.9


@pytest.mark.parametrize("title", ["Zookeeper Extraordinaire", "", "!!!"])
def test_match_unknown_title_returns_none(occupations: OccupationIndex, title: str) -> None:
    """A title unlike any known one gives ``None``."""
    assert occupations.match(title) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Senior Software Engineer", True),
        ("OFFICE CLERK", True),
        ("Backend Developer", True),
        ("Professional Experience", False),
        ("Skills", False),
        ("Reconciled the clerk's accounts with the custody bank daily.", False),
        ("Office Clerk 10/2012 to 11/2015", False),
    ],
)
def test_is_title(occupations: OccupationIndex, line: str, expected: bool) -> None:
    """Short lines naming a job are titles; headings, sentences and dated lines are not."""
    assert occupations.is_title(line) is expected


# ---------------------------------------------------------------- shipped vocabulary


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Microsoft Excel", "Microsoft Excel"),
        ("Excel", "Microsoft Excel"),
        ("MS Excel", "Microsoft Excel"),
        ("C++", "C++"),
        ("R", "R"),
        ("SQL", "SQL"),
        ("Node.js", "Node.js"),
        (".NET", "Microsoft .NET Framework"),
        ("t-sql", "Microsoft transact-structural query language T-SQL"),
        ("Photoshop", "Adobe Photoshop"),
        ("English", "English"),
    ],
)
def test_shipped_vocabulary_finds_common_skills(text: str, label: str) -> None:
    """The vocabulary shipped with the package knows the skills resumes mention most."""
    concept = load_skill_vocabulary().lookup(text)
    assert concept is not None
    assert concept.label == label


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("Sr. Software Engineer II - Backend", "Software Developers"),
        ("Registered Nurse", "Registered Nurses"),
        ("Executive Chef", "Chefs and Head Cooks"),
        ("Staff Accountant", "Accountants and Auditors"),
    ],
)
def test_shipped_occupations_match_common_titles(title: str, label: str) -> None:
    """The occupation index shipped with the package normalises common titles."""
    occupation = load_occupations().match(title)
    assert occupation is not None
    assert occupation.label == label


@pytest.mark.data
@pytest.mark.slow
def test_shipped_vocabulary_is_rebuilt_from_shared_data(data_dir: Path, tmp_path: Path) -> None:
    """Rebuilding from ../shared/data gives the shipped files byte for byte.

    It fails when the rules changed but the vocabulary was not rebuilt (`make vocabulary`).
    """
    from matching.taxonomy._vocabulary import data_dir as package_data

    report = build_vocabulary(data_dir, tmp_path)
    for built in (report.skills_path, report.occupations_path, report.attribution_path):
        assert built.read_bytes() == (package_data() / built.name).read_bytes(), built.name


def test_every_stoplist_entry_is_a_form_of_the_shipped_vocabulary() -> None:
    """The stoplist names only forms that exist, each flagged ``stop``."""
    from matching.taxonomy._rules import STOPLIST

    stopped = {form.text.casefold() for form in load_skill_vocabulary().forms if form.stop}
    assert stopped == set(STOPLIST)
