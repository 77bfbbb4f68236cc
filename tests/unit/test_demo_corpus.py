"""The synthetic demo corpus: deterministic, idempotent, read by every loader unchanged.

The corpus is written once per module into a temporary folder (about a second); the slow test
trains the rankers on a small part of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from matching.audit import load_bias_in_bios
from matching.datasets import (
    LIVECAREER_CATEGORIES,
    load_job_postings,
    load_livecareer,
    load_occupation_profiles,
    load_weak_labels,
)
from matching.demo import (
    CORPUS_VERSION,
    MARKER,
    RESUME_CATEGORIES,
    DemoCorpus,
    render_demo_corpus,
    write_demo_corpus,
)
from matching.errors import ConfigError
from matching.features import Encoder
from matching.ranking import TrainingConfig, train_rankers
from matching.ranking._train import load_corpus
from matching.taxonomy import load_skill_vocabulary

# The demo's quick configuration (matching.demo._flow.quick_config for the synthetic corpus).
DEMO_CONFIG = TrainingConfig(
    resumes_per_category=8,
    jobs_per_source={"google": 40, "glassdoor": 10, "onet": 30, "esco": 30},
    max_eval_jobs=40,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> DemoCorpus:
    return write_demo_corpus(tmp_path_factory.mktemp("demo") / "corpus")


# -- determinism and idempotence --------------------------------------------------------------
def test_the_same_seed_gives_the_same_bytes() -> None:
    """Two renderings with one seed are identical, file by file; another seed differs."""
    first, counts = render_demo_corpus(seed=0)
    again, _ = render_demo_corpus(seed=0)
    other, _ = render_demo_corpus(seed=1)
    assert first == again
    assert counts["livecareer/resumes.csv"] == len(RESUME_CATEGORIES) * 11
    assert first["livecareer/resumes.csv"] != other["livecareer/resumes.csv"]


def test_a_written_corpus_matches_its_rendering(corpus: DemoCorpus) -> None:
    """Every rendered file is on disk with its bytes, and the marker lists their hashes."""
    files, counts = render_demo_corpus(seed=0)
    for name, payload in files.items():
        assert (corpus.folder / name).read_bytes() == payload, name
    marker = json.loads((corpus.folder / MARKER).read_text(encoding="utf-8"))
    assert marker["version"] == CORPUS_VERSION
    assert marker["fingerprint"] == corpus.fingerprint
    assert set(marker["files"]) == set(files)
    assert dict(corpus.counts) == counts


def test_a_second_write_changes_nothing(tmp_path: Path) -> None:
    """Writing into an up-to-date folder writes no file and leaves modification times."""
    first = write_demo_corpus(tmp_path / "c")
    times = {p: p.stat().st_mtime_ns for p in (tmp_path / "c").rglob("*") if p.is_file()}
    second = write_demo_corpus(tmp_path / "c")
    assert first.written
    assert not second.written
    assert second.fingerprint == first.fingerprint
    assert {p: p.stat().st_mtime_ns for p in times} == times


def test_only_missing_or_changed_files_are_rewritten(tmp_path: Path) -> None:
    """A deleted file and an edited file are written again; the others are left alone."""
    folder = write_demo_corpus(tmp_path / "c").folder
    (folder / "bias_in_bios" / "nurse.csv").unlink()
    (folder / "jobs" / "google_job_skills_semicolon.csv").write_text("edited", encoding="utf-8")
    again = write_demo_corpus(folder)
    assert sorted(again.written) == [
        "bias_in_bios/nurse.csv",
        "jobs/google_job_skills_semicolon.csv",
    ]


def test_files_an_earlier_version_wrote_are_removed(tmp_path: Path) -> None:
    """A file the marker lists but the generator no longer writes is deleted, so that a
    reader globbing the folder does not pick it up."""
    folder = write_demo_corpus(tmp_path / "c").folder
    stale = folder / "bias_in_bios" / "astronaut.csv"
    stale.write_text("hard_text,profession,gender\n", encoding="utf-8")
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    marker["files"]["bias_in_bios/astronaut.csv"] = {"sha256": "", "records": 0}
    (folder / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    write_demo_corpus(folder)
    assert not stale.exists()
    assert "astronaut" not in (folder / MARKER).read_text(encoding="utf-8")


@pytest.mark.parametrize("existing", ["livecareer/resumes.csv", "README.md"])
def test_a_folder_of_other_data_is_never_written_into(tmp_path: Path, existing: str) -> None:
    """A folder holding a file of the corpus's names but no marker (the real data folder has
    the same layout) is refused with E206 and left as it was."""
    real = tmp_path / "data" / existing
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text("ID,Category,Resume_text_pdfminer\n1,HR,real text\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        write_demo_corpus(tmp_path / "data")
    assert raised.value.code == "E206"
    assert real.read_text(encoding="utf-8").endswith("real text\n")
    assert sorted(p.name for p in (tmp_path / "data").rglob("*") if p.is_file()) == [real.name]


def test_describe_says_what_and_where(corpus: DemoCorpus) -> None:
    """The one-liner names the corpus as synthetic, its counts and its folder."""
    line = corpus.describe()
    assert line.startswith("synthetic demo corpus")
    assert f"{corpus.counts['livecareer/resumes.csv']} resumes" in line
    assert str(corpus.folder) in line
    assert "\n" not in line


def test_the_readme_says_it_is_synthetic_and_attributes_the_vocabulary(
    corpus: DemoCorpus,
) -> None:
    """README.md warns that figures on it say nothing about real quality and carries the
    ESCO and O*NET (CC BY 4.0) attribution of the skill vocabulary."""
    readme = (corpus.folder / "README.md").read_text(encoding="utf-8")
    assert "Everything in this folder is synthetic" in readme
    assert "says nothing about real-world quality" in readme
    for attribution in ("CC BY 4.0", "O*NET 30.2 Database", "ESCO classification"):
        assert attribution in readme


# -- the loaders read it unchanged -------------------------------------------------------------
def test_load_livecareer_reads_every_resume_in_the_24_categories(corpus: DemoCorpus) -> None:
    """All resumes are read, none empty or duplicated, evenly over the livecareer categories."""
    resumes = load_livecareer(corpus.folder)
    assert len(resumes) == corpus.counts["livecareer/resumes.csv"]
    assert RESUME_CATEGORIES == LIVECAREER_CATEGORIES
    assert set(Counter(r.category for r in resumes).values()) == {11}
    assert len({r.id for r in resumes}) == len(resumes)


def test_load_job_postings_reads_both_layouts(corpus: DemoCorpus) -> None:
    """Google postings (two repeated texts dropped) and Glassdoor postings (rating suffix
    dropped from the company) are read with the sections the parser splits on."""
    postings = load_job_postings(corpus.folder)
    by_source = Counter(p.source for p in postings)
    google_rows = corpus.counts["jobs/google_job_skills_semicolon.csv"]
    assert by_source["google"] == google_rows - 2  # two rows repeat another's text
    assert by_source["glassdoor"] == corpus.counts["jobs/glassdoor_Uncleaned_DS_jobs.csv"]
    for posting in postings:
        if posting.source == "google":
            assert "\n\nMinimum qualifications\n" in posting.text
            assert "\n\nPreferred qualifications\n" in posting.text
            assert "\n\nResponsibilities\n" in posting.text
        else:
            assert posting.category == "Data Science"
            assert posting.company
            assert "\n" not in posting.company


def test_load_occupation_profiles_reads_onet_and_esco(corpus: DemoCorpus) -> None:
    """Every O*NET and ESCO occupation is read as a profile; O*NET ones have tasks and
    technologies under the headings the loader writes."""
    profiles = load_occupation_profiles(corpus.folder)
    by_source = Counter(p.source for p in profiles)
    assert by_source["onet"] == corpus.counts["onet/Occupation Data.txt"]
    assert by_source["esco"] == corpus.counts["esco/occupations_en.csv"]
    onet = [p for p in profiles if p.source == "onet"]
    assert all("\nResponsibilities\n- " in p.text for p in onet)
    assert all("Minimum qualifications\n- Experience with " in p.text for p in onet)


def test_load_bias_in_bios_reads_both_genders_of_every_profession(corpus: DemoCorpus) -> None:
    """Each profession has women and men, and each biography uses its gender's pronouns."""
    bios = load_bias_in_bios(corpus.folder)
    assert len(bios) == sum(v for k, v in corpus.counts.items() if k.startswith("bias_in_bios/"))
    for _, group in bios.groupby("profession"):
        assert set(group["gender"]) == {"Female", "Male"}
    female, male = {"She", "she", "Her", "her"}, {"He", "he", "His", "his", "him"}
    for text, gender in zip(bios["hard_text"], bios["gender"], strict=True):
        words = set(text.replace(".", " ").replace(",", " ").split())
        own, other = (female, male) if gender == "Female" else (male, female)
        assert words & own, text
        assert not words & other, text


# -- weak labels, skills, splits ----------------------------------------------------------------
def test_every_requisition_is_graded_and_every_category_has_core_jobs(
    corpus: DemoCorpus,
) -> None:
    """The weak-label mapping grades every generated requisition for some category, and
    every resume category has requisitions it grades 3."""
    mapping = load_weak_labels()
    jobs = [*load_job_postings(corpus.folder), *load_occupation_profiles(corpus.folder)]
    assert all(mapping.grades(job) for job in jobs)
    core = {c for job in jobs for c, grade in mapping.grades(job).items() if grade == 3}
    assert core == set(LIVECAREER_CATEGORIES)


def test_skills_come_from_the_shipped_vocabulary() -> None:
    """Every skill the generator writes is a form of the shipped skill vocabulary."""
    from matching.demo._content import FIELDS, GENERIC_SKILLS

    vocabulary = load_skill_vocabulary()
    skills = {s for f in FIELDS for s in f.skills} | set(GENERIC_SKILLS)
    assert [s for s in sorted(skills) if vocabulary.lookup(s) is None] == []


def test_the_demo_configuration_gets_every_split(corpus: DemoCorpus) -> None:
    """The demo's quick configuration samples its full quota and holds out resumes and
    requisitions of every source in valid and test."""
    sampled = load_corpus(DEMO_CONFIG, corpus.folder)
    assert len(sampled.resumes) == 8 * 24
    assert Counter(j.source for j in sampled.jobs) == DEMO_CONFIG.jobs_per_source
    for part in (sampled.split.valid, sampled.split.test):
        assert len(part.resume_ids) == 24
        assert {j.split(":")[0] for j in part.job_ids} == {"google", "glassdoor", "onet", "esco"}
        assert len(part.job_ids) >= 15


def test_the_generator_reads_nothing_but_the_package(tmp_path: Path) -> None:
    """Writing the corpus opens no file outside the Python installation and the ``matching``
    package, so no text of ``../shared/data`` can reach it (checked with an audit hook in a
    fresh interpreter, with ``MATCHING_DATA_DIR`` pointing at a folder that must stay unread)."""
    decoy = tmp_path / "shared-data"
    (decoy / "livecareer").mkdir(parents=True)
    (decoy / "livecareer" / "resumes.csv").write_text("ID,Category,Resume_text_pdfminer\n")
    out = tmp_path / "corpus"
    script = textwrap.dedent(
        f"""
        import json, os, sys
        opened = []
        def hook(event, args):
            if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
                opened.append(os.fsdecode(args[0]))
        sys.addaudithook(hook)
        from matching.demo import write_demo_corpus
        write_demo_corpus({str(out)!r})
        print(json.dumps(opened))
        """
    )
    env = {"MATCHING_DATA_DIR": str(decoy), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    opened = [Path(p).resolve() for p in json.loads(done.stdout.splitlines()[-1])]
    import matching

    allowed = [
        Path(matching.__file__).resolve().parent,
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        out.resolve(),
    ]
    data_files = [p for p in opened if p.suffix in {".csv", ".txt", ".json", ".gz", ".md"}]
    assert data_files, "the audit hook saw no file"
    outside = [p for p in data_files if not any(p.is_relative_to(root) for root in allowed)]
    assert outside == []
    assert not [p for p in opened if p.is_relative_to(decoy)]


# -- training on it ---------------------------------------------------------------------------
@pytest.mark.slow
def test_rankers_train_and_evaluate_on_the_demo_corpus(
    corpus: DemoCorpus, encoder: Encoder
) -> None:
    """A small training run on occupation profiles fits every ranker and evaluates it on
    held-out resumes and requisitions, with figures that are neither empty nor all perfect."""
    config = TrainingConfig(
        resumes_per_category=4,
        jobs_per_source={"onet": 37, "esco": 37},
        positives_per_job=6,
        hard_negatives_per_job=3,
        random_negatives_per_job=3,
        max_eval_jobs=20,
    )
    result = train_rankers(config, encoder, data_dir=corpus.folder)
    table = result.metrics
    assert set(table["model"]) == {"lightgbm", "linear", "bm25", "cosine"}
    assert result.sizes["test_jobs"] > 0
    assert result.sizes["test_resumes"] > 0
    for column in ("ndcg@5", "ndcg@10", "map", "mrr"):
        assert table[column].between(0, 1).all(), column
    assert (table["map"] < 1).any()
