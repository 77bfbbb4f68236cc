"""Readers, weak labels, pairs and group splits for training the candidate ranker.

Unit tests build a few resumes and requisitions by hand; tests marked ``data`` read the shared
data folder and skip when it is absent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matching.datasets import (
    LIVECAREER_CATEGORIES,
    GroupSplit,
    JobPosting,
    LabelledResume,
    WeakLabelMapping,
    build_ranking_pairs,
    clean_resume_text,
    drop_duplicate_texts,
    load_job_postings,
    load_livecareer,
    load_occupation_profiles,
    load_weak_labels,
    pairs_in_split,
    sample_per_category,
    split_by_group,
)
from matching.errors import ConfigError
from matching.parsing._sections import find_sections

# Words that each category's hand-built resumes are written from.
_WORDS = {
    "ACCOUNTANT": "ledger reconciliation audit tax accounts payable general ledger",
    "FINANCE": "financial analysis forecasting budget valuation investment",
    "BANKING": "teller loans deposits branch customers credit",
    "CHEF": "kitchen menu cooking recipes food safety line cooks",
    "HR": "recruiting onboarding payroll benefits employee relations",
    "TEACHER": "lesson plans classroom students curriculum grading",
}


def _resumes(per_category: int = 6) -> list[LabelledResume]:
    """``per_category`` resumes for each category of ``_WORDS``, each with a distinct text."""
    return [
        LabelledResume(
            id=f"{category.lower()}-{i}",
            category=category,
            text=f"{category.title()} number {i}\nExperience\n{words} item{i}",
        )
        for category, words in _WORDS.items()
        for i in range(per_category)
    ]


def _job(job_id: str, source: str, category: str, text: str = "") -> JobPosting:
    return JobPosting(
        id=job_id,
        source=source,  # type: ignore[arg-type]
        title=job_id,
        category=category,
        text=text or f"Posting {job_id}\nResponsibilities\nfinancial analysis budget",
    )


@pytest.fixture(scope="module")
def mapping() -> WeakLabelMapping:
    return load_weak_labels()


# --- The mapping file -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_mapping() -> dict[str, object]:
    text = resources.files("matching.datasets").joinpath("data/weak_labels.json").read_text()
    document: dict[str, object] = json.loads(text)
    return document


def test_mapping_is_versioned_and_covers_every_livecareer_category(
    raw_mapping: dict[str, object],
) -> None:
    """The JSON has a version and exactly the 24 livecareer categories."""
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(raw_mapping["version"]))
    assert isinstance(raw_mapping["categories"], dict)
    assert sorted(raw_mapping["categories"]) == sorted(LIVECAREER_CATEGORIES)


def test_mapping_grades_and_keys_are_known(raw_mapping: dict[str, object]) -> None:
    """Every block is grade 1–3 (0 is implicit) and every rule key is a known category or a
    well-formed code prefix."""
    sources = raw_mapping["sources"]
    assert isinstance(sources, dict)
    known = {name: set(sources[name]["known"]) for name in ("google", "glassdoor")}
    pattern = {"onet": r"\d{2}-(\d{1,4}(\.\d{0,2})?)?", "esco": r"\d{1,4}"}
    categories = raw_mapping["categories"]
    assert isinstance(categories, dict)
    for category, blocks in categories.items():
        assert isinstance(blocks.get("note"), str), category
        assert blocks["note"], category
        for grade, block in blocks.items():
            if grade == "note":
                continue
            assert grade in {"1", "2", "3"}, (category, grade)
            rules = dict(block)
            exclude = rules.pop("exclude", {})
            for source, keys in [*rules.items(), *exclude.items()]:
                for key in keys:
                    if source in known:
                        assert key in known[source], (category, grade, key)
                    else:
                        assert re.fullmatch(pattern[source], key), (category, grade, key)


def test_every_category_has_grade_3_rules(mapping: WeakLabelMapping) -> None:
    """Each resume category names at least one grade-3 rule."""
    for category in LIVECAREER_CATEGORIES:
        assert any(mapping.rules[category][3].keys.values()), category


def test_mapping_rejects_an_unknown_google_category(tmp_path: Path, raw_mapping: dict) -> None:
    """A rule naming a Google category that does not exist is an E204 configuration error."""
    broken = json.loads(json.dumps(raw_mapping))
    broken["categories"]["HR"]["3"]["google"] = ["People Ops"]
    path = tmp_path / "weak_labels.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ConfigError, match="E204"):
        load_weak_labels(path)


@pytest.mark.parametrize(
    ("source", "category", "expected"),
    [
        ("onet", "13-2011.00", {"ACCOUNTANT": 3, "FINANCE": 2, "BANKING": 1}),
        ("esco", "2411", {"ACCOUNTANT": 3, "FINANCE": 2, "BANKING": 1}),
        ("google", "Finance", {"FINANCE": 3, "ACCOUNTANT": 2, "BANKING": 1}),
        ("google", "People Operations", {"HR": 3}),
        ("onet", "35-1011.00", {"CHEF": 3}),
        ("onet", "29-1141.00", {"HEALTHCARE": 3}),
        ("onet", "29-1131.00", {"HEALTHCARE": 1, "AGRICULTURE": 1}),
        ("esco", "2250", {"HEALTHCARE": 1, "AGRICULTURE": 1}),
        ("glassdoor", "Data Science", {"INFORMATION-TECHNOLOGY": 2, "ENGINEERING": 1}),
        ("onet", "99-9999.00", {}),
        ("google", "Not A Category", {}),
    ],
)
def test_grades_follow_the_rules(
    mapping: WeakLabelMapping, source: str, category: str, expected: dict[str, int]
) -> None:
    """Exact categories, code prefixes and exclusions give the documented grades."""
    assert mapping.grades(_job("j", source, category)) == expected


# --- Readers ----------------------------------------------------------------------------------


def test_clean_resume_text_collapses_blank_lines_and_keeps_breaks() -> None:
    """Runs of blank lines become one; single line breaks and words stay."""
    text = "NAME  \r\nSummary\n\n\n\n  \nLine one\nLine two\n\n"
    assert clean_resume_text(text) == "NAME\nSummary\n\nLine one\nLine two"


def test_drop_duplicate_texts_keeps_the_first() -> None:
    """Items with the same text are dropped after the first and counted."""
    items = [
        LabelledResume("a", "HR", "same"),
        LabelledResume("b", "HR", "other"),
        LabelledResume("c", "SALES", "same"),
    ]
    kept, dropped = drop_duplicate_texts(items)
    assert [item.id for item in kept] == ["a", "b"]
    assert dropped == 1


def _write_fake_data(root: Path) -> None:
    """A tiny copy of the shared data layout, written by hand."""
    (root / "livecareer").mkdir()
    pd.DataFrame(
        {
            "ID": [11, 12, 13],
            "Category": ["HR", "HR", "CHEF"],
            "Resume_text_pdfminer": ["HR\n\n\n\nRecruiter", "HR\n\n\n\nRecruiter", "CHEF\nCook"],
        }
    ).to_csv(root / "livecareer" / "resumes.csv", index=False)
    (root / "jobs").mkdir()
    google = pd.DataFrame(
        {
            "Company": ["Google", "Google", "YouTube"],
            "Title": ["Recruiter", "Recruiter", "Analyst"],
            "Category": ["People Operations", "People Operations", "Finance"],
            "Location": ["Dublin", "Zurich", "Paris"],
            "Responsibilities": ["Source candidates.", "Source candidates.", None],
            "Minimum Qualifications": ["BA degree.", "BA degree.", "Excel."],
            "Preferred Qualifications": ["Python.", "Python.", None],
        }
    )
    google.to_csv(root / "jobs" / "google_job_skills_semicolon.csv", sep=";", index=False)
    pd.DataFrame(
        {
            "index": [0, 1, 2],
            "Job Title": ["Data Scientist"] * 3,
            "Job Description": ["Build models.\n]]>", "Build models.", "Clean data."],
            "Company Name": ["Acme\n3.9", "Beta\n4.1", "Gamma"],
            "Location": ["Austin, TX"] * 3,
        }
    ).to_csv(root / "jobs" / "glassdoor_Uncleaned_DS_jobs.csv", index=False)
    (root / "onet").mkdir()
    code = "O*NET-SOC Code"
    pd.DataFrame(
        {
            code: ["35-1011.00", "99-9999.00"],
            "Title": ["Chefs and Head Cooks", "Unmapped Workers"],
            "Description": ["Direct cooking.", "Do things."],
        }
    ).to_csv(root / "onet" / "Occupation Data.txt", sep="\t", index=False)
    pd.DataFrame(
        {
            code: ["35-1011.00"] * 3,
            "Task ID": [1, 2, 3],
            "Task": ["Plan menus.", "Order food.", "Train cooks."],
            "Task Type": ["Supplemental", "Core", "Core"],
        }
    ).to_csv(root / "onet" / "Task Statements.txt", sep="\t", index=False)
    pd.DataFrame(
        {
            code: ["35-1011.00"] * 3 + ["99-9999.00"],
            "Example": ["Microsoft Excel", "Menu software", "Word", "Microsoft Excel"],
            "Hot Technology": ["Y", "Y", "N", "Y"],
            "In Demand": ["Y", "N", "N", "Y"],
        }
    ).to_csv(root / "onet" / "Technology Skills.txt", sep="\t", index=False)
    (root / "esco").mkdir()
    pd.DataFrame(
        {
            "conceptUri": ["http://data.europa.eu/esco/occupation/abc", "http://x/occupation/d"],
            "iscoGroup": [3434, 9999],
            "preferredLabel": ["head chef", "unmapped"],
            "description": ["Head chefs run kitchens.", "Nothing."],
            "status": ["released", "released"],
        }
    ).to_csv(root / "esco" / "occupations_en.csv", index=False)


@pytest.fixture
def fake_data(tmp_path: Path) -> Path:
    _write_fake_data(tmp_path)
    return tmp_path


def test_load_livecareer_cleans_and_drops_duplicates(fake_data: Path) -> None:
    """Texts are cleaned, and a duplicate text is dropped after the first."""
    resumes = load_livecareer(fake_data)
    assert resumes == [
        LabelledResume("11", "HR", "HR\n\nRecruiter"),
        LabelledResume("13", "CHEF", "CHEF\nCook"),
    ]


def test_load_job_postings_builds_sectioned_texts(fake_data: Path) -> None:
    """Google postings get the requisition headings; duplicates (same job, other city) and
    Glassdoor's ']]>' and rating suffixes go."""
    jobs = load_job_postings(fake_data)
    assert [job.id for job in jobs] == [
        "google:0000",
        "google:0002",
        "glassdoor:0000",
        "glassdoor:0002",
    ]
    first = jobs[0]
    assert first.text == (
        "Recruiter\n\nResponsibilities\nSource candidates.\n\nMinimum qualifications\n"
        "BA degree.\n\nPreferred qualifications\nPython."
    )
    labels = [section.label for section in find_sections(first.text)]
    assert labels == ["header", "responsibilities", "requirements", "preferred"]
    assert (first.location, first.category) == ("Dublin", "People Operations")
    assert jobs[1].text == "Analyst\n\nMinimum qualifications\nExcel."
    assert jobs[2].text == "Data Scientist\n\nBuild models."
    assert (jobs[2].company, jobs[2].category) == ("Acme", "Data Science")


def test_load_occupation_profiles_keeps_mapped_occupations(fake_data: Path) -> None:
    """Only occupations the mapping grades are read; core tasks come first and technologies go
    to required (in demand) or preferred (hot) qualifications."""
    profiles = load_occupation_profiles(fake_data)
    assert [(p.id, p.source, p.category) for p in profiles] == [
        ("onet:35-1011.00", "onet", "35-1011.00"),
        ("esco:abc", "esco", "3434"),
    ]
    onet = profiles[0].text
    assert onet.index("Order food.") < onet.index("Train cooks.") < onet.index("Plan menus.")
    assert "Minimum qualifications\n- Experience with Microsoft Excel" in onet
    assert "Preferred qualifications\n- Experience with Menu software" in onet
    assert "Word" not in onet
    assert profiles[1].text == "head chef\n\nJob description\nHead chefs run kitchens."


# --- Pairs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jobs() -> list[JobPosting]:
    return [
        _job("google:0001", "google", "Finance"),
        _job("onet:35-1011.00", "onet", "35-1011.00", "Chef\nkitchen menu cooking recipes"),
        _job("esco:accountant", "esco", "2411", "Accountant\nledger audit tax reconciliation"),
        _job("onet:99-9999.00", "onet", "99-9999.00"),
    ]


def test_pair_labels_follow_the_mapping(mapping: WeakLabelMapping, jobs: list[JobPosting]) -> None:
    """Graded pairs carry the grade of the resume's category for that job; negatives are 0."""
    expected = {
        ("google:0001", "FINANCE"): 3,
        ("google:0001", "ACCOUNTANT"): 2,
        ("google:0001", "BANKING"): 1,
        ("onet:35-1011.00", "CHEF"): 3,
        ("esco:accountant", "ACCOUNTANT"): 3,
        ("esco:accountant", "FINANCE"): 2,
        ("esco:accountant", "BANKING"): 1,
    }
    category = {resume.id: resume.category for resume in _resumes()}
    pairs = build_ranking_pairs(_resumes(), jobs, mapping=mapping)
    for row in pairs.itertuples():
        assert row.label == expected.get((row.job_id, category[row.resume_id]), 0), row
        assert (row.kind == "graded") == (row.label > 0)
    assert list(pairs.columns) == ["job_id", "resume_id", "label", "kind"]
    assert pairs["label"].dtype == np.int64


def test_jobs_without_graded_categories_are_dropped_and_counted(jobs: list[JobPosting]) -> None:
    """A requisition no resume category is graded for yields no pairs and is counted."""
    pairs = build_ranking_pairs(_resumes(), jobs)
    assert "onet:99-9999.00" not in set(pairs["job_id"])
    assert pairs.attrs["jobs_dropped"] == 1
    assert pairs.attrs["mapping_version"] == load_weak_labels().version


def test_graded_draws_are_stratified_by_grade() -> None:
    """With enough resumes of each grade, 12 draws split 6/4/2 over grades 3/2/1."""
    resumes = _resumes(per_category=10)
    pairs = build_ranking_pairs(resumes, [_job("google:0001", "google", "Finance")])
    graded = pairs[pairs["kind"] == "graded"]
    assert graded["label"].value_counts().to_dict() == {3: 6, 2: 4, 1: 2}


def test_short_grades_give_their_draws_to_the_others() -> None:
    """When a grade has too few resumes, the other grades fill the positives."""
    resumes = [r for r in _resumes(per_category=10) if r.category != "BANKING"]
    pairs = build_ranking_pairs(resumes, [_job("google:0001", "google", "Finance")])
    graded = pairs[pairs["kind"] == "graded"]
    assert len(graded) == 12
    assert set(graded["label"]) == {2, 3}


def test_pairs_are_deterministic_for_a_seed(jobs: list[JobPosting]) -> None:
    """The same seed gives the same pairs; another seed gives others."""
    first = build_ranking_pairs(_resumes(), jobs, seed=3)
    pd.testing.assert_frame_equal(first, build_ranking_pairs(_resumes(), jobs, seed=3))
    assert not first.equals(build_ranking_pairs(_resumes(), jobs, seed=4))


def test_a_jobs_pairs_do_not_depend_on_other_jobs(jobs: list[JobPosting]) -> None:
    """Removing one requisition leaves the pairs of the others unchanged."""
    every = build_ranking_pairs(_resumes(), jobs, seed=1)
    fewer = build_ranking_pairs(_resumes(), jobs[1:], seed=1)
    kept = every[every["job_id"] != jobs[0].id].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, fewer, check_like=False)


def test_hard_negatives_are_lexically_close_grade_0_resumes() -> None:
    """Hard negatives come from just below the most similar grade-0 resumes; the very top is
    skipped, and random negatives come from the rest."""
    close = "kitchen menu cooking recipes food"
    resumes = (
        [LabelledResume(f"chef-{i}", "CHEF", f"chef {close} {i}") for i in range(3)]
        + [
            # Grade-0 resumes sharing fewer and fewer words with the posting.
            LabelledResume(f"near-{k}", "HR", " ".join(close.split()[: 5 - k]) + f" recruiting {k}")
            for k in range(5)
        ]
        + [LabelledResume(f"far-{i}", "TEACHER", f"lesson plans students {i}") for i in range(6)]
    )
    job = _job("onet:35-1011.00", "onet", "35-1011.00", f"Head chef\n{close}")
    pairs = build_ranking_pairs(
        resumes,
        [job],
        positives_per_job=2,
        hard_negatives_per_job=2,
        random_negatives_per_job=3,
        hard_negative_skip=1,
        hard_negative_window=3,
    )
    hard = set(pairs.loc[pairs["kind"] == "hard_negative", "resume_id"])
    random = set(pairs.loc[pairs["kind"] == "random_negative", "resume_id"])
    assert len(hard) == 2
    assert hard <= {"near-1", "near-2", "near-3"}
    assert len(random) == 3
    assert not random & hard
    assert "near-0" not in random
    assert set(pairs.loc[pairs["kind"] != "graded", "label"]) == {0}


def test_hard_negatives_are_more_similar_than_random_negatives() -> None:
    """On average, hard negatives share more of the posting's words than random ones."""
    rng = np.random.default_rng(0)
    vocabulary = [f"word{i}" for i in range(60)]
    resumes = [
        LabelledResume(
            f"r{i}", "TEACHER" if i % 4 else "CHEF", " ".join(rng.choice(vocabulary, 12))
        )
        for i in range(80)
    ]
    job = _job("onet:35-1011.00", "onet", "35-1011.00", " ".join(vocabulary[:15]))
    pairs = build_ranking_pairs(
        resumes, [job], hard_negatives_per_job=8, random_negatives_per_job=8
    )
    posting = set(job.text.split())
    overlap = {r.id: len(posting & set(r.text.split())) for r in resumes}
    mean = pairs.assign(overlap=pairs["resume_id"].map(overlap)).groupby("kind")["overlap"].mean()
    assert mean["hard_negative"] > mean["random_negative"]


# --- Splits and sampling ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def split_jobs() -> list[JobPosting]:
    categories = ["Finance", "People Operations", "Sales & Account Management"]
    return [_job(f"google:{i:04d}", "google", categories[i % 3]) for i in range(30)] + [
        _job(f"onet:35-1011.{i:02d}", "onet", f"35-1011.{i:02d}") for i in range(6)
    ]


def test_splits_share_no_resume_and_no_job(split_jobs: list[JobPosting]) -> None:
    """Train, valid and test are disjoint and together hold every resume and job."""
    split = split_by_group(_resumes(), split_jobs, seed=0)
    parts = split.parts()
    for i, first in enumerate(parts):
        for second in parts[i + 1 :]:
            assert not first.resume_ids & second.resume_ids
            assert not first.job_ids & second.job_ids
    assert set().union(*(p.resume_ids for p in parts)) == {r.id for r in _resumes()}
    assert set().union(*(p.job_ids for p in parts)) == {j.id for j in split_jobs}


def test_every_split_holds_every_category(split_jobs: list[JobPosting]) -> None:
    """Stratification puts each resume category and each job stratum in every split."""
    split = split_by_group(_resumes(), split_jobs, seed=0)
    category = {r.id: r.category for r in _resumes()}
    job_category = {j.id: j.category for j in split_jobs}
    for part in split.parts():
        assert {category[i] for i in part.resume_ids} == set(_WORDS)
        assert {job_category[i][:5] for i in part.job_ids} >= {
            "Finan",
            "Peopl",
            "Sales",
            "35-10",
        }


def test_splits_are_deterministic_for_a_seed(split_jobs: list[JobPosting]) -> None:
    """The same seed gives the same split; another seed gives another."""
    assert split_by_group(_resumes(), split_jobs, seed=5) == split_by_group(
        _resumes(), split_jobs, seed=5
    )
    assert split_by_group(_resumes(), split_jobs, seed=5) != split_by_group(
        _resumes(), split_jobs, seed=6
    )


def test_pairs_in_split_keeps_pairs_whose_both_ends_are_in_it(
    split_jobs: list[JobPosting],
) -> None:
    """A pair is in a split only if its resume and its job both are."""
    split: GroupSplit = split_by_group(_resumes(), split_jobs, seed=0)
    pairs = build_ranking_pairs(_resumes(), split_jobs)
    total = 0
    for part in split.parts():
        kept = pairs_in_split(pairs, part)
        assert kept["resume_id"].isin(part.resume_ids).all()
        assert kept["job_id"].isin(part.job_ids).all()
        total += len(kept)
    both = [
        any(r in p.resume_ids and j in p.job_ids for p in split.parts())
        for r, j in zip(pairs["resume_id"], pairs["job_id"], strict=True)
    ]
    assert total == sum(both) < len(pairs)
    assert split["valid"] is split.valid


def test_split_rejects_repeated_ids() -> None:
    """Repeated ids would leak across splits, so they are refused."""
    resumes = _resumes()
    with pytest.raises(ValueError, match="unique"):
        split_by_group([*resumes, resumes[0]], [])


def test_sample_per_category_caps_each_category() -> None:
    """At most n per category, deterministic for a seed, in the original order."""
    resumes = _resumes(per_category=6)
    sample = sample_per_category(resumes, 4, seed=2)
    assert Counter(r.category for r in sample) == dict.fromkeys(_WORDS, 4)
    assert sample == sample_per_category(resumes, 4, seed=2)
    positions = [resumes.index(r) for r in sample]
    assert positions == sorted(positions)
    assert sample_per_category(resumes, 10) == resumes


# --- Real data --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(data_dir: Path) -> tuple[list[LabelledResume], list[JobPosting], list[JobPosting]]:
    return (
        load_livecareer(data_dir),
        load_job_postings(data_dir),
        load_occupation_profiles(data_dir),
    )


@pytest.mark.data
def test_real_loaders_read_the_expected_counts(
    real: tuple[list[LabelledResume], list[JobPosting], list[JobPosting]],
) -> None:
    """Resumes, postings and profiles are read in the expected numbers, with unique ids."""
    resumes, postings, profiles = real
    assert 2100 <= len(resumes) <= 2132
    assert {r.category for r in resumes} == set(LIVECAREER_CATEGORIES)
    sources = Counter(job.source for job in [*postings, *profiles])
    assert 700 <= sources["google"] <= 1250
    assert 400 <= sources["glassdoor"] < 672  # the file has duplicate descriptions
    assert 300 <= sources["onet"] <= 1016
    assert 500 <= sources["esco"] <= 3043
    for items in (resumes, [*postings, *profiles]):
        assert len({item.id for item in items}) == len(items)
        assert len({item.text for item in items}) == len(items)


@pytest.mark.data
def test_real_google_categories_are_the_mappings(
    real: tuple[list[LabelledResume], list[JobPosting], list[JobPosting]],
    raw_mapping: dict[str, dict[str, dict[str, list[str]]]],
) -> None:
    """The mapping's list of Google categories is the file's."""
    google = {job.category for job in real[1] if job.source == "google"}
    assert google == set(raw_mapping["sources"]["google"]["known"])


@pytest.mark.data
def test_every_code_prefix_matches_a_real_occupation(
    data_dir: Path, raw_mapping: dict[str, dict[str, dict[str, object]]]
) -> None:
    """No O*NET or ISCO prefix in the mapping is a typo that matches nothing."""
    onet = pd.read_csv(data_dir / "onet" / "Occupation Data.txt", sep="\t", dtype=str)
    esco = pd.read_csv(data_dir / "esco" / "occupations_en.csv", dtype=str)
    codes = {"onet": set(onet["O*NET-SOC Code"]), "esco": set(esco["iscoGroup"].str.zfill(4))}
    for category, blocks in raw_mapping["categories"].items():
        for grade, block in blocks.items():
            if grade == "note":
                continue
            assert isinstance(block, dict)
            rules = {k: v for k, v in block.items() if k != "exclude"}
            for source, keys in [*rules.items(), *dict(block.get("exclude", {})).items()]:
                for key in keys if source in codes else ():
                    assert any(c.startswith(key) for c in codes[source]), (category, key)


@pytest.mark.data
def test_every_category_has_grade_3_jobs_in_the_pool_and_each_split(
    real: tuple[list[LabelledResume], list[JobPosting], list[JobPosting]],
    mapping: WeakLabelMapping,
) -> None:
    """Each resume category has grade-3 requisitions overall and in train, valid and test,
    and resumes of its own in each split."""
    resumes, postings, profiles = real
    jobs = [*postings, *profiles]
    split = split_by_group(resumes, jobs, seed=0)
    by_id = {job.id: job for job in jobs}
    category = {r.id: r.category for r in resumes}
    for part in split.parts():
        grade_3 = {c for i in part.job_ids for c, g in mapping.grades(by_id[i]).items() if g == 3}
        assert grade_3 == set(LIVECAREER_CATEGORIES), part.name
        assert {category[i] for i in part.resume_ids} == set(LIVECAREER_CATEGORIES), part.name
