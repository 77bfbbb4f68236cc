"""The outbox worker: deliver queued score writes to their CRMs, durably and only once.

For each due write: wait for the CRM's rate limit, read the contact's current values, skip the
write when they already hold it (idempotent: a write retried after a crash, or already made by
a worker that died before recording it, is not made twice), else write. A failure that can be
retried (timeouts, 429, 5xx) comes back after a jittered exponential back-off, or after the
CRM's ``Retry-After``, which also pauses every call to that CRM; after ``max_attempts`` or a
refusal that retrying cannot fix (400, 404 …) the write is ``dead`` until
``matching crm retry``. Every attempt is logged with the outbox id, CRM, outcome and HTTP
status: never the payload or contact data.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from matching.crm._base import FIELDS, Connector, CrmError, RateLimiter, values_of
from matching.store import Outbox, OutboxItem

log = logging.getLogger("matching.crm")
# Consecutive failed calls after which a CRM is taken to be down: the rest of the batch goes
# back to the queue without using an attempt, and calls pause (longer each time), so that an
# outage does not exhaust every queued write's attempts.
BREAKER_FAILURES = 3


@dataclass
class DeliveryReport:
    """What one :func:`deliver` run did (counts of writes; ``calls`` counts attempts)."""

    delivered: int = 0
    skipped: int = 0
    retried: int = 0
    dead: int = 0
    calls: int = 0
    by_crm: dict[str, dict[str, int]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    breaks: int = 0

    def count(self, crm: str, outcome: str) -> None:
        """Add one outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        per = self.by_crm.setdefault(crm, {})
        per[outcome] = per.get(outcome, 0) + 1


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and back-off: ``base * 2**(attempt-1)`` seconds, capped, with full jitter."""

    max_attempts: int = 8
    base_s: float = 1.0
    cap_s: float = 300.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before attempt ``attempt + 1``."""
        return rng.uniform(0.5, 1.0) * min(self.cap_s, self.base_s * 2.0 ** (attempt - 1))


def same_values(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a contact already holds ``wanted`` (numbers compared as the CRM stores them)."""
    return all(_norm(n, current.get(n)) == _norm(n, wanted.get(n)) for n in FIELDS)


def _norm(name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        if name == "score":
            return f"{float(value):.2f}"
        if name == "rank":
            return str(int(float(value)))
    except (TypeError, ValueError):
        return str(value)
    return str(value)


def deliver(
    outbox: Outbox,
    connectors: Mapping[str, Connector],
    *,
    limiters: Mapping[str, RateLimiter] | None = None,
    policy: RetryPolicy | None = None,
    batch: int = 50,
    lease: timedelta = timedelta(minutes=2),
    drain: bool = False,
    until: float | None = None,
    stop: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_progress: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver the due writes of every CRM in ``connectors``.

    Parameters
    ----------
    outbox
        The store's outbox.
    connectors
        By CRM name (the name the writes were queued under).
    limiters
        Per CRM; 5 calls per second by default.
    policy
        Attempts and back-off.
    batch
        Writes claimed at a time (each under a lease of ``lease``).
    drain
        Also wait for writes scheduled later (retries), until none is pending; otherwise stop
        when nothing is due now.
    until
        A ``time.monotonic()`` deadline (with ``drain`` or for a continuous worker).
    stop
        Called between writes; True ends the run cleanly (leases released).
    """
    policy = policy or RetryPolicy()
    rng = rng or random.Random()
    limiters = dict(limiters or {})
    for crm in connectors:
        limiters.setdefault(crm, RateLimiter(5.0))
    report = DeliveryReport()
    prepared: set[str] = set()
    refused: set[str] = set()  # a refusal retrying cannot fix (401, 403 …): skipped this run
    failures: dict[str, int] = {}  # consecutive failed calls per CRM
    breaks: dict[str, int] = {}  # consecutive pauses per CRM
    while True:
        progressed = False
        for crm, connector in connectors.items():
            if crm in refused:
                continue
            if crm not in prepared:
                # Its calls count against the rate limit and wait out a Retry-After too.
                wait = limiters[crm].delay()
                if wait > 0:
                    sleep(wait)
                try:
                    connector.prepare()
                except CrmError as exc:
                    log.warning("crm=%s prepare failed: %s", crm, exc.detail)
                    if exc.retry_after:
                        limiters[crm].pause(exc.retry_after)
                    if not exc.retryable:
                        refused.add(crm)
                        report.refused[crm] = exc.detail
                    continue
                prepared.add(crm)
            items = outbox.claim(crm, limit=batch, lease=lease)
            size = connector.batch_size if isinstance(connector, BatchConnector) else 1
            for start in range(0, len(items), size):
                rest = items[start:]
                if stop is not None and stop():
                    outbox.release(i.id for i in rest)
                    return report
                chunk = items[start : start + size]
                if isinstance(connector, BatchConnector):
                    ok = _attempt_batch(
                        outbox, connector, limiters[crm], chunk, policy, rng, sleep, report
                    )
                else:
                    ok = _attempt(
                        outbox, connector, limiters[crm], chunk[0], policy, rng, sleep, report
                    )
                if on_progress is not None:
                    on_progress(report)
                failures[crm] = 0 if ok else failures.get(crm, 0) + 1
                if failures[crm] >= BREAKER_FAILURES:
                    # The CRM looks down: stop spending attempts, pause it, longer each time.
                    breaks[crm] = breaks.get(crm, 0) + 1
                    limiters[crm].pause(policy.delay(breaks[crm], rng))
                    report.breaks += 1
                    failures[crm] = 0
                    outbox.release(i.id for i in items[start + size :])
                    log.warning("crm=%s failing: paused, %d writes put back", crm, len(rest) - size)
                    break
                if ok:
                    breaks[crm] = 0
            progressed = progressed or bool(items)
        if progressed:
            continue
        if not drain or (stop is not None and stop()):
            return report
        due = [
            d
            for d in (outbox.next_due(crm) for crm in connectors if crm not in refused)
            if d is not None
        ]
        if not due:
            return report
        wait = (min(due) - datetime.now(UTC)).total_seconds()
        if until is not None and time.monotonic() + max(wait, 0) > until:
            return report
        sleep(min(max(wait, 0.05), 5.0))


@runtime_checkable
class BatchConnector(Protocol):
    """A connector that also reads and writes many contacts per call (HubSpot's batch API).

    ``write_many`` returns, per contact id, None when written or the ``CrmError`` of that
    item (a partial failure retries only the failed items).
    """

    name: str
    batch_size: int

    def prepare(self) -> None: ...

    def read_many(self, contact_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def write_many(
        self, writes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> dict[str, CrmError | None]: ...


def _attempt_batch(
    outbox: Outbox,
    connector: BatchConnector,
    limiter: RateLimiter,
    items: Sequence[OutboxItem],
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], None],
    report: DeliveryReport,
) -> bool:
    """One delivery attempt of several writes: one read call, one write call.

    Returns False when the calls failed (the CRM, not single items).
    """
    outcomes: dict[str, tuple[str, CrmError | None]] = {}
    call_failed = False
    try:
        wait = limiter.delay()  # the read and the write take a token each
        if wait > 0:
            sleep(wait)
        report.calls += 1
        current = connector.read_many([i.contact_id for i in items])
        todo = []
        for item in items:
            wanted = values_of(item.payload)
            if same_values(current.get(item.contact_id, {}), wanted):
                outcomes[item.id] = ("skipped", None)
            else:
                todo.append((item, wanted))
        if todo:
            wait = limiter.delay()
            if wait > 0:
                sleep(wait)
            report.calls += 1
            results = connector.write_many([(i.contact_id, w) for i, w in todo])
            for item, _ in todo:
                error = results.get(item.contact_id)
                outcomes[item.id] = ("delivered", None) if error is None else ("failed", error)
    except CrmError as exc:
        call_failed = exc.retryable
        for item in items:
            outcomes.setdefault(item.id, ("failed", exc))
    for item in items:
        outcome, error = outcomes[item.id]
        if error is not None:
            outcome = _failed(outbox, limiter, item, error, policy, rng)
        else:
            outbox.finish(item.id, outcome)  # type: ignore[arg-type]  # delivered or skipped
        report.count(item.crm, outcome)
        log.info(
            "crm=%s outbox=%s attempt=%d outcome=%s status=%s batch=%d",
            item.crm,
            item.id,
            item.attempts + 1,
            outcome,
            (error.status if error else 0) or "-",
            len(items),
        )
    return not call_failed


def _failed(
    outbox: Outbox,
    limiter: RateLimiter,
    item: OutboxItem,
    exc: CrmError,
    policy: RetryPolicy,
    rng: random.Random,
) -> str:
    """Record a failed attempt: retry later (back-off or Retry-After) or dead."""
    if exc.retry_after:
        limiter.pause(exc.retry_after)
    attempt = item.attempts + 1
    if not exc.retryable or attempt >= policy.max_attempts:
        outbox.finish(item.id, "dead", error=exc.detail)
        return "dead"
    delay = max(exc.retry_after or 0.0, policy.delay(attempt, rng))
    outbox.retry_later(item.id, at=datetime.now(UTC) + timedelta(seconds=delay), error=exc.detail)
    return "retried"


def _attempt(
    outbox: Outbox,
    connector: Connector,
    limiter: RateLimiter,
    item: OutboxItem,
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], None],
    report: DeliveryReport,
) -> bool:
    """One delivery attempt of one write, its outcome recorded and logged.

    Returns False when the attempt failed in a way retrying may fix (the CRM looks unwell).
    """
    wanted = values_of(item.payload)
    started = time.monotonic()
    outcome, status, healthy = "delivered", 0, True
    try:
        wait = limiter.delay()
        if wait > 0:
            sleep(wait)
        report.calls += 1
        if same_values(connector.read(item.contact_id), wanted):
            outcome = "skipped"
        else:
            limiter_wait = limiter.delay()
            if limiter_wait > 0:
                sleep(limiter_wait)
            connector.write(item.contact_id, wanted)
        outbox.finish(item.id, outcome)  # type: ignore[arg-type]  # delivered or skipped
    except CrmError as exc:
        status = exc.status
        outcome = _failed(outbox, limiter, item, exc, policy, rng)
        healthy = not exc.retryable
    report.count(item.crm, outcome)
    log.info(
        "crm=%s outbox=%s attempt=%d outcome=%s status=%s ms=%.0f",
        item.crm,
        item.id,
        item.attempts + 1,
        outcome,
        status or "-",
        (time.monotonic() - started) * 1000,
    )
    return healthy


__all__ = ["BatchConnector", "DeliveryReport", "RetryPolicy", "deliver", "same_values"]
