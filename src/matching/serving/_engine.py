"""What the HTTP service does, without HTTP: resolve inputs, score, shortlist, log decisions."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from matching.errors import Errors, InputError, MatchingError
from matching.features import PreparedCandidate, PreparedRequisition
from matching.ranking import CandidateRanker, KnockoutRules
from matching.schemas import Profile, ScoredCandidate
from matching.serving._api import (
    CandidateDetail,
    CandidateInput,
    CandidateStored,
    CrmQueued,
    CrmQueueRequest,
    Deletion,
    FeedbackItem,
    FeedbackList,
    FeedbackQuery,
    FeedbackRequest,
    ItemError,
    KnockoutRule,
    ModelInfo,
    ModelRef,
    RequisitionInput,
    RequisitionList,
    RequisitionQuery,
    RequisitionStored,
    ReviewQuery,
    ReviewRequestInput,
    ReviewRequestItem,
    ReviewRequestList,
    ScoredItem,
    ScoreRequest,
    ScoreResponse,
    ShortlistRequest,
    ShortlistResponse,
)
from matching.serving._pool import LivePool
from matching.serving._views import (
    candidate_score,
    document_summary,
    feedback_item,
    next_offset,
    requisition_summary,
    review_item,
    skill_evidence,
)
from matching.settings import Settings, get_settings
from matching.store import (
    Decision,
    Feedback,
    NewScore,
    Outbox,
    ReviewRequests,
    Store,
    StoredRequisition,
    ingest_document,
    parse_document,
    text_hash,
)

log = logging.getLogger("matching.service")

_CACHED_REQUISITIONS = 256


@dataclass(frozen=True)
class CallContext:
    """Who asked and which request it was (for the decision log; never personal data)."""

    request_id: str
    caller: str | None = None


@dataclass(frozen=True)
class _Source:
    """Where a scored candidate came from: request position, stored ids, hash of the text."""

    index: int
    ref: str | None
    candidate_id: str | None
    external_id: str | None
    sha256: str


@dataclass(frozen=True)
class _Resolved:
    """A candidate of a score request, ready to score."""

    source: _Source
    prepared: PreparedCandidate


class Matcher:
    """The service's work: one loaded model, the store and the in-memory pool.

    Build it with :meth:`start`; every method is safe to call from several threads.

    Parameters
    ----------
    model
        The loaded ranker (``metadata["registry"]`` names its registered version).
    store
        The store of candidates, requisitions, scores and the decision log.
    facts
        What ``matching.registry.describe_model`` says about the model (or a subset).
    settings
        Limits and defaults.
    """

    def __init__(
        self,
        model: CandidateRanker,
        store: Store,
        *,
        facts: dict[str, object] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.model = model
        self.store = store
        self.settings = settings if settings is not None else get_settings()
        self.pool = LivePool(model, store)
        registry = dict(model.metadata.get("registry") or {})
        self.ref = ModelRef(
            name=registry.get("name"),
            version=registry.get("version"),
            uri=str(registry.get("uri") or "in-memory"),
        )
        self.facts = dict(facts or {})
        self.knockouts = KnockoutRules.from_names(self.settings.knockouts.split(","))
        from matching.crm import configured_crms

        # Scores of candidates linked to a contact in these CRMs are queued for write-back.
        self.write_back = configured_crms(self.settings)
        self._requisitions: OrderedDict[str, PreparedRequisition] = OrderedDict()
        self._recent: OrderedDict[str, StoredRequisition] = OrderedDict()
        self._by_external: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def start(
        cls,
        settings: Settings | None = None,
        *,
        warm: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> Matcher:
        """Load the configured model (``MATCHING_MODEL_URI``, default the champion) and the pool.

        Raises
        ------
        matching.errors.ConfigError
            When the model or the store cannot be loaded (the error says which and why).
        """
        from matching.registry import describe_model, load_candidate_ranker

        settings = settings if settings is not None else get_settings()
        started = time.perf_counter()
        model = load_candidate_ranker(settings.model_uri)
        registry = model.metadata.get("registry") or {}
        facts: dict[str, object] = {}
        if registry.get("name") and registry.get("version"):
            facts = describe_model(str(registry["name"]), str(registry["version"]))
        store = Store.open(settings=settings)
        matcher = cls(model, store, facts=facts, settings=settings)
        matcher._sync()
        if warm:
            matcher.pool.warm(progress=progress)
        log.info(
            "model %s version %s loaded with %d pooled candidates in %.1f s",
            matcher.ref.name,
            matcher.ref.version,
            len(matcher.pool),
            time.perf_counter() - started,
        )
        return matcher

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def ready(self) -> bool:
        """Whether the store answers (the model is loaded once the matcher exists)."""
        try:
            self.store.latest_change()
        except SQLAlchemyError:
            log.warning("the store does not answer", exc_info=True)
            return False
        return True

    # -- model --------------------------------------------------------------------------
    def info(self) -> ModelInfo:
        """The model in service, its audit status and evaluation, and the pool's size."""
        self._sync()  # the pool's size as the store has it, whichever process added to it
        facts = self.facts

        def strings(key: str) -> dict[str, str]:
            value = facts.get(key)
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

        aliases = facts.get("aliases")
        return ModelInfo(
            uri=self.ref.uri,
            name=self.ref.name,
            version=self.ref.version,
            aliases=[str(a) for a in aliases] if isinstance(aliases, list) else [],
            run_id=_optional(facts.get("run_id")),
            registered_at=_optional(facts.get("registered_at")),
            trained_at=_optional(facts.get("trained_at")),
            embedding_model=self.model.embedding_model,
            audit=strings("audit"),
            evaluation=strings("evaluation"),
            pool_size=len(self.pool),
        )

    # -- requisitions -------------------------------------------------------------------
    def add_requisition(self, text: str, *, external_id: str | None = None) -> RequisitionStored:
        """Store (or find) a posting and prepare it, so later calls can name it by id."""
        stored, _ = self._requisition(RequisitionInput(text=text, external_id=external_id))
        summary = requisition_summary(stored)
        return RequisitionStored.model_validate(summary.model_dump(exclude={"created_at"}))

    def add_requisition_document(
        self, data: bytes, *, filename: str, external_id: str | None = None
    ) -> RequisitionStored:
        """Store a posting sent as a file (PDF, DOCX, TXT, HTML), as :meth:`add_requisition`."""
        from matching.parsing import extract_text

        extracted = extract_text(data, filename=filename, settings=self.settings)
        return self.add_requisition(extracted.text, external_id=external_id)

    def requisitions(self, query: RequisitionQuery) -> RequisitionList:
        """One page of the stored requisitions, the most recently stored first."""
        total = self.store.count_requisitions()
        found = self.store.list_requisitions(limit=query.limit, offset=query.offset)
        return RequisitionList(
            total=total,
            offset=query.offset,
            next_offset=next_offset(query.offset, len(found), total),
            results=[requisition_summary(r) for r in found],
        )

    def _requisition(
        self, given: RequisitionInput
    ) -> tuple[StoredRequisition, PreparedRequisition]:
        """The stored requisition (from memory when unchanged since) and its preparation."""
        from matching.parsing import parse_requisition_text

        if given.text is not None:
            stored = self.store.add_requisition(
                given.text, parse_requisition_text(given.text), external_id=given.external_id
            )
        else:
            found = self._stored_requisition(given.id, given.external_id)
            if found is None:
                field, value = ("id", given.id) if given.id else ("external_id", given.external_id)
                raise InputError(Errors.E603, what="requisition", field=field, value=value)
            stored = found
        with self._lock:
            self._recent[stored.id] = stored
            self._recent.move_to_end(stored.id)
            if stored.external_id:
                self._by_external[stored.external_id] = stored.id
            while len(self._recent) > _CACHED_REQUISITIONS:
                dropped = self._recent.popitem(last=False)[1]
                self._by_external.pop(dropped.external_id or "", None)
        return stored, self._prepared_requisition(stored)

    def _stored_requisition(
        self, requisition_id: str | None, external_id: str | None
    ) -> StoredRequisition | None:
        with self._lock:
            if requisition_id is None and external_id is not None:
                requisition_id = self._by_external.get(external_id)
            cached = self._recent.get(requisition_id) if requisition_id else None
        if cached is not None:
            return cached
        if requisition_id is not None:
            return self.store.get_requisition(requisition_id)
        return self.store.find_requisition(external_id) if external_id else None

    def _sync(self) -> None:
        """Apply changes made by any process: the pool's, and requisitions kept in memory."""
        changes = self.pool.sync()
        with self._lock:
            if changes.requisition_ids is None:
                self._recent.clear()
                self._by_external.clear()
                return
            for requisition_id in changes.requisition_ids:
                dropped = self._recent.pop(requisition_id, None)
                if dropped is not None and dropped.external_id:
                    self._by_external.pop(dropped.external_id, None)

    def _prepared_requisition(self, stored: StoredRequisition) -> PreparedRequisition:
        with self._lock:
            prepared = self._requisitions.get(stored.sha256)
            if prepared is not None:
                self._requisitions.move_to_end(stored.sha256)
                return prepared
        prepared = self.model.featurizer().prepare_requisition(stored.text, stored.requisition)
        with self._lock:
            self._requisitions[stored.sha256] = prepared
            while len(self._requisitions) > _CACHED_REQUISITIONS:
                self._requisitions.popitem(last=False)
        return prepared

    # -- candidates -----------------------------------------------------------------------
    def parse(self, data: bytes, *, filename: str) -> Profile:
        """Parse an uploaded resume (nothing is stored)."""
        _, profile, _ = parse_document(filename, data, self.settings)
        return profile

    def add_candidate(
        self,
        data: bytes,
        *,
        filename: str,
        external_id: str | None = None,
        crm: str | None = None,
        crm_contact_id: str | None = None,
    ) -> CandidateStored:
        """Parse, embed and store an uploaded resume; the pool sees it at once.

        With ``crm`` and ``crm_contact_id`` the candidate is linked to that CRM contact: their
        scores are written back there (when ``crm`` is in ``MATCHING_CRM``).
        """
        if (crm is None) != (crm_contact_id is None):
            raise InputError(Errors.E600, detail="give crm and crm_contact_id together")
        if crm is not None and crm.lower() not in self.write_back:
            raise InputError(
                Errors.E600,
                detail=f"crm {crm!r} is not configured for write-back (MATCHING_CRM="
                f"{','.join(self.write_back) or 'none'})",
            )
        done = ingest_document(
            data,
            filename=filename,
            store=self.store,
            encoder=self.model.featurizer().encoder,
            external_id=external_id,
            settings=self.settings,
        )
        if crm is not None and crm_contact_id is not None:
            Outbox(self.store).link(done.candidate_id, crm.lower(), crm_contact_id)
        self._sync()
        return CandidateStored(
            candidate_id=done.candidate_id,
            external_id=done.external_id,
            outcome=done.outcome,
            profile=done.profile,
        )

    def delete_candidate(self, candidate_id: str) -> Deletion:
        """Delete a candidate with every derived record; the pool drops them at once."""
        report = self.store.delete_candidate(candidate_id)
        self._sync()
        rows = {
            "candidates": report.candidates,
            "documents": report.documents,
            "profiles": report.profiles,
            "embeddings": report.embeddings,
            "scores": report.scores,
            "cache_entries": report.cache_entries,
            "protected_attributes": report.protected_attributes,
            "feedback": report.feedback,
            "review_requests": report.review_requests,
        }
        return Deletion(
            candidate_id=candidate_id,
            deleted=report.candidates > 0,
            rows=rows,
            decisions_unlinked=report.decisions_unlinked,
        )

    def candidate(self, candidate_id: str) -> CandidateDetail:
        """A stored candidate: profile, evidence of each skill, latest scores and decisions.

        Protected attributes are never part of it.
        """
        stored = self.store.get_candidate(candidate_id)
        if stored is None:
            raise InputError(Errors.E603, what="candidate", field="id", value=candidate_id)
        document = stored.document
        profile = document.profile if document is not None else None
        scores = self.store.scores_of_candidate(candidate_id)
        titles = self.store.requisition_titles(s.requisition_id for s in scores)
        decisions = Feedback(self.store).entries(candidate_id=candidate_id, latest_only=True)
        reviews = ReviewRequests(self.store).entries(candidate_id=candidate_id, limit=50)
        return CandidateDetail(
            candidate_id=stored.id,
            external_id=stored.external_id,
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            document=document_summary(document) if document is not None else None,
            profile=profile,
            evidence=skill_evidence(profile, document.text if document else None)
            if profile is not None
            else [],
            scores=[candidate_score(s, titles) for s in scores],
            decisions=[feedback_item(e) for e in reversed(decisions)],
            review_requests=[review_item(r) for r in reviews],
            crm_links=Outbox(self.store).links_of(candidate_id),
        )

    # -- recruiters' decisions, review requests, CRM ------------------------------------------
    def record_feedback(self, request: FeedbackRequest, context: CallContext) -> FeedbackItem:
        """Store a recruiter's decision as a labelled pair, with the score and model shown."""
        with _unknown_is_404():
            entry = Feedback(self.store).record(
                request.requisition_id,
                request.candidate_id,
                request.decision,
                request_id=context.request_id,
                reason=request.reason,
                reviewer=context.caller,
                shown_request_id=request.shown_request_id,
            )
        return feedback_item(entry)

    def feedback(self, query: FeedbackQuery) -> FeedbackList:
        """One page of recruiters' decisions, oldest first."""
        feedback = Feedback(self.store)
        requisition_id, latest_only = query.requisition_id, query.latest_only
        total = feedback.count(requisition_id=requisition_id, latest_only=latest_only)
        found = feedback.entries(
            requisition_id=requisition_id,
            latest_only=latest_only,
            limit=query.limit,
            offset=query.offset,
        )
        return FeedbackList(
            total=total,
            offset=query.offset,
            next_offset=next_offset(query.offset, len(found), total),
            results=[feedback_item(e) for e in found],
        )

    def request_review(
        self, request: ReviewRequestInput, context: CallContext
    ) -> ReviewRequestItem:
        """Record a candidate's request for a human review."""
        with _unknown_is_404():
            stored = ReviewRequests(self.store).record(
                request.candidate_id,
                request_id=context.request_id,
                requisition_id=request.requisition_id,
                note=request.note,
                recorded_by=context.caller,
            )
        return review_item(stored)

    def review_requests(self, query: ReviewQuery) -> ReviewRequestList:
        """One page of review requests, the most recent first."""
        reviews = ReviewRequests(self.store)
        total = reviews.count()
        found = reviews.entries(limit=query.limit, offset=query.offset)
        return ReviewRequestList(
            total=total,
            offset=query.offset,
            next_offset=next_offset(query.offset, len(found), total),
            results=[review_item(r) for r in found],
        )

    def queue_write_back(self, request: CrmQueueRequest) -> CrmQueued:
        """Queue the CRM write-back of the candidates' latest scores for a requisition."""
        with _unknown_is_404():
            report = Outbox(self.store).queue_latest(
                request.requisition_id, request.candidate_ids, self.write_back
            )
        return CrmQueued(
            requisition_id=report.requisition_id,
            crms=list(report.crms),
            queued=report.queued,
            queued_candidates=report.queued_candidates,
            unlinked=report.unlinked,
            unscored=report.unscored,
        )

    # -- scoring --------------------------------------------------------------------------
    def score(self, request: ScoreRequest, context: CallContext) -> ScoreResponse:
        """Score the request's candidates; a candidate that cannot be scored gets an error."""
        limit = self.settings.max_candidates_per_request
        if len(request.candidates) > limit:
            raise InputError(
                Errors.E600,
                detail=f"{len(request.candidates)} candidates, over the limit of {limit} per "
                "call (MATCHING_MAX_CANDIDATES_PER_REQUEST)",
            )
        self._sync()
        stored, prepared_req = self._requisition(request.requisition)
        resolved, errors = self._candidates(request.candidates)
        by_id = {r.prepared.candidate_id: r.source for r in resolved}
        scored = self.model.score_prepared(
            prepared_req,
            stored.text,
            [r.prepared for r in resolved],
            model_name=self.ref.name,
            model_version=self.ref.version,
            knockouts=self._rules(request.knockouts),
        )
        items = [self._item(s, by_id[s.candidate_id]) for s in scored]
        self._record("score", context, stored, items, by_id.values())
        return ScoreResponse(
            request_id=context.request_id,
            requisition_id=stored.id,
            model=self.ref,
            results=items,
            errors=errors,
        )

    def _candidates(
        self, given: Sequence[CandidateInput]
    ) -> tuple[list[_Resolved], list[ItemError]]:
        from matching.parsing import extract_text, parse_resume_text

        errors: list[ItemError] = []
        stored: dict[int, str] = {}
        texts: dict[int, tuple[str, Profile]] = {}
        seen: set[str] = set()
        for index, item in enumerate(given):
            try:
                if item.id is not None or item.external_id is not None:
                    candidate_id = self._stored_id(item)
                    if candidate_id in seen:
                        raise InputError(
                            Errors.E600, detail=f"candidate {candidate_id} is listed twice"
                        )
                    seen.add(candidate_id)
                    stored[index] = candidate_id
                elif item.text is not None:
                    texts[index] = (item.text, parse_resume_text(item.text, settings=self.settings))
                elif item.document is not None:
                    data = _decode(item.document.content_base64)
                    extracted = extract_text(
                        data, filename=item.document.filename, settings=self.settings
                    )
                    texts[index] = (
                        extracted.text,
                        parse_resume_text(extracted.text, settings=self.settings),
                    )
            except MatchingError as exc:
                errors.append(ItemError(index=index, ref=item.ref, **exc.to_dict()))
        pooled = self.pool.prepared(list(stored.values()))
        resolved: list[_Resolved] = []
        for index, candidate_id in stored.items():
            prepared = pooled.get(candidate_id)
            if prepared is None:
                error = InputError(Errors.E603, what="candidate", field="id", value=candidate_id)
                errors.append(ItemError(index=index, ref=given[index].ref, **error.to_dict()))
                continue
            resolved.append(
                _Resolved(self._pooled_source(index, given[index].ref, candidate_id), prepared)
            )
        if texts:
            order = sorted(texts)
            fresh = self.model.featurizer().prepare_candidates(
                [(f"#{i}", texts[i][0], texts[i][1]) for i in order]
            )
            for index, prepared in zip(order, fresh, strict=True):
                source = _Source(index, given[index].ref, None, None, text_hash(texts[index][0]))
                resolved.append(_Resolved(source, prepared))
        errors.sort(key=lambda e: e.index)
        return sorted(resolved, key=lambda r: r.source.index), errors

    def _pooled_source(self, index: int, ref: str | None, candidate_id: str) -> _Source:
        return _Source(
            index,
            ref,
            candidate_id,
            self.pool.external_id(candidate_id),
            self.pool.text_sha256(candidate_id),
        )

    def _stored_id(self, item: CandidateInput) -> str:
        if item.id is not None:
            return item.id
        external = str(item.external_id)
        candidate_id = self.pool.find_external(external)
        if candidate_id is None:
            raise InputError(Errors.E603, what="candidate", field="external_id", value=external)
        return candidate_id

    def _rules(self, names: Sequence[KnockoutRule] | None) -> KnockoutRules:
        return self.knockouts if names is None else KnockoutRules.from_names(names)

    @staticmethod
    def _item(scored: ScoredCandidate, source: _Source) -> ScoredItem:
        return ScoredItem(
            index=source.index,
            ref=source.ref,
            candidate_id=source.candidate_id,
            external_id=source.external_id,
            score=scored.score,
            rank=scored.rank,
            reasons=scored.reasons,
            knockouts=scored.knockouts,
            knocked_out=any(k.status == "fail" for k in scored.knockouts),
        )

    # -- shortlists -----------------------------------------------------------------------
    def shortlist(self, request: ShortlistRequest, context: CallContext) -> ShortlistResponse:
        """One page of the stored pool ranked for a requisition, with reasons."""
        self._sync()
        stored, prepared_req = self._requisition(request.requisition)
        shortlister = self.pool.shortlister()
        allowed = self.pool.location_mask(request.location) if request.location else None
        found = shortlister.shortlist(
            stored.text,
            prepared=prepared_req,
            top=request.top,
            offset=request.offset,
            exclude_knocked_out=request.exclude_knocked_out,
            knockouts=self._rules(request.knockouts),
            allowed=allowed,
            model_name=self.ref.name,
            model_version=self.ref.version,
        )
        kept = [
            r for r in found.results if request.min_score is None or r.score >= request.min_score
        ]
        sources = [self._pooled_source(r.rank - 1, None, r.candidate_id) for r in kept]
        items = [self._item(r, s) for r, s in zip(kept, sources, strict=True)]
        self._record("shortlist", context, stored, items, sources)
        more = (
            len(found.results) == request.top
            and len(kept) == len(found.results)
            and request.offset + request.top < found.pool_size
        )
        return ShortlistResponse(
            request_id=context.request_id,
            requisition_id=stored.id,
            model=self.ref,
            pool_size=found.pool_size,
            considered=found.retrieved,
            offset=request.offset,
            next_offset=request.offset + request.top if more else None,
            results=items,
        )

    # -- records --------------------------------------------------------------------------
    def _record(
        self,
        endpoint: str,
        context: CallContext,
        requisition: StoredRequisition,
        items: Sequence[ScoredItem],
        sources: Iterable[_Source],
    ) -> None:
        """Log every served score; keep the latest score of each stored pair."""
        by_index = {s.index: s for s in sources}
        decisions = [
            Decision(
                request_id=context.request_id,
                endpoint=endpoint,
                caller=context.caller,
                requisition_id=requisition.id,
                requisition_sha256=requisition.sha256,
                candidate_id=item.candidate_id,
                candidate_sha256=(by_index[item.index].sha256 if item.index in by_index else ""),
                model_name=self.ref.name or self.ref.uri,
                model_version=self.ref.version or "",
                score=item.score,
                rank=item.rank,
                knocked_out=item.knocked_out,
            )
            for item in items
        ]
        pairs = [
            NewScore(
                candidate_id=item.candidate_id,
                score=item.score,
                rank=item.rank,
                reasons=item.reasons,
                input_sha256=text_hash(requisition.sha256 + by_index[item.index].sha256),
            )
            for item in items
            if item.candidate_id is not None and item.index in by_index
        ]
        model_name, model_version = self.ref.name or self.ref.uri, self.ref.version or ""
        try:
            self.store.record_served(
                requisition.id,
                decisions,
                pairs,
                model_name=model_name,
                model_version=model_version,
                write_back=self.write_back,
            )
        except IntegrityError:
            # A candidate deleted while being scored: keep the entries, unlinked, and the
            # scores of those still stored.
            self.store.log_decisions([replace(d, candidate_id=None) for d in decisions])
            try:
                self.store.record_scores(
                    requisition.id,
                    pairs,
                    model_name=model_name,
                    model_version=model_version,
                    write_back=self.write_back,
                )
            except InputError:
                log.info("a scored candidate was deleted meanwhile; its score is not kept")


@contextmanager
def _unknown_is_404() -> Iterator[None]:
    """The store's "unknown id" (E403, an operator's error elsewhere) as the caller's E603."""
    try:
        yield
    except InputError as exc:
        if exc.code != "E403":
            raise
        what = str(exc.details.get("what", "record"))
        raise InputError(
            Errors.E603, what=what, field="id", value=str(exc.details.get("ids", ""))
        ) from exc


def _decode(content: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(Errors.E604, detail=str(exc)) from exc


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = ["CallContext", "Matcher"]
