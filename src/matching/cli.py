"""The ``matching`` command: thin over the packages (typer + rich)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from matching.errors import MatchingError
from matching.schemas import Profile, Requisition

app = typer.Typer(
    name="matching",
    help="Parse resumes and job postings, score and rank candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
SUPPORTED = {".pdf", ".docx", ".txt", ".text", ".md", ".html", ".htm"}
EXAMPLES = Path(__file__).resolve().parent / "examples"


class Kind(StrEnum):
    """What a document is."""

    resume = "resume"
    requisition = "requisition"


def _expand(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED)
        else:
            yield path


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _render_profile(console: Console, path: str, profile: Profile) -> None:
    table = Table(title=path, show_header=False, title_justify="left", expand=False)
    table.add_column(style="bold cyan")
    table.add_column(overflow="fold")
    table.add_row("name", profile.name or "—")
    table.add_row("contacts", ", ".join(profile.emails + profile.phones + profile.links) or "—")
    table.add_row("location", profile.location or "—")
    table.add_row("titles", "; ".join(profile.titles) or "—")
    table.add_row("companies", "; ".join(profile.companies) or "—")
    table.add_row(
        "experience",
        "\n".join(
            f"{e.start}–{e.end}  {e.title or '?'} @ {e.company or '?'}" for e in profile.experience
        )
        or "—",
    )
    table.add_row("total years", str(profile.total_experience_years or "—"))
    table.add_row(
        "education",
        "\n".join(
            ", ".join(str(v) for v in (e.degree, e.institution, e.year) if v)
            for e in profile.education
        )
        or "—",
    )
    table.add_row("skills", ", ".join(s.label for s in profile.skills) or "—")
    table.add_row("sections", ", ".join(s.label for s in profile.sections) or "—")
    table.add_row("extractor", profile.extractor)
    table.add_row(
        "warnings", "\n".join(f"[yellow]{w.code}[/] {w.message}" for w in profile.warnings) or "—"
    )
    console.print(table)


def _render_requisition(console: Console, path: str, job: Requisition) -> None:
    table = Table(title=path, show_header=False, title_justify="left")
    table.add_column(style="bold cyan")
    table.add_column(overflow="fold")
    table.add_row("title", job.title or "—")
    table.add_row(
        "occupation",
        f"{job.occupation.label} ({job.occupation.concept_id}, {job.occupation.score:.2f})"
        if job.occupation
        else "—",
    )
    table.add_row("required", ", ".join(s.label for s in job.required_skills) or "—")
    table.add_row("preferred", ", ".join(s.label for s in job.preferred_skills) or "—")
    table.add_row("min years", str(job.min_years_experience or "—"))
    table.add_row("education", job.education_level or "—")
    table.add_row("location", f"{job.location or '—'} ({job.remote})")
    table.add_row(
        "warnings", "\n".join(f"[yellow]{w.code}[/] {w.message}" for w in job.warnings) or "—"
    )
    console.print(table)


def _error_line(path: str, error: MatchingError) -> dict[str, object]:
    return {"path": path, "error": error.to_dict()}


@app.command()
def parse(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to parse.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per line.")
    ] = False,
    kind: Annotated[Kind, typer.Option(help="What the documents are.")] = Kind.resume,
) -> None:
    """Parse resumes (or job postings) into structured profiles.

    A file that cannot be read is reported with its error code and remedy; the others go on.
    The exit status is 1 when any file failed.
    """
    from matching.parsing import parse_resumes
    from matching.settings import configure_offline

    configure_offline()
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    files = list(_expand(paths))
    failures = 0
    with _progress(err) as progress:
        task = progress.add_task("parsing", total=len(files))
        results: Iterator[tuple[str, Profile | Requisition | MatchingError]] = (
            parse_resumes(files) if kind is Kind.resume else _requisitions(files)
        )
        for path, result in results:
            progress.advance(task)
            if isinstance(result, MatchingError):
                failures += 1
                if as_json:
                    sys.stdout.write(json.dumps(_error_line(path, result)) + "\n")
                else:
                    err.print(f"[red]{path}: {result.code}[/] {result.message} {result.remedy}")
            elif as_json:
                sys.stdout.write(
                    json.dumps(result.model_dump(mode="json"), ensure_ascii=False) + "\n"
                )
            elif isinstance(result, Profile):
                _render_profile(out, path, result)
            else:
                _render_requisition(out, path, result)
    if failures:
        err.print(f"[red]{failures} of {len(files)} document(s) failed.[/]")
        raise typer.Exit(1)


def _requisitions(files: list[Path]) -> Iterator[tuple[str, Requisition | MatchingError]]:
    from matching.parsing import parse_requisition

    for path in files:
        try:
            yield str(path), parse_requisition(path)
        except MatchingError as error:
            yield str(path), error


@app.command()
def demo() -> None:
    """Run the flow on the bundled examples: parse sample resumes and a job posting."""
    from matching.parsing import parse_requisition, parse_resumes
    from matching.settings import configure_offline

    configure_offline()
    console = Console()
    console.rule("[bold]matching demo: parsing")
    resumes = sorted((EXAMPLES / "resumes").iterdir())
    for path, result in parse_resumes(resumes):
        if isinstance(result, MatchingError):
            console.print(f"[red]{Path(path).name}: {result.code}[/] {result.message}")
            console.print(f"  remedy: {result.remedy}")
        else:
            _render_profile(console, Path(path).name, result)
    for job in sorted((EXAMPLES / "jobs").iterdir()):
        _render_requisition(console, job.name, parse_requisition(job))


def main() -> None:
    """Entry point of the ``matching`` console script.

    A configuration error (a broken model folder, an invalid setting) ends the command with its
    code and remedy and exit status 2, not a traceback.
    """
    try:
        app()
    except MatchingError as error:
        Console(stderr=True).print(f"[red]{error.code}[/] {error.message}\n{error.remedy}")
        raise SystemExit(2) from error
