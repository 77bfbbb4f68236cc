"""Build the skill tagger's training corpora (spaCy DocBins) from SkillSpan train.

Each tag column becomes its own corpus, because the two heads are trained as separate NER
components: ``skill_{train,dev}.spacy`` hold SKILL entities and ``knowledge_{train,dev}.spacy``
KNOWLEDGE entities. The early-stopping ``dev`` set is the last tenth of each domain's train file
(a contiguous block, so that sentences of one posting mostly stay together). SkillSpan ``dev``
is never read here: it is the benchmark's test set.

Usage: ``python training/skills/prepare.py [--data-dir DIR] [--work-dir DIR]``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

from matching.datasets import (
    DOMAINS,
    TaggedSentence,
    TokenSpan,
    count_skillspan,
    load_skillspan,
)
from matching.settings import get_settings

HEADS = {"skill": "SKILL", "knowledge": "KNOWLEDGE"}
DEV_FRACTION = 0.1
DEFAULT_WORK_DIR = Path("var/training/skills")


@dataclass(frozen=True)
class Corpora:
    """Where the DocBins were written and what they hold."""

    paths: dict[str, Path]
    counts: dict[str, dict[str, int]]


def split_train(
    sentences: Sequence[TaggedSentence], *, dev_fraction: float = DEV_FRACTION
) -> tuple[list[TaggedSentence], list[TaggedSentence]]:
    """Hold out the last ``dev_fraction`` of each domain's sentences, in file order."""
    train: list[TaggedSentence] = []
    dev: list[TaggedSentence] = []
    for domain in DOMAINS:
        ours = [sentence for sentence in sentences if sentence.domain == domain]
        cut = len(ours) - round(len(ours) * dev_fraction)
        train.extend(ours[:cut])
        dev.extend(ours[cut:])
    return train, dev


def to_doc(nlp: Language, sentence: TaggedSentence, spans: Sequence[TokenSpan], label: str) -> Doc:
    """Tokenise the sentence's text as the tagger will at run time and mark ``spans``."""
    doc = nlp.make_doc(sentence.text)
    ents: list[Span] = []
    for start, end in sentence.char_spans(spans):
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None:
            ents.append(span)
    doc.set_ents(ents, default="outside")
    return doc


def build_corpora(data_dir: Path, work_dir: Path) -> Corpora:
    """Write ``{head}_{train,dev}.spacy`` under ``work_dir``; return their paths and counts."""
    nlp = spacy.blank("en")
    sentences = load_skillspan(data_dir, split="train")
    train, dev = split_train(sentences)
    work_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    counts: dict[str, dict[str, int]] = {}
    for part, chunk in (("train", train), ("dev", dev)):
        summary = count_skillspan(chunk)
        counts[part] = {
            "sentences": summary.sentences,
            "tokens": summary.tokens,
            "skills": summary.skills,
            "knowledge": summary.knowledge,
            "overlapping": summary.overlapping,
        }
        for head, label in HEADS.items():
            docbin = DocBin(store_user_data=False)
            for sentence in chunk:
                spans = sentence.skills if head == "skill" else sentence.knowledge
                docbin.add(to_doc(nlp, sentence, spans, label))
            path = work_dir / f"{head}_{part}.spacy"
            docbin.to_disk(path)
            paths[f"{head}_{part}"] = path
    return Corpora(paths=paths, counts=counts)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or get_settings().resolved_data_dir()
    if data_dir is None:
        print("../shared/data is absent: set MATCHING_DATA_DIR or pass --data-dir.")
        return 1
    corpora = build_corpora(data_dir, args.work_dir)
    for part, numbers in corpora.counts.items():
        print(f"{part}: " + ", ".join(f"{key} {value}" for key, value in numbers.items()))
    for name, path in corpora.paths.items():
        print(f"wrote {name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
