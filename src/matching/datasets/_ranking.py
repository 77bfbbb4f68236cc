"""Resumes, requisitions and weak relevance labels for training the candidate ranker.

Readers of the shared data folder return small frozen records: ``load_livecareer`` (resumes
with a livecareer category), ``load_job_postings`` (Google and Glassdoor postings) and
``load_occupation_profiles`` (synthetic requisitions from O*NET and ESCO occupations). A
versioned mapping shipped with the package (``data/weak_labels.json``, read by
``load_weak_labels``) grades each requisition 0–3 for each resume category; those grades are
**weak** labels: they come from categories, never from a human judgement of fit (see
``training/ranking/WEAK_LABELS.md``).

``build_ranking_pairs`` samples graded pairs, lexically hard negatives and random negatives for
each requisition; ``split_by_group`` splits resumes and requisitions (never rows) into train,
valid and test; ``pairs_in_split`` keeps the pairs whose resume and requisition are both in one
split.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import pandas as pd

from matching.errors import ConfigError, Errors, InputError
from matching.settings import get_settings

logger = logging.getLogger(__name__)

Source = Literal["google", "glassdoor", "onet", "esco"]
PairKind = Literal["graded", "hard_negative", "random_negative"]

SOURCES: tuple[Source, ...] = ("google", "glassdoor", "onet", "esco")
PAIR_KINDS: tuple[PairKind, ...] = ("graded", "hard_negative", "random_negative")
SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "test")
LIVECAREER_CATEGORIES: tuple[str, ...] = (
    "ACCOUNTANT",
    "ADVOCATE",
    "AGRICULTURE",
    "APPAREL",
    "ARTS",
    "AUTOMOBILE",
    "AVIATION",
    "BANKING",
    "BPO",
    "BUSINESS-DEVELOPMENT",
    "CHEF",
    "CONSTRUCTION",
    "CONSULTANT",
    "DESIGNER",
    "DIGITAL-MEDIA",
    "ENGINEERING",
    "FINANCE",
    "FITNESS",
    "HEALTHCARE",
    "HR",
    "INFORMATION-TECHNOLOGY",
    "PUBLIC-RELATIONS",
    "SALES",
    "TEACHER",
)
"""The 24 categories of the livecareer resumes (the site's categories, not the person's)."""

GLASSDOOR_CATEGORY = "Data Science"
ONET_TASKS = 8
"""Task statements per O*NET profile (core tasks first, in O*NET's order)."""
ONET_TECHNOLOGIES = 12
"""Technologies per qualification section of an O*NET profile."""

_BLANK_RUN = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\f\v\u00a0]+\n")
_CDATA_END = re.compile(r"\s*\]\]>\s*$")
_RATING_SUFFIX = re.compile(r"\s*\n\s*\d(?:\.\d)?\s*$")
_GRADES = (3, 2, 1)


@dataclass(frozen=True)
class LabelledResume:
    """A resume's text with the category it was filed under on livecareer.com."""

    id: str
    category: str
    text: str


@dataclass(frozen=True)
class JobPosting:
    """A requisition: a real posting (Google, Glassdoor) or an occupation profile (O*NET, ESCO).

    Attributes
    ----------
    id : str
        Stable id: ``google:0001`` and ``glassdoor:0042`` (source row index),
        ``onet:13-2011.00`` (O*NET-SOC code), ``esco:<concept uuid>``.
    source : {"google", "glassdoor", "onet", "esco"}
    title : str
    category : str
        The source's category: the Google job category, ``"Data Science"`` for Glassdoor, the
        O*NET-SOC code, or the 4-digit ISCO-08 group of an ESCO occupation. The weak-label
        mapping reads it.
    text : str
        The posting as a recruiter would paste it, with headings that
        ``matching.parsing.parse_requisition_text`` recognises ("Responsibilities",
        "Minimum qualifications", "Preferred qualifications").
    location, company : str
        Empty when the source has none.
    """

    id: str
    source: Source
    title: str
    category: str
    text: str
    location: str = ""
    company: str = ""


class _HasIdText(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...


T = TypeVar("T", bound=_HasIdText)
R = TypeVar("R", bound=LabelledResume)


# ---------------------------------------------------------------------------------------------
# Weak-label mapping


@dataclass(frozen=True)
class _Rule:
    """Keys of one grade block: exact categories or code prefixes per source, and exclusions."""

    keys: Mapping[str, tuple[str, ...]]
    exclude: Mapping[str, tuple[str, ...]]

    def matches(self, source: str, key: str) -> bool:
        """Whether a requisition's ``(source, category)`` falls under this block."""
        if source in ("onet", "esco"):
            hit = any(key.startswith(prefix) for prefix in self.keys.get(source, ()))
            return hit and not any(key.startswith(p) for p in self.exclude.get(source, ()))
        return key in self.keys.get(source, ())


@dataclass(frozen=True)
class WeakLabelMapping:
    """The versioned resume category ↔ requisition mapping behind the weak labels.

    ``grade(category, job)`` is the highest grade (3, 2 or 1) of the blocks of ``category``
    that match the requisition's source and category, else 0. Google and Glassdoor categories
    match exactly; O*NET-SOC codes and ISCO groups match by prefix.

    Attributes
    ----------
    version : str
        The mapping's version; record it with every model trained on its labels.
    categories : tuple of str
        The resume categories it grades.
    rules : mapping
        ``{category: {grade: _Rule}}``.
    raw : mapping
        The JSON document as read.
    """

    version: str
    categories: tuple[str, ...]
    rules: Mapping[str, Mapping[int, _Rule]]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def grade(self, category: str, job: JobPosting) -> int:
        """The weak grade (0–3) of ``job`` for a resume of ``category``."""
        for grade in _GRADES:
            rule = self.rules.get(category, {}).get(grade)
            if rule is not None and rule.matches(job.source, job.category):
                return grade
        return 0

    def grades(self, job: JobPosting) -> dict[str, int]:
        """``{resume category: grade}`` for the categories that grade ``job`` 1 or more."""
        found = {category: self.grade(category, job) for category in self.categories}
        return {category: grade for category, grade in found.items() if grade}


def load_weak_labels(path: Path | str | None = None) -> WeakLabelMapping:
    """Read and check the weak-label mapping (the packaged ``weak_labels.json`` by default).

    Raises
    ------
    ConfigError
        E202 when the file cannot be read, E204 when it breaks the mapping's schema (unknown
        source or Google category, malformed code prefix, grade outside 1–3).
    """
    where: Path | str = path if path is not None else "matching/datasets/data/weak_labels.json"
    try:
        if path is None:
            text = resources.files("matching.datasets").joinpath("data/weak_labels.json")
            raw = json.loads(text.read_text(encoding="utf-8"))
        else:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(Errors.E202, path=where, detail=str(exc)) from exc
    return _parse_mapping(raw, where=where)


def _parse_mapping(raw: Any, *, where: Path | str) -> WeakLabelMapping:
    """Build a ``WeakLabelMapping`` from its JSON document, checking every key."""

    def fail(detail: str) -> ConfigError:
        return ConfigError(Errors.E204, path=where, detail=detail)

    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), dict):
        raise fail("'categories'")
    sources = raw.get("sources")
    if not isinstance(sources, dict) or set(sources) != set(SOURCES):
        raise fail(f"'sources' must describe exactly {SOURCES}")
    known = {name: set(sources[name].get("known", ())) for name in ("google", "glassdoor")}
    patterns = {name: re.compile(sources[name]["pattern"]) for name in ("onet", "esco")}

    def check_keys(block: Any, context: str) -> dict[str, tuple[str, ...]]:
        if not isinstance(block, dict):
            raise fail(f"{context}: expected an object of source → list of keys")
        checked: dict[str, tuple[str, ...]] = {}
        for source, keys in block.items():
            if source not in SOURCES:
                raise fail(f"{context}: unknown source {source!r}")
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise fail(f"{context}.{source}: expected a list of strings")
            for key in keys:
                if source in known and key not in known[source]:
                    raise fail(f"{context}.{source}: unknown category {key!r}")
                if source in patterns and not patterns[source].match(key):
                    raise fail(f"{context}.{source}: malformed code prefix {key!r}")
            checked[source] = tuple(keys)
        return checked

    rules: dict[str, dict[int, _Rule]] = {}
    for category, blocks in raw["categories"].items():
        if not isinstance(blocks, dict):
            raise fail(f"categories.{category}")
        rules[category] = {}
        for name, block in blocks.items():
            if name == "note":
                continue
            if name not in ("1", "2", "3"):
                raise fail(f"categories.{category}: grade {name!r} is not 1, 2 or 3")
            context = f"categories.{category}.{name}"
            body = dict(block) if isinstance(block, dict) else block
            exclude = body.pop("exclude", {}) if isinstance(body, dict) else {}
            rules[category][int(name)] = _Rule(
                keys=check_keys(body, context), exclude=check_keys(exclude, context + ".exclude")
            )
    return WeakLabelMapping(
        version=str(raw.get("version", "")),
        categories=tuple(rules),
        rules=rules,
        raw=raw,
    )


# ---------------------------------------------------------------------------------------------
# Readers


def _data_dir(data_dir: Path | str | None) -> Path:
    """The shared data folder given, or the configured one (E200 when there is none)."""
    if data_dir is not None:
        path = Path(data_dir)
        if not path.is_dir():
            raise ConfigError(Errors.E200, path=path)
        return path
    found = get_settings().resolved_data_dir(required=True)
    if found is None:  # pragma: no cover - required=True raises instead
        raise ConfigError(Errors.E200, path="../shared/data")
    return found


def _read_table(path: Path, columns: Iterable[str], **options: Any) -> pd.DataFrame:
    """Read a CSV or TSV file and check its columns (E109 unreadable, E204 columns missing)."""
    if not path.is_file():
        raise InputError(Errors.E109, path=path, detail="no such file")
    try:
        frame: pd.DataFrame = pd.read_csv(path, **options)
    except (OSError, ValueError) as exc:
        raise InputError(Errors.E109, path=path, detail=str(exc)) from exc
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ConfigError(Errors.E204, path=path, detail=", ".join(missing))
    return frame


def _cell(value: Any) -> str:
    """A table cell as text ('' for a missing value)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def clean_resume_text(text: str) -> str:
    """Normalise line ends, drop trailing spaces and collapse runs of blank lines into one.

    Line breaks are kept: the resume parser finds headings and entries by line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    return _BLANK_RUN.sub("\n\n", text).strip()


def drop_duplicate_texts(items: Sequence[T]) -> tuple[list[T], int]:
    """Keep the first of each group of items with the same ``text``; return them and the count
    dropped."""
    seen: set[str] = set()
    kept: list[T] = []
    for item in items:
        if item.text not in seen:
            seen.add(item.text)
            kept.append(item)
    return kept, len(items) - len(kept)


def load_livecareer(data_dir: Path | str | None = None) -> list[LabelledResume]:
    """Read the livecareer resumes (``livecareer/resumes.csv``) with their categories.

    Texts are cleaned with ``clean_resume_text``; empty texts and exact duplicate texts (the
    first is kept) are dropped and the counts logged.

    Parameters
    ----------
    data_dir : path, optional
        The shared data folder; ``MATCHING_DATA_DIR`` or ``../shared/data`` by default.

    Returns
    -------
    list of LabelledResume
        In file order; ``id`` is the source's ``ID``.

    Raises
    ------
    ConfigError
        E200 when there is no data folder, E204 when a column is missing.
    InputError
        E109 when the file is missing or unreadable.
    """
    path = _data_dir(data_dir) / "livecareer" / "resumes.csv"
    frame = _read_table(path, ("ID", "Category", "Resume_text_pdfminer"), dtype=str)
    resumes = []
    empty = 0
    for row in frame.itertuples(index=False):
        text = clean_resume_text(_cell(row.Resume_text_pdfminer))
        if not text:
            empty += 1
            continue
        resume_id, category = _cell(row.ID).strip(), _cell(row.Category).strip()
        resumes.append(LabelledResume(id=resume_id, category=category, text=text))
    resumes, duplicates = drop_duplicate_texts(resumes)
    logger.info(
        "livecareer: %d resumes (%d empty and %d duplicate texts dropped)",
        len(resumes),
        empty,
        duplicates,
    )
    return resumes


def _posting_text(title: str, sections: Sequence[tuple[str, str]]) -> str:
    """A posting: the title, then each non-empty section under its heading."""
    parts = [title.strip()]
    for heading, body in sections:
        body = body.replace("\r\n", "\n").strip()
        if body:
            parts.append(f"{heading}\n{body}" if heading else body)
    return "\n\n".join(parts)


def _google_postings(path: Path) -> tuple[list[JobPosting], int]:
    """Google postings from the ``;``-separated file and how many had no body."""
    columns = ("Company", "Title", "Category", "Location", "Responsibilities")
    frame = _read_table(
        path,
        (*columns, "Minimum Qualifications", "Preferred Qualifications"),
        sep=";",
        dtype=str,
    )
    postings = []
    empty = 0
    for number, row in enumerate(frame.to_dict("records")):
        sections = [
            ("Responsibilities", _cell(row["Responsibilities"])),
            ("Minimum qualifications", _cell(row["Minimum Qualifications"])),
            ("Preferred qualifications", _cell(row["Preferred Qualifications"])),
        ]
        if not any(body.strip() for _, body in sections):
            empty += 1
            continue
        title = _cell(row["Title"]).strip()
        postings.append(
            JobPosting(
                id=f"google:{number:04d}",
                source="google",
                title=title,
                category=_cell(row["Category"]).strip(),
                text=_posting_text(title, sections),
                location=_cell(row["Location"]).strip(),
                company=_cell(row["Company"]).strip(),
            )
        )
    return postings, empty


def _glassdoor_postings(path: Path) -> tuple[list[JobPosting], int]:
    """Glassdoor data-science postings and how many had no description."""
    frame = _read_table(
        path, ("index", "Job Title", "Job Description", "Company Name", "Location"), dtype=str
    )
    postings = []
    empty = 0
    for row in frame.to_dict("records"):
        description = _CDATA_END.sub("", _cell(row["Job Description"]))
        if not description.strip():
            empty += 1
            continue
        title = _cell(row["Job Title"]).strip()
        postings.append(
            JobPosting(
                id=f"glassdoor:{int(_cell(row['index'])):04d}",
                source="glassdoor",
                title=title,
                category=GLASSDOOR_CATEGORY,
                text=_posting_text(title, [("", description)]),
                location=_cell(row["Location"]).strip(),
                company=_RATING_SUFFIX.sub("", _cell(row["Company Name"])).strip(),
            )
        )
    return postings, empty


def load_job_postings(
    data_dir: Path | str | None = None,
    *,
    sources: Sequence[Literal["google", "glassdoor"]] = ("google", "glassdoor"),
) -> list[JobPosting]:
    """Read the Google and Glassdoor postings in ``jobs/`` as requisitions.

    A Google posting's text is its title and its "Responsibilities", "Minimum qualifications"
    and "Preferred qualifications" sections (headings the requisition parser splits required
    from preferred skills on); a Glassdoor posting's text is its title and description (its
    trailing ``]]>`` dropped); the company's rating suffix is dropped from ``company``. The
    location is kept apart, so a job posted in several cities has one text: exact duplicate
    texts are dropped within each source (the first is kept) and the counts logged.

    Parameters
    ----------
    data_dir : path, optional
        The shared data folder; ``MATCHING_DATA_DIR`` or ``../shared/data`` by default.
    sources : sequence of {"google", "glassdoor"}

    Returns
    -------
    list of JobPosting
        Google postings, then Glassdoor postings, each in file order.

    Raises
    ------
    ConfigError
        E200 when there is no data folder, E204 when a column is missing.
    InputError
        E109 when a file is missing or unreadable.
    """
    unknown = [source for source in sources if source not in ("google", "glassdoor")]
    if unknown:
        raise ValueError(f"sources must be among ('google', 'glassdoor'), got {unknown!r}")
    folder = _data_dir(data_dir) / "jobs"
    readers = {
        "google": (_google_postings, folder / "google_job_skills_semicolon.csv"),
        "glassdoor": (_glassdoor_postings, folder / "glassdoor_Uncleaned_DS_jobs.csv"),
    }
    postings: list[JobPosting] = []
    for source in sources:
        read, path = readers[source]
        found, empty = read(path)
        kept, duplicates = drop_duplicate_texts(found)
        logger.info(
            "%s: %d postings (%d empty and %d duplicate texts dropped)",
            source,
            len(kept),
            empty,
            duplicates,
        )
        postings.extend(kept)
    return postings


def _bullets(lines: Iterable[str]) -> str:
    """Lines as a bulleted list."""
    return "\n".join(f"- {line.strip()}" for line in lines if line.strip())


def _onet_profiles(folder: Path, mapping: WeakLabelMapping) -> list[JobPosting]:
    """O*NET occupations the mapping grades for some resume category, as requisitions."""
    options: dict[str, Any] = {"sep": "\t", "dtype": str, "keep_default_na": False}
    code = "O*NET-SOC Code"
    occupations = _read_table(
        folder / "Occupation Data.txt", (code, "Title", "Description"), **options
    )
    wanted = {
        row[code]: row
        for row in occupations.to_dict("records")
        if mapping.grades(_occupation_probe("onet", row[code]))
    }
    tasks = _read_table(folder / "Task Statements.txt", (code, "Task", "Task Type"), **options)
    tasks = tasks[tasks[code].isin(wanted)]
    # Core tasks first, in O*NET's order; a stable sort keeps that order within each type.
    tasks = tasks.assign(_core=tasks["Task Type"].ne("Core")).sort_values(
        [code, "_core"], kind="stable"
    )
    top_tasks = tasks.groupby(code, sort=False)["Task"].apply(lambda s: list(s[:ONET_TASKS]))
    tech = _read_table(
        folder / "Technology Skills.txt",
        (code, "Example", "Hot Technology", "In Demand"),
        **options,
    )
    # The technologies fewest occupations list first: they say most about this occupation
    # (nearly every one lists Microsoft Excel), and the file's order is alphabetical.
    spread = tech.groupby("Example")[code].nunique().rename("_spread")
    tech = tech[tech[code].isin(wanted)].join(spread, on="Example")
    tech = tech.sort_values([code, "_spread", "Example"], kind="stable")
    profiles = []
    for soc, row in wanted.items():
        rows = tech[tech[code] == soc]
        required = rows.loc[rows["In Demand"].eq("Y"), "Example"].tolist()[:ONET_TECHNOLOGIES]
        preferred = rows.loc[
            rows["Hot Technology"].eq("Y") & rows["In Demand"].ne("Y"), "Example"
        ].tolist()[:ONET_TECHNOLOGIES]
        sections = [
            ("", row["Description"]),
            ("Responsibilities", _bullets(top_tasks.get(soc, []))),
            ("Minimum qualifications", _bullets(f"Experience with {t}" for t in required)),
            ("Preferred qualifications", _bullets(f"Experience with {t}" for t in preferred)),
        ]
        title = row["Title"].strip()
        profiles.append(
            JobPosting(
                id=f"onet:{soc}",
                source="onet",
                title=title,
                category=soc,
                text=_posting_text(title, sections),
            )
        )
    return profiles


def _esco_profiles(folder: Path, mapping: WeakLabelMapping) -> list[JobPosting]:
    """Released ESCO occupations the mapping grades for some resume category, as requisitions."""
    frame = _read_table(
        folder / "occupations_en.csv",
        ("conceptUri", "iscoGroup", "preferredLabel", "description"),
        dtype=str,
    )
    if "status" in frame.columns:
        frame = frame[frame["status"].fillna("released").eq("released")]
    profiles = []
    for row in frame.to_dict("records"):
        group = _cell(row["iscoGroup"]).strip()
        if not group.isdigit():
            continue
        # Armed-forces groups start with 0 (0110): the CSV may have lost the leading zero.
        group = group.zfill(4)
        description = _cell(row["description"]).strip()
        if not description or not mapping.grades(_occupation_probe("esco", group)):
            continue
        title = _cell(row["preferredLabel"]).strip()
        profiles.append(
            JobPosting(
                id="esco:" + _cell(row["conceptUri"]).rstrip("/").rsplit("/", 1)[-1],
                source="esco",
                title=title,
                category=group,
                text=_posting_text(title, [("Job description", description)]),
            )
        )
    return profiles


def _occupation_probe(source: Source, category: str) -> JobPosting:
    """A stand-in requisition with only a source and category, to ask the mapping about."""
    return JobPosting(id="", source=source, title="", category=category, text="")


def load_occupation_profiles(
    data_dir: Path | str | None = None,
    *,
    sources: Sequence[Literal["onet", "esco"]] = ("onet", "esco"),
    mapping: WeakLabelMapping | None = None,
) -> list[JobPosting]:
    """Synthetic requisitions from O*NET and ESCO occupations that the mapping grades.

    Only occupations that the weak-label mapping grades 1 or more for some resume category are
    read. An O*NET profile is the title, the description, up to ``ONET_TASKS`` task statements
    (core first) under "Responsibilities", up to ``ONET_TECHNOLOGIES`` in-demand technologies
    under "Minimum qualifications" and as many other hot technologies under "Preferred
    qualifications". An ESCO profile is the preferred label and the description (released
    occupations with a description only). ``category`` is the O*NET-SOC code or the 4-digit
    ISCO group. Exact duplicate texts are dropped and the count logged.

    Parameters
    ----------
    data_dir : path, optional
        The shared data folder (which holds ``onet/`` and ``esco/``).
    sources : sequence of {"onet", "esco"}
    mapping : WeakLabelMapping, optional
        The packaged mapping by default.

    Raises
    ------
    ConfigError
        E200 when there is no data folder, E204 when a column is missing.
    InputError
        E109 when a file is missing or unreadable.
    """
    unknown = [source for source in sources if source not in ("onet", "esco")]
    if unknown:
        raise ValueError(f"sources must be among ('onet', 'esco'), got {unknown!r}")
    mapping = mapping if mapping is not None else load_weak_labels()
    root = _data_dir(data_dir)
    profiles: list[JobPosting] = []
    for source in sources:
        found = (
            _onet_profiles(root / "onet", mapping)
            if source == "onet"
            else _esco_profiles(root / "esco", mapping)
        )
        kept, duplicates = drop_duplicate_texts(found)
        logger.info("%s: %d profiles (%d duplicate texts dropped)", source, len(kept), duplicates)
        profiles.extend(kept)
    return profiles


# ---------------------------------------------------------------------------------------------
# Pairs


def _rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one job or stratum: the same for a seed whatever else is sampled."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def _allocate(total: int, available: Sequence[int], shares: Sequence[float]) -> list[int]:
    """Split ``total`` draws over strata by ``shares``, never over what each has available;
    what a stratum cannot take goes to the others, in share order."""
    pairs = zip(available, shares, strict=True)
    wanted = [min(avail, round(total * share)) for avail, share in pairs]
    spare = min(total, sum(available)) - sum(wanted)
    order = sorted(range(len(shares)), key=lambda i: -shares[i])
    while spare > 0:
        moved = False
        for i in order:
            if spare and wanted[i] < available[i]:
                wanted[i] += 1
                spare -= 1
                moved = True
        if not moved:
            break
    while spare < 0:
        for i in reversed(order):
            if spare and wanted[i] > 0:
                wanted[i] -= 1
                spare += 1
    return wanted


def build_ranking_pairs(
    resumes: Sequence[LabelledResume],
    jobs: Sequence[JobPosting],
    *,
    positives_per_job: int = 12,
    hard_negatives_per_job: int = 6,
    random_negatives_per_job: int = 6,
    seed: int = 0,
    mapping: WeakLabelMapping | None = None,
    grade_shares: tuple[float, float, float] = (0.5, 0.3, 0.2),
    hard_negative_skip: int = 3,
    hard_negative_window: int = 30,
) -> pd.DataFrame:
    """Sample (requisition, resume) pairs with weak graded labels for learning to rank.

    For each requisition:

    * **graded**: ``positives_per_job`` resumes whose category the mapping grades 1–3 for it,
      drawn at random by grade with ``grade_shares`` (for grades 3, 2, 1); a grade with too few
      resumes gives its draws to the others. ``label`` is the grade.
    * **hard_negative**: grade-0 resumes that are lexically close to the requisition: resumes
      are ranked by the cosine between TF-IDF vectors (sublinear tf, English stop words, fitted
      on the resume texts) and ``hard_negatives_per_job`` are drawn from ranks
      ``hard_negative_skip`` to ``hard_negative_skip + hard_negative_window`` of the grade-0
      list. The very top ranks are skipped because a grade-0 resume that reads almost like
      the posting is more often a mislabelled category (an IT resume filed under CONSULTANT)
      than a true negative. ``label`` is 0.
    * **random_negative**: ``random_negatives_per_job`` grade-0 resumes drawn at random from
      the rest (not the skipped top ranks, not the hard negatives). ``label`` is 0.

    Requisitions that the mapping grades 0 for every category are dropped; their number is
    logged and kept in ``pairs.attrs["jobs_dropped"]``, with the mapping's version in
    ``pairs.attrs["mapping_version"]``. Each requisition's draws come from a generator seeded
    by ``seed`` and its id, so the pairs are the same for a seed, and a requisition's pairs do
    not change when other requisitions are added or removed.

    Parameters
    ----------
    resumes : sequence of LabelledResume
    jobs : sequence of JobPosting
    positives_per_job, hard_negatives_per_job, random_negatives_per_job : int
        Upper bounds: fewer pairs are drawn when fewer resumes qualify.
    seed : int
    mapping : WeakLabelMapping, optional
        The packaged mapping by default.
    grade_shares : (float, float, float)
        Shares of the graded draws for grades 3, 2 and 1.
    hard_negative_skip, hard_negative_window : int
        The top grade-0 ranks skipped, and how many ranks after them hard negatives are drawn
        from.

    Returns
    -------
    pandas.DataFrame
        Columns ``job_id``, ``resume_id``, ``label`` (int, 0–3, weak) and ``kind``
        (``graded``, ``hard_negative``, ``random_negative``); jobs in the order given.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    for name, value in (
        ("positives_per_job", positives_per_job),
        ("hard_negatives_per_job", hard_negatives_per_job),
        ("random_negatives_per_job", random_negatives_per_job),
        ("hard_negative_skip", hard_negative_skip),
        ("hard_negative_window", hard_negative_window),
    ):
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, got {value}")
    if len(grade_shares) != 3 or min(grade_shares) < 0 or sum(grade_shares) <= 0:
        raise ValueError(f"grade_shares must be 3 non-negative shares, got {grade_shares!r}")
    mapping = mapping if mapping is not None else load_weak_labels()
    columns = ["job_id", "resume_id", "label", "kind"]
    if not resumes or not jobs:
        return _pairs_frame([], columns, dropped=0, version=mapping.version)

    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", dtype=np.float32)
    resume_matrix = vectorizer.fit_transform([resume.text for resume in resumes])
    categories = np.array([resume.category for resume in resumes], dtype=object)
    ids = [resume.id for resume in resumes]
    total = sum(grade_shares)
    shares = [share / total for share in grade_shares]

    rows: list[tuple[str, str, int, str]] = []
    dropped = 0
    for job in jobs:
        by_category = mapping.grades(job)
        grades = np.array([by_category.get(c, 0) for c in categories], dtype=np.int64)
        if not grades.any():
            dropped += 1
            continue
        rng = _rng(seed, job.id)
        pools = [np.flatnonzero(grades == grade) for grade in _GRADES]
        counts = _allocate(positives_per_job, [len(pool) for pool in pools], shares)
        for grade, pool, count in zip(_GRADES, pools, counts, strict=True):
            for i in sorted(rng.choice(pool, size=count, replace=False).tolist()):
                rows.append((job.id, ids[i], grade, "graded"))

        negatives = np.flatnonzero(grades == 0)
        if not len(negatives):
            continue
        similarity = (resume_matrix[negatives] @ vectorizer.transform([job.text]).T).toarray()
        # Most similar first; ties broken by position, so the order is the same on any machine.
        ranked = negatives[np.lexsort((negatives, -similarity.ravel()))]
        window = ranked[hard_negative_skip : hard_negative_skip + hard_negative_window]
        hard_count = min(hard_negatives_per_job, len(window))
        hard = rng.choice(window, size=hard_count, replace=False)
        rest = np.setdiff1d(ranked[hard_negative_skip:], hard)
        random = rng.choice(rest, size=min(random_negatives_per_job, len(rest)), replace=False)
        rows.extend((job.id, ids[i], 0, "hard_negative") for i in hard.tolist())
        rows.extend((job.id, ids[i], 0, "random_negative") for i in sorted(random.tolist()))

    if dropped:
        logger.info("%d of %d requisitions grade no resume category: dropped", dropped, len(jobs))
    return _pairs_frame(rows, columns, dropped=dropped, version=mapping.version)


def _pairs_frame(
    rows: list[tuple[str, str, int, str]], columns: list[str], *, dropped: int, version: str
) -> pd.DataFrame:
    """The pairs table with its dtypes and provenance attributes."""
    pairs = pd.DataFrame(rows, columns=columns)
    pairs["label"] = pairs["label"].astype("int64")
    pairs.attrs["jobs_dropped"] = dropped
    pairs.attrs["mapping_version"] = version
    return pairs


# ---------------------------------------------------------------------------------------------
# Splits and sampling


@dataclass(frozen=True)
class SplitPart:
    """The resumes and requisitions of one split; a pair belongs to it only if both do."""

    name: str
    resume_ids: frozenset[str]
    job_ids: frozenset[str]


@dataclass(frozen=True)
class GroupSplit:
    """Train, valid and test parts that share no resume and no requisition."""

    train: SplitPart
    valid: SplitPart
    test: SplitPart

    def __getitem__(self, name: str) -> SplitPart:
        if name not in SPLIT_NAMES:
            raise KeyError(f"split must be one of {SPLIT_NAMES}, got {name!r}")
        part: SplitPart = getattr(self, name)
        return part

    def parts(self) -> tuple[SplitPart, SplitPart, SplitPart]:
        """``(train, valid, test)``."""
        return self.train, self.valid, self.test


def _split_counts(size: int, fractions: Sequence[float]) -> list[int]:
    """Items per split: largest remainders, and at least one per split when there are enough."""
    exact = [size * fraction for fraction in fractions]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: size - sum(counts)]:
        counts[i] += 1
    if size >= len(counts):
        for i in range(len(counts)):
            if counts[i] == 0:
                counts[max(range(len(counts)), key=lambda j: counts[j])] -= 1
                counts[i] = 1
    return counts


def _stratified(
    strata: Mapping[str, list[str]], fractions: Sequence[float], seed: int
) -> list[set[str]]:
    """Shuffle each stratum's ids with its own generator and cut it by ``fractions``."""
    parts: list[set[str]] = [set() for _ in fractions]
    for key in sorted(strata):
        ids = sorted(strata[key])
        order = _rng(seed, key).permutation(len(ids))
        start = 0
        for part, count in zip(parts, _split_counts(len(ids), fractions), strict=True):
            part.update(ids[i] for i in order[start : start + count])
            start += count
    return parts


def _job_strata(jobs: Sequence[JobPosting], mapping: WeakLabelMapping) -> dict[str, list[str]]:
    """Group requisitions by source and by the resume category they grade highest.

    Of categories tied at the top grade, the one with the fewest requisitions at that grade in
    the pool is chosen, so that rare categories get their requisitions spread over the splits.
    """
    graded = [(job, mapping.grades(job)) for job in jobs]
    top_counts: Counter[tuple[str, int]] = Counter(
        (category, grade) for _, grades in graded for category, grade in grades.items()
    )
    strata: dict[str, list[str]] = defaultdict(list)
    for job, grades in graded:
        primary = ""
        if grades:
            best = max(grades.values())
            primary = min(
                (c for c, g in grades.items() if g == best),
                key=lambda c: (top_counts[(c, best)], c),
            )
            primary = f"{primary}:{best}"
        strata[f"{job.source}|{primary}"].append(job.id)
    return strata


def split_by_group(
    resumes: Sequence[LabelledResume],
    jobs: Sequence[JobPosting],
    *,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 0,
    mapping: WeakLabelMapping | None = None,
) -> GroupSplit:
    """Split resumes and requisitions (never pairs) into train, valid and test.

    Resumes are stratified by category, requisitions by source and by the resume category they
    grade highest (see the mapping), so each split holds every category on both sides when
    there are at least three of it. Within each stratum the ids are sorted, shuffled by a
    generator seeded by ``seed`` and the stratum, and cut by ``fractions`` (largest
    remainders, at least one per split). Use ``pairs_in_split`` to keep the pairs of a split.

    Raises
    ------
    ValueError
        When ``fractions`` are not three non-negative numbers summing to 1, or an id repeats.
    """
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be 3 non-negative numbers summing to 1: {fractions!r}")
    for name, items in (("resume", resumes), ("job", jobs)):
        repeated = [key for key, n in Counter(item.id for item in items).items() if n > 1]
        if repeated:
            raise ValueError(f"{name} ids must be unique; repeated: {repeated[:5]!r}")
    mapping = mapping if mapping is not None else load_weak_labels()
    resume_strata: dict[str, list[str]] = defaultdict(list)
    for resume in resumes:
        resume_strata[resume.category].append(resume.id)
    resume_parts = _stratified(resume_strata, fractions, seed)
    job_parts = _stratified(_job_strata(jobs, mapping), fractions, seed)
    train, valid, test = (
        SplitPart(name=name, resume_ids=frozenset(r), job_ids=frozenset(j))
        for name, r, j in zip(SPLIT_NAMES, resume_parts, job_parts, strict=True)
    )
    return GroupSplit(train=train, valid=valid, test=test)


def pairs_in_split(pairs: pd.DataFrame, split: SplitPart) -> pd.DataFrame:
    """The pairs whose resume and requisition are both in ``split`` (a copy, index reset)."""
    keep = pairs["resume_id"].isin(split.resume_ids) & pairs["job_id"].isin(split.job_ids)
    return pairs.loc[keep].reset_index(drop=True)


def sample_per_category(resumes: Sequence[R], n: int, *, seed: int = 0) -> list[R]:
    """At most ``n`` resumes of each category, drawn at random, in their original order.

    The draw for a category depends only on ``seed`` and that category's resumes.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    by_category: dict[str, list[int]] = defaultdict(list)
    for index, resume in enumerate(resumes):
        by_category[resume.category].append(index)
    chosen: list[int] = []
    for category, indices in by_category.items():
        if len(indices) <= n:
            chosen.extend(indices)
        else:
            picked = _rng(seed, category).choice(len(indices), size=n, replace=False)
            chosen.extend(indices[i] for i in picked.tolist())
    return [resumes[i] for i in sorted(chosen)]


__all__ = [
    "GLASSDOOR_CATEGORY",
    "LIVECAREER_CATEGORIES",
    "PAIR_KINDS",
    "SOURCES",
    "SPLIT_NAMES",
    "GroupSplit",
    "JobPosting",
    "LabelledResume",
    "PairKind",
    "Source",
    "SplitPart",
    "WeakLabelMapping",
    "build_ranking_pairs",
    "clean_resume_text",
    "drop_duplicate_texts",
    "load_job_postings",
    "load_livecareer",
    "load_occupation_profiles",
    "load_weak_labels",
    "pairs_in_split",
    "sample_per_category",
    "split_by_group",
]
