"""A synthetic, licence-clean corpus in the layouts of the shared data folder.

``write_demo_corpus(folder)`` writes resumes, job postings, O*NET and ESCO occupation
profiles and short biographies into ``folder``, each file in the layout that the project's
readers take from ``../shared/data`` (``matching.datasets.load_livecareer``,
``load_job_postings``, ``load_occupation_profiles``, ``matching.audit.load_bias_in_bios``), so
that training, evaluation, the audit and the demo run unchanged with ``data_dir=folder``.

Every text is generated here from the hand-written material in ``matching.demo._content``
and the skill vocabulary shipped with the package; nothing is read from the shared data. The
corpus is the same, byte for byte, for a seed, and a second call rewrites only what is
missing or changed (``DEMO_CORPUS.json`` records what was written). Its weak labels are as
weak as the real ones, and a figure computed on it says nothing about quality on real
resumes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matching.demo._content import (
    BIO_LIFE,
    CITIES,
    COMPANY_WORDS,
    CONFUSIONS,
    DEGREE_FORMS,
    DUTY_SUFFIXES,
    ESCO_ROLES,
    FIELD_BY_KEY,
    FIELDS,
    FIRST_NAMES,
    GENERIC_SKILLS,
    GLASSDOOR_DOMAINS,
    GOOGLE_ROLES,
    ONET_ROLES,
    PAST_TENSE,
    PLACE_WORDS,
    PROFESSIONS,
    PRONOUNS,
    SCHOOL_FORMS,
    SKILL_VERBS,
    SURNAMES,
    Field,
)
from matching.errors import ConfigError, Errors

CORPUS_VERSION = "1"
"""Bump when the generator's output changes on purpose: the marker then says it is stale."""
MARKER = "DEMO_CORPUS.json"
RESUMES_PER_CATEGORY = 11
BIOS_PER_PROFESSION = 6
REPEATED_POSTINGS = 2
"""Google rows that repeat another's text at another location (the reader drops them)."""
RESUME_CATEGORIES: tuple[str, ...] = tuple(f.key for f in FIELDS[:24])
"""The 24 resume categories, in the order and spelling of the livecareer corpus."""

_YEAR = 2025
"""The year the generated careers run up to ("Present" is read relative to today)."""
# fmt: off
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
# fmt: on
_PRONOUN_SLOT = re.compile(r"\{(?:He|he|His|his|him)\}")
_ESCO_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e9a-8c0f-2d4b6a8e1c3f")
_ESCO_URI = "https://example.org/matching-demo/occupation/"


@dataclass(frozen=True)
class DemoCorpus:
    """A demo corpus on disk.

    Attributes
    ----------
    folder : Path
        Where it is: pass it as ``data_dir`` (or ``MATCHING_DATA_DIR``).
    seed : int
    version : str
        The generator's ``CORPUS_VERSION``.
    fingerprint : str
        SHA-256 over every file's path and bytes.
    counts : mapping of str to int
        Records per data file (rows of a table), keyed by the path inside ``folder``.
    written : tuple of str
        The files this call wrote (empty when the folder was already up to date).
    """

    folder: Path
    seed: int
    version: str
    fingerprint: str
    counts: Mapping[str, int] = field(repr=False)
    written: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: what the corpus holds and where."""
        resumes = self.counts.get("livecareer/resumes.csv", 0)
        postings = sum(v for k, v in self.counts.items() if k.startswith("jobs/"))
        postings -= REPEATED_POSTINGS
        onet = self.counts.get("onet/Occupation Data.txt", 0)
        esco = self.counts.get("esco/occupations_en.csv", 0)
        bios = sum(v for k, v in self.counts.items() if k.startswith("bias_in_bios/"))
        return (
            f"synthetic demo corpus v{self.version} (seed {self.seed}): {resumes} resumes in "
            f"{len(RESUME_CATEGORIES)} categories, {postings} postings, {onet} O*NET and {esco} "
            f"ESCO occupation profiles, {bios} biographies, in {self.folder}"
        )


def write_demo_corpus(folder: Path | str, *, seed: int = 0) -> DemoCorpus:
    """Write (or bring up to date) the synthetic demo corpus in ``folder``.

    Parameters
    ----------
    folder : path
        Created if missing. It must be empty or hold a corpus this function wrote: a folder
        with data of another origin (such as ``../shared/data``) is never written into.
    seed : int
        The corpus is the same, byte for byte, for a seed.

    Returns
    -------
    DemoCorpus
        ``written`` lists the files this call wrote: only those missing or different.

    Raises
    ------
    ConfigError
        E206 when ``folder`` holds data files that no demo corpus marker accounts for.
    """
    root = Path(folder)
    files, counts = render_demo_corpus(seed=seed)
    fingerprint = _fingerprint(files)
    marker_path = root / MARKER
    previous = _read_marker(marker_path)
    _refuse_foreign(root, files, previous)

    # The marker goes first: a write cut short leaves files that the marker claims, so the
    # next call finishes the job instead of refusing the folder as foreign.
    marker = _marker(seed=seed, fingerprint=fingerprint, files=files, counts=counts)
    if not marker_path.is_file() or marker_path.read_bytes() != marker:
        _write_atomic(marker_path, marker)
    written: list[str] = []
    for name, payload in files.items():
        target = root / name
        if target.is_file() and _sha256(target.read_bytes()) == _sha256(payload):
            continue
        _write_atomic(target, payload)
        written.append(name)
    # Files an earlier version wrote and this one does not (a reader globbing bias_in_bios/
    # would otherwise pick them up).
    for name in sorted(_marked_files(previous) - set(files)):
        stale = root / name
        if stale.is_file():
            stale.unlink()
    return DemoCorpus(
        folder=root,
        seed=seed,
        version=CORPUS_VERSION,
        fingerprint=fingerprint,
        counts=counts,
        written=tuple(written),
    )


def render_demo_corpus(*, seed: int = 0) -> tuple[dict[str, bytes], dict[str, int]]:
    """Every file of the corpus as bytes, keyed by its path in the folder, and the record
    count of each data file (nothing is written)."""
    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}

    def add(name: str, header: Sequence[str], rows: list[list[str]], **options: str) -> None:
        files[name] = _table(header, rows, **options)
        counts[name] = len(rows)

    add("livecareer/resumes.csv", ("ID", "Category", "Resume_text_pdfminer"), _resumes(seed))
    add(
        "jobs/google_job_skills_semicolon.csv",
        (
            "Company",
            "Title",
            "Category",
            "Location",
            "Responsibilities",
            "Minimum Qualifications",
            "Preferred Qualifications",
        ),
        _google_postings(seed),
        delimiter=";",
    )
    add(
        "jobs/glassdoor_Uncleaned_DS_jobs.csv",
        (
            "index",
            "Job Title",
            "Salary Estimate",
            "Job Description",
            "Rating",
            "Company Name",
            "Location",
        ),
        _glassdoor_postings(seed),
    )
    occupations, tasks, technologies = _onet_tables(seed)
    add(
        "onet/Occupation Data.txt",
        ("O*NET-SOC Code", "Title", "Description"),
        occupations,
        delimiter="\t",
    )
    add(
        "onet/Task Statements.txt",
        ("O*NET-SOC Code", "Task ID", "Task", "Task Type"),
        tasks,
        delimiter="\t",
    )
    add(
        "onet/Technology Skills.txt",
        ("O*NET-SOC Code", "Example", "Commodity Title", "Hot Technology", "In Demand"),
        technologies,
        delimiter="\t",
    )
    add(
        "esco/occupations_en.csv",
        (
            "conceptType",
            "conceptUri",
            "iscoGroup",
            "preferredLabel",
            "altLabels",
            "status",
            "description",
        ),
        _esco_occupations(seed),
    )
    for profession, rows in _biographies(seed).items():
        add(f"bias_in_bios/{profession}.csv", ("hard_text", "profession", "gender"), rows)
    files["README.md"] = _readme(seed, counts).encode("utf-8")
    return files, counts


# -- shared helpers -------------------------------------------------------------------------
def _rng(seed: int, *keys: str) -> random.Random:
    """A generator for one item: the same for a seed whatever else is generated.

    ``random.Random`` seeded with a string hashes it with SHA-512, so the draws do not depend
    on ``PYTHONHASHSEED`` or the platform.
    """
    return random.Random("|".join(("matching.demo", str(seed), *keys)))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ",") -> bytes:
    """A CSV (or TSV) file with ``\\n`` line ends, quoted where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _fingerprint(files: Mapping[str, bytes]) -> str:
    """SHA-256 over the sorted paths and the hashes of their bytes."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + bytes.fromhex(_sha256(files[name])))
    return digest.hexdigest()


def _marker(
    *, seed: int, fingerprint: str, files: Mapping[str, bytes], counts: Mapping[str, int]
) -> bytes:
    document = {
        "generator": "matching.demo.write_demo_corpus",
        "version": CORPUS_VERSION,
        "seed": seed,
        "synthetic": True,
        "fingerprint": fingerprint,
        "files": {
            name: {"sha256": _sha256(payload), "records": counts.get(name)}
            for name, payload in sorted(files.items())
        },
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _read_marker(path: Path) -> dict[str, object]:
    """The marker's content, or ``{}`` when there is none or it cannot be read."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _marked_files(marker: Mapping[str, object]) -> set[str]:
    """The files a marker says were written."""
    files = marker.get("files")
    return {str(name) for name in files} if isinstance(files, dict) else set()


def _refuse_foreign(root: Path, files: Mapping[str, bytes], previous: Mapping[str, object]) -> None:
    """Raise E206 when ``root`` holds a file of the corpus's names that no marker of ours
    accounts for.

    Such a folder is most likely real data (``../shared/data`` has the same layout and a
    README.md): overwriting it would destroy it.
    """
    if not root.exists():
        return
    if not root.is_dir():
        raise ConfigError(Errors.E206, path=root, detail="it is a file, not a folder")
    ours = _marked_files(previous)
    for name in sorted(files):
        if name not in ours and (root / name).exists():
            raise ConfigError(Errors.E206, path=root, detail=f"{name} exists without {MARKER}")


def _write_atomic(target: Path, payload: bytes) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, target)


def _join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _verb_form(verb: str, form: str) -> str:
    if form == "past":
        if verb in PAST_TENSE:
            return PAST_TENSE[verb]
        if verb.endswith("e"):
            return verb + "d"
        if verb.endswith("y") and verb[-2:-1] not in "aeiou":
            return verb[:-1] + "ied"
        return verb + "ed"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _duty(phrase: str, form: str = "base") -> str:
    """A duty in the base form, the past tense (``"past"``) or the third person singular
    (``"third"``): its first word and each word marked ``^`` are its verbs."""
    words = phrase.split(" ")
    out = []
    for index, word in enumerate(words):
        verb = index == 0 or word.startswith("^")
        word = word.lstrip("^")
        out.append(_verb_form(word, form) if verb and form != "base" else word)
    return " ".join(out)


def _asks_for(skills: Sequence[str]) -> list[str]:
    """Requirement sentences for ``skills``: experience with tools and knowledge, the
    ability for what a verb phrase names."""
    things = [s for s in skills if s.split(" ")[0] not in SKILL_VERBS]
    abilities = [s for s in skills if s.split(" ")[0] in SKILL_VERBS]
    lines = [f"Experience with {_join(things)}."] if things else []
    if abilities:
        lines.append(f"Able to {_join(abilities)}.")
    return lines


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _school(rng: random.Random) -> str:
    return rng.choice(SCHOOL_FORMS).format(place=rng.choice(PLACE_WORDS))


def _some(rng: random.Random, items: Sequence[str], low: float, high: float) -> list[str]:
    """A random subset of ``items`` holding a share between ``low`` and ``high`` of them."""
    size = max(1, min(len(items), round(len(items) * rng.uniform(low, high))))
    return rng.sample(list(items), size)


# -- resumes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    title: str
    employer: str
    city: str
    start: int
    end: int | None
    bullets: tuple[str, ...]


def _resumes(seed: int) -> list[list[str]]:
    """``ID, Category, Resume_text_pdfminer`` rows: ``RESUMES_PER_CATEGORY`` per category."""
    rows = []
    used: set[int] = set()
    for category in RESUME_CATEGORIES:
        for number in range(RESUMES_PER_CATEGORY):
            rng = _rng(seed, "resume", category, str(number))
            resume_id = rng.randrange(10_000_000, 99_999_999)
            while resume_id in used:
                resume_id += 1
            used.add(resume_id)
            rows.append([str(resume_id), category, _resume_text(rng, category)])
    return rows


def _other_field(rng: random.Random, key: str) -> Field:
    return rng.choice([f for f in FIELDS if f.key != key and f.key != "DATA-SCIENCE"])


def _resume_text(rng: random.Random, category: str) -> str:
    """One resume filed under ``category``.

    Most are plainly of their category; some were written by someone of another field (the
    category is the site's, not the person's), some by someone who changed fields, and some
    are sparse (no summary or skills section).
    """
    draw = rng.random()
    field_ = FIELD_BY_KEY[category]
    earlier: Field | None = None
    if draw < 0.10:
        confusions = CONFUSIONS.get(category)
        field_ = FIELD_BY_KEY[rng.choice(confusions)] if confusions else _other_field(rng, category)
        kind = "off-category"
    elif draw < 0.22:
        earlier = _other_field(rng, category)
        kind = "career change"
    elif draw < 0.30:
        kind = "sparse"
    else:
        kind = "typical"

    gender = rng.choice(("Female", "Male"))
    first, last = rng.choice(FIRST_NAMES[gender]), rng.choice(SURNAMES)
    city = rng.choice(CITIES)
    years = min(30, int(rng.triangular(0, 26, 5)))
    jobs = _career(rng, field_, earlier, years, city, sparse=kind == "sparse")
    skills = _some(rng, field_.skills, 0.35, 0.85)
    if earlier is not None:
        skills += _some(rng, earlier.skills, 0.15, 0.3)
    skills += rng.sample(GENERIC_SKILLS, rng.randint(1, 3))
    if rng.random() < 0.25:
        skills += rng.sample(_other_field(rng, field_.key).skills, rng.randint(1, 2))
    skills = list(dict.fromkeys(skills))
    study = rng.choice(field_.studies if earlier is None else earlier.studies)
    if rng.random() < 0.1:
        degree, school = "High School Diploma", f"{rng.choice(PLACE_WORDS)} High School"
    else:
        degree, school = rng.choice(DEGREE_FORMS).format(study=study), _school(rng)
    education = (degree, school, _YEAR - years - rng.randint(0, 3))
    certificate = (
        rng.choice(field_.certificates) if field_.certificates and rng.random() < 0.5 else None
    )
    headline = jobs[0].title
    summary = _summary(rng, field_, headline, years, skills, earlier)
    if kind == "sparse" or rng.random() < 0.55:
        return _modern_layout(
            rng,
            (f"{first} {last}", headline, city),
            summary=None if kind == "sparse" else summary,
            skills=None if kind == "sparse" else skills,
            jobs=jobs,
            education=education,
            certificate=certificate,
        )
    return _plain_layout(rng, headline, summary, skills, jobs, education, certificate)


def _career(
    rng: random.Random,
    field_: Field,
    earlier: Field | None,
    years: int,
    city: str,
    *,
    sparse: bool,
) -> list[_Job]:
    """Jobs, latest first, over ``years`` years up to ``_YEAR``; the older half from
    ``earlier`` for a career changer."""
    count = 1 if sparse else max(1, min(4, 1 + years // 5 + rng.randint(-1, 1)))
    end = _YEAR * 12 + rng.randint(0, 10)
    months = max(6, years * 12 + rng.randint(0, 11))
    cuts = sorted(rng.sample(range(1, months), count - 1)) if count > 1 and months > count else []
    lengths = [b - a for a, b in zip([0, *cuts], [*cuts, months], strict=True)]
    jobs = []
    current = rng.random() < 0.75
    for index, length in enumerate(lengths):
        source = earlier if earlier is not None and index >= (len(lengths) + 1) // 2 else field_
        title = rng.choice(source.titles)
        if index == len(lengths) - 1 and years <= 2 and rng.random() < 0.5:
            title = f"{title} Intern"
        start = end - length
        bullets = [
            _capitalise(_duty(duty, "past")) + rng.choice(DUTY_SUFFIXES) + "."
            for duty in rng.sample(source.duties, 1 if sparse else rng.randint(2, 4))
        ]
        jobs.append(
            _Job(
                title=title,
                employer=f"{rng.choice(PLACE_WORDS)} {rng.choice(source.workplaces)}",
                city=city if rng.random() < 0.7 else rng.choice(CITIES),
                start=start,
                end=None if index == 0 and current else end,
                bullets=tuple(bullets),
            )
        )
        end = start - rng.randint(0, 3)
    return jobs


def _summary(
    rng: random.Random,
    field_: Field,
    headline: str,
    years: int,
    skills: Sequence[str],
    earlier: Field | None,
) -> str:
    things = [s for s in skills if s.split(" ")[0] not in SKILL_VERBS] or [field_.noun]
    if years <= 1:
        return (
            f"Recent graduate looking for a first full-time role in {field_.noun}. "
            f"Hands-on with {_join(things[:2])}."
        )
    adjective = rng.choice(
        ("Dedicated", "Results-driven", "Detail-oriented", "Motivated", "Dependable")
    )
    strength = rng.choice(
        (
            "clear communication",
            "careful documentation",
            "staying calm under pressure",
            "reliable follow-through",
            "building trust with clients",
        )
    )
    text = rng.choice(
        (
            f"{adjective} {field_.noun} professional with {years} years of experience. "
            f"Skilled in {_join(things[:3])}.",
            f"{headline} with {years} years in {field_.noun}, known for {strength}.",
            f"{adjective} {headline.lower()} bringing {years} years of experience and {strength}.",
        )
    )
    if earlier is not None:
        text += f" Moved into {field_.noun} after working in {earlier.noun}."
    return text


def _month(ordinal: int, *, numeric: bool) -> str:
    year, month = divmod(ordinal, 12)
    return f"{month + 1:02d}/{year}" if numeric else f"{_MONTHS[month]} {year}"


def _modern_layout(
    rng: random.Random,
    person: tuple[str, str, str],
    *,
    summary: str | None,
    skills: Sequence[str] | None,
    jobs: Sequence[_Job],
    education: tuple[str, str, int],
    certificate: str | None,
) -> str:
    """A resume with the name and contacts on top and common headings."""
    name, headline, city = person
    first, last = name.split(" ", 1)
    email = f"{first}.{last}@example.{rng.choice(('com', 'org', 'net'))}".lower()
    phone = f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}"
    lines = [name, headline, f"{city} | {email} | {phone}", ""]
    if summary:
        lines += [rng.choice(("Summary", "Professional Summary", "Profile")), summary, ""]
    if skills:
        heading = rng.choice(("Skills", "Core Competencies", "Technical Skills"))
        body = (
            ", ".join(skills) if rng.random() < 0.6 else "\n".join(f"- {skill}" for skill in skills)
        )
        lines += [heading, body, ""]
    lines.append(rng.choice(("Work Experience", "Professional Experience", "Experience")))
    for job in jobs:
        end = "Present" if job.end is None else _month(job.end, numeric=False)
        lines += [job.title, f"{job.employer}, {job.city}"]
        lines.append(f"{_month(job.start, numeric=False)} - {end}")
        lines += [f"- {bullet}" for bullet in job.bullets]
        lines.append("")
    degree, school, year = education
    lines += ["Education", f"{degree}, {school}, {year}", ""]
    if certificate:
        lines += ["Certifications", certificate, ""]
    if rng.random() < 0.25:
        other = rng.choice(("Spanish", "French", "Portuguese", "Mandarin", "Hindi", "Polish"))
        lines += ["Languages", f"English (native), {other} (conversational)", ""]
    return "\n".join(lines).strip()


def _plain_layout(
    rng: random.Random,
    headline: str,
    summary: str,
    skills: Sequence[str],
    jobs: Sequence[_Job],
    education: tuple[str, str, int],
    certificate: str | None,
) -> str:
    """A resume without a name, as text extracted from a template-built PDF reads."""
    lines = [headline.upper(), "Professional Summary", summary, "", "Skill Highlights"]
    lines += list(skills)
    lines += ["", "Experience"]
    for job in jobs:
        end = "Current" if job.end is None else _month(job.end, numeric=True)
        start = _month(job.start, numeric=True)
        lines.append(f"{job.employer} {job.city} {job.title} {start} to {end}")
        if rng.random() < 0.5:
            lines.append(" ".join(job.bullets))
        else:
            lines += list(job.bullets)
        lines.append("")
    degree, school, year = education
    lines += ["Education and Training", f"{degree} {year} {school}"]
    if certificate:
        lines += ["", "Certifications", certificate]
    return "\n".join(lines).strip()


# -- job postings ---------------------------------------------------------------------------
_NICE_TO_HAVE = (
    "Excellent written and verbal communication skills.",
    "Ability to work independently in a fast-paced environment.",
    "Experience working with cross-functional teams.",
    "Ability to manage several projects at once and meet deadlines.",
    "Willingness to travel up to 20% of the time.",
)


def _google_postings(seed: int) -> list[list[str]]:
    """Rows of the Google layout (``GOOGLE_ROLES`` says how many per category), and two
    repeated postings (another location, the same text) that the reader drops."""
    rows = []
    for category, (count, keys, titles) in GOOGLE_ROLES.items():
        fields = [FIELD_BY_KEY[key] for key in keys]
        for number in range(count):
            rng = _rng(seed, "google", category, str(number))
            rows.append(
                [
                    rng.choice(COMPANY_WORDS),
                    titles[number % len(titles)],
                    category,
                    rng.choice(CITIES) + ", USA",
                    *_posting_sections(rng, fields),
                ]
            )
    for index in range(0, 7 * REPEATED_POSTINGS, 7):
        repeated = list(rows[index])
        repeated[3] = "Remote, USA"
        rows.append(repeated)
    return rows


def _posting_sections(rng: random.Random, fields: Sequence[Field]) -> tuple[str, str, str]:
    """Responsibilities, minimum and preferred qualifications, one sentence a line."""
    main = fields[0]
    duties = rng.sample(main.duties, rng.randint(3, 5))
    skills = _some(rng, main.skills, 0.3, 0.6)
    if len(fields) > 1 and rng.random() < 0.6:
        other = rng.choice(fields[1:])
        duties.append(rng.choice(other.duties))
        skills.append(rng.choice(other.skills))
    responsibilities = "\n".join(_capitalise(_duty(duty)) + "." for duty in duties)
    years = rng.randint(1, 8)
    required, preferred = skills[: max(2, len(skills) // 2)], skills[max(2, len(skills) // 2) :]
    degree = rng.choice(("BA/BS", "Bachelor's"))
    minimum = [
        f"{degree} degree in {rng.choice(main.studies)} or equivalent practical experience.",
        f"{years} years of experience in {main.noun}.",
        *_asks_for(required),
    ]
    wanted = [f"{years + rng.randint(1, 4)} years of experience in {main.noun} or a related field."]
    wanted += [line.replace("Experience with", "Knowledge of") for line in _asks_for(preferred)]
    if main.certificates and rng.random() < 0.4:
        wanted.append(f"{rng.choice(main.certificates)}.")
    wanted.append(rng.choice(_NICE_TO_HAVE))
    return responsibilities, "\n".join(minimum), "\n".join(wanted)


def _glassdoor_postings(seed: int) -> list[list[str]]:
    """Rows of the Glassdoor layout: data-science postings of employers in several
    industries, each description free text with its own headings."""
    science = FIELD_BY_KEY["DATA-SCIENCE"]
    rows = []
    number = 0
    for industry, key in GLASSDOOR_DOMAINS:
        for title in science.titles[: 3 if industry in ("healthcare", "software") else 2]:
            rng = _rng(seed, "glassdoor", industry, title)
            domain = FIELD_BY_KEY[key]
            suffix = rng.choice(("Health", "Financial", "Labs", "Group", "Brands", "Systems"))
            company = f"{rng.choice(PLACE_WORDS)} {suffix}"
            degree = rng.choice(("Master's", "Bachelor's", "PhD"))
            rating = f"{rng.uniform(2.8, 4.8):.1f}"
            duties = [
                *rng.sample(science.duties, rng.randint(3, 5)),
                f"work with {industry} experts to turn data into decisions",
            ]
            skills = _some(rng, science.skills, 0.35, 0.7)
            low = rng.randrange(70, 140, 5)
            description = "\n".join(
                [
                    "Description",
                    "",
                    f"{company} is a {industry} company looking for {_article(title)} {title} "
                    f"to join its analytics team.",
                    "",
                    rng.choice(("Responsibilities", "What you will do", "Duties")),
                    *(f"- {_capitalise(_duty(duty))}." for duty in duties),
                    "",
                    rng.choice(("Qualifications", "Requirements", "What we are looking for")),
                    f"- {degree} degree in {rng.choice(science.studies)} or a related field.",
                    f"- {rng.randint(1, 7)}+ years of experience with {_join(skills[:3])}.",
                    *(f"- Experience with {skill}." for skill in skills[3:5]),
                    "",
                    "Preferred qualifications",
                    f"- Experience in {industry}: {_join(rng.sample(domain.skills, 2))}.",
                    *(f"- {line}" for line in _asks_for(skills[5:7])),
                    "",
                    "Benefits",
                    "- Health, dental and vision insurance, a 401(k) match and hybrid work.",
                ]
            )
            rows.append(
                [
                    str(number),
                    title,
                    f"${low}K-${low + rng.randrange(20, 60, 5)}K (Glassdoor est.)",
                    description,
                    rating,
                    f"{company}\n{rating}",
                    rng.choice(CITIES),
                ]
            )
            number += 1
    return rows


# -- occupation profiles --------------------------------------------------------------------
def _technologies(field_: Field) -> list[tuple[str, str, bool]]:
    """The field's skills that the vocabulary calls technologies: (name, commodity, hot)."""
    from matching.taxonomy import load_skill_vocabulary

    vocabulary = load_skill_vocabulary()
    found = []
    for name in (*field_.skills, "Microsoft Excel", "Microsoft Office", "Microsoft Word"):
        concept = vocabulary.lookup(name)
        if concept is not None and concept.kind == "technology":
            found.append((name, concept.category or "", concept.hot))
    return list(dict.fromkeys(found))


def _onet_tables(seed: int) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Rows of ``Occupation Data``, ``Task Statements`` and ``Technology Skills``."""
    occupations, tasks, technologies = [], [], []
    task_id = 10_000
    for code, title, key in ONET_ROLES:
        rng = _rng(seed, "onet", code)
        field_ = FIELD_BY_KEY[key]
        duties = rng.sample(field_.duties, len(field_.duties))
        base = [_duty(duty) for duty in duties]
        description = f"{_capitalise(base[0])}; {base[1]}; and {base[2]}. May {base[3]}."
        occupations.append([code, title, description])
        for index, duty in enumerate(duties[: rng.randint(5, len(duties))]):
            task_id += 1
            kind = "Core" if index < 4 else "Supplemental"
            tasks.append([code, str(task_id), _capitalise(_duty(duty)) + ".", kind])
        # At least one in demand, so that every profile has minimum qualifications.
        for index, (name, commodity, hot) in enumerate(_technologies(field_)):
            demand = "Y" if index == 0 or rng.random() < 0.5 else "N"
            technologies.append([code, name, commodity, "Y" if hot else "N", demand])
    return occupations, tasks, technologies


def _esco_occupations(seed: int) -> list[list[str]]:
    """Rows of the ESCO occupations layout (released, with an ISCO-08 group)."""
    rows = []
    for label, group, key in ESCO_ROLES:
        rng = _rng(seed, "esco", label)
        field_ = FIELD_BY_KEY[key]
        duties = rng.sample(field_.duties, 4)
        description = (
            f"{_capitalise(_article(label))} {label} {_duty(duties[0], 'third')}, "
            f"{_duty(duties[1], 'third')} and {_duty(duties[2], 'third')}. "
            f"They also {_duty(duties[3])}."
        )
        concept = _ESCO_URI + str(uuid.uuid5(_ESCO_NAMESPACE, label))
        rows.append(["Occupation", concept, group, label, "", "released", description])
    return rows


# -- biographies ----------------------------------------------------------------------------
def _biographies(seed: int) -> dict[str, list[list[str]]]:
    """``hard_text, profession, gender`` rows per profession: both genders in each, in
    proportions that differ by profession."""
    out = {}
    for profession, (share, sentences) in PROFESSIONS.items():
        rng = _rng(seed, "bios", profession)
        women = min(BIOS_PER_PROFESSION - 1, max(1, round(BIOS_PER_PROFESSION * share)))
        genders = ["Female"] * women + ["Male"] * (BIOS_PER_PROFESSION - women)
        rng.shuffle(genders)
        rows = []
        for gender in genders:
            first, last = rng.choice(FIRST_NAMES[gender]), rng.choice(SURNAMES)
            name = rng.choice((first, f"{first} {last}", last))
            chosen = rng.sample(sentences, rng.randint(1, 2))
            chosen.insert(rng.randint(0, len(chosen)), rng.choice(BIO_LIFE))
            if rng.random() < 0.4:
                chosen.append(rng.choice(BIO_LIFE))
            if not any(_PRONOUN_SLOT.search(sentence) for sentence in chosen):
                chosen.append(rng.choice([s for s in BIO_LIFE if s.startswith("{He}")]))
            values = {
                **PRONOUNS[gender],
                "name": name,
                "city": rng.choice(CITIES).split(",")[0],
                "school": _school(rng),
                "year": str(rng.randint(1990, 2020)),
            }
            text = " ".join(dict.fromkeys(s.format(**values) for s in chosen))
            rows.append([text, profession, gender])
        out[profession] = rows
    return out


# -- README ---------------------------------------------------------------------------------
def _readme(seed: int, counts: Mapping[str, int]) -> str:
    def total(prefix: str) -> int:
        return sum(v for k, v in counts.items() if k.startswith(prefix))

    table = [
        ("`livecareer/resumes.csv`", "livecareer resumes, 24 categories", total("livecareer/")),
        ("`jobs/*.csv`", "Google (`;`-separated) and Glassdoor job postings", total("jobs/")),
        ("`onet/*.txt`", "O*NET occupations, tasks, technologies", total("onet/Occ")),
        ("`esco/occupations_en.csv`", "ESCO occupations", total("esco/")),
        ("`bias_in_bios/<profession>.csv`", "biographies with gender", total("bias_in_bios/")),
    ]
    rows = "\n".join(f"| {path} | {layout} | {count} |" for path, layout, count in table)
    return (
        _README.replace("{version}", CORPUS_VERSION)
        .replace("{seed}", str(seed))
        .replace("{rows}", rows)
        .replace("{esco_uri}", _ESCO_URI)
    )


_README = """# Synthetic demo corpus (`matching`, generator version {version}, seed {seed})

**Everything in this folder is synthetic.** It was generated by
`matching.demo.write_demo_corpus` so that `make demo`, the notebooks and the tests can run the
whole flow (training, evaluation against the BM25 and cosine baselines, the fairness audit,
registration, serving) on a machine without the real data sets. No text was taken from any
resume, posting or biography: the people, employers, schools, duties and biographies are
invented from templates written for `matching`, and the generator reads nothing but the
`matching` package.

**Any figure computed on this corpus says nothing about real-world quality.** Its labels are
weak (resume category and requisition category, as in `training/ranking/WEAK_LABELS.md`), its
texts come from a small set of templates, and it was not tuned to make any model look good
or bad. Use it to see the flow work; measure quality on real data.

The files copy the layouts of the real data folder, so the same readers take them:

| path | layout of | records |
|---|---|---|
{rows}

`DEMO_CORPUS.json` records the generator's version, the seed and a SHA-256 of each file;
`write_demo_corpus` rewrites only the files that are missing or changed.

## Attribution

Skill names come from the skill vocabulary shipped with `matching`
(`matching/taxonomy/data`), which is derived from:

- **ESCO**: this product uses the ESCO classification of the European Commission
  (v1.1/v1.2, English), © European Union, reused under Commission Decision 2011/833/EU
  (https://esco.ec.europa.eu). The vocabulary is a modified, derived version; the European
  Commission is not responsible for it and does not endorse it.
- **O*NET**: this product includes information from the O*NET 30.2 Database by the U.S.
  Department of Labor, Employment and Training Administration (USDOL/ETA), used under the
  CC BY 4.0 licence (https://creativecommons.org/licenses/by/4.0/). O*NET® is a trademark of
  USDOL/ETA. The data were modified; USDOL/ETA has not approved, endorsed, or tested these
  modifications.

O*NET-SOC codes and titles and ISCO-08 unit group codes label the generated occupation
profiles so that the weak-label mapping grades them; the descriptions, tasks and technology
lists are generated, not O*NET's or ESCO's. The ESCO concept URIs are invented
(`{esco_uri}…`).
"""


__all__ = [
    "CORPUS_VERSION",
    "MARKER",
    "RESUME_CATEGORIES",
    "DemoCorpus",
    "render_demo_corpus",
    "write_demo_corpus",
]
