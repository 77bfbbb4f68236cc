"""Train the resume field extractor (spaCy NER) on DataTurks and install it.

Usage::

    OMP_NUM_THREADS=1 python training/fields/train.py [--data-dir DIR] [--out models/fields]

Steps: prepare the train/dev DocBins (prepare.py; the 20% test resumes are held out), write
the small English pipeline's NER tok2vec weights as the starting point, train with
``spacy.cli.train.train`` and ``config.cfg`` (fixed seeds: the same data gives the same
model), copy ``model-best`` to ``--out`` (default ``Settings.field_model_path()``), and record
in its ``meta.json`` the dev metrics, the held-out test scores, the split's document ids and
the span repairs. Takes about ten minutes on one core.
"""

from __future__ import annotations

import os

# One thread: the machine is shared, and thinc is no faster with more on a model this small.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import spacy
from prepare import SPLIT_FILE, Prepared, prepare, split_all
from spacy.cli.train import train as spacy_train
from spacy.tokens import DocBin
from spacy.training import Example

from matching.datasets import load_dataturks
from matching.settings import configure_offline, get_settings

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.cfg"
SEED = 0


def write_init_weights(model: str, path: Path) -> Path:
    """Save the tok2vec weights of ``model``'s NER (same architecture as ours) to ``path``."""
    nlp = spacy.load(model, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])
    path.write_bytes(nlp.get_pipe("ner").model.get_ref("tok2vec").to_bytes())
    return path


def score_test(model_dir: Path, data_dir: Path) -> dict[str, object]:
    """Entity-level P/R/F1 of the installed model on the held-out test resumes (report only)."""
    nlp = spacy.load(model_dir)
    resumes = load_dataturks(data_dir / "dataturks_resume_ner" / "traindata.json")
    _, _, test = split_all(resumes)
    examples = []
    for resume in test:
        reference = nlp.make_doc(resume.text)
        ents = [
            reference.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
            for s in resume.spans
        ]
        reference.ents = spacy.util.filter_spans([e for e in ents if e is not None])
        examples.append(Example(nlp(resume.text), reference))
    scores = nlp.get_pipe("ner").score(examples)
    return {
        "docs": len(test),
        "ents_p": scores["ents_p"],
        "ents_r": scores["ents_r"],
        "ents_f": scores["ents_f"],
        "ents_per_type": scores["ents_per_type"],
    }


def install(best: Path, out: Path) -> None:
    """Replace ``out`` with a copy of ``best``."""
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(best, out)


def write_meta(out: Path, prepared: Prepared, extra: dict[str, object]) -> dict[str, object]:
    """Add our name, provenance, split and metrics to ``out/meta.json``; return the meta."""
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(
        name="matching_fields",
        version="0.1.0",
        description=(
            "Resume field extractor (NER: NAME, TITLE, COMPANY, INSTITUTION, DEGREE, "
            "GRAD_YEAR, LOCATION) trained on the DataTurks resumes; source the 'ner' "
            "component into a pipeline with a default English tokenizer."
        ),
        license="Trained on DataTurks resumes (no licence, personal data): do not publish.",
    )
    meta["matching"] = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "split_file": str(SPLIT_FILE.relative_to(HERE.parent.parent)),
        "train_doc_ids": prepared.train_ids,
        "dev_doc_ids": prepared.dev_ids,
        "test_doc_ids": prepared.test_ids,
        "entities_in_train_and_dev": prepared.entities,
        "spans_unaligned_to_tokens": prepared.unaligned_to_tokens,
        "spans_overlapping_after_alignment": prepared.overlapping_after_alignment,
        "alignment": prepared.alignment,
        "dev": {
            key: meta.get("performance", {}).get(key)
            for key in ("ents_p", "ents_r", "ents_f", "ents_per_type")
        },
        **extra,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: prepare, train, install, record."""
    configure_offline()
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=settings.field_model_path())
    parser.add_argument("--work-dir", type=Path, default=settings.home / "training" / "fields")
    parser.add_argument(
        "--init-from",
        default=settings.spacy_base_model,
        help="pipeline whose NER tok2vec weights start training ('none': random weights)",
    )
    parser.add_argument(
        "--max-steps", type=int, default=None, help="override training.max_steps (smoke tests)"
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir or settings.resolved_data_dir()
    if data_dir is None or not (data_dir / "dataturks_resume_ner").is_dir():
        print("The DataTurks data is absent: set MATCHING_DATA_DIR or pass --data-dir.")
        return 1

    started = time.perf_counter()
    print(f"[1/4] preparing DocBins from {data_dir / 'dataturks_resume_ner'}", flush=True)
    prepared = prepare(data_dir, args.work_dir)
    words = sum(
        len(doc)
        for doc in DocBin().from_disk(prepared.train_path).get_docs(spacy.blank("en").vocab)
    )
    print(
        f"      train {len(prepared.train_ids)} resumes ({words} tokens), dev "
        f"{len(prepared.dev_ids)}, test {len(prepared.test_ids)} held out; "
        f"{prepared.alignment['realigned']} spans realigned, "
        f"{prepared.alignment['trimmed']} trimmed, {prepared.alignment['dropped_overlap']} "
        f"dropped as overlaps",
        flush=True,
    )
    init = None
    if args.init_from.lower() != "none":
        print(f"[2/4] starting weights: the NER tok2vec of {args.init_from}", flush=True)
        init = write_init_weights(args.init_from, args.work_dir / "init_tok2vec.bin")
    else:
        print("[2/4] starting weights: random", flush=True)
    output = args.work_dir / "output"
    print(f"[3/4] training (config {CONFIG.name}, seed {SEED}); dev F1 every 100 steps", flush=True)
    trained = time.perf_counter()
    spacy_train(
        CONFIG,
        output,
        use_gpu=-1,
        overrides={
            "paths.train": str(prepared.train_path),
            "paths.dev": str(prepared.dev_path),
            "paths.init_tok2vec": str(init) if init else None,
            "system.seed": SEED,
            **({"training.max_steps": args.max_steps} if args.max_steps else {}),
        },
    )
    train_seconds = time.perf_counter() - trained
    print(f"[4/4] installing model-best into {args.out} and scoring the test resumes", flush=True)
    install(output / "model-best", args.out)
    test = score_test(args.out, data_dir)
    meta = write_meta(
        args.out,
        prepared,
        {
            "test": test,
            "init_from": args.init_from,
            "seed": SEED,
            "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "machine": f"{cpu_model()}, {os.cpu_count()} cores",
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "config": asdict_config(),
        },
    )
    dev = meta["matching"]["dev"]  # type: ignore[index]
    print(
        f"done in {train_seconds / 60:.1f} min of training: dev F1 {dev['ents_f']:.3f}, "
        f"held-out test F1 {test['ents_f']:.3f} ({test['docs']} resumes); model at {args.out}"
    )
    return 0


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def asdict_config() -> dict[str, object]:
    """The hyperparameters worth recording beside the metrics."""
    config = spacy.util.load_config(CONFIG)
    model = config["components"]["ner"]["model"]
    return {
        "embed_width": model["tok2vec"]["embed"]["width"],
        "embed_rows": model["tok2vec"]["embed"]["rows"],
        "depth": model["tok2vec"]["encode"]["depth"],
        "hidden_width": model["hidden_width"],
        "dropout": config["training"]["dropout"],
        "max_steps": config["training"]["max_steps"],
        "patience": config["training"]["patience"],
    }


if __name__ == "__main__":
    sys.exit(main())
