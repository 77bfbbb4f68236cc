"""Train the SkillSpan skill and knowledge tagger and write it to ``models/skills``.

One command: ``python training/skills/train.py [--data-dir DIR] [--out models/skills]``.

1. ``prepare.py`` writes DocBins from SkillSpan *train* (early-stopping dev = the last tenth of
   each domain's train file; SkillSpan dev is the benchmark's test set and is never read).
2. ``config.cfg`` (one NER with an inline tok2vec) is trained twice with a fixed seed: on SKILL
   spans and on KNOWLEDGE spans. spaCy prints a progress table for each.
3. The two best models are joined into one pipeline (``ner_skill``, ``skill_spans``,
   ``ner_knowledge``, ``knowledge_spans``; see ``matching.parsing._skilltagger``), with the
   early-stopping scores, seed, data counts and training time in its ``meta.json``.

Set ``OMP_NUM_THREADS=1`` on a shared machine (``make train-parser`` does).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from prepare import DEFAULT_WORK_DIR, HEADS, build_corpora
from spacy.cli.train import train as spacy_train

import matching.parsing._skilltagger as skilltagger
from matching.settings import configure_offline, get_settings

CONFIG = Path(__file__).with_name("config.cfg")
SEED = 0
MODEL_VERSION = "0.1.0"


def train_head(
    head: str, corpora: dict[str, Path], work_dir: Path, *, seed: int, max_steps: int | None
) -> tuple[Path, float]:
    """Train one NER head with ``config.cfg``; return its model-best folder and seconds."""
    overrides: dict[str, Any] = {
        "paths.train": str(corpora[f"{head}_train"]),
        "paths.dev": str(corpora[f"{head}_dev"]),
        "system.seed": seed,
    }
    if max_steps is not None:
        overrides["training.max_steps"] = max_steps
    output = work_dir / head
    print(f"\n=== training the {head} head ({HEADS[head]}) ===", flush=True)
    started = time.perf_counter()
    spacy_train(CONFIG, output, use_gpu=-1, overrides=overrides)
    return output / "model-best", time.perf_counter() - started


def assemble(heads: dict[str, Path]) -> spacy.language.Language:
    """Join the trained heads into one pipeline that writes ``doc.spans['skill_tagger']``."""
    nlp = spacy.blank("en")
    for head, path in heads.items():
        source = spacy.load(path)
        nlp.add_pipe("ner", name=f"ner_{head}", source=source)
        nlp.add_pipe(
            "matching_ents_to_spans",
            name=f"{head}_spans",
            config={"spans_key": skilltagger.SPANS_KEY},
        )
    return nlp


def head_scores(path: Path) -> dict[str, float]:
    """The early-stopping scores that spaCy stored in a model's meta."""
    performance = spacy.load(path).meta.get("performance", {})
    return {key: float(performance[key]) for key in ("ents_p", "ents_r", "ents_f")}


def write_model(nlp: spacy.language.Language, out: Path) -> None:
    """Write ``nlp`` to ``out``, replacing an older model only once the new one is complete."""
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    nlp.to_disk(staging)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    configure_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder")
    parser.add_argument("--out", type=Path, default=None, help="default: models/skills")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--max-steps", type=int, default=None, help="override (smoke runs)")
    args = parser.parse_args(argv)
    settings = get_settings()
    data_dir = args.data_dir or settings.resolved_data_dir()
    if data_dir is None:
        print("../shared/data is absent: set MATCHING_DATA_DIR or pass --data-dir.")
        return 1
    out: Path = args.out or settings.models_dir / "skills"

    started = time.perf_counter()
    corpora = build_corpora(data_dir, args.work_dir)
    print("corpora:", json.dumps(corpora.counts), flush=True)
    heads: dict[str, Path] = {}
    seconds: dict[str, float] = {}
    for head in HEADS:
        heads[head], seconds[head] = train_head(
            head, corpora.paths, args.work_dir, seed=args.seed, max_steps=args.max_steps
        )

    nlp = assemble(heads)
    scores = {head: head_scores(path) for head, path in heads.items()}
    nlp.meta.update(
        {
            "name": "skills",
            "version": MODEL_VERSION,
            "description": "SKILL and KNOWLEDGE span tagger for job postings, trained on "
            "SkillSpan train (house + tech); spans in doc.spans['skill_tagger'].",
            "sources": [
                {
                    "name": "SkillSpan",
                    "author": "Zhang, Jensen, Sonniks and Plank (NAACL 2022)",
                    "license": "CC BY 4.0",
                }
            ],
            "performance": {
                f"{head}_{key}": value for head, s in scores.items() for key, value in s.items()
            },
            "matching": {
                "performance_on": "last tenth of each domain's SkillSpan train file "
                "(early stopping); SkillSpan dev scores: benchmarks/bench_skills.py",
                "seed": args.seed,
                "training_seconds": {k: round(v, 1) for k, v in seconds.items()},
                "total_seconds": round(time.perf_counter() - started, 1),
                "corpora": corpora.counts,
                "config": str(CONFIG.name),
            },
        }
    )
    write_model(nlp, out)

    tagger = skilltagger.load_skill_tagger(out)
    if tagger is None:
        print(f"the model was not written to {out}")
        return 1
    example = "Experience with Python and SQL, and strong communication skills."
    print(f"\nwrote {out} in {time.perf_counter() - started:.0f} s")
    print("early-stopping scores:", json.dumps(scores))
    print(f"example: {example!r}")
    for span in tagger.tag([example])[0]:
        print(f"  {span.label:<9} {span.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
