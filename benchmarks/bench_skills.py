"""Skill and knowledge span extraction on SkillSpan dev: trained tagger vs gazetteer.

Usage: ``python benchmarks/bench_skills.py [--model models/skills] [--out FILE]``

SkillSpan dev (house + tech) is the test set here: the tagger never trains or early-stops on
it. Each sentence's tokens are joined by spaces and given to each system as plain text; the
spans it returns (character offsets) are widened to whole SkillSpan tokens and scored:

- **strict**: exact token boundaries;
- **loose**: any shared token, each gold and each predicted span matched at most once.

Systems:

- **tagger**: the trained tagger (``models/skills``, ``training/skills/train.py``); its SKILL
  spans are scored against SKILL, its KNOWLEDGE spans against KNOWLEDGE, and both together
  against the union of the two (target ``union``);
- **gazetteer**: ``spacy.blank("en")`` + the ``matching_skills`` taxonomy component. It does
  not tell skills from knowledge, so all its spans are scored against SKILL, against
  KNOWLEDGE and against their union (only the union row is a like-for-like comparison).

Prints a table and writes ``benchmarks/results/skills.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from _machine import machine
from _spanmetrics import Span, span_counts, to_token_spans
from matching.datasets import DOMAINS, TaggedSentence, count_skillspan, load_skillspan
from matching.settings import configure_offline, get_settings

RESULTS = Path(__file__).with_name("results") / "skills.json"
TARGETS = ("SKILL", "KNOWLEDGE", "union")
# What each system's predictions are scored as, per target: labels taken from its output.
Predictions = list[dict[str, list[Span]]]


@dataclass
class SystemRun:
    """One system's predictions on the dev sentences and how long they took."""

    name: str
    description: str
    predictions: Predictions
    seconds: float


def gold_spans(sentence: TaggedSentence) -> dict[str, list[Span]]:
    """Gold token spans per target."""
    skills, knowledge = list(sentence.skills), list(sentence.knowledge)
    return {
        "SKILL": skills,
        "KNOWLEDGE": knowledge,
        "union": sorted(set(skills) | set(knowledge)),
    }


def timed(
    tag: Callable[[list[str]], list[list[tuple[int, int, str]]]], texts: list[str]
) -> tuple[list[list[tuple[int, int, str]]], float]:
    """Run ``tag`` on ``texts`` after a short warm-up; return its output and seconds."""
    tag(texts[:32])
    started = time.perf_counter()
    output = tag(texts)
    return output, time.perf_counter() - started


def _pick(offsets: list[Span], spans: list[tuple[int, int, str]], labels: set[str]) -> list[Span]:
    """Distinct token spans of the output spans whose label is in ``labels``."""
    chosen = [(start, end) for start, end, label in spans if label in labels]
    return sorted(set(to_token_spans(offsets, chosen)))


def to_predictions(
    sentences: Sequence[TaggedSentence],
    output: list[list[tuple[int, int, str]]],
    *,
    labelled: bool,
) -> Predictions:
    """Token spans per target from ``(start_char, end_char, label)`` output."""
    predictions: Predictions = []
    for sentence, spans in zip(sentences, output, strict=True):
        offsets = sentence.token_offsets()
        if labelled:
            predictions.append(
                {
                    "SKILL": _pick(offsets, spans, {"SKILL"}),
                    "KNOWLEDGE": _pick(offsets, spans, {"KNOWLEDGE"}),
                    "union": _pick(offsets, spans, {"SKILL", "KNOWLEDGE"}),
                }
            )
        else:
            every = _pick(offsets, spans, {label for _, _, label in spans})
            predictions.append(dict.fromkeys(TARGETS, every))
    return predictions


def run_tagger(model: Path, sentences: Sequence[TaggedSentence]) -> SystemRun | str:
    """The trained tagger's predictions, or why it was skipped."""
    from matching.errors import ConfigError
    from matching.parsing._skilltagger import load_skill_tagger

    try:
        tagger = load_skill_tagger(model, batch_size=256)
    except ConfigError as exc:
        return f"tagger skipped: {exc}"
    if tagger is None:
        return f"tagger skipped: no model at {model} (run `python training/skills/train.py`)"

    def tag(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(s.start, s.end, s.label) for s in spans] for spans in tagger.tag(texts)]

    output, seconds = timed(tag, [s.text for s in sentences])
    meta = tagger.nlp.meta
    shown = model.resolve()
    if shown.is_relative_to(Path.cwd()):
        shown = shown.relative_to(Path.cwd())
    trained = meta.get("matching", {}).get("total_seconds")
    return SystemRun(
        name="tagger",
        description=f"trained spaCy NER heads, {shown} (version {meta.get('version')}, "
        f"trained in {trained} s)",
        predictions=to_predictions(sentences, output, labelled=True),
        seconds=seconds,
    )


def run_gazetteer(sentences: Sequence[TaggedSentence]) -> SystemRun | str:
    """The taxonomy gazetteer's predictions, or why it was skipped."""
    try:
        import spacy

        import matching.taxonomy as taxonomy

        # The package registers its "matching_skills" factory when SkillMatcher is first used.
        taxonomy.SkillMatcher  # noqa: B018
        nlp = spacy.blank("en")
        nlp.add_pipe("matching_skills")
    # The taxonomy package is written in parallel: any failure to build it means "not ready".
    except Exception as exc:
        return f"gazetteer skipped: matching.taxonomy is not ready ({type(exc).__name__}: {exc})"

    def tag(texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [
            [(span.start_char, span.end_char, "SKILL") for span in doc.spans["skills"]]
            for doc in nlp.pipe(texts, batch_size=256)
        ]

    output, seconds = timed(tag, [s.text for s in sentences])
    return SystemRun(
        name="gazetteer",
        description="spacy.blank('en') + matching_skills (ESCO/O*NET PhraseMatcher); "
        "unlabelled, scored against each target",
        predictions=to_predictions(sentences, output, labelled=False),
        seconds=seconds,
    )


def score(
    run: SystemRun, sentences: Sequence[TaggedSentence], gold: list[dict[str, list[Span]]]
) -> list[dict[str, Any]]:
    """Strict and loose scores of one system per domain and target."""
    rows = []
    for domain in ("all", *DOMAINS):
        keep = [i for i, s in enumerate(sentences) if domain in ("all", s.domain)]
        for target in TARGETS:
            gold_t = [gold[i][target] for i in keep]
            pred_t = [run.predictions[i][target] for i in keep]
            rows.append(
                {
                    "system": run.name,
                    "domain": domain,
                    "target": target,
                    "strict": span_counts(gold_t, pred_t, mode="strict").as_dict(),
                    "loose": span_counts(gold_t, pred_t, mode="loose").as_dict(),
                }
            )
    return rows


def render(
    console: Console, rows: list[dict[str, Any]], header: dict[str, Any], runs: list[SystemRun]
) -> None:
    """Print the scores and the throughput as rich tables."""
    counts = header["counts"]
    console.print(
        f"[bold]SkillSpan dev[/] ({header['date']}; {header['machine']['cores']} cores, "
        f"{header['machine']['cpu']}): "
        + "; ".join(
            f"{d}: {c['sentences']} sentences, {c['skills']} skill / {c['knowledge']} knowledge "
            "spans"
            for d, c in counts.items()
        )
    )
    table = Table(title="Span extraction on SkillSpan dev (P / R / F1, %)")
    for column in ("system", "domain", "target", "gold", "pred"):
        table.add_column(column, justify="left" if column in ("system", "target") else "right")
    for mode in ("strict", "loose"):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{mode} {metric}", justify="right")
    for row in rows:
        strict, loose = row["strict"], row["loose"]
        table.add_row(
            row["system"],
            row["domain"],
            row["target"],
            str(strict["gold"]),
            str(strict["predicted"]),
            *(f"{100 * m[k]:.1f}" for m in (strict, loose) for k in ("precision", "recall", "f1")),
        )
    console.print(table)
    speed = Table(title="Tagging throughput (all dev sentences, one process)")
    for column in ("system", "sentences", "seconds", "sentences/s", "tokens/s"):
        speed.add_column(column, justify="left" if column == "system" else "right")
    tokens = header["counts"]["all"]["tokens"]
    for run in runs:
        n = len(run.predictions)
        speed.add_row(
            run.name,
            str(n),
            f"{run.seconds:.2f}",
            f"{n / run.seconds:.0f}",
            f"{tokens / run.seconds:.0f}",
        )
    console.print(speed)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    configure_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: models/skills")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # A wide table stays readable when the output is piped to a file or a CI log.
    console = Console() if sys.stdout.isatty() else Console(width=150)
    settings = get_settings()
    data_dir = settings.resolved_data_dir()
    if data_dir is None:
        console.print("bench_skills: ../shared/data is absent (set MATCHING_DATA_DIR); skipped.")
        return 0
    model = args.model or settings.models_dir / "skills"

    sentences = load_skillspan(data_dir, split="dev")
    gold = [gold_spans(sentence) for sentence in sentences]
    counts = {}
    for domain in ("all", *DOMAINS):
        summary = count_skillspan(s for s in sentences if domain in ("all", s.domain))
        counts[domain] = {
            "sentences": summary.sentences,
            "tokens": summary.tokens,
            "skills": summary.skills,
            "knowledge": summary.knowledge,
            "overlapping": summary.overlapping,
        }
    header = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "data": "SkillSpan dev (house + tech), the test set: never used for training or tuning",
        "counts": counts,
        "tokens_joined_by": "space; predicted character spans widened to whole gold tokens",
    }

    runs: list[SystemRun] = []
    skipped: list[str] = []
    for outcome in (run_tagger(model, sentences), run_gazetteer(sentences)):
        if isinstance(outcome, str):
            skipped.append(outcome)
            console.print(f"[yellow]{outcome}[/]")
        else:
            runs.append(outcome)
    rows = [row for run in runs for row in score(run, sentences, gold)]
    render(console, rows, header, runs)

    result = {
        **header,
        "systems": {run.name: run.description for run in runs},
        "skipped": skipped,
        "throughput": {
            run.name: {
                "sentences": len(run.predictions),
                "seconds": round(run.seconds, 3),
                "sentences_per_second": round(len(run.predictions) / run.seconds, 1),
                "tokens_per_second": round(counts["all"]["tokens"] / run.seconds, 1),
            }
            for run in runs
        },
        "scores": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
