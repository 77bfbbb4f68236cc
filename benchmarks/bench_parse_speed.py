"""Parse throughput on the real livecareer PDFs, with pdfminer.six's text extraction beside it.

    python benchmarks/bench_parse_speed.py [--n 200] [--workers 2]

Rows: pdfminer.six ``extract_text`` (the baseline: text only), our text extraction alone
(pypdfium2 with hidden-text filtering), and the full parse (text → spaCy pipeline → Profile).
Latency is per document in one process after a warm-up; throughput runs ``--workers``
processes over the same files. Needs ../shared/data (or MATCHING_DATA_DIR).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from matching.settings import configure_offline, get_settings

RESULTS = Path(__file__).resolve().parent / "results" / "parse_speed.json"


def _pdfminer(path: str) -> int:
    from pdfminer.high_level import extract_text

    return len(extract_text(path))


def _ours_text(path: str) -> int:
    from matching.parsing import extract_text

    return len(extract_text(path).text)


def _ours_full(path: str) -> int:
    from matching.parsing import parse_resume

    return len(parse_resume(path).skills)


STAGES: dict[str, Callable[[str], int]] = {
    "pdfminer.six extract_text (baseline)": _pdfminer,
    "matching text extraction (pypdfium2)": _ours_text,
    "matching full parse → Profile": _ours_full,
}


def _warm(stage: str) -> None:
    configure_offline()
    os.environ["OMP_NUM_THREADS"] = "1"
    if stage != "pdfminer.six extract_text (baseline)":
        from matching.parsing import parse_resume_text

        parse_resume_text("warm up\nExperience\nEngineer 2019 - 2020 Acme\n")


def _timed(args: tuple[str, str]) -> float:
    stage, path = args
    start = time.perf_counter()
    STAGES[stage](path)
    return time.perf_counter() - start


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of PDFs (seeded sample)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    configure_offline()
    data_dir = get_settings().resolved_data_dir()
    if data_dir is None or not (data_dir / "livecareer" / "pdf").is_dir():
        print("skipped: ../shared/data/livecareer/pdf is absent (set MATCHING_DATA_DIR)")
        return 0
    files = sorted(str(p) for p in (data_dir / "livecareer" / "pdf").rglob("*.pdf"))
    files = random.Random(args.seed).sample(files, min(args.n, len(files)))

    console = Console()
    results = []
    for stage in STAGES:
        _warm(stage)
        latencies = [_timed((stage, f)) for f in tqdm(files, desc=f"{stage[:28]} latency")]
        context = mp.get_context("fork")
        with context.Pool(args.workers, initializer=_warm, initargs=(stage,)) as pool:
            pool.map(_timed, [(stage, f) for f in files[: args.workers * 2]])  # warm workers
            start = time.perf_counter()
            list(
                tqdm(
                    pool.imap_unordered(_timed, [(stage, f) for f in files], chunksize=4),
                    total=len(files),
                    desc=f"{stage[:28]} throughput",
                )
            )
            wall = time.perf_counter() - start
        latencies.sort()
        results.append(
            {
                "stage": stage,
                "docs_per_s": len(files) / wall,
                "median_ms": statistics.median(latencies) * 1000,
                "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            }
        )

    meta = {
        "date": datetime.now().strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {_cpu_model()}, Python {sys.version.split()[0]}",
        "documents": len(files),
        "workers": args.workers,
        "extractor": _extractor(),
    }
    table = Table(
        title=f"Parse speed on {len(files)} livecareer PDFs — {meta['date']}, "
        f"{meta['machine']}, {args.workers} worker processes, "
        f"extractor: {meta['extractor']}"
    )
    table.add_column("stage")
    table.add_column("docs/s", justify="right")
    table.add_column("median ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for row in results:
        table.add_row(
            row["stage"],
            f"{row['docs_per_s']:.1f}",
            f"{row['median_ms']:.1f}",
            f"{row['p95_ms']:.1f}",
        )
    console.print(table)
    console.print("Target for the full parse: ≥ 25 docs/s, median < 100 ms.")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    return 0


def _extractor() -> str:
    from matching.parsing._pipeline import resume_pipeline

    settings = get_settings()
    return resume_pipeline(settings.field_model_path(), settings.spacy_base_model)[1]


if __name__ == "__main__":
    raise SystemExit(main())
