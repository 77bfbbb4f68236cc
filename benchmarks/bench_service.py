"""Load on the served matching service (``bentoml serve``) with wrk on loopback.

    python benchmarks/bench_service.py [--pool 300] [--workers 2] [--threads 1]
        [--access-log off|on] [--configs 2x1:off 1x4:on ...] [--duration 15] [--warmup 3]
        [--connections 1 8 32] [--text-connections 1 8] [--texts 400] [--home DIR]
        [--out FILE]

Needs **wrk** (Debian/Ubuntu: ``apt-get install -y wrk``; macOS: ``brew install wrk``); the
script says so and exits with status 2 when ``wrk`` is not on ``PATH``.

Nothing is read from ../shared/data. ``--pool`` seeded synthetic resumes
(``benchmarks/_synthetic.py``) are written as text files and stored with ``ingest_paths``
(parsed and embedded with the real pipeline) before the service starts; the pool is kept
under ``--home`` (a temporary folder by default), so a rerun with the same ``--home`` does
not ingest again. Every configuration gets a fresh copy of that store, an API key and the
model: the champion of the project's MLflow store (``MLFLOW_TRACKING_URI``, default
``var/mlflow.db``) when there is one, else the tiny test ranker
(``tests.tiny_ranking.build_tiny_ranker``), which the output then names.

For each configuration the service is started with ``tests.service_process.start_service``
(start-up time is start to ``/readyz`` 200), one posting is stored with POST /requisitions,
and wrk (``-t min(c, 2)``, a Lua script written to a temporary folder) sends POST /score:

- **stored ×1 / ×10**: one or ten stored candidate ids per request, cycling through the pool,
  at each of ``--connections``;
- **text ×1**: one new resume per request (parsed and embedded on the request path) at each
  of ``--text-connections``. Every request carries a resume not sent before (the service's
  encoder cache would otherwise answer repeats); ``repeated_bodies`` in the JSON says whether
  a cell ran out of fresh ones (``--texts`` per cell).

Each cell is warmed up with ``--warmup`` seconds of the same requests, then measured for
``--duration`` seconds. wrk is a closed loop (each connection waits for its answer) and does
not correct for coordinated omission. Errors are non-2xx/3xx responses plus socket errors
(connect, read, write, timeout); a sample request of each kind is checked by hand first.
Memory is the summed RSS of the service's whole process tree (shared pages count once per
process), read when ready, after the first warm-up and after the load, with the peak sampled
during the load. CPU is process time over wall time in percent of one core, for the service
tree and for wrk, which shares the machine.

Configuration: ``--workers``, ``--threads`` and ``--access-log`` set ``MATCHING_WORKERS``,
``MATCHING_THREADS`` and ``MATCHING_ACCESS_LOG``; ``--configs`` runs several in turn (same
pool). The default, 2 workers × 1 thread with the access log off, did best on 2 cores: a
worker is one process and the GIL holds it to about one core, so two workers served about
twice the stored-candidate requests of one at 8 clients, with the lowest p50; more threads
per worker only added GIL hand-offs and SQLite writers waiting on one another; the access log
made no difference beyond run-to-run noise. The service keeps full garbage collections off
the request path (``service/service.py``): before that, they paused each worker for about
0.5 s every few seconds and set p99 at 400-650 ms.
A keep-alive connection stays with the worker that accepted it: the ``per worker`` column
shows how wrk's connections spread; ``8`` instead of ``4+4`` means one worker did all the
work and the cell measured one core.

Prints a table and writes ``benchmarks/results/service.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from _machine import machine
from _synthetic import FAMILIES, posting, resume
from matching.settings import configure_offline

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "service.json"
# Stored candidates at 8 concurrent clients: p99 under 50 ms, no errors.
TARGET = {"connections": 8, "p99_ms": 50.0, "errors": 0}
RECOMMENDED = "2x1:off"  # workers x threads : access log; why: the module docstring
INSTALL_WRK = (
    "wrk, the HTTP load generator, is not on PATH. Install it and run again:\n"
    "  Debian/Ubuntu: apt-get install -y wrk   (sudo if not root)\n"
    "  macOS:         brew install wrk\n"
    "  elsewhere:     build https://github.com/wg/wrk (make) and put it on PATH"
)
LUA = """-- Written by benchmarks/bench_service.py: POST /score, one JSON body per line of a file.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local threads = {{}}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {{}}
  for line in io.lines("{bodies}") do
    bodies[#bodies + 1] = line
  end
  nxt = offset
  failed = {{}}
end

function request()
  -- Threads interleave, so no two threads send the same body until the file wraps round.
  local body = bodies[(nxt % #bodies) + 1]
  nxt = nxt + {threads}
  return wrk.format(nil, "/score", nil, body)
end

function response(status, headers, body)
  if status >= 300 then
    local key = tostring(status)
    failed[key] = (failed[key] or 0) + 1
    if sample == nil then
      sample = string.gsub(string.sub(body, 1, 300), "%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("failed")) do
      io.write(string.format("status %s %d\\n", status, count))
    end
    local sample = thread:get("sample")
    if sample ~= nil then
      io.write("sample " .. sample .. "\\n")
    end
  end
end
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class Config:
    """How the service runs: BentoML workers and threads, access log on or off."""

    workers: int
    threads: int
    access_log: bool

    @classmethod
    def parse(cls, text: str) -> Config:
        """``"1x4:off"`` → 1 worker, 4 threads, no access log (``:on`` is the default)."""
        match = re.fullmatch(r"(\d+)x(\d+)(?::(on|off))?", text.strip())
        if match is None:
            raise argparse.ArgumentTypeError(f"{text!r}: write WORKERSxTHREADS[:on|off]")
        return cls(int(match[1]), int(match[2]), match[3] != "off")

    @property
    def label(self) -> str:
        """``"1x4:off"``."""
        return f"{self.workers}x{self.threads}:{'on' if self.access_log else 'off'}"

    def environment(self) -> dict[str, str]:
        """The service's environment variables for this configuration."""
        return {
            "MATCHING_WORKERS": str(self.workers),
            "MATCHING_THREADS": str(self.threads),
            "MATCHING_ACCESS_LOG": "true" if self.access_log else "false",
        }


# -- wrk --------------------------------------------------------------------------------------
def milliseconds(value: str) -> float:
    """``"9.80ms"``, ``"812.00us"``, ``"1.20s"`` → milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match[1]) * UNITS[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles, request count and errors from ``wrk --latency``."""
    out: dict[str, Any] = {}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    out["requests_per_s"] = round(float(rate[1]), 1) if rate else 0.0
    done = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    out["requests"] = int(done[1]) if done else 0
    out["seconds"] = round(milliseconds(done[2]) / 1000, 2) if done else 0.0
    for pct in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{pct}%\s+([\d.]+\w+)\s*$", output, re.MULTILINE)
        out[f"p{pct}_ms"] = round(milliseconds(found[1]), 2) if found else None
    stats = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", output)
    out["mean_ms"] = round(milliseconds(stats[1]), 2) if stats else None
    out["max_ms"] = round(milliseconds(stats[3]), 2) if stats else None
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = dict(
        zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        if sockets
        else {}
    )
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    out["non_2xx_3xx"] = int(status[1]) if status else 0
    out["socket_errors"] = socket_errors
    statuses: dict[str, int] = {}
    for status, count in re.findall(r"^status (\d+) (\d+)$", output, re.MULTILINE):
        statuses[status] = statuses.get(status, 0) + int(count)
    out["error_statuses"] = statuses
    sample = re.search(r"^sample (.*)$", output, re.MULTILINE)
    if sample:
        out["error_sample"] = sample[1][:300]
    out["errors"] = out["non_2xx_3xx"] + sum(socket_errors.values())
    # wrk counts fast error answers (429) as requests: the rate of good answers is what counts.
    ok = max(0, out["requests"] - out["non_2xx_3xx"])
    out["ok_per_s"] = round(ok / out["seconds"], 1) if out["seconds"] else 0.0
    return out


def run_wrk(
    url: str,
    lua: Path,
    *,
    connections: int,
    seconds: float,
    timeout_s: float,
) -> tuple[dict[str, Any], float]:
    """One wrk run: its parsed output and wrk's own CPU time in seconds."""
    threads = min(connections, 2)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        str(lua),
        url + "/score",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return parse_wrk(done.stdout), cpu


def write_lua(folder: Path, name: str, key: str, bodies: Sequence[str], threads: int) -> Path:
    """A wrk script that cycles through ``bodies`` (one JSON document per line)."""
    data = folder / f"{name}.jsonl"
    data.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    script = folder / f"{name}.lua"
    script.write_text(LUA.format(key=key, bodies=data, threads=threads), encoding="utf-8")
    return script


# -- the service's process tree ----------------------------------------------------------------
def tree(pid: int) -> list[Any]:
    """The process ``pid`` and all its descendants (psutil processes)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def rss_mb(pid: int) -> float:
    """Summed resident memory of the process tree, MiB."""
    import psutil

    total = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return round(total / 2**20, 1)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process tree so far."""
    import psutil

    total = 0.0
    for process in tree(pid):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_busy_seconds() -> float:
    """CPU time spent by every process on the machine so far (all cores, not idle)."""
    import psutil

    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def spread(pid: int, port: int) -> list[int]:
    """Established client connections on ``port`` held by each process of the tree."""
    import psutil

    counts = []
    for process in tree(pid):
        with contextlib.suppress(psutil.Error):
            held = [
                c
                for c in process.net_connections(kind="tcp")
                if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
            ]
            if held:
                counts.append(len(held))
    return sorted(counts, reverse=True)


class Sampler:
    """While the block runs: the tree's peak RSS, and how client connections spread over it.

    wrk keeps its connections open, so the worker that accepted one serves all its requests.
    """

    def __init__(self, pid: int, port: int, every: float = 0.5) -> None:
        self.pid = pid
        self.port = port
        self.every = every
        self.peak = 0.0
        self.connections: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss_mb(self.pid))
            if not self.connections:
                self.connections = spread(self.pid, self.port)

    def __enter__(self) -> Sampler:
        self.peak = rss_mb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- inputs ----------------------------------------------------------------------------------
def load_model(console: Console) -> tuple[Any, str | None, str]:
    """The champion from the project's MLflow store, else the tiny test ranker.

    Returns the model, the tracking URI the service should read it from (None: register
    the model in the service's own store) and a description of where it came from.
    """
    from matching.errors import ConfigError
    from matching.registry import load_candidate_ranker
    from matching.settings import get_settings

    settings = get_settings()
    tracking = settings.tracking_uri()
    uri = settings.model_uri or f"models:/{settings.registered_model}@champion"
    database = tracking.removeprefix("sqlite:///") if tracking.startswith("sqlite:///") else None
    if database is None or Path(database).is_file():
        saved = os.environ.get("MLFLOW_TRACKING_URI")
        os.environ["MLFLOW_TRACKING_URI"] = tracking
        try:
            model = load_candidate_ranker(uri)
            registry = model.metadata.get("registry") or {}
            source = f"{uri} (version {registry.get('version')}) from {tracking}"
            return model, tracking, source
        except ConfigError as exc:
            console.print(f"[yellow]no champion in {tracking}: {exc.message}[/]")
        finally:
            if saved is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = saved
    from tests.tiny_ranking import build_tiny_ranker

    console.print(
        "[yellow]using the tiny test ranker (tests.tiny_ranking): no trained champion; "
        "train one (make train) for the model README quotes[/]"
    )
    return build_tiny_ranker(), None, "tests.tiny_ranking.build_tiny_ranker() (no champion)"


def ingest_pool(
    folder: Path, size: int, seed: int, model: Any, console: Console
) -> tuple[Path, list[str], float]:
    """Write ``size`` synthetic resumes under ``folder`` and store them in ``pool.db``.

    Returns the database, the candidate ids in file order and the seconds spent.
    """
    from matching.features import load_encoder
    from matching.store import Store, ingest_paths

    resumes = folder / "resumes"
    resumes.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(size):
        path = resumes / f"synthetic-{i:05d}.txt"
        text = resume(rng, FAMILIES[i % len(FAMILIES)], words=rng.randint(250, 450))
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    database = folder / "pool.db"
    started = time.perf_counter()
    store = Store.open(f"sqlite:///{database}")
    try:
        encoder = load_encoder(model.embedding_model, cache=store.embedding_cache())
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"ingesting {size} synthetic resumes", total=size)
            report = ingest_paths(
                paths,
                store=store,
                encoder=encoder,
                on_progress=lambda done, *_: progress.update(task, completed=done),
            )
    finally:
        store.close()
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} synthetic resumes failed: {report.failed[0]}")
    ids = [report.candidate_ids[str(p)] for p in paths]
    return database, ids, time.perf_counter() - started


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def stored_bodies(requisition_id: str, ids: Sequence[str], per_request: int) -> list[str]:
    """One body per pool member: ``per_request`` consecutive stored ids, wrapping round."""
    return [
        json.dumps(
            {
                "requisition": {"id": requisition_id},
                "candidates": [{"id": ids[(i + j) % len(ids)]} for j in range(per_request)],
            }
        )
        for i in range(len(ids))
    ]


def text_bodies(requisition_id: str, texts: Iterator[str], count: int) -> list[str]:
    """``count`` bodies, each with one resume text not used before."""
    return [
        json.dumps({"requisition": {"id": requisition_id}, "candidates": [{"text": next(texts)}]})
        for _ in range(count)
    ]


def fresh_resumes(seed: int) -> Iterator[str]:
    """An endless stream of distinct synthetic resumes."""
    rng = random.Random(seed)
    seen: set[str] = set()
    i = 0
    while True:
        text = resume(rng, FAMILIES[i % len(FAMILIES)], words=rng.randint(250, 450))
        i += 1
        if text not in seen:
            seen.add(text)
            yield text


def check_sample(service: Any, body: str, expected: int) -> None:
    """One request by hand: 200, ``expected`` results and no per-candidate errors."""
    import httpx

    response = httpx.post(
        service.url + "/score",
        content=body,
        headers={**service.headers, "Content-Type": "application/json"},
        timeout=120,
    )
    payload = response.json() if response.status_code == 200 else {}
    if (
        response.status_code != 200
        or len(payload.get("results", [])) != expected
        or payload.get("errors")
    ):
        raise RuntimeError(
            f"sample /score failed ({response.status_code}): {response.text[:500]}\n"
            f"{service.log_tail()}"
        )


# -- one configuration -----------------------------------------------------------------------
def run_config(
    config: Config,
    *,
    env: dict[str, str],
    pool_db: Path,
    ids: Sequence[str],
    texts: Iterator[str],
    args: argparse.Namespace,
    console: Console,
) -> dict[str, Any]:
    """Start the service in ``config``, load it cell by cell with wrk, stop it."""
    import httpx
    from tests.service_process import start_service

    home = Path(env["MATCHING_HOME"])
    for suffix in ("", "-wal", "-shm"):
        (home / f"matching.db{suffix}").unlink(missing_ok=True)
    copy_database(pool_db, home / "matching.db")
    console.print(f"[bold]{config.label}[/]: starting the service …")
    service = start_service(env, extra=config.environment())
    memory: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    try:
        memory["ready"] = rss_mb(service.process.pid)
        rng = random.Random(args.seed + 7)
        response = httpx.post(
            service.url + "/requisitions",
            json={"text": posting(rng, FAMILIES[0])},
            headers=service.headers,
            timeout=120,
        )
        response.raise_for_status()
        requisition_id = response.json()["requisition_id"]
        work = Path(tempfile.mkdtemp(prefix="wrk-", dir=home))
        cells: list[tuple[str, int, int]] = [
            *(("stored", 1, c) for c in args.connections),
            *(("stored", 10, c) for c in args.connections),
            *(("text", 1, c) for c in args.text_connections),
        ]
        peak = 0.0
        for kind, per_request, connections in cells:
            threads = min(connections, 2)
            name = f"{kind}{per_request}-c{connections}"
            if kind == "stored":
                bodies = stored_bodies(requisition_id, ids, per_request)
                warm = measure = write_lua(work, name, service.key, bodies, threads)
                check_sample(service, bodies[0], per_request)
                distinct = len(bodies)
            else:
                check_sample(service, text_bodies(requisition_id, texts, 1)[0], 1)
                warm_bodies = text_bodies(requisition_id, texts, args.texts // 4)
                warm = write_lua(work, name + "-warm", service.key, warm_bodies, threads)
                bodies = text_bodies(requisition_id, texts, args.texts)
                measure = write_lua(work, name, service.key, bodies, threads)
                distinct = len(bodies)
            console.print(f"  {name}: warm-up {args.warmup:g} s, then {args.duration:g} s")
            run_wrk(
                service.url,
                warm,
                connections=connections,
                seconds=args.warmup,
                timeout_s=args.timeout,
            )
            if "after_warmup" not in memory:
                memory["after_warmup"] = rss_mb(service.process.pid)
            cpu_before = cpu_seconds(service.process.pid)
            busy_before = machine_busy_seconds()
            wall = time.perf_counter()
            port = int(service.url.rsplit(":", 1)[1])
            with Sampler(service.process.pid, port) as sampler:
                result, wrk_cpu = run_wrk(
                    service.url,
                    measure,
                    connections=connections,
                    seconds=args.duration,
                    timeout_s=args.timeout,
                )
            wall = time.perf_counter() - wall
            peak = max(peak, sampler.peak)
            service_cpu = cpu_seconds(service.process.pid) - cpu_before
            other_cpu = machine_busy_seconds() - busy_before - service_cpu - wrk_cpu
            row = {
                "config": config.label,
                "request": kind,
                "candidates_per_request": per_request,
                "connections": connections,
                "wrk_threads": threads,
                **result,
                "candidates_per_s": round(result["ok_per_s"] * per_request, 1),
                "distinct_bodies": distinct,
                "connections_per_process": sampler.connections,
                "service_cpu_pct": round(100 * service_cpu / wall, 1),
                "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1),
                "other_cpu_pct": round(max(0.0, 100 * other_cpu / wall), 1),
            }
            if kind == "text":
                # Beyond this many requests a body repeats and its embeddings are cached.
                row["repeated_bodies"] = max(0, result["requests"] - distinct)
            if kind == "stored" and connections == TARGET["connections"]:
                row["target"] = dict(TARGET)
                row["met"] = (
                    row["p99_ms"] is not None
                    and row["p99_ms"] < TARGET["p99_ms"]
                    and row["errors"] == TARGET["errors"]
                )
            rows.append(row)
        memory["after_load"] = rss_mb(service.process.pid)
        memory["peak_during_load"] = max(peak, memory["after_load"])
        processes = len(tree(service.process.pid))
    finally:
        service.stop()
    return {
        "config": config.label,
        "workers": config.workers,
        "threads": config.threads,
        "access_log": config.access_log,
        "startup_s": round(service.started_in, 1),
        "rss_mb": memory,
        "processes": processes,
        "requisition_id": requisition_id,
        "rows": rows,
    }


# -- entry point -----------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    configure_offline()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=300, help="synthetic resumes stored")
    parser.add_argument("--workers", type=int, default=None, help="MATCHING_WORKERS")
    parser.add_argument("--threads", type=int, default=None, help="MATCHING_THREADS")
    parser.add_argument("--access-log", choices=("on", "off"), default=None)
    parser.add_argument(
        "--configs",
        type=Config.parse,
        nargs="+",
        default=None,
        help=f"several configurations, WORKERSxTHREADS[:on|off] (default {RECOMMENDED})",
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per cell")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per cell")
    parser.add_argument("--timeout", type=float, default=30.0, help="wrk's request timeout, s")
    parser.add_argument("--connections", type=int, nargs="*", default=[1, 8, 32])
    parser.add_argument("--text-connections", type=int, nargs="*", default=[1, 8])
    parser.add_argument("--texts", type=int, default=400, help="fresh resumes per text cell")
    parser.add_argument("--home", type=Path, default=None, help="keep the pool here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=150)

    wrk = shutil.which("wrk")
    if wrk is None:
        console.print(f"[red]{INSTALL_WRK}[/]")
        return 2
    wrk_version = subprocess.run(
        [wrk, "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    default = Config.parse(RECOMMENDED)
    configs = args.configs or [
        Config(
            args.workers if args.workers is not None else default.workers,
            args.threads if args.threads is not None else default.threads,
            default.access_log if args.access_log is None else args.access_log == "on",
        )
    ]

    # tests.service_process starts the service the way the integration tests do.
    sys.path.insert(0, str(ROOT))
    from tests.service_process import prepare_home

    started = time.perf_counter()
    keep = args.home is not None
    base = args.home.resolve() if keep else Path(tempfile.mkdtemp(prefix="bench-service-"))
    try:
        model, tracking, model_source = load_model(console)
        pool_db, ids, ingest_s = ingest_pool(
            base / f"pool-{args.pool}-seed{args.seed}", args.pool, args.seed, model, console
        )
        console.print(f"pool: {len(ids)} candidates stored in {ingest_s:.0f} s")
        texts = fresh_resumes(args.seed + 1_000_003)
        runs = []
        for config in configs:
            home = base / f"service-{config.label.replace(':', '-')}"
            shutil.rmtree(home, ignore_errors=True)
            env = prepare_home(home, None if tracking else model)
            tracking_uri = tracking or env["MLFLOW_TRACKING_URI"]
            env["MLFLOW_TRACKING_URI"] = env["MATCHING_MLFLOW_TRACKING_URI"] = tracking_uri
            runs.append(
                run_config(
                    config,
                    env=env,
                    pool_db=pool_db,
                    ids=ids,
                    texts=texts,
                    args=args,
                    console=console,
                )
            )
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)

    meta = {
        "benchmark": "service",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "wrk": wrk_version,
        "model": model_source,
        "settings": {
            "pool": args.pool,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "wrk_timeout_s": args.timeout,
            "connections": args.connections,
            "text_connections": args.text_connections,
            "texts_per_cell": args.texts,
            "seed": args.seed,
            "recommended": RECOMMENDED,
        },
        "target": TARGET,
        "ingest_seconds": round(ingest_s, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        # Other work on the machine slows every row; this says how busy it was at the end.
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
    }
    render(console, meta, runs)
    out = {
        **meta,
        "notes": [
            "Loopback, wrk and the service on the same machine: wrk's CPU (wrk_cpu_pct) is "
            "taken from the service's cores.",
            "wrk is a closed loop without coordinated-omission correction; p50/p99 are wrk's "
            "--latency percentiles over every answered request of the cell.",
            "errors = non-2xx/3xx responses + socket errors (connect, read, write, timeout); "
            "error_statuses counts the statuses; ok_per_s leaves error answers out "
            "(requests_per_s, wrk's own figure, counts them).",
            "stored rows: ids cycle through the pool (every pooled candidate is prepared when "
            "the service starts); the requisition is stored once and cached by the service.",
            "text rows: one resume never sent before per request (parsed, chunked and embedded "
            "on the request path); repeated_bodies > 0 means some answers came from the "
            "encoder's cache.",
            "Every /score call also writes its decisions and scores to the SQLite store.",
            "CPU columns are percent of one core over the measured seconds; other_cpu_pct is "
            "the rest of the machine (this script, other processes): above a few percent, "
            "something else competed for the two cores.",
            "connections_per_process: wrk's open connections held by each service process, "
            "read once early in the cell; keep-alive connections stay with the worker that "
            "accepted them, so [8] with two workers means one worker served everything.",
            "rss_mb sums RSS over the service's process tree (bentoml serve and its workers).",
        ],
        "configurations": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    return 0


def render(console: Console, meta: dict[str, Any], runs: Sequence[dict[str, Any]]) -> None:
    """Print one table of every cell, then start-up and memory per configuration."""
    m = meta["machine"]
    s = meta["settings"]
    table = Table(
        title=f"POST /score under wrk, {s['duration_s']:g} s per cell after "
        f"{s['warmup_s']:g} s warm-up, pool {s['pool']} — {meta['date']}; {m['cores']} cores, "
        f"{m['cpu']}, Python {m['python']}"
    )
    columns = (
        "config",
        "candidates",
        "clients",
        "per worker",
        "ok req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "requests",
        "errors",
        "service CPU %",
        "wrk CPU %",
        "other CPU %",
        "target",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("config", "candidates") else "right")
    for run in runs:
        for row in run["rows"]:
            label = f"{row['candidates_per_request']} {row['request']}"
            target = "—"
            if "met" in row:
                target = "met" if row["met"] else "[red]missed[/]"
            table.add_row(
                run["config"],
                label,
                str(row["connections"]),
                "+".join(map(str, row["connections_per_process"])) or "—",
                f"{row['ok_per_s']:.1f}",
                "—" if row["p50_ms"] is None else f"{row['p50_ms']:.1f}",
                "—" if row["p99_ms"] is None else f"{row['p99_ms']:.1f}",
                "—" if row["max_ms"] is None else f"{row['max_ms']:.0f}",
                f"{row['requests']:,}",
                str(row["errors"]) if not row["errors"] else f"[red]{row['errors']}[/]",
                f"{row['service_cpu_pct']:.0f}",
                f"{row['wrk_cpu_pct']:.0f}",
                f"{row['other_cpu_pct']:.0f}",
                target,
            )
        table.add_section()
    console.print(table)
    for run in runs:
        r = run["rss_mb"]
        console.print(
            f"{run['config']} (workers {run['workers']}, threads {run['threads']}, access log "
            f"{'on' if run['access_log'] else 'off'}): ready in {run['startup_s']:.1f} s; "
            f"RSS of {run['processes']} processes: {r['ready']:.0f} MiB ready, "
            f"{r['after_warmup']:.0f} MiB after warm-up, {r['after_load']:.0f} MiB after the "
            f"load (peak {r['peak_during_load']:.0f} MiB)"
        )
    t = meta["target"]
    console.print(
        f"Target: stored candidates at {t['connections']} clients, p99 < {t['p99_ms']:g} ms, "
        f"{t['errors']} errors. Model: {meta['model']}. wrk: {meta['wrk']}. "
        f"Load average at the end: {meta['load_average_1_5_15min']}."
    )
    for run in runs:
        for row in run["rows"]:
            if row["errors"]:
                console.print(
                    f"[red]{run['config']} {row['candidates_per_request']} {row['request']} × "
                    f"{row['connections']}: statuses {row['error_statuses']}, socket errors "
                    f"{row['socket_errors']}; first: {row.get('error_sample', '—')}[/]"
                )
            if row.get("repeated_bodies"):
                console.print(
                    f"[yellow]{run['config']} text ×{row['connections']}: "
                    f"{row['repeated_bodies']} requests repeated a resume (encoder cache hits); "
                    "raise --texts[/]"
                )


if __name__ == "__main__":
    sys.exit(main())
