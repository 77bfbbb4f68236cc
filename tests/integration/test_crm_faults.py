"""CRM write-back under faults: the real `matching crm` CLI against a fake Keap v2 over HTTP.

Each contact must end with exactly its latest score, written by one effective PATCH, whatever
happens on the way: outages, 429 bursts, random 5xx, writes applied but answered 500, workers
killed with SIGKILL. Other fields of the contact must survive (Keap v2 replaces the array).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from matching.crm import KeapConnector, RateLimiter, RetryPolicy, deliver
from matching.schemas import Profile, Requisition
from matching.settings import OFFLINE_ENVIRONMENT
from matching.store import NewScore, Outbox, Store
from tests.crm_keap_server import FOREIGN_FIELD, FOREIGN_VALUE, Exchange, KeapServer, running_keap

pytestmark = [pytest.mark.server]

ROOT = Path(__file__).resolve().parents[2]
# The labels the connector writes (FieldMap's defaults), by payload key.
LABELS = {
    "score": "Matching score",
    "rank": "Matching rank",
    "requisition_id": "Matching requisition",
    "reasons": "Matching reasons",
    "model": "Matching model",
    "scored_at": "Matching scored at",
}


# -- helpers --------------------------------------------------------------------------------
@dataclass
class Queued:
    """Scores queued for write-back: the store's URL and each contact's expected fields."""

    url: str
    expected: dict[str, dict[str, Any]]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def queue_scores(
    db: Path,
    keap: KeapServer,
    n: int,
    *,
    first_contact: int = 10_000,
    missing: tuple[int, ...] = (),
) -> Queued:
    """``n`` candidates, each linked to a Keap contact, scored with write-back to Keap.

    The contacts exist on the server (except the indices in ``missing``); the expected
    fields of each are computed here from the inputs, not read from the outbox (only the
    time of scoring is, and it is checked to lie within the recording call).
    """
    url = f"sqlite:///{db}"
    scores: list[NewScore] = []
    contact_of: dict[str, str] = {}
    with Store.open(url) as store:
        outbox = Outbox(store)
        requisition = store.add_requisition("Data engineer, Python", Requisition(title="DE"))
        for i in range(n):
            candidate = store.add_candidate_document(
                text=f"candidate {i}",
                profile=Profile(name=f"Candidate {i}"),
                sha256=_sha(f"candidate {i}"),
                media_type="text/plain",
                external_id=f"cand-{i}",
                parser_version="test",
            ).candidate_id
            contact = str(first_contact + i)
            outbox.link(candidate, "keap", contact)
            if i not in missing:
                keap.add_contact(contact)
            contact_of[candidate] = contact
            scores.append(
                NewScore(
                    candidate_id=candidate,
                    score=(i * 7919 % 10_000) / 100,
                    input_sha256=_sha(f"input {i}"),
                    rank=i + 1,
                    reasons={"summary": f"fit {i}", "missing_skills": ["scala"] if i % 3 else []},
                )
            )
        before = datetime.now(UTC).replace(microsecond=0)
        store.record_scores(
            requisition.id, scores, model_name="ranker", model_version="3", write_back=("keap",)
        )
        after = datetime.now(UTC)
        stamps = {i.contact_id: i.payload["scored_at"] for i in outbox.items(limit=n + 10)}
    expected: dict[str, dict[str, Any]] = {}
    for i, score in enumerate(scores):
        contact = contact_of[score.candidate_id]
        stamp = stamps[contact]
        assert before <= datetime.fromisoformat(stamp) <= after
        expected[contact] = {
            LABELS["score"]: round(score.score, 2),
            LABELS["rank"]: i + 1,
            LABELS["requisition_id"]: requisition.id,
            LABELS["reasons"]: f"fit {i}" + ("; missing: scala" if i % 3 else ""),
            LABELS["model"]: "ranker v3",
            LABELS["scored_at"]: stamp,
            FOREIGN_FIELD["label"]: FOREIGN_VALUE,
        }
    return Queued(url=url, expected=expected)


def cli_env(home: Path, keap: KeapServer, database_url: str, **settings: str) -> dict[str, str]:
    """The worker's environment: this machine's, less any MATCHING_*, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHING_")}
    env.update(OFFLINE_ENVIRONMENT)
    env.update(
        MATCHING_HOME=str(home),
        MATCHING_DATABASE_URL=database_url,
        MATCHING_CRM="keap",
        MATCHING_KEAP_BASE_URL=keap.base_url,
        MATCHING_KEAP_API_KEY=keap.api_key,
        MATCHING_CRM_RATE="400",
        MATCHING_CRM_RETRY_BASE_S="0.2",
        MATCHING_CRM_RETRY_CAP_S="2",
        MATCHING_CRM_LEASE_S="3",
    )
    env.update({f"MATCHING_{k.upper()}": v for k, v in settings.items()})
    return env


def matching(*args: str) -> list[str]:
    """The `matching` console script of this environment."""
    script = Path(sys.executable).with_name("matching")
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-c", "from matching.cli import main; main()", *args]


class Workers:
    """Worker processes started by a test: each is killed by its id if it outlives the test."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []
        self.started_at: list[float] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        """`matching crm ARGS...` in the background, output to a log file."""
        log = self.log_dir / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                matching("crm", *args), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append(process)
        self.started_at.append(time.monotonic())
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        """The end of a worker's output."""
        index = self.started.index(process)
        text = (self.log_dir / f"worker-{index}.log").read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-30:])

    def stop_all(self) -> None:
        """SIGKILL every worker still running."""
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """`matching crm ARGS...` to the end; its stdout (fails the test on a non-zero exit)."""
    done = subprocess.run(
        matching("crm", *args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"matching crm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def status(env: dict[str, str]) -> dict[str, Any]:
    """`matching crm status --json`."""
    return dict(json.loads(run_cli(env, "status", "--json")))


def outbox_rows(url: str) -> dict[str, Any]:
    """Outbox rows by contact id (one write per contact in these tests)."""
    with Store.open(url) as store:
        return {item.contact_id: item for item in Outbox(store).items(limit=100_000)}


@pytest.fixture
def keap() -> Iterator[KeapServer]:
    """A fresh fake Keap v2 server."""
    with running_keap() as server:
        yield server


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """Background workers, none left running after the test."""
    started = Workers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def later_patches(exchanges: list[Exchange], contact_id: str, after: int) -> list[Exchange]:
    """PATCH requests for a contact that arrived after request number ``after``."""
    return [
        e
        for e in exchanges
        if e.method == "PATCH" and e.contact_id == contact_id and e.number > after
    ]


# -- the fault run ------------------------------------------------------------------------
WRITES = 1_200
SEED = 20_240_611


@pytest.mark.slow
def test_every_write_lands_exactly_once_through_faults_and_kills(
    tmp_path: Path, keap: KeapServer, workers: Workers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through 429 bursts, a 503 outage, refused connections, random 5xx, slow answers,
    writes applied then answered 500, and two SIGKILLed workers, every contact ends with
    exactly its values from one effective PATCH; the foreign field survives; none lost."""
    queued = queue_scores(tmp_path / "store.db", keap, WRITES)
    contacts = sorted(queued.expected)
    rng = random.Random(SEED)
    trapped = set(rng.sample(contacts, 24))
    keap.faults.apply_then_fail(trapped)
    keap.faults.error_rate(0.03, seed=SEED)
    keap.faults.slow(0.01, 0.25, seed=SEED)
    held = keap.faults.hold_after_apply(300, seconds=2.0)
    env = cli_env(tmp_path, keap, queued.url, crm_max_attempts="12")
    kill_at = 1_900
    schedule: list[tuple[int, Callable[[], None]]] = [
        (200, lambda: keap.faults.throttle(1.5, retry_after=1)),
        (1_000, lambda: keap.faults.down(2.0)),
        (1_500, lambda: keap.refuse_connections(2.0)),
        (2_300, lambda: keap.faults.throttle(1.5, retry_after=1)),
    ]
    sync = ("sync", "--drain", "--timeout", "150")

    started = time.monotonic()
    worker = workers.start(env, *sync)
    kills: list[str] = []
    while True:
        if held.is_set() and not kills:
            # The 300th PATCH is in Keap and its answer held back: the worker dies not knowing.
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            kills.append("after a PATCH was applied, before its answer")
            worker = workers.start(env, *sync)
        arrived = keap.request_count
        while schedule and schedule[0][0] <= arrived:
            schedule.pop(0)[1]()
        if len(kills) == 1 and arrived >= kill_at:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            kills.append(f"at request {arrived}, mid-batch")
            worker = workers.start(env, *sync)
        if worker.poll() is not None:
            break
        assert time.monotonic() - started < 170, "the fault run took too long"
        time.sleep(0.01)
    duration = time.monotonic() - started
    assert worker.returncode == 0, workers.log(worker)
    assert len(kills) == 2, f"kills: {kills}; the run ended before the second"
    assert not schedule, "the run ended before every fault was injected"

    exchanges = keap.exchanges()
    rows = outbox_rows(queued.url)
    by_status = Counter(row.status for row in rows.values())
    # Zero lost, zero duplicated: every contact holds exactly its values, from one PATCH.
    wrong = [c for c in contacts if keap.custom_values(c) != queued.expected[c]]
    assert not wrong, f"{len(wrong)} contacts hold other values, e.g. {wrong[:3]}"
    applied = keap.applied_patches()
    assert {c: applied[c] for c in contacts if applied[c] != 1} == {}
    assert set(applied) == set(contacts)
    assert set(by_status) <= {"delivered", "skipped"}, by_status
    assert sum(by_status.values()) == WRITES
    # A write applied but answered 500 is read again on retry, found there and skipped.
    trap_patches = {e.contact_id: e for e in exchanges if e.fault == "apply then fail"}
    assert set(trap_patches) == trapped
    for contact, patch in trap_patches.items():
        assert later_patches(exchanges, contact, patch.number) == []
        assert any(
            e.method == "GET" and e.contact_id == contact and e.number > patch.number
            for e in exchanges
        ), f"contact {contact} was not read again after its write failed"
        assert rows[contact].status == "skipped"
    # So is the write whose worker was killed before it heard the answer.
    held_patch = next(e for e in exchanges if e.held)
    assert held_patch.contact_id is not None
    assert later_patches(exchanges, held_patch.contact_id, held_patch.number) == []
    assert rows[held_patch.contact_id].status == "skipped"
    # Anything else skipped can only be the write in flight when the second kill came.
    skipped = {c for c, row in rows.items() if row.status == "skipped"}
    assert len(skipped - trapped - {held_patch.contact_id}) <= 1
    # After a 429 the worker waits the Retry-After (unless a fresh worker took over).
    for throttled in (e for e in exchanges if e.status == 429):
        after = [e for e in exchanges if e.arrived >= throttled.answered]
        if not after or any(
            throttled.answered <= t <= after[0].arrived for t in workers.started_at
        ):
            continue
        waited = after[0].arrived - throttled.answered
        assert waited >= float(throttled.response_headers["Retry-After"]) - 0.05

    statuses = keap.status_counts()
    faults = keap.fault_counts()
    retries = sum(max(row.attempts - 1, 0) for row in rows.values())
    table = [
        ("writes (contacts)", WRITES),
        ("HTTP requests", len(exchanges)),
        ("PATCH requests", sum(e.method == "PATCH" for e in exchanges)),
        ("PATCHes applied", sum(applied.values())),
        (
            "delivered / skipped (already there)",
            f"{by_status['delivered']} / {by_status['skipped']}",
        ),
        ("429 answers (Retry-After: 1)", statuses[429]),
        ("5xx answers: random", faults["random 5xx"]),
        ("5xx answers: outage (503)", faults["down"]),
        ("5xx answers: applied, then 500", faults["apply then fail"]),
        ("connections refused for", "2.0 s"),
        ("slow answers (+0.25 s)", sum(e.slowed > 0 for e in exchanges)),
        ("workers SIGKILLed", len(kills)),
        ("retries recorded", retries),
        ("lost / duplicated", "0 / 0"),
        ("duration (s, 3 worker starts)", f"{duration:.1f}"),
    ]
    with capsys.disabled():
        print("\n\nCRM write-back under faults (fake Keap v2, `matching crm sync --drain`)")
        for name, value in table:
            print(f"  {name:<38} {value:>12}")


# -- dead writes and replay ---------------------------------------------------------------
@pytest.mark.slow
def test_a_missing_contact_is_dead_at_once_then_replayed_after_the_fix(
    tmp_path: Path, keap: KeapServer
) -> None:
    """A 404 cannot be fixed by retrying: the write is dead after one attempt, shown by
    `crm status --json`; `crm retry` queues it again and the next sync delivers it."""
    queued = queue_scores(tmp_path / "store.db", keap, 2, missing=(1,))
    env = cli_env(tmp_path, keap, queued.url)
    missing = sorted(queued.expected)[1]

    run_cli(env, "sync", "--drain", "--timeout", "60")
    shown = status(env)
    assert shown["counts"] == {"keap": {"delivered": 1, "dead": 1}}
    (dead,) = shown["dead"]
    assert dead["attempts"] == 1
    assert "404" in dead["error"]
    assert sum(e.contact_id == missing for e in keap.exchanges()) == 1

    keap.add_contact(missing)
    assert "queued 1" in run_cli(env, "retry")
    run_cli(env, "sync", "--drain", "--timeout", "60")
    after = status(env)
    assert (after["counts"], after["dead"]) == ({"keap": {"delivered": 2}}, [])
    assert keap.custom_values(missing) == queued.expected[missing]


@pytest.mark.slow
def test_a_contact_that_keeps_failing_is_dead_after_max_attempts(
    tmp_path: Path, keap: KeapServer
) -> None:
    """A 503 is retried with back-off, up to MATCHING_CRM_MAX_ATTEMPTS, then left dead."""
    queued = queue_scores(tmp_path / "store.db", keap, 1)
    (contact,) = queued.expected
    keap.faults.fail_contact(contact, 503)
    env = cli_env(tmp_path, keap, queued.url, crm_max_attempts="3", crm_retry_base_s="0.05")

    run_cli(env, "sync", "--drain", "--timeout", "60")
    shown = status(env)
    assert shown["counts"] == {"keap": {"dead": 1}}
    assert shown["dead"][0]["attempts"] == 3
    assert "503" in shown["dead"][0]["error"]
    assert sum(e.contact_id == contact for e in keap.exchanges()) == 3
    assert keap.custom_values(contact) == {FOREIGN_FIELD["label"]: FOREIGN_VALUE}


def test_only_the_latest_of_two_queued_scores_is_written(tmp_path: Path, keap: KeapServer) -> None:
    """A second score queued for a contact before a sync supersedes the first: one PATCH,
    with the second score's values."""
    first = queue_scores(tmp_path / "store.db", keap, 1)
    (contact,) = first.expected
    with Store.open(first.url) as store:
        outbox = Outbox(store)
        (item,) = outbox.items()
        requisition = store.add_requisition("Data analyst, SQL", Requisition(title="DA"))
        store.record_scores(
            requisition.id,
            [NewScore(candidate_id=item.candidate_id, score=41.25, input_sha256="b", rank=7)],
            model_name="ranker",
            model_version="4",
            write_back=("keap",),
        )
        assert outbox.counts() == {"keap": {"superseded": 1, "pending": 1}}
        connector = KeapConnector(base_url=keap.base_url, api_key=keap.api_key)
        try:
            report = deliver(outbox, {"keap": connector}, drain=True)
        finally:
            connector.client.close()
        assert outbox.counts() == {"keap": {"superseded": 1, "delivered": 1}}
        (latest,) = outbox.items(status="delivered")
    assert report.delivered == 1
    (patch,) = keap.exchanges(method="PATCH")
    values = keap.custom_values(contact)
    assert values[LABELS["score"]] == 41.25
    assert values[LABELS["rank"]] == 7
    assert values[LABELS["requisition_id"]] == requisition.id
    assert values[LABELS["model"]] == "ranker v4"
    assert values[LABELS["scored_at"]] == latest.payload["scored_at"]
    assert values[FOREIGN_FIELD["label"]] == FOREIGN_VALUE
    assert patch.contact_id == contact


# -- finding the fields (prepare) under faults ----------------------------------------------
def deliver_to(keap: KeapServer, url: str, *, api_key: str, within: float) -> float:
    """Run the worker in-process (drain) against ``keap``; the seconds it took."""
    connector = KeapConnector(base_url=keap.base_url, api_key=api_key)
    started = time.monotonic()
    try:
        with Store.open(url) as store:
            deliver(Outbox(store), {"keap": connector}, drain=True, until=started + within)
    finally:
        connector.client.close()
    return time.monotonic() - started


def test_finding_the_fields_waits_for_retry_after(tmp_path: Path, keap: KeapServer) -> None:
    """A 429 on the first call (the contact model) pauses the worker for its Retry-After:
    it does not ask again at once."""
    queued = queue_scores(tmp_path / "store.db", keap, 3)
    keap.faults.throttle(1.5, retry_after=1)

    deliver_to(keap, queued.url, api_key=keap.api_key, within=20)
    throttled = [e for e in keap.exchanges() if e.status == 429]
    assert 1 <= len(throttled) <= 2, f"{len(throttled)} requests during the throttle"
    assert all(keap.custom_values(c) == v for c, v in queued.expected.items())


def test_a_refused_api_key_ends_the_run(tmp_path: Path, keap: KeapServer) -> None:
    """A 401 on the first call cannot be fixed by retrying: a draining worker stops asking
    (once) and returns, its writes still pending for a run with the right key."""
    queued = queue_scores(tmp_path / "store.db", keap, 3)

    took = deliver_to(keap, queued.url, api_key="not-the-key", within=20)
    assert took < 5
    assert keap.status_counts() == Counter({401: 1})
    with Store.open(queued.url) as store:
        assert Outbox(store).counts() == {"keap": {"pending": 3}}


def test_the_cli_says_when_a_crm_refuses_the_key(tmp_path: Path, keap: KeapServer) -> None:
    """`matching crm sync` ends with status 1 and says to check the credentials; writes wait."""
    queued = queue_scores(tmp_path / "store.db", keap, 2)
    env = cli_env(tmp_path, keap, queued.url, keap_api_key="not-the-key")
    done = subprocess.run(
        matching("crm", "sync", "--drain", "--timeout", "20"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "refused" in done.stderr
    assert "credentials" in done.stderr
    assert status(env)["counts"] == {"keap": {"pending": 2}}


def test_an_outage_does_not_use_up_every_write_s_attempts(tmp_path: Path, keap: KeapServer) -> None:
    """With the CRM down, a few writes spend attempts, then calls pause: the rest keep theirs."""
    queued = queue_scores(tmp_path / "store.db", keap, 40)
    keap.faults.down(60)
    connector = KeapConnector(base_url=keap.base_url, api_key=keap.api_key)
    with Store.open(queued.url) as store, connector.client:
        outbox = Outbox(store)
        deliver(
            outbox,
            {"keap": connector},
            limiters={"keap": RateLimiter(1000.0, burst=1000)},
            policy=RetryPolicy(max_attempts=3, base_s=0.05, cap_s=0.2),
            drain=True,
            until=time.monotonic() + 2.0,
        )
        items = outbox.items(limit=100)
    assert sum(i.attempts for i in items) < 40
    assert all(i.status == "pending" for i in items)
