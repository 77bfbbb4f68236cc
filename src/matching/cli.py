"""The ``matching`` command: thin over the packages (typer + rich)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from matching._tables import metrics_table, scores_table
from matching.errors import MatchingError
from matching.schemas import Profile, Requisition

if TYPE_CHECKING:
    import pandas as pd

    from matching.crm import RescoreReport, Scorer
    from matching.settings import Settings
    from matching.store import Store

app = typer.Typer(
    name="matching",
    help="Parse resumes and job postings, score and rank candidates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

EXAMPLES = Path(__file__).resolve().parent / "examples"


class Kind(StrEnum):
    """What a document is."""

    resume = "resume"
    requisition = "requisition"


def _expand(paths: list[Path]) -> Iterator[Path]:
    from matching._formats import SUPPORTED_SUFFIXES as SUPPORTED

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
def demo(
    data: Annotated[
        str,
        typer.Option(
            help="auto: ../shared/data (or MATCHING_DATA_DIR) when present, else the synthetic "
            "demo corpus; real: the shared data only; demo: the synthetic corpus only."
        ),
    ] = "auto",
) -> None:
    """The whole flow in one command: train a quick ranker and compare it with the baselines,
    audit it, register and promote it, ingest a pool, serve it, shortlist a sample requisition,
    write the scores into a local CRM (Tryton) and read them back. A few minutes on 2 cores."""
    _offline()
    from matching.demo import DemoError, run_demo

    if data not in ("auto", "real", "demo"):
        raise typer.BadParameter("auto, real or demo", param_hint="--data")
    console = Console()
    err = Console(stderr=True)
    try:
        run_demo(console, lambda: _progress(err), data=data)
    except DemoError as error:
        console.print(f"[red]The demo stopped at step {error.step!r}:[/] {error.message}")
        console.print(f"What to do: {error.remedy}")
        raise typer.Exit(1) from error


def _offline() -> None:
    import warnings

    from matching.settings import configure_offline

    configure_offline()
    # MLflow 3.17 warns about its own type hints on import; nothing a user can act on.
    warnings.filterwarnings("ignore", message=".*Any type hint is inferred as AnyType")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Resume files or folders.")],
    database: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default MATCHING_DATABASE_URL).")
    ] = None,
) -> None:
    """Parse, embed and store resumes; an unchanged file is skipped without any work."""
    _offline()
    from matching.features import load_encoder
    from matching.store import Store, ingest_paths

    err = Console(stderr=True)
    with Store.open(database) as store, _progress(err) as progress:
        encoder = load_encoder(cache=store.embedding_cache())
        task = progress.add_task("ingesting", total=None)

        def advance(done: int, total: int, path: object, outcome: str) -> None:
            progress.update(task, completed=done, total=total)

        report = ingest_paths(paths, store=store, encoder=encoder, on_progress=advance)
    console = Console()
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"re-embedded {report.reembedded}, failed {len(report.failed)}"
    )
    for failure in report.failed:
        err.print(f"[red]{failure.path}: {failure.code}[/] {failure.message} {failure.remedy}")
    if report.failed:
        raise typer.Exit(1)


def _stage_progress(progress: Progress) -> Callable[[str, int, int], None]:
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


@app.command()
def train(
    resumes_per_category: Annotated[
        int, typer.Option(help="Resumes drawn per livecareer category (24 categories).")
    ] = 30,
    seed: Annotated[int, typer.Option(help="Seed of sampling, splits and models.")] = 0,
    register: Annotated[
        bool, typer.Option(help="Log to MLflow and register the model as `challenger`.")
    ] = True,
    cache: Annotated[bool, typer.Option(help="Reuse parsed documents and embeddings.")] = True,
    audit: Annotated[
        bool, typer.Option(help="Audit the registered version (bias_in_bios) for the gate.")
    ] = True,
) -> None:
    """Train the ranker on the shared data (weak labels), evaluate it against the BM25 and
    cosine baselines on held-out resumes and jobs, register it as `challenger`, and record its
    fairness audit (see `matching audit-model`)."""
    _offline()
    from matching.ranking import TrainingConfig
    from matching.registry import train_and_register

    config = TrainingConfig(resumes_per_category=resumes_per_category, seed=seed)
    console = Console()
    with _progress(Console(stderr=True)) as progress:
        run = train_and_register(
            config, cache=cache, register=register, progress=_stage_progress(progress)
        )
    console.print(metrics_table(run.result.metrics, "held-out test split (WEAK labels)"))
    console.print(f"sizes: {run.result.sizes}")
    console.print(f"wall time: {run.seconds:.0f} s  ({run.result.timings})")
    if run.info is not None:
        console.print(
            f"registered [bold]{run.info.name}[/] version {run.info.version} "
            f"as @{run.info.alias} (run {run.info.run_id})"
        )
        if audit and run.info.version:
            from matching.audit import audit_model, log_model_audit

            with _progress(Console(stderr=True)) as progress:
                progress.add_task("auditing the registered version", total=None)
                result = audit_model(run.result.models["lightgbm"])
                passed = log_model_audit(result, version=run.info.version, name=run.info.name)
            cf = result.counterfactual
            console.print(
                f"fairness audit {'[green]passed[/]' if passed else '[red]failed[/]'}: "
                f"impact ratio {result.min_impact_ratio:.3f}, swaps mean {cf.mean_change:.3f} "
                f"max {cf.max_change:.2f}, proxy AUC {result.proxy.auc:.3f}"
            )


@app.command()
def evaluate(
    model: Annotated[
        str, typer.Option(help="Model URI, e.g. models:/candidate-ranker@challenger.")
    ],
    data: Annotated[
        Path | None, typer.Option(help="Shared data folder (default MATCHING_DATA_DIR).")
    ] = None,
    resumes_per_category: Annotated[int, typer.Option()] = 30,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Print the held-out metric table of a model beside the BM25 and cosine baselines.

    The split is rebuilt from the data with the same seed as training, so a model is
    evaluated only on resumes and jobs it did not see (weak labels).
    """
    _offline()
    from matching.ranking import TrainingConfig, evaluate_model
    from matching.registry import load_candidate_ranker
    from matching.settings import get_settings

    ranker = load_candidate_ranker(model)
    config = TrainingConfig(resumes_per_category=resumes_per_category, seed=seed)
    settings = get_settings()
    with _progress(Console(stderr=True)) as progress:
        metrics = evaluate_model(
            ranker,
            config,
            data_dir=data or settings.resolved_data_dir(required=True),
            cache_dir=settings.home / "cache" / "parsed",
            progress=_stage_progress(progress),
        )
    Console().print(metrics_table(metrics, f"{model}: held-out test split (WEAK labels)"))


@app.command()
def promote(
    override_reason: Annotated[
        str | None,
        typer.Option(help="Promote despite a failed fairness gate; the reason is logged."),
    ] = None,
) -> None:
    """Move `champion` to the `challenger` if it evaluates at least as well and passes the
    fairness gate. A refusal says why (exit status 1)."""
    _offline()
    from matching.registry import configure_tracking
    from matching.registry import promote as run_promotion

    configure_tracking()
    decision = run_promotion(override_reason=override_reason)
    console = Console()
    verdict = "[green]promoted[/]" if decision.promoted else "[red]refused[/]"

    def shown(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    console.print(
        f"{verdict}: challenger v{decision.challenger_version} "
        f"({decision.metric} {shown(decision.challenger_metric)}) vs champion "
        f"v{decision.champion_version or '—'} ({shown(decision.champion_metric)})"
    )
    for reason in decision.reasons:
        console.print(f"  - {reason}")
    if not decision.promoted:
        raise typer.Exit(1)


@app.command("score-batch")
def score_batch(
    pairs: Annotated[
        Path,
        typer.Option(help="CSV: job_id, job_text, candidate_id, resume_text (or resume_path)."),
    ],
    out: Annotated[Path, typer.Option(help="Where to write the scored CSV.")],
    model: Annotated[
        str | None, typer.Option(help="Model URI (default models:/candidate-ranker@champion).")
    ] = None,
) -> None:
    """Score every (job, candidate) pair of a CSV: adds score (0–100), rank within job_id and
    reasons (JSON). A row whose resume cannot be read gets an empty score and its error."""
    _offline()
    import pandas as pd

    from matching.errors import Errors, InputError
    from matching.registry import load_scoring_model
    from matching.registry._pyfunc import INPUT_COLUMNS

    try:
        frame = pd.read_csv(pairs, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(Errors.E204, path=pairs, detail=str(exc)) from exc
    missing = {"job_id", "job_text", "candidate_id"} - set(frame.columns)
    if missing or not {"resume_text", "resume_path"} & set(frame.columns):
        detail = ", ".join(sorted(missing)) or "resume_text or resume_path"
        raise InputError(Errors.E204, path=pairs, detail=detail)
    scoring = load_scoring_model(model)
    with _progress(Console(stderr=True)) as progress:
        task = progress.add_task("scoring", total=frame["job_id"].nunique())
        parts: list[pd.DataFrame] = []
        for _, group in frame.groupby("job_id", sort=False):
            inputs = group[[c for c in INPUT_COLUMNS if c in group.columns]]
            part = pd.DataFrame(scoring.predict(inputs.reset_index(drop=True)))
            parts.append(part.set_index(group.index))
            progress.advance(task)
    if not parts:
        raise InputError(Errors.E204, path=pairs, detail="no rows")
    # Groups come back in job order: put every scored row back beside its input row.
    scored = pd.concat(parts).reindex(frame.index)
    keep = [c for c in scored.columns if c not in frame.columns]
    result = pd.concat([frame, scored[keep]], axis=1)
    result.to_csv(out, index=False)
    failed = int(result["score"].isna().sum())
    Console(stderr=True).print(f"wrote {len(result)} rows to {out} ({failed} failed)")


@app.command()
def shortlist(
    job: Annotated[Path, typer.Option(help="The job posting (PDF, DOCX, TXT or HTML).")],
    top: Annotated[int, typer.Option(help="How many candidates to show.")] = 10,
    model: Annotated[
        str | None, typer.Option(help="Model URI (default models:/candidate-ranker@champion).")
    ] = None,
    exclude_knocked_out: Annotated[
        bool, typer.Option(help="Leave out candidates who fail a knock-out rule.")
    ] = False,
    knockout: Annotated[
        list[str] | None,
        typer.Option(
            help="Knock-out rule to check (min_years, location, work_authorization); "
            "repeat it. Default: MATCHING_KNOCKOUTS."
        ),
    ] = None,
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rank the stored candidate pool (`matching ingest`) for one requisition, with reasons.

    Knock-out rules are reported beside the score and never change it."""
    _offline()
    from matching.parsing import extract_text, parse_requisition_text
    from matching.ranking import KnockoutRules, Shortlister

    rules = KnockoutRules.from_names(knockout) if knockout else KnockoutRules.from_settings()
    from matching.registry import load_candidate_ranker
    from matching.store import Store

    text = extract_text(job).text
    ranker = load_candidate_ranker(model)
    with Store.open(database) as store:
        pool = store.pool(ranker.featurizer().encoder.model_id)
        if len(pool) == 0:
            Console(stderr=True).print(
                "[red]The candidate pool is empty.[/] Add resumes with `matching ingest PATH`."
            )
            raise typer.Exit(1)
        result = Shortlister.from_pool(ranker, pool).shortlist(
            text,
            parse_requisition_text(text),
            top=top,
            exclude_knocked_out=exclude_knocked_out,
            knockouts=rules,
        )
        names = dict(zip(pool.candidate_ids, pool.external_ids, strict=True))
    if as_json:
        for item in result.results:
            sys.stdout.write(item.model_dump_json() + "\n")
        return
    shown = min(top, result.pool_size)
    title = f"{job.name}: top {shown} of {result.pool_size}"
    Console().print(scores_table(title, result.results, names))


@app.command()
def audit(
    input: Annotated[Path, typer.Option("--input", help="CSV: one row per person.")],
    out: Annotated[
        Path, typer.Option(help="Report path without suffix: writes OUT.json and OUT.html.")
    ],
    attribute: Annotated[
        list[str],
        typer.Option(help="Demographic column to audit (for example sex); repeat it."),
    ],
    score_column: Annotated[
        str | None, typer.Option(help="Numeric score column (rate: above the median).")
    ] = None,
    selected_column: Annotated[
        str | None, typer.Option(help="Selected column (1/0, true/false, yes/no).")
    ] = None,
    group_column: Annotated[
        str | None,
        typer.Option(help="Group to rank within (for example job_id): adds ranking metrics."),
    ] = None,
) -> None:
    """Assess scores and/or selections per demographic category (NYC LL144 impact ratios).

    An impact ratio under the threshold is a finding, reported in the output; the command
    still ends with status 0."""
    import pandas as pd

    from matching.audit import audit_table, write_report
    from matching.errors import Errors, InputError

    try:
        frame = pd.read_csv(input)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(Errors.E505, source=input, detail=str(exc)) from exc
    report = audit_table(
        frame,
        attributes=attribute,
        score_column=score_column,
        selected_column=selected_column,
        group_column=group_column,
        source=f"{input.name} ({len(frame)} rows)",
    )
    json_path, html_path = write_report(report, out)
    console = Console()
    for outcome in report.outcomes:
        table = Table(title=f"{outcome.rate_name}: {outcome.column}")
        for name in ("attribute", "category", "count", "rate", "impact ratio", "flag"):
            table.add_column(name, justify="left" if name in ("attribute", "category") else "right")
        for result in outcome.attributes:
            for c in result.categories:
                flag = "[red]below threshold[/]" if c.flagged else ""
                if c.excludable:
                    flag += " (excludable: under 2%)"
                ratio = "–" if c.impact_ratio is None else f"{c.impact_ratio:.3f}"
                table.add_row(
                    result.attribute, c.category, str(c.count), f"{c.rate:.2%}", ratio, flag
                )
            table.add_row(result.attribute, "unknown", str(result.unknown), "–", "–", "")
        console.print(table)
    minimum = "–" if report.min_impact_ratio is None else f"{report.min_impact_ratio:.3f}"
    if report.passed is False:
        console.print(
            f"[bold red]FINDING:[/] minimum impact ratio {minimum} is below the threshold "
            f"{report.threshold:g}."
        )
    elif report.passed:
        console.print(f"minimum impact ratio {minimum} (threshold {report.threshold:g}).")
    else:
        console.print("Impact ratios could not be computed (no category has a positive rate).")
    console.print(f"wrote {json_path}\nwrote {html_path}")


@app.command("audit-model")
def audit_model_command(
    model: Annotated[
        str, typer.Option(help="Model URI (a registered version or alias).")
    ] = "models:/candidate-ranker@challenger",
    names_per_group: Annotated[
        int, typer.Option(help="Names per race/ethnicity × sex in the swap test (1–3).")
    ] = 2,
    record: Annotated[
        bool, typer.Option(help="Record the audit on the model version (the gate reads it).")
    ] = True,
    out: Annotated[
        Path | None, typer.Option(help="Also write the audit here as JSON, and beside it HTML.")
    ] = None,
) -> None:
    """Assess a registered model on real biographies (bias_in_bios): score gaps and impact
    ratio by gender, the name-and-pronoun swap test, and how well its features predict gender.
    The audit is recorded on the model version for `matching promote`."""
    _offline()
    from matching.audit import audit_model, log_model_audit
    from matching.registry import load_candidate_ranker

    ranker = load_candidate_ranker(model)
    with _progress(Console(stderr=True)) as progress:
        progress.add_task("auditing (scores, swaps, proxy probe)", total=None)
        result = audit_model(ranker, names_per_group=names_per_group)
    cf, proxy = result.counterfactual, result.proxy
    console = Console()
    console.print(
        f"scoring-rate impact ratio by gender: {result.min_impact_ratio:.3f}; mean score "
        + ", ".join(f"{k} {v:.2f}" for k, v in result.overall.mean.items() if v is not None)
    )
    console.print(
        f"name and pronoun swaps: {cf.n_variants} variants, mean change {cf.mean_change:.3f}, "
        f"max {cf.max_change:.2f} (targets < {cf.max_mean_change} and < {cf.max_allowed_change})"
    )
    console.print(f"proxy probe (features → gender): AUC {proxy.auc:.3f} ± {proxy.auc_std:.3f}")
    for key, row in result.shortlists.items():
        console.print(
            f"shortlists {key}: NDKL {row['ndkl']:.3f}, exposure ratio "
            f"{row['exposure_ratio']:.3f}, skew "
            + ", ".join(f"{g} {row[f'skew_{g}']:+.3f}" for g in ("Female", "Male"))
        )
    if out is not None:
        from matching.audit import render_model_audit_html

        out.write_text(json.dumps(result.to_dict(), indent=2, default=str), encoding="utf-8")
        page = out.with_suffix(".html")
        page.write_text(render_model_audit_html(result, title=f"Model audit: {model}"), "utf-8")
        console.print(f"wrote {out} and {page}")
    registry = ranker.metadata.get("registry") or {}
    if record and registry.get("version"):
        version, name = str(registry["version"]), registry.get("name")
        passed = log_model_audit(result, version=version, name=name)
        verdict = "[green]passed[/]" if passed else "[red]failed[/]"
        console.print(f"recorded on {name} v{version}: {verdict}")


keys_app = typer.Typer(help="API keys of the HTTP service (only their hashes are stored).")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. crm or recruiters.")],
    if_none: Annotated[
        bool, typer.Option("--if-none", help="Only when no key is configured yet.")
    ] = False,
) -> None:
    """Create a key, store its hash and print the key once (it cannot be shown again)."""
    from matching.serving import ApiKeys, add_key

    if if_none and len(ApiKeys.load(required=False)):
        return
    key, path = add_key(name)
    console = Console()
    console.print(f"API key [bold]{name}[/] (shown once; only its hash is kept in {path}):")
    sys.stdout.write(key + "\n")
    console.print(f"Use it as: curl -H 'Authorization: Bearer {key[:6]}…' …")


@keys_app.command("list")
def keys_list() -> None:
    """List the names of the configured keys (never the keys)."""
    from matching.serving import ApiKeys

    keys = ApiKeys.load(required=False)
    for name in sorted(keys.digests):
        sys.stdout.write(name + "\n")
    if not keys:
        Console(stderr=True).print("No keys. Create one with `matching keys create NAME`.")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Remove a key from the keys file (the service stops accepting it at once)."""
    from matching.serving import revoke_key

    if not revoke_key(name):
        Console(stderr=True).print(f"No key named {name!r} in the keys file.")
        raise typer.Exit(1)
    Console().print(f"revoked {name}")


crm_app = typer.Typer(
    help="CRM write-back: deliver queued scores, act on CRM events, inspect and replay the queue."
)
app.add_typer(crm_app, name="crm")


@crm_app.command("link")
def crm_link(
    candidate: Annotated[str, typer.Argument(help="Stored candidate id (or external id).")],
    crm: Annotated[str, typer.Argument(help="CRM name, e.g. keap.")],
    contact: Annotated[str, typer.Argument(help="The contact's id in that CRM.")],
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
) -> None:
    """Link a candidate to their CRM contact, so that their scores are written back there."""
    from matching.store import Outbox, Store

    with Store.open(database) as store:
        found = store.get_candidate(candidate) or store.find_candidate(candidate)
        if found is None:
            Console(stderr=True).print(f"[red]No stored candidate {candidate!r}.[/]")
            raise typer.Exit(1)
        Outbox(store).link(found.id, crm.lower(), contact)
    Console().print(f"linked {found.id} to {crm.lower()} contact {contact}")


@crm_app.command("sync")
def crm_sync(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep running: deliver writes as they come.")
    ] = False,
    drain: Annotated[
        bool, typer.Option("--drain", help="Also wait for scheduled retries, until none is left.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (with --drain/--follow).")
    ] = None,
    rescore: Annotated[
        bool,
        typer.Option(
            help="First act on pending CRM webhook events (`matching crm rescore`), if any."
        ),
    ] = True,
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
) -> None:
    """Deliver queued scores to the configured CRMs (MATCHING_CRM), with retries.

    Writes already in the CRM are skipped; failures are retried with back-off, then left
    `dead` for `matching crm retry` (see `matching crm status`). When the service's webhooks
    queued CRM events, the contacts are re-scored first (`--no-rescore` skips it). Exit status
    1 when a CRM refuses the credentials or settings (its writes stay queued), else 0."""
    import signal
    import time
    from datetime import timedelta

    from matching.crm import (
        RetryPolicy,
        connectors_from_settings,
        deliver,
        limiters_from_settings,
    )
    from matching.settings import get_settings
    from matching.store import Outbox, Store

    settings = get_settings()
    connectors = connectors_from_settings(settings)
    console = Console(stderr=True)
    if not connectors:
        console.print("No CRM is configured: set MATCHING_CRM (e.g. keap) and its credentials.")
        raise typer.Exit(1)
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    until = time.monotonic() + timeout if timeout is not None else None
    policy = RetryPolicy(
        max_attempts=settings.crm_max_attempts,
        base_s=settings.crm_retry_base_s,
        cap_s=settings.crm_retry_cap_s,
    )
    lease = timedelta(seconds=settings.crm_lease_s)
    with Store.open(database, settings=settings) as store, _progress(console) as progress:
        outbox = Outbox(store)
        inbound = _InboxWork(store, settings, progress, console) if rescore else None
        if inbound is not None:
            inbound.run_if_pending()
        task = progress.add_task("writing scores", total=None)
        total: dict[str, int] = {}
        refused: dict[str, str] = {}

        def show(report: object) -> None:
            progress.update(task, advance=1)

        while True:
            report = deliver(
                outbox,
                connectors,
                limiters=limiters_from_settings(settings),
                policy=policy,
                lease=lease,
                drain=drain or follow,
                until=until,
                stop=lambda: stopping["now"],
                on_progress=show,
            )
            for name in ("delivered", "skipped", "retried", "dead"):
                total[name] = total.get(name, 0) + getattr(report, name)
            refused.update(report.refused)
            if refused or not follow or stopping["now"]:
                break
            if until is not None and time.monotonic() > until:
                break
            time.sleep(1.0)
            if inbound is not None:
                inbound.run_if_pending()
    Console().print(
        "delivered {delivered}, already there {skipped}, to retry {retried}, dead {dead}".format(
            **{k: total.get(k, 0) for k in ("delivered", "skipped", "retried", "dead")}
        )
    )
    for crm, detail in refused.items():
        console.print(
            f"[red]{crm} refused the connection ({detail}).[/] Check its credentials and "
            "settings; its writes stay queued."
        )
    if refused:
        raise typer.Exit(1)


class _InboxWork:
    """`matching crm rescore` inside a command: a progress task, the model loaded once."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        progress: Progress,
        console: Console,
        *,
        model: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.progress = progress
        self.console = console
        self.model = model
        self.scorers: list[Scorer] = []
        self.failed = False

    def scorer(self) -> Scorer:
        from matching.crm import RankerScorer

        if not self.scorers:
            _offline()
            self.scorers.append(RankerScorer.load(self.store, self.model))
        return self.scorers[0]

    def run(self) -> RescoreReport:
        from datetime import timedelta

        from matching.crm import configured_crms, rescore
        from matching.store import Inbox, Outbox

        inbox = Inbox(self.store)
        task = self.progress.add_task("acting on CRM events", total=inbox.pending())
        try:
            return rescore(
                inbox,
                Outbox(self.store),
                self.store,
                self.scorer,
                write_back=configured_crms(self.settings),
                window=timedelta(seconds=self.settings.crm_own_write_window_s),
                on_progress=lambda r: self.progress.update(task, completed=r.events),
            )
        finally:
            self.progress.remove_task(task)

    def run_if_pending(self) -> None:
        """Run when events are pending; a model that cannot be loaded is reported once."""
        from matching.store import Inbox

        if self.failed or not Inbox(self.store).pending():
            return
        try:
            self.console.print(_rescore_summary(self.run()))
        except MatchingError as error:
            self.failed = True
            self.console.print(
                f"[red]{error.code}[/] CRM events were not acted on: {error.message} "
                f"{error.remedy} They stay queued; scores are still delivered."
            )


def _rescore_summary(report: RescoreReport) -> str:
    line = (
        f"CRM events {report.events}: done {report.done}, ignored {report.ignored}, "
        f"unlinked {report.unlinked}; re-scored {report.rescored} contact(s) "
        f"({report.scores} scores), forgot {report.deleted} deleted contact(s)"
    )
    if report.unlinked:
        line += " (`matching crm status` lists the unlinked contacts)"
    return line


@crm_app.command("rescore")
def crm_rescore(
    model: Annotated[
        str | None, typer.Option(help="Model URI (default models:/candidate-ranker@champion).")
    ] = None,
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Act on the CRM events the service's webhooks queued (POST /crm/hooks/keap, /hubspot).

    A contact linked to a candidate is re-scored against the requisitions the candidate has
    scores for, and the scores are queued for writing back (`matching crm sync` delivers
    them); a deleted contact is unlinked; edits caused by our own writes are ignored; a
    contact linked to no candidate is left `unlinked` (see `matching crm status`)."""
    from dataclasses import asdict

    from matching.settings import get_settings
    from matching.store import Store

    settings = get_settings()
    console = Console(stderr=True)
    with Store.open(database, settings=settings) as store, _progress(console) as progress:
        report = _InboxWork(store, settings, progress, console, model=model).run()
    if as_json:
        sys.stdout.write(json.dumps(asdict(report)) + "\n")
        return
    Console().print(_rescore_summary(report))


@crm_app.command("status")
def crm_status(
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Writes per CRM and state, the dead ones with their last error, and CRM events.

    CRM events (the service's webhooks) are counted per state; the contacts they named that no
    candidate is linked to are listed."""
    from matching.store import Inbox, Outbox, Store
    from matching.store._inbox import STATES

    with Store.open(database) as store:
        outbox = Outbox(store)
        counts = outbox.counts()
        dead = outbox.items(status="dead", limit=50)
        inbox = Inbox(store)
        inbox_counts = inbox.counts()
        unlinked = inbox.unlinked_contacts(limit=50)
    if as_json:
        sys.stdout.write(json.dumps({"counts": counts, "dead": [
            {"id": d.id, "crm": d.crm, "attempts": d.attempts, "error": d.last_error}
            for d in dead
        ], "inbox": inbox_counts, "unlinked": [
            {"crm": crm, "contact_id": contact} for crm, contact in unlinked
        ]}) + "\n")  # fmt: skip
        return
    table = Table(title="CRM write-back")
    states = ("pending", "delivered", "skipped", "superseded", "dead")
    table.add_column("CRM")
    for state in states:
        table.add_column(state, justify="right")
    for crm, per in sorted(counts.items()):
        table.add_row(crm, *(str(per.get(s, 0)) for s in states))
    console = Console()
    console.print(table)
    for item in dead:
        console.print(f"dead {item.id} ({item.crm}, {item.attempts} attempts): {item.last_error}")
    if dead:
        console.print("Replay them with `matching crm retry` once the cause is fixed.")
    if inbox_counts:
        events = Table(title="CRM events (webhooks)")
        events.add_column("CRM")
        for state in STATES:
            events.add_column(state, justify="right")
        for crm, per in sorted(inbox_counts.items()):
            events.add_row(crm, *(str(per.get(s, 0)) for s in STATES))
        console.print(events)
    if unlinked:
        shown = ", ".join(f"{crm} {contact}" for crm, contact in unlinked[:20])
        console.print(
            f"Contacts with events but no linked candidate: {shown}. Upload their resumes "
            "with crm and crm_contact_id (POST /candidates), or `matching crm link`."
        )


@crm_app.command("retry")
def crm_retry(
    ids: Annotated[list[str] | None, typer.Argument(help="Outbox ids (default: all dead).")] = None,
    crm: Annotated[str | None, typer.Option(help="Only this CRM's dead writes.")] = None,
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
) -> None:
    """Queue dead writes again (their attempts start over); `matching crm sync` delivers them."""
    from matching.store import Outbox, Store

    with Store.open(database) as store:
        count = Outbox(store).requeue_dead(crm=crm, item_ids=ids or ())
    Console().print(f"queued {count} dead write(s) again")


feedback_app = typer.Typer(
    help="Recruiters' decisions (advance or reject, from the service) as labelled pairs."
)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    with_text: Annotated[
        bool,
        typer.Option(
            "--with-text",
            help="Add job_text and resume_text (personal data: keep the file as safe as the "
            "store).",
        ),
    ] = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every decision, not only each pair's latest.")
    ] = False,
    database: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
) -> None:
    """Write recruiters' decisions as labelled pairs (label 1 advance, 0 reject) to CSV.

    Strong labels, unlike the weak labels of the training data: columns job_id, candidate_id,
    label, decision, reason, reviewer, decided_at, and the score, rank and model version shown
    when the decision was made. With --with-text the file also fits `matching score-batch
    --pairs`. Protected attributes are never part of it."""
    from matching.store import Store, export_feedback

    with Store.open(database) as store:
        done = export_feedback(store, out, latest_only=not every, with_text=with_text)
    console = Console(stderr=True)
    console.print(f"wrote {done.rows} labelled pair(s) to {done.path}")
    if done.stale_texts:
        console.print(
            f"{done.stale_texts} pair(s) have an empty text: the posting or resume was replaced "
            "after the decision."
        )


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="TCP port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Start the HTTP service (BentoML) on the champion model and the stored pool.

    Checks first that an API key, the model and the store are there, and says what to do if
    not; creates a first key (printed once) when there is none."""
    import os

    _offline()
    from matching.registry import load_candidate_ranker
    from matching.serving import ApiKeys
    from matching.settings import get_settings
    from matching.store import Store

    console = Console(stderr=True)
    settings = get_settings()
    ranker = load_candidate_ranker(settings.model_uri)
    registry = ranker.metadata.get("registry") or {}
    with Store.open(settings=settings) as store:
        pooled = len(store.pool(ranker.featurizer().encoder.model_id))
    if not len(ApiKeys.load(required=False)):
        keys_create("local")
    console.print(
        f"model {registry.get('name')} v{registry.get('version')}; {pooled} candidates in the pool"
        + ("" if pooled else " (add some: `matching ingest PATH` or POST /candidates)")
    )
    console.print(f"service: http://{host}:{port}  (OpenAPI: http://{host}:{port}/docs)")
    root = Path(__file__).resolve().parents[2]
    command = [
        sys.executable, "-m", "bentoml", "serve", "service.service:Matching",
        "--host", host, "--port", str(port),
    ]  # fmt: skip
    os.chdir(root)
    os.execv(sys.executable, command)


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
