"""Benchmark: resume field extraction on the held-out DataTurks test resumes.

Usage::

    python benchmarks/bench_fields.py [--data-dir DIR] [--model DIR] [--out FILE]

Systems (rows of results, columns of the table):

* ``product``: ``matching.parsing.parse_resume_text`` (skipped with a message until it exists);
* ``trained NER``: the entities of the trained field extractor (``models/fields``), plus the
  contact patterns below;
* ``baseline``: the small English pipeline's NER (PERSON, ORG, DATE) plus patterns for
  e-mails, Indeed handles and degrees.

The test resumes are the 20% that ``split_dataturks`` holds out (by a hash of the content);
the trained model never saw them. Scores follow ``_fieldmetrics`` (value-level, case- and
whitespace-insensitive, half-of-the-tokens partial matches, micro-averaged). Writes
``benchmarks/results/fields.json``; prints no resume content.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from _fieldmetrics import (
    FieldCounts,
    canonical_contact,
    count_document,
    normalise,
    split_skill_block,
)
from matching.datasets import (
    SPLIT_SEED,
    AnnotatedResume,
    alignment_stats,
    load_dataturks,
    split_dataturks,
)
from matching.settings import configure_offline, get_settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "fields.json"

# DataTurks field → our gold label.
FIELDS: dict[str, str] = {
    "Name": "NAME",
    "Email Address": "EMAIL",
    "Designation": "TITLE",
    "Companies worked at": "COMPANY",
    "College Name": "INSTITUTION",
    "Degree": "DEGREE",
    "Graduation Year": "GRAD_YEAR",
    "Skills": "SKILLS",
}
# F1 the product should reach (DESIGN targets for the parser).
TARGETS: dict[str, float] = {
    "Email Address": 0.97,
    "Name": 0.90,
    "Degree": 0.75,
    "College Name": 0.75,
    "Designation": 0.75,
    "Companies worked at": 0.75,
}

Extracted = dict[str, list[str]]
Extractor = Callable[[str], Extracted]

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Indeed's "Email me on Indeed" handle; resumes wrap it across lines ("Jay-\nMadhavi/", "/\n1e7d").
INDEED_HANDLE = re.compile(r"indeed\.com/r/[A-Za-z0-9-]+(?:-?\n[A-Za-z0-9-]+)*/\s*[0-9a-f]{8,}")
DEGREE = re.compile(
    r"\b(?:(?:Bachelor|Master|Doctor)(?:'?s)?(?:\s+(?:of|in)\b[^\n,(]{2,60})?"
    r"|Diploma\b[^\n,(]{0,60}|Post\s+Graduat\w*[^\n,(]{0,60}"
    r"|(?:B|M)\.?\s?(?:E|Tech|Sc|Com|A|S|Ed|Pharm|Arch|B\.?A|C\.?A)\b\.?(?:\s+(?:in|of)\b[^\n,(]{2,60})?"
    r"|(?:BCA|MCA|MBA|BBA|BBM|PGDM|PGDBA|Ph\.?\s?D|HSC|SSC)\b(?:\s+(?:in|of)\b[^\n,(]{2,60})?)"
)
YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b")
INSTITUTION_WORDS = re.compile(r"universit|college|institut|school|academy|vidyalaya", re.I)


@dataclass
class SystemResult:
    """One system's outcome: per-field counts (annotated docs and all docs) or a skip reason."""

    name: str
    description: str
    status: str = "ok"
    message: str = ""
    seconds: float = 0.0
    annotated: dict[str, FieldCounts] = field(default_factory=dict)
    everywhere: dict[str, FieldCounts] = field(default_factory=dict)
    produced: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)


def notes(resumes: Sequence[AnnotatedResume]) -> list[str]:
    """What a reader must know to read the table, with counts from the data."""
    emails = [v for r in resumes for v in r.values("EMAIL")]
    handles = sum("ndeed.com/r/" in v for v in emails)
    unlabelled = sum(not r.values("EMAIL") for r in resumes)
    with_handle = sum(not r.values("EMAIL") and bool(INDEED_HANDLE.search(r.text)) for r in resumes)
    return [
        f"DataTurks' 'Email Address' gold values are Indeed profile handles "
        f"(indeed.com/r/<name>/<hash>), not e-mail addresses: {handles} of {len(emails)}. A "
        "system is scored on its e-mails plus the Indeed handles among its links, compared "
        "exactly after removing whitespace, scheme, 'www.' and query.",
        "A field is scored only on the test resumes whose annotator labelled it at least once: "
        f"DataTurks leaves fields unlabelled in resumes that plainly hold them ({unlabelled} of "
        f"{len(resumes)} resumes have no 'Email Address' label, {with_handle} of those show an "
        "Indeed handle). Scores over all test resumes are in the JSON ('all_documents').",
        "Gold 'Skills' values are whole skills sections; they are split into items at line "
        "breaks, commas, bullets and the like, '(3 years)' notes removed, items over 6 words "
        "dropped.",
        "Name is single-valued: each system gives at most one (the trained NER and the baseline "
        "their first NAME/PERSON entity).",
        "'-' marks a field the system does not produce.",
    ]


def contacts(text: str) -> list[str]:
    """E-mail addresses and Indeed handles found by patterns."""
    return [m.group() for m in EMAIL.finditer(text)] + [
        m.group() for m in INDEED_HANDLE.finditer(text)
    ]


def gold_values(resume: AnnotatedResume, label: str) -> list[str]:
    """The gold values of one field (skills sections split into items)."""
    values = resume.values(label)
    if label == "SKILLS":
        return [item for block in values for item in split_skill_block(block)]
    return values


def compare(field_name: str, predicted: Iterable[str], gold: Iterable[str]) -> FieldCounts:
    """Score one field of one document with that field's comparison rule."""
    if field_name == "Email Address":
        return count_document(predicted, gold, canon=canonical_contact, partial=False)
    if field_name == "Graduation Year":
        return count_document(predicted, gold, partial=False)
    return count_document(predicted, gold, canon=normalise)


def evaluate(result: SystemResult, extract: Extractor, test: Sequence[AnnotatedResume]) -> None:
    """Run ``extract`` on every test resume and fill ``result``'s counts."""
    zero = FieldCounts()
    annotated = dict.fromkeys(FIELDS, zero)
    everywhere = dict.fromkeys(FIELDS, zero)
    started = time.perf_counter()
    for resume in track(test, description=f"{result.name:>12}", transient=True):
        extracted = extract(resume.text)
        result.produced.update(extracted)
        for field_name, label in FIELDS.items():
            gold = gold_values(resume, label)
            counts = compare(field_name, extracted.get(field_name, []), gold)
            everywhere[field_name] += counts
            if gold:
                annotated[field_name] += counts
    result.seconds = time.perf_counter() - started
    result.annotated, result.everywhere = annotated, everywhere


def product_extractor() -> tuple[Extractor, dict[str, Any]]:
    """``parse_resume_text`` mapped to the DataTurks fields (ImportError when absent)."""
    from matching.parsing import parse_resume_text

    info: dict[str, Any] = {"extractor": set()}

    def extract(text: str) -> Extracted:
        profile = parse_resume_text(text)
        info["extractor"].add(profile.extractor)
        handles = [link for link in profile.links if "indeed.com/r/" in link.lower()]
        return {
            "Name": [profile.name] if profile.name else [],
            "Email Address": [*profile.emails, *handles],
            "Designation": list(profile.titles),
            "Companies worked at": list(profile.companies),
            "College Name": [e.institution for e in profile.education if e.institution],
            "Degree": [e.degree for e in profile.education if e.degree],
            "Graduation Year": [str(e.year) for e in profile.education if e.year],
            "Skills": [skill.label for skill in profile.skills],
        }

    return extract, info


def ner_extractor(model_dir: Path) -> Extractor:
    """The trained NER's entities by label, plus the contact patterns."""
    import spacy

    nlp = spacy.load(model_dir)
    by_label = {
        "TITLE": "Designation",
        "COMPANY": "Companies worked at",
        "INSTITUTION": "College Name",
        "DEGREE": "Degree",
        "GRAD_YEAR": "Graduation Year",
    }

    def extract(text: str) -> Extracted:
        doc = nlp(text)
        out: Extracted = {name: [] for name in by_label.values()}
        for ent in doc.ents:
            if ent.label_ in by_label:
                out[by_label[ent.label_]].append(ent.text)
        names = [ent.text for ent in doc.ents if ent.label_ == "NAME"]
        out["Name"] = names[:1]
        out["Email Address"] = contacts(text)
        return out

    return extract


def baseline_extractor(model: str) -> Extractor:
    """The small English pipeline's NER plus patterns (no training on resumes)."""
    import spacy

    nlp = spacy.load(model, exclude=["lemmatizer"])

    def extract(text: str) -> Extracted:
        doc = nlp(text)
        people = [ent.text for ent in doc.ents if ent.label_ == "PERSON"]
        orgs = [ent.text for ent in doc.ents if ent.label_ == "ORG"]
        degrees = list(DEGREE.finditer(text))
        years = []
        dates = [ent for ent in doc.ents if ent.label_ == "DATE" and YEAR.search(ent.text)]
        for degree in degrees:
            # the first dated entity within 250 characters after a degree: its last year
            near = [d for d in dates if 0 <= d.start_char - degree.end() <= 250]
            if near:
                years.append(YEAR.findall(near[0].text)[-1])
        return {
            "Name": people[:1],
            "Email Address": contacts(text),
            "Companies worked at": [o for o in orgs if not INSTITUTION_WORDS.search(o)],
            "College Name": [o for o in orgs if INSTITUTION_WORDS.search(o)],
            "Degree": [m.group().strip() for m in degrees],
            "Graduation Year": years,
        }

    return extract


def machine() -> dict[str, Any]:
    """Cores and CPU model of this machine."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def run_product(test: Sequence[AnnotatedResume]) -> SystemResult:
    """Row (a): the product's parser."""
    result = SystemResult("product", "matching.parsing.parse_resume_text → Profile")
    try:
        extract, info = product_extractor()
    except ImportError as exc:
        result.status, result.message = "skipped", f"parse_resume_text is not importable ({exc})"
        return result
    evaluate(result, extract, test)
    result.extra["extractor"] = sorted(info["extractor"])
    return result


def run_ner(test: Sequence[AnnotatedResume], model_dir: Path) -> SystemResult:
    """Row (b): the trained field extractor alone (plus contact patterns)."""
    result = SystemResult("trained NER", f"{model_dir} entities + e-mail/handle patterns")
    meta_path = model_dir / "meta.json"
    if not meta_path.is_file():
        result.status = "skipped"
        result.message = f"no trained model at {model_dir}: run `make train-parser`"
        return result
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    own = meta.get("matching", {})
    trained_test = set(own.get("test_doc_ids", []))
    held_out = trained_test == {r.doc_id for r in test}
    result.extra = {
        "model": meta.get("name"),
        "trained_at": own.get("trained_at"),
        "dev_ents_f": own.get("dev", {}).get("ents_f"),
        "held_out": held_out,
    }
    if not held_out:
        result.message = "the model's recorded test split differs: scores may include training data"
    evaluate(result, ner_extractor(model_dir), test)
    return result


def run_baseline(test: Sequence[AnnotatedResume], model: str) -> SystemResult:
    """Row (c): the small English pipeline plus patterns."""
    result = SystemResult("baseline", f"{model} NER (PERSON/ORG/DATE) + patterns")
    evaluate(result, baseline_extractor(model), test)
    return result


def cell(value: float, target: float | None) -> str:
    """A score; with a target, ✓ (green) when it meets it and ✗ (red) when it does not."""
    text = f"{value:.2f}"
    if target is None:
        return text
    return f"[green]{text} ✓[/]" if value >= target else f"[red]{text} ✗[/]"


def print_table(console: Console, results: Sequence[SystemResult], golds: dict[str, int]) -> None:
    """Fields × (P, R, F1) per system that ran."""
    ran = [r for r in results if r.status == "ok"]
    table = Table(title="Resume fields on held-out DataTurks resumes (P / R / F1)")
    table.add_column("field", no_wrap=True)
    table.add_column("gold", justify="right")
    table.add_column("target F1", justify="right")
    for result in ran:
        for metric in ("P", "R", "F1"):
            table.add_column(f"{result.name}\n{metric}", justify="right")
    for field_name in FIELDS:
        target = TARGETS.get(field_name)
        row = [field_name, str(golds[field_name]), f"≥ {target:.2f}" if target else ""]
        for result in ran:
            if field_name not in result.produced:
                row += ["-", "-", "-"]
                continue
            counts = result.annotated[field_name]
            row += [f"{counts.precision:.2f}", f"{counts.recall:.2f}", cell(counts.f1, target)]
        table.add_row(*row)
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the systems, print the table, write the JSON."""
    configure_offline()
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--model", type=Path, default=settings.field_model_path())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # Wide enough for nine score columns even when the output is piped.
    console = Console(width=max(Console().width, 140))
    data_dir = args.data_dir or settings.resolved_data_dir()
    source = data_dir / "dataturks_resume_ner" / "traindata.json" if data_dir else None
    if source is None or not source.is_file():
        console.print(
            "bench_fields: the DataTurks data is absent (../shared/data or MATCHING_DATA_DIR); "
            "nothing to measure."
        )
        return 0
    resumes = load_dataturks(source)
    _, test = split_dataturks(resumes)
    golds = {
        name: sum(len(gold_values(r, label)) > 0 for r in test) for name, label in FIELDS.items()
    }
    info = machine()
    started = datetime.now(UTC)
    console.print(
        f"{started:%Y-%m-%d %H:%M} UTC · {info['cores']} cores, {info['cpu']} · "
        f"{len(test)} held-out test resumes of {len(resumes)} (split seed {SPLIT_SEED})"
    )
    results = [
        run_product(test),
        run_ner(test, args.model),
        run_baseline(test, settings.spacy_base_model),
    ]
    for result in results:
        if result.message:
            console.print(f"[yellow]{result.name}: {result.message}[/]")
    print_table(console, results, golds)
    console.print("'gold': test resumes with that field labelled (the ones scored).")
    remarks = notes(resumes)
    for note in remarks:
        console.print(f"• {note}", soft_wrap=False)
    payload = {
        "benchmark": "fields",
        "date": started.isoformat(timespec="seconds"),
        "machine": info,
        "data": {
            "source": "dataturks_resume_ner/traindata.json",
            "documents": len(resumes),
            "test_documents": len(test),
            "split": f"split_dataturks(test_fraction=0.2, seed={SPLIT_SEED})",
            "alignment": alignment_stats(resumes).__dict__,
            "test_documents_with_field": golds,
        },
        "metric": "value-level P/R/F1, see benchmarks/_fieldmetrics.py",
        "targets_f1": TARGETS,
        "notes": remarks,
        "systems": {
            r.name: {
                "description": r.description,
                "status": r.status,
                "message": r.message,
                "seconds": round(r.seconds, 2),
                "docs_per_second": round(len(test) / r.seconds, 2) if r.seconds else None,
                **r.extra,
                "annotated_documents": {
                    name: r.annotated[name].as_dict() if name in r.produced else None
                    for name in r.annotated
                },
                "all_documents": {
                    name: r.everywhere[name].as_dict() if name in r.produced else None
                    for name in r.everywhere
                },
            }
            for r in results
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
