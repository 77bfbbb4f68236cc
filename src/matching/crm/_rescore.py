"""Act on the CRM inbox: re-score the contacts that changed, unlink the deleted ones.

``matching crm rescore`` (and ``matching crm sync`` first, when events are pending) claims
pending inbox events and, per contact:

- a deletion (``contact.delete``, ``contact.deletion``, a merged-away contact) forgets the
  contact: its link and its pending writes go (``Outbox.unlink``); state ``done``, or
  ``ignored`` when it was not linked;
- our own writes are ``ignored`` (see :func:`own_write`);
- a contact linked to a candidate (``Outbox.candidate_of``) is re-scored by the registered model
  against every requisition the candidate already has scores for, and the scores are recorded
  with ``write_back=(crm,)``, so that the outbox delivers them: state ``done``. An edit can make
  the contact's fields stale (a person cleared our field, a new model is in service). The write
  (with a new scored-at time) makes the CRM report an edit in turn, which is recognised as our
  own, so that nothing loops;
- a contact linked to no candidate is ``unlinked``: ``matching crm status`` lists them, so that
  integrators upload that person's resume with ``crm_contact_id``.

Several events of one contact in a batch are acted on once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from matching.crm._base import FIELDS
from matching.crm._inbound import value_hash
from matching.errors import InputError
from matching.store import Inbox, InboxItem, NewScore, Outbox, OutboxItem, Store, text_hash

log = logging.getLogger("matching.crm")

# Edit events that do not say what changed (Keap's): only the time-window heuristic applies.
VAGUE_EDITS = frozenset({"contact.edit"})


@dataclass
class RescoreReport:
    """What one :func:`rescore` run did: events by outcome, and contacts by action."""

    events: int = 0
    done: int = 0
    ignored: int = 0
    unlinked: int = 0
    rescored: int = 0  # contacts re-scored
    scores: int = 0  # scores recorded
    deleted: int = 0  # contacts forgotten (deleted in the CRM)
    writes_dropped: int = 0  # their pending writes


class Scorer(Protocol):
    """Scores one stored candidate against stored requisitions.

    ``score`` returns ``(requisition id, NewScore)`` pairs; none when the candidate cannot be
    scored (not in the model's pool).
    """

    model_name: str
    model_version: str

    def score(
        self, candidate_id: str, requisition_ids: Sequence[str]
    ) -> list[tuple[str, NewScore]]: ...


class RankerScorer:
    """The registered model over the stored pool (vectors reused, nothing re-embedded).

    A candidate's rank is their place among the requisition's recorded scores of the same model
    (1 + the number of other candidates scored higher).

    Parameters
    ----------
    ranker : matching.ranking.CandidateRanker
        As ``matching.registry.load_candidate_ranker`` returns it.
    store
        The store of candidates, requisitions and scores.
    """

    def __init__(self, ranker: object, store: Store) -> None:
        from matching.ranking import CandidateRanker

        if not isinstance(ranker, CandidateRanker):
            raise TypeError("ranker must be a matching.ranking.CandidateRanker")
        self.ranker = ranker
        self.store = store
        registry = ranker.metadata.get("registry") or {}
        self.model_name = str(registry.get("name") or registry.get("uri") or "in-memory")
        self.model_version = str(registry.get("version") or "")

    @classmethod
    def load(cls, store: Store, uri: str | None = None) -> RankerScorer:
        """The model at ``uri`` (default ``MATCHING_MODEL_URI``, else the champion)."""
        from matching.registry import load_candidate_ranker
        from matching.settings import get_settings

        return cls(load_candidate_ranker(uri or get_settings().model_uri), store)

    def score(
        self, candidate_id: str, requisition_ids: Sequence[str]
    ) -> list[tuple[str, NewScore]]:
        """The candidate's new score for each requisition (none when not in the pool)."""
        from matching.ranking import Shortlister

        featurizer = self.ranker.featurizer()
        pool = self.store.pool(featurizer.encoder.model_id, candidate_ids=[candidate_id])
        if len(pool.candidate_ids) != 1:
            return []
        (prepared,) = Shortlister.from_pool(self.ranker, pool).prepare([0])
        candidate_sha = text_hash(pool.texts[0])
        out: list[tuple[str, NewScore]] = []
        for requisition_id in requisition_ids:
            stored = self.store.get_requisition(requisition_id)
            if stored is None:
                continue
            (scored,) = self.ranker.score_prepared(
                featurizer.prepare_requisition(stored.text, stored.requisition),
                stored.text,
                [prepared],
                model_name=self.model_name,
                model_version=self.model_version,
            )
            others = self.store.scores_for(
                requisition_id, model_name=self.model_name, model_version=self.model_version
            )
            rank = 1 + sum(
                1 for s in others if s.candidate_id != candidate_id and s.score > scored.score
            )
            out.append(
                (
                    requisition_id,
                    NewScore(
                        candidate_id=candidate_id,
                        score=scored.score,
                        rank=rank,
                        reasons=scored.reasons,
                        input_sha256=text_hash(stored.sha256 + candidate_sha),
                    ),
                )
            )
        return out


def delivered_hashes(deliveries: Sequence[OutboxItem]) -> set[str]:
    """Hashes (``matching.crm.value_hash``) of every value written by ``deliveries``."""
    return {value_hash(name, d.payload.get(name)) for d in deliveries for name in FIELDS}


def own_write(
    item: InboxItem, deliveries: Sequence[OutboxItem], *, window: timedelta
) -> str | None:
    """Why ``item`` is taken for an effect of our own writes (a note), or None.

    - A change of one of our own fields (HubSpot names the property) is never acted on: its
      value is compared with what we delivered to the contact ("our own write"), or it falls
      within ``window`` of a delivery (the same, whatever the CRM made of the value); otherwise
      a person or a workflow edited our field, and re-scoring would start a tug of war with
      them ("our field edited in the CRM"); the next scoring writes it again.
    - An edit that does not say what changed (Keap's ``contact.edit``) within ``window`` of a
      write delivered to the contact is taken for ours. A heuristic: a person's edit within the
      window is missed too (the contact keeps its current score, which is still valid).
    """
    moment = item.occurred_at or item.received_at

    def near() -> bool:
        return any(
            d.delivered_at is not None and abs(moment - d.delivered_at) <= window
            for d in deliveries
        )

    if item.property is not None:
        if item.value_sha256 is not None and item.value_sha256 in delivered_hashes(deliveries):
            return "our own write"
        if near():
            return f"our own write (within {window.total_seconds():.0f} s of a delivered write)"
        return "our field edited in the CRM; not re-scored"
    if item.event == "edit" and item.event_key in VAGUE_EDITS and near():
        return (
            f"our own write (heuristic: within {window.total_seconds():.0f} s of a delivered write)"
        )
    return None


def rescore(
    inbox: Inbox,
    outbox: Outbox,
    store: Store,
    scorer: Callable[[], Scorer],
    *,
    write_back: Collection[str],
    window: timedelta = timedelta(seconds=120),
    batch: int = 100,
    lease: timedelta = timedelta(minutes=10),
    on_progress: Callable[[RescoreReport], None] | None = None,
) -> RescoreReport:
    """Act on every pending inbox event (see the module docstring).

    Parameters
    ----------
    inbox, outbox, store
        Of the same store.
    scorer
        Called once, when the first contact needs scoring (loading a model takes a while).
    write_back
        CRMs whose new scores are queued for writing (``MATCHING_CRM``); a contact of another
        CRM is re-scored without a write.
    window
        ``MATCHING_CRM_OWN_WRITE_WINDOW_S`` (see :func:`own_write`).
    batch, lease
        Events claimed at a time, and how long they are held.

    A failure (the model cannot be loaded, the store fails) leaves the unfinished events
    pending and is raised.
    """
    report = RescoreReport()
    loaded: list[Scorer] = []

    def get_scorer() -> Scorer:
        if not loaded:
            loaded.append(scorer())
        return loaded[0]

    while True:
        items = inbox.claim(limit=batch, lease=lease)
        if not items:
            return report
        open_ids = {i.id for i in items}
        try:
            groups: dict[tuple[str, str], list[InboxItem]] = {}
            for item in items:
                groups.setdefault((item.crm, item.contact_id), []).append(item)
            for (crm, contact_id), group in groups.items():
                _act(
                    inbox,
                    outbox,
                    store,
                    get_scorer,
                    crm,
                    contact_id,
                    group,
                    report=report,
                    write_back=write_back,
                    window=window,
                )
                open_ids.difference_update(i.id for i in group)
                if on_progress is not None:
                    on_progress(report)
        finally:
            if open_ids:
                inbox.release(open_ids)


def _finish(
    inbox: Inbox,
    items: Sequence[InboxItem],
    state: str,
    note: str,
    report: RescoreReport,
) -> None:
    if not items:
        return
    inbox.finish([i.id for i in items], state, note=note)  # type: ignore[arg-type]  # a state
    setattr(report, state, getattr(report, state) + len(items))
    report.events += len(items)


def _act(
    inbox: Inbox,
    outbox: Outbox,
    store: Store,
    scorer: Callable[[], Scorer],
    crm: str,
    contact_id: str,
    items: Sequence[InboxItem],
    *,
    report: RescoreReport,
    write_back: Collection[str],
    window: timedelta,
) -> None:
    """Act on one contact's events."""
    ref = _ref(crm, contact_id)
    deletions = [i for i in items if i.event == "delete"]
    if deletions:
        linked = outbox.candidate_of(crm, contact_id) is not None
        dropped = outbox.unlink(crm, contact_id)
        report.writes_dropped += dropped
        if linked:
            report.deleted += 1
            _finish(inbox, deletions, "done", "contact deleted in the CRM: unlinked", report)
        else:
            _finish(
                inbox, deletions, "ignored", "contact deleted in the CRM; it was not linked", report
            )
        rest = [i for i in items if i.event != "delete"]
        _finish(inbox, rest, "ignored", "contact deleted in the CRM", report)
        log.info(
            "crm=%s contact=%s deleted: unlinked, %d pending writes dropped", crm, ref, dropped
        )
        return
    deliveries = outbox.deliveries(crm, contact_id)
    todo: list[InboxItem] = []
    for item in items:
        reason = own_write(item, deliveries, window=window)
        if reason is None:
            todo.append(item)
        else:
            _finish(inbox, [item], "ignored", reason, report)
    if not todo:
        return
    candidate_id = outbox.candidate_of(crm, contact_id)
    if candidate_id is None:
        _finish(inbox, todo, "unlinked", "no candidate is linked to this contact", report)
        return
    requisitions = store.requisitions_scored(candidate_id)
    if not requisitions:
        _finish(inbox, todo, "done", "the linked candidate has no scores yet", report)
        return
    active = scorer()
    scores = active.score(candidate_id, requisitions)
    if not scores:
        _finish(
            inbox,
            todo,
            "ignored",
            "the linked candidate has no vectors for the model's encoder; ingest them again",
            report,
        )
        return
    crms = (crm,) if crm in write_back else ()
    recorded = 0
    for requisition_id, new in scores:
        try:
            store.record_scores(
                requisition_id,
                [new],
                model_name=active.model_name,
                model_version=active.model_version,
                write_back=crms,
            )
            recorded += 1
        except InputError:
            # The candidate or requisition was deleted meanwhile: nothing to write.
            continue
    report.rescored += 1
    report.scores += recorded
    note = f"re-scored for {recorded} requisition(s)"
    if not crms:
        note += f"; not written back ({crm} is not in MATCHING_CRM)"
    _finish(inbox, todo, "done", note, report)
    log.info("crm=%s contact=%s re-scored for %d requisitions", crm, ref, recorded)


def _ref(crm: str, contact_id: str) -> str:
    """A short hash of a contact id for the log (ids are not logged)."""
    return hashlib.sha256(f"{crm}:{contact_id}".encode()).hexdigest()[:12]


__all__ = [
    "VAGUE_EDITS",
    "RankerScorer",
    "RescoreReport",
    "Scorer",
    "delivered_hashes",
    "own_write",
    "rescore",
]
