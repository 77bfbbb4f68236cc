"""Embedding throughput of ``Encoder.encode`` and ``embed_documents`` on synthetic texts.

    python benchmarks/bench_embeddings.py [--short 512] [--sentence 256] [--chunk 128]
        [--resumes 32] [--batch-size 32] [--repeat 3] [--out FILE]

Rows: texts/s of ``Encoder.encode`` (all-MiniLM-L6-v2, torch fp32 on the CPU) on short texts
(job titles and skill phrases, 5–10 words), sentences (25 words) and chunks (150 words, the
size ``chunk_document`` cuts to); resumes/s of ``embed_documents`` on resume-like texts of
about 600 words (parsed before timing, chunked and neutralised inside the timing); and the
same calls again on a warm cache (every text a cache hit). Each cold run starts from a fresh
``MemoryCache``, so nothing is a cache hit; the best of ``--repeat`` runs is reported.

Texts are synthetic and seeded (``benchmarks/_synthetic.py``): nothing is read from
../shared/data. An int8 ONNX path is measured only where onnxruntime is installed.

Prints a table and writes ``benchmarks/results/embeddings.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from _machine import machine
from _synthetic import FAMILIES, phrase, prose, resume
from matching.settings import configure_offline

RESULTS = Path(__file__).resolve().parent / "results" / "embeddings.json"
REFERENCE = "STACK.md, 2 quiet cores: ~180 short texts/s, ~23 resume-length texts/s (fp32)"


def best_seconds(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` calls of ``run`` (it sets up its own cold state)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    configure_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=512, help="short texts (5–10 words)")
    parser.add_argument("--sentence", type=int, default=256, help="25-word texts")
    parser.add_argument("--chunk", type=int, default=128, help="150-word texts")
    parser.add_argument("--resumes", type=int, default=32, help="~600-word resumes")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (best kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=150)

    import torch

    from matching.features import MemoryCache, chunk_document, embed_documents, load_encoder
    from matching.parsing import parse_resume_text

    rng = random.Random(args.seed)
    encoder = load_encoder(cache=MemoryCache(), batch_size=args.batch_size)
    workloads = {
        "short (titles, skill phrases)": [
            phrase(rng, rng.randint(5, 10)) for _ in range(args.short)
        ],
        "sentence (25 words)": [prose(rng, 25) for _ in range(args.sentence)],
        "chunk (150 words)": [prose(rng, 150) for _ in range(args.chunk)],
    }
    resume_texts = [
        resume(rng, FAMILIES[i % len(FAMILIES)], words=600) for i in range(args.resumes)
    ]
    profiles = [parse_resume_text(t) for t in track(resume_texts, "parsing resumes")]
    items = [(t, p.sections) for t, p in zip(resume_texts, profiles, strict=True)]
    names = [p.name for p in profiles]
    chunks = [len(chunk_document(t, s, max_words=encoder.max_words)) for t, s in items]
    tokenizer = encoder.model.tokenizer

    def tokens(texts: Sequence[str]) -> float:
        return sum(len(tokenizer(t)["input_ids"]) for t in texts) / len(texts)

    encoder.encode([prose(rng, 40) for _ in range(args.batch_size)])  # warm-up
    rows: list[dict[str, Any]] = []

    def cold_encode(texts: list[str]) -> None:
        encoder.cache = MemoryCache()
        encoder.encode(texts)

    def cold_documents() -> None:
        encoder.cache = MemoryCache()
        embed_documents(encoder, items, names=names)

    for name, texts in track(list(workloads.items()), "encoding"):
        seconds = best_seconds(lambda t=texts: cold_encode(t), args.repeat)
        hit = best_seconds(lambda t=texts: encoder.encode(t), args.repeat)  # cache now warm
        common = {
            "texts": len(texts),
            "words_per_text": round(sum(len(t.split()) for t in texts) / len(texts), 1),
            "tokens_per_text": round(tokens(texts), 1),
        }
        rows.append({"workload": name, "cache": "cold", **common, "seconds": seconds})
        rows.append({"workload": name, "cache": "hit", **common, "seconds": hit})
    seconds = best_seconds(cold_documents, args.repeat)
    hit = best_seconds(lambda: embed_documents(encoder, items, names=names), args.repeat)
    common = {
        "texts": len(items),
        "words_per_text": round(sum(len(t.split()) for t, _ in items) / len(items), 1),
        "chunks_per_text": round(sum(chunks) / len(chunks), 2),
    }
    name = "embed_documents (resumes, ~600 words)"
    rows.append({"workload": name, "cache": "cold", **common, "seconds": seconds})
    rows.append({"workload": name, "cache": "hit", **common, "seconds": hit})
    for row in rows:
        row["per_second"] = round(row["texts"] / row["seconds"], 1)
        row["ms_per_text"] = round(1000 * row["seconds"] / row["texts"], 4)
        row["seconds"] = round(row["seconds"], 6)

    onnx = (
        "onnxruntime installed but the int8 ONNX path is not benchmarked here"
        if importlib.util.find_spec("onnxruntime") is not None
        else "int8 ONNX path not measured (onnxruntime not installed)"
    )
    result = {
        "benchmark": "embeddings",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "model": encoder.model_id,
        "backend": f"sentence-transformers, torch {torch.__version__} fp32, CPU",
        "threads": {
            "torch": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "batch_size": args.batch_size,
        # Other work on the machine slows every row; this says how busy it was at the end.
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        "repeat": args.repeat,
        "max_words_per_chunk": encoder.max_words,
        "onnx_int8": onnx,
        "reference": REFERENCE,
        "results": rows,
    }
    render(console, result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


def render(console: Console, result: dict[str, Any]) -> None:
    """Print the throughput table."""
    m = result["machine"]
    table = Table(
        title=f"Embedding throughput, {result['model']} ({result['backend']}, batch "
        f"{result['batch_size']}, {result['threads']['torch']} torch threads) — "
        f"{result['date']}; {m['cores']} cores, {m['cpu']}, Python {m['python']}"
    )
    table.add_column("workload")
    table.add_column("cache")
    table.add_column("texts", justify="right")
    table.add_column("words/text", justify="right")
    table.add_column("tokens or chunks/text", justify="right")
    table.add_column("per s", justify="right")
    table.add_column("ms/text", justify="right")
    for row in result["results"]:
        size = (
            f"{row['tokens_per_text']:.0f} tokens"
            if "tokens_per_text" in row
            else f"{row['chunks_per_text']:.1f} chunks"
        )
        table.add_row(
            row["workload"],
            row["cache"],
            str(row["texts"]),
            f"{row['words_per_text']:.0f}",
            size,
            f"{row['per_second']:,.1f}",
            f"{row['ms_per_text']:.3f}",
        )
    console.print(table)
    console.print(f"{result['onnx_int8']}. Reference: {result['reference']}.")


if __name__ == "__main__":
    sys.exit(main())
