"""Prepare the field extractor's training data: DataTurks resumes → train/dev DocBins.

Usage: ``python training/fields/prepare.py [--data-dir DIR] [--work-dir DIR]``
(train.py calls ``prepare`` itself).

The held-out test resumes (``split_dataturks``, 20%) never enter a DocBin; dev is a slice of
the training resumes, used for early stopping and model selection only. The document ids of
each side are written to ``split.json`` beside this file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from matching.datasets import (
    SPLIT_SEED,
    AnnotatedResume,
    alignment_stats,
    load_dataturks,
    split_dataturks,
)
from matching.settings import configure_offline, get_settings

HERE = Path(__file__).resolve().parent
SPLIT_FILE = HERE / "split.json"
TEST_FRACTION = 0.2
DEV_FRACTION = 0.15
# A different seed for the dev slice, so that dev is not "the next 15%" of the test hash.
DEV_SEED = SPLIT_SEED + 1


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` wrote and the numbers worth reporting."""

    train_path: Path
    dev_path: Path
    train_ids: list[str]
    dev_ids: list[str]
    test_ids: list[str]
    entities: int
    unaligned_to_tokens: int
    overlapping_after_alignment: int
    alignment: dict[str, int]


def to_doc(nlp: Language, resume: AnnotatedResume) -> tuple[Doc, int, int]:
    """Tokenise ``resume`` and set its NER spans as entities.

    Returns the doc, the number of spans that match no tokens, and the number dropped because
    widening them to token boundaries made them overlap another.
    """
    doc = nlp.make_doc(resume.text)
    ents = []
    unaligned = 0
    for span in resume.spans:
        # "expand" widens a span that ends inside a token ("2012" in "2012-") to the token.
        ent = doc.char_span(span.start, span.end, label=span.label, alignment_mode="expand")
        if ent is None:
            unaligned += 1
        else:
            ents.append(ent)
    kept = filter_spans(ents)
    doc.ents = kept
    return doc, unaligned, len(ents) - len(kept)


def split_all(
    resumes: Sequence[AnnotatedResume],
) -> tuple[list[AnnotatedResume], list[AnnotatedResume], list[AnnotatedResume]]:
    """Return ``(train, dev, test)``: test held out by hash, dev a hashed slice of the rest."""
    rest, test = split_dataturks(resumes, test_fraction=TEST_FRACTION, seed=SPLIT_SEED)
    train, dev = split_dataturks(rest, test_fraction=DEV_FRACTION, seed=DEV_SEED)
    return train, dev, test


def prepare(data_dir: Path, work_dir: Path) -> Prepared:
    """Load DataTurks from ``data_dir``, split it and write ``train.spacy``/``dev.spacy``."""
    resumes = load_dataturks(data_dir / "dataturks_resume_ner" / "traindata.json")
    train, dev, test = split_all(resumes)
    nlp = spacy.blank("en")
    work_dir.mkdir(parents=True, exist_ok=True)
    entities = unaligned = overlapping = 0
    paths = {}
    for name, part in (("train", train), ("dev", dev)):
        bin_ = DocBin(store_user_data=False)
        for resume in part:
            doc, missed, clashed = to_doc(nlp, resume)
            bin_.add(doc)
            entities += len(doc.ents)
            unaligned += missed
            overlapping += clashed
        paths[name] = work_dir / f"{name}.spacy"
        bin_.to_disk(paths[name])
    prepared = Prepared(
        train_path=paths["train"],
        dev_path=paths["dev"],
        train_ids=sorted({r.doc_id for r in train}),
        dev_ids=sorted({r.doc_id for r in dev}),
        test_ids=sorted({r.doc_id for r in test}),
        entities=entities,
        unaligned_to_tokens=unaligned,
        overlapping_after_alignment=overlapping,
        alignment=asdict(alignment_stats(resumes)),
    )
    write_split_file(prepared)
    return prepared


def write_split_file(prepared: Prepared, path: Path = SPLIT_FILE) -> None:
    """Write the document ids of each side (sha1 of the content; no personal data)."""
    split = {
        "source": "dataturks_resume_ner/traindata.json",
        "method": "matching.datasets._resume_ner.split_dataturks (sha1 of seed and person)",
        "seed": SPLIT_SEED,
        "test_fraction": TEST_FRACTION,
        "dev_seed": DEV_SEED,
        "dev_fraction": DEV_FRACTION,
        "train": prepared.train_ids,
        "dev": prepared.dev_ids,
        "test": prepared.test_ids,
    }
    path.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: prepare the DocBins and print what was done."""
    configure_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--work-dir", type=Path, default=get_settings().home / "training/fields")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or get_settings().resolved_data_dir()
    if data_dir is None or not (data_dir / "dataturks_resume_ner").is_dir():
        print("The DataTurks data is absent: set MATCHING_DATA_DIR or pass --data-dir.")
        return 1
    prepared = prepare(data_dir, args.work_dir)
    print(
        f"train {len(prepared.train_ids)}, dev {len(prepared.dev_ids)}, "
        f"test {len(prepared.test_ids)} resumes (test held out); {prepared.entities} entities; "
        f"alignment {prepared.alignment}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
