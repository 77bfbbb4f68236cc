"""`make demo`: the whole product, end to end, on this machine, in a few minutes.

1. data: ``../shared/data`` (or ``MATCHING_DATA_DIR``) when present, else the synthetic demo
   corpus the package writes;
2. train a quick ranker, evaluated beside the BM25 and cosine baselines (weak labels);
3. audit it for fairness and record the audit on the registered version;
4. promote it to ``champion`` (or show why promotion was refused and serve the new version);
5. ingest a candidate pool into the store;
6. start a local CRM (Tryton) and link each candidate to a party;
7. start the service, store the sample requisition, ask for the shortlist;
8. write the scores back into the CRM and read them back from the party records;
9. say where to look next, and stop what was started.

A failing step raises :class:`DemoError` naming the step and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from matching._tables import metrics_table, scores_table
from matching.errors import MatchingError
from matching.settings import Settings, get_settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STEPS = (
    "data",
    "train",
    "audit",
    "promote",
    "ingest",
    "crm",
    "serve",
    "write-back",
)
# Resumes per category in the demo's pool (24 categories).
POOL_PER_CATEGORY = 5
TOP = 10

ProgressFactory = Callable[[], Progress]


class DemoError(Exception):
    """A step of the demo failed: which one, what happened, what to do."""

    def __init__(self, step: str, message: str, remedy: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message
        self.remedy = remedy


@dataclass
class DemoOutcome:
    """What the demo did, for the closing lines and for tests."""

    data: str = ""
    synthetic: bool = False
    model_uri: str = ""
    promoted: bool = False
    audit_report: Path | None = None
    shortlist: list[dict[str, Any]] | None = None
    crm_records: list[dict[str, Any]] | None = None
    seconds: dict[str, float] | None = None


def quick_config(synthetic: bool) -> Any:
    """The demo's training configuration: minutes on 2 cores, not the benchmark's."""
    from matching.ranking import TrainingConfig

    jobs = (
        {"google": 40, "glassdoor": 10, "onet": 30, "esco": 30}
        if synthetic
        else {"google": 60, "glassdoor": 20, "onet": 40, "esco": 40}
    )
    return TrainingConfig(resumes_per_category=8, jobs_per_source=jobs, max_eval_jobs=40)


def run_demo(
    console: Console,
    progress: ProgressFactory,
    *,
    data: str = "auto",
    settings: Settings | None = None,
) -> DemoOutcome:
    """Run every step; raise :class:`DemoError` at the first that fails.

    ``data`` is ``auto`` (the shared data when present, else the demo corpus), ``real`` or
    ``demo``.
    """
    from matching.registry import configure_tracking

    if data not in ("auto", "real", "demo"):
        raise ValueError(f"data is auto, real or demo, not {data!r}")
    settings = settings or get_settings()
    configure_tracking()
    outcome = DemoOutcome(seconds={})
    work = settings.home / "demo"
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        with _step(console, outcome, "data", "Check ../shared/data or MATCHING_DATA_DIR."):
            data_dir = _choose_data(console, settings, outcome, work, data)
        with _step(console, outcome, "train", "See the message; `make train` shows more."):
            run = _train(console, progress, data_dir, outcome)
        with _step(console, outcome, "audit", "See the message; `matching audit-model`."):
            _audit(console, progress, run, data_dir, work, outcome, settings)
        with _step(console, outcome, "promote", "See `matching promote`."):
            _promote(console, run, outcome, settings)
        with _step(console, outcome, "ingest", "See `matching ingest`."):
            candidates = _ingest(console, progress, data_dir, work, settings)
        with _step(
            console,
            outcome,
            "crm",
            "Tryton comes with `make setup` (pip install -e integrations/tryton); its log is "
            f"{work / 'tryton' / 'trytond.log'}.",
        ):
            tryton = _start_crm(console, stack, work, candidates, settings)
        with _step(console, outcome, "serve", "Its log is under var/ (service-<port>.log)."):
            service = _serve(console, stack, outcome, tryton, settings)
            outcome.shortlist = _shortlist(console, service, candidates)
        with _step(console, outcome, "write-back", "See `matching crm status`."):
            outcome.crm_records = _write_back(console, tryton, outcome.shortlist, settings)
    _next(console, outcome, settings)
    return outcome


@contextmanager
def _step(console: Console, outcome: DemoOutcome, name: str, remedy: str) -> Iterator[None]:
    number = STEPS.index(name) + 1
    console.rule(f"[bold]{number}/{len(STEPS)} {name}")
    started = time.perf_counter()
    try:
        yield
    except DemoError:
        raise
    except MatchingError as error:
        raise DemoError(name, f"{error.code} {error.message}", error.remedy) from error
    except Exception as error:
        raise DemoError(name, f"{type(error).__name__}: {error}", remedy) from error
    finally:
        if outcome.seconds is not None:
            outcome.seconds[name] = time.perf_counter() - started


# -- 1. data --------------------------------------------------------------------------------
def _choose_data(
    console: Console, settings: Settings, outcome: DemoOutcome, work: Path, data: str
) -> Path:
    real = settings.resolved_data_dir(required=data == "real") if data != "demo" else None
    if real is not None:
        outcome.data = f"real data from {real}"
        console.print(f"Using the [bold]real data[/] in {real}.")
        return real
    from matching.demo._corpus import write_demo_corpus

    corpus = write_demo_corpus(work / "corpus")
    outcome.data = f"the synthetic demo corpus in {corpus.folder}"
    outcome.synthetic = True
    console.print(
        ("No ../shared/data here: using" if data == "auto" else "Using")
        + " the [bold]synthetic demo corpus[/] that matching "
        f"writes ({corpus.describe()}). Figures on it show the flow works; they say nothing "
        "about quality on real resumes."
    )
    return Path(corpus.folder)


# -- 2. train -------------------------------------------------------------------------------
def _train(
    console: Console, progress: ProgressFactory, data_dir: Path, outcome: DemoOutcome
) -> Any:
    from matching.registry import train_and_register

    config = quick_config(outcome.synthetic)
    with progress() as bars:
        tasks: dict[str, Any] = {}

        def stage(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done, total=total)

        run = train_and_register(config, data_dir=data_dir, progress=stage)
    label = "synthetic corpus" if outcome.synthetic else "real data"
    console.print(
        metrics_table(
            run.result.metrics,
            f"held-out test split, {label}, candidates ranked per requisition: "
            "the model (lightgbm) beside a linear model and the bm25 and cosine baselines "
            "(WEAK labels)",
            direction="per requisition",
        )
    )
    console.print(_against_baselines(run.result.metrics))
    if run.info is None:
        raise DemoError("train", "the model was not registered", "Run `matching train`.")
    console.print(f"registered {run.info.name} v{run.info.version} as @{run.info.alias}")
    return run


def _against_baselines(metrics: Any) -> str:
    """One line: the model's ndcg@10 against the best baseline's, read for what it is."""
    rows = metrics[metrics["direction"] == "per requisition"].set_index("model")["ndcg@10"]
    model = float(rows["lightgbm"])
    best = max(("bm25", "cosine"), key=lambda name: float(rows[name]))
    delta = model - float(rows[best])
    verdict = "above" if delta > 0 else "below" if delta < 0 else "level with"
    return (
        f"ndcg@10: model {model:.3f}, best baseline ({best}) {float(rows[best]):.3f}: "
        f"{verdict} it ({delta:+.3f}) on this small quick run. The full configuration "
        "(`make train`) is measured in README, 'Ranking quality'."
    )


# -- 3. audit -------------------------------------------------------------------------------
def _audit(
    console: Console,
    progress: ProgressFactory,
    run: Any,
    data_dir: Path,
    work: Path,
    outcome: DemoOutcome,
    settings: Settings,
) -> None:
    from matching.audit import audit_model, log_model_audit
    from matching.audit._model_report import render_model_audit_html

    with progress() as bars:
        bars.add_task("auditing the new version (bias_in_bios, name swaps, proxies)", total=None)
        result = audit_model(
            run.result.models["lightgbm"], data_dir=data_dir, counterfactual_per_profession=1
        )
        passed = log_model_audit(result, version=run.info.version, name=run.info.name)
    report = work / "model_audit.html"
    report.write_text(render_model_audit_html(result), encoding="utf-8")
    outcome.audit_report = report
    cf = result.counterfactual
    verdict = "[green]passed[/]" if passed else "[red]failed[/]"
    console.print(
        f"fairness audit {verdict}: lowest impact ratio {result.min_impact_ratio:.3f} "
        f"(gate ≥ {settings.min_impact_ratio}); name swaps move scores by "
        f"{cf.mean_change:.3f} on average, {cf.max_change:.2f} at most; gender proxy AUC "
        f"{result.proxy.auc:.3f}. An audit assesses; it does not prove a model unbiased."
    )


# -- 4. promote -----------------------------------------------------------------------------
def _promote(console: Console, run: Any, outcome: DemoOutcome, settings: Settings) -> None:
    from matching.registry import promote

    decision = promote()
    name = run.info.name
    if decision.promoted:
        outcome.promoted = True
        outcome.model_uri = f"models:/{name}@champion"
        console.print(f"[green]promoted[/] v{decision.challenger_version} to @champion")
    else:
        outcome.model_uri = f"models:/{name}/{run.info.version}"
        console.print(f"[yellow]promotion refused[/] for v{decision.challenger_version}:")
        for reason in decision.reasons:
            console.print(f"  - {reason}")
        console.print(f"The demo serves v{run.info.version} directly; @champion is unchanged.")


# -- 5. ingest ------------------------------------------------------------------------------
def _pool_files(data_dir: Path, work: Path) -> list[Path]:
    """The demo's pool: a few resumes per category as text files, and the bundled examples."""
    from matching.datasets import load_livecareer, sample_per_category

    folder = work / "pool"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for resume in sample_per_category(load_livecareer(data_dir), POOL_PER_CATEGORY, seed=0):
        path = folder / f"{resume.category.lower()}-{resume.id}.txt"
        if not path.is_file() or path.read_text(encoding="utf-8") != resume.text:
            path.write_text(resume.text, encoding="utf-8")
        files.append(path)
    examples = sorted((EXAMPLES / "resumes").iterdir())
    return [*examples, *files]


def _ingest(
    console: Console, progress: ProgressFactory, data_dir: Path, work: Path, settings: Settings
) -> dict[str, str]:
    """Candidate id → a display name (the file's stem), for every candidate stored."""
    from matching.features import load_encoder
    from matching.store import Store, ingest_paths

    files = _pool_files(data_dir, work)
    with Store.open(settings=settings) as store, progress() as bars:
        encoder = load_encoder(cache=store.embedding_cache())
        task = bars.add_task("ingesting the candidate pool", total=len(files))

        def advance(done: int, total: int, path: object, outcome: str) -> None:
            bars.update(task, completed=done, total=total)

        report = ingest_paths(files, store=store, encoder=encoder, on_progress=advance)
    console.print(
        f"pool: {len(files)} resumes: added {report.added}, unchanged {report.unchanged}, "
        f"updated {report.updated}, failed {len(report.failed)}"
    )
    for failure in report.failed:
        console.print(f"  [yellow]{Path(failure.path).name}: {failure.code}[/] {failure.message}")
        if Path(failure.path).parent == EXAMPLES / "resumes":
            console.print("  (expected: this example shows how a document without text is refused)")
    return {cid: Path(path).stem for path, cid in report.candidate_ids.items()}


# -- 6. crm ---------------------------------------------------------------------------------
def _start_crm(
    console: Console,
    stack: ExitStack,
    work: Path,
    candidates: dict[str, str],
    settings: Settings,
) -> Any:
    from matching.crm import running_tryton
    from matching.store import Outbox, Store

    console.print("starting a local Tryton (SQLite) with the matching_scores module …")
    tryton = stack.enter_context(running_tryton(work / "tryton"))
    console.print(f"Tryton at {tryton.url}, database {tryton.database!r}")
    client = stack.enter_context(
        httpx.Client(
            base_url=f"{tryton.url}/{tryton.database}/matching",
            headers={"Authorization": f"Bearer {tryton.key}"},
            timeout=15,
        )
    )
    created = 0
    with Store.open(settings=settings) as store:
        outbox = Outbox(store)
        for candidate_id, name in candidates.items():
            contact = outbox.contact_of(candidate_id, "tryton")
            if contact is not None and client.get(f"/parties/{contact}").status_code == 200:
                continue
            response = client.post("/parties", json={"name": name})
            response.raise_for_status()
            outbox.link(candidate_id, "tryton", str(response.json()["id"]))
            created += 1
    console.print(
        f"{len(candidates)} candidates linked to Tryton parties ({created} created this run)"
    )
    return tryton


# -- 7. serve -------------------------------------------------------------------------------
def _serve(
    console: Console, stack: ExitStack, outcome: DemoOutcome, tryton: Any, settings: Settings
) -> Any:
    from matching.serving import add_key, revoke_key
    from matching.serving._process import running_service

    key, _ = add_key("demo", settings=settings)
    stack.callback(revoke_key, "demo", settings=settings)
    env = {
        "MATCHING_HOME": str(settings.home),
        "MATCHING_MODEL_URI": outcome.model_uri,
        "MATCHING_CRM": "tryton",
        "MATCHING_WORKERS": "1",
        **tryton.settings(),
    }
    console.print(f"starting the service on {outcome.model_uri} (about 30 s) …")
    service = stack.enter_context(running_service(env, key=key))
    console.print(f"service ready at {service.url} in {service.started_in:.0f} s")
    return service


def _shortlist(console: Console, service: Any, candidates: dict[str, str]) -> list[dict[str, Any]]:
    from matching.schemas import ScoredCandidate

    job = EXAMPLES / "jobs" / "data_engineer.txt"
    with httpx.Client(base_url=service.url, headers=service.headers, timeout=60) as client:
        stored = client.post(
            "/requisitions",
            json={"text": job.read_text(encoding="utf-8"), "external_id": "demo-data-engineer"},
        )
        if stored.status_code != 200:
            raise DemoError("serve", f"POST /requisitions: {stored.text[:300]}", "See its log.")
        requisition = stored.json()
        answer = client.post(
            "/shortlist", json={"requisition": {"id": requisition["requisition_id"]}, "top": TOP}
        )
        if answer.status_code != 200:
            raise DemoError("serve", f"POST /shortlist: {answer.text[:300]}", "See its log.")
    body = answer.json()
    items = [
        ScoredCandidate(
            candidate_id=r["candidate_id"],
            score=r["score"],
            rank=r["rank"],
            reasons=r["reasons"],
            knockouts=r["knockouts"],
        )
        for r in body["results"]
    ]
    model = body["model"]
    console.print(
        scores_table(
            f"POST /shortlist for {job.name} ({requisition.get('title') or 'untitled'}): "
            f"top {len(items)} of {body['pool_size']}, model {model['name']} v{model['version']}",
            items,
            names=dict(candidates),
        )
    )
    return list(body["results"])


# -- 8. write-back --------------------------------------------------------------------------
def _write_back(
    console: Console, tryton: Any, shortlist: Sequence[dict[str, Any]] | None, settings: Settings
) -> list[dict[str, Any]]:
    from matching.crm import TrytonConnector, deliver
    from matching.store import Outbox, Store

    connector = TrytonConnector(tryton.url, database=tryton.database, key=tryton.key)
    with Store.open(settings=settings) as store:
        outbox = Outbox(store)
        report = deliver(outbox, {"tryton": connector}, drain=True, until=time.monotonic() + 60)
        contacts = [
            (item["candidate_id"], outbox.contact_of(item["candidate_id"], "tryton"))
            for item in shortlist or []
        ]
    console.print(
        f"matching crm sync: delivered {report.delivered}, already there {report.skipped}, "
        f"to retry {report.retried}, dead {report.dead}"
    )
    table = Table(title="read back from the Tryton party records", title_justify="left")
    for column in ("party", "name", "score", "rank", "model", "scored at", "reasons"):
        table.add_column(column, overflow="fold")
    records = []
    with httpx.Client(
        base_url=f"{tryton.url}/{tryton.database}/matching",
        headers={"Authorization": f"Bearer {tryton.key}"},
        timeout=15,
    ) as client:
        for _, contact in contacts:
            if contact is None:
                continue
            record = client.get(f"/parties/{contact}").json()
            records.append(record)
            scores = record["scores"]
            table.add_row(
                str(record["id"]),
                record["name"],
                "—" if scores["score"] is None else f"{scores['score']:.1f}",
                str(scores["rank"] or "—"),
                scores["model"] or "—",
                scores["scored_at"] or "—",
                (scores["reasons"] or "—")[:90],
            )
    console.print(table)
    missing = [r for r in records if r["scores"]["score"] is None]
    if missing or not records:
        raise DemoError(
            "write-back",
            f"{len(missing)} of {len(records)} parties hold no score",
            "Run `matching crm status` with MATCHING_CRM=tryton to see the queued writes.",
        )
    return records


# -- 9. next --------------------------------------------------------------------------------
def _next(console: Console, outcome: DemoOutcome, settings: Settings) -> None:
    console.rule("[bold]where to look next")
    lines = [
        f"data used: {outcome.data}",
        f"model served: {outcome.model_uri}"
        + ("" if outcome.promoted else " (not promoted: see the reasons above)"),
        "experiments and the registry: make mlflow-ui  → http://127.0.0.1:5000",
        f"fairness audit report: {outcome.audit_report}",
        "the service: "
        + ("" if outcome.promoted else f"MATCHING_MODEL_URI={outcome.model_uri} ")
        + "make serve  → http://127.0.0.1:3000 (OpenAPI page: /docs, recruiter page: /ui/)",
        "scores in the CRM: python -m matching_tryton.local serve "
        f"{settings.home / 'demo' / 'tryton'} (MATCHING_CRM=tryton, key in matching-key)",
        "timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in (outcome.seconds or {}).items()),
    ]
    for line in lines:
        console.print(f"  {line}")
    console.print(
        f"The demo's service and Tryton are stopped; their data stays in {settings.home}."
    )


__all__ = ["STEPS", "DemoError", "DemoOutcome", "quick_config", "run_demo"]
