"""The matching HTTP service (BentoML 1.4): a thin layer over ``matching.serving.Matcher``.

Run it with ``make serve`` or ``bentoml serve service.service:Matching`` from the repository
root. Settings come from the environment (README, "Settings"); API keys from
``MATCHING_API_KEYS`` or the keys file (``matching keys create NAME``).
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

from matching.settings import configure_offline

# Before BentoML, MLflow or transformers are imported: nothing may call home.
configure_offline()

import bentoml  # noqa: E402
from fastapi import FastAPI, Query  # noqa: E402
from fastapi import Path as PathParam  # noqa: E402
from fastapi.exceptions import HTTPException  # noqa: E402
from pydantic import Field  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import RedirectResponse, Response  # noqa: E402

from matching.crm import InboundHooks  # noqa: E402
from matching.errors import MatchingError  # noqa: E402
from matching.schemas import Profile  # noqa: E402
from matching.serving import (  # noqa: E402
    PAGE_PATH,
    ApiKeys,
    CallContext,
    CandidateDetail,
    CandidateInput,
    CandidateStored,
    CrmQueued,
    CrmQueueRequest,
    Deletion,
    ExternalId,
    FeedbackItem,
    FeedbackList,
    FeedbackQuery,
    FeedbackRequest,
    Id,
    KnockoutRule,
    Matcher,
    ModelInfo,
    NoQuery,
    Note,
    Reason,
    RedactClientErrors,
    RequisitionInput,
    RequisitionList,
    RequisitionQuery,
    RequisitionStored,
    ReviewQuery,
    ReviewRequestInput,
    ReviewRequestItem,
    ReviewRequestList,
    ScoreRequest,
    ScoreResponse,
    ServiceMiddleware,
    ShortlistRequest,
    ShortlistResponse,
    Text,
    Verdict,
    answer_hook,
    recruiter_page,
    status_for,
)
from matching.store import Inbox  # noqa: E402


class ApiError(bentoml.exceptions.BentoMLException):
    """A ``MatchingError`` on its way out: the middleware turns it into an ``ErrorBody``."""

    def __init__(self, exc: MatchingError) -> None:
        import json
        from http import HTTPStatus

        super().__init__(json.dumps(exc.to_dict()), error_code=HTTPStatus(status_for(exc.code)))


T = TypeVar("T")
# Two processes use both cores of a small machine (each is held to about one by Python's lock).
WORKERS = int(os.environ.get("MATCHING_WORKERS", "2"))
FULL_COLLECTION_EVERY_S = 300.0
routes = FastAPI(title="matching", openapi_url=None, docs_url=None, redoc_url=None)


def _context(ctx: bentoml.Context) -> CallContext:
    state = ctx.request.state
    return CallContext(
        request_id=getattr(state, "request_id", "unknown"), caller=getattr(state, "caller", None)
    )


@bentoml.asgi_app(routes, path="/")
@bentoml.service(
    name="matching",
    workers=WORKERS,
    # One thread per process: more only queue on each other's store writes (benchmarks/).
    threads=int(os.environ.get("MATCHING_THREADS", "1")),
    # BentoML splits the limit between the processes; keep 64 in flight per process.
    traffic={"timeout": 120, "max_concurrency": 64 * WORKERS},
    logging={"access": {"enabled": os.environ.get("MATCHING_ACCESS_LOG", "true") == "true"}},
)
class Matching:
    """Scores and ranks job candidates against requisitions, with reasons.

    Every route but the health checks, metrics and this document needs an API key in
    `Authorization: Bearer KEY` or `X-API-Key: KEY`. Errors carry a stable `code`, a `message`
    and a `remedy`. Scores are decision support: a person decides.
    """

    def __init__(self) -> None:
        ApiKeys.load()  # refuse to start without keys (E605), before loading anything big
        self.matcher = Matcher.start()
        self.hooks = InboundHooks(Inbox(self.matcher.store), settings=self.matcher.settings)
        _tame_the_garbage_collector()

    def __is_ready__(self) -> bool:
        return self.matcher.ready()

    @bentoml.api(route="/score")
    def score(
        self,
        requisition: RequisitionInput,
        candidates: Annotated[list[CandidateInput], Field(min_length=1, max_length=1000)],
        knockouts: list[KnockoutRule] | None = None,
        ctx: bentoml.Context = None,  # type: ignore[assignment]  # BentoML fills it in
    ) -> ScoreResponse:
        """Score candidates (stored ids, resume text or documents) against one requisition.

        Returns each candidate's score (0-100), rank among those sent, reasons (matched,
        near and missing skills, experience, feature contributions) and knock-outs, which
        are reported beside the score and never change it. A candidate that cannot be read
        gets an entry in `errors`; the others are scored.
        """
        request = ScoreRequest(requisition=requisition, candidates=candidates, knockouts=knockouts)
        return _call(lambda: self.matcher.score(request, _context(ctx)))

    @bentoml.api(route="/shortlist")
    def shortlist(
        self,
        requisition: RequisitionInput,
        top: Annotated[int, Field(ge=1, le=100)] = 10,
        offset: Annotated[int, Field(ge=0, le=10_000)] = 0,
        location: Annotated[str | None, Field(min_length=1, max_length=255)] = None,
        min_score: Annotated[float | None, Field(ge=0, le=100)] = None,
        knockouts: list[KnockoutRule] | None = None,
        exclude_knocked_out: bool = False,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> ShortlistResponse:
        """The best stored candidates for a requisition, one page at a time, with reasons.

        `location` keeps candidates whose parsed location contains it; `min_score` drops
        lower scores; knocked-out candidates keep their place unless `exclude_knocked_out`.
        """
        request = ShortlistRequest(
            requisition=requisition,
            top=top,
            offset=offset,
            location=location,
            min_score=min_score,
            knockouts=knockouts,
            exclude_knocked_out=exclude_knocked_out,
        )
        return _call(lambda: self.matcher.shortlist(request, _context(ctx)))

    @bentoml.api(route="/parse")
    def parse(self, document: Path) -> Profile:
        """Parse an uploaded resume (multipart field `document`: PDF, DOCX, TXT or HTML).

        Nothing is stored.
        """
        return _call(
            lambda: self.matcher.parse(document.read_bytes(), filename=_upload_name(document))
        )

    @bentoml.api(route="/candidates")
    def candidates(
        self,
        document: Path,
        external_id: ExternalId | None = None,
        crm: Annotated[str | None, Field(min_length=1, max_length=32)] = None,
        crm_contact_id: ExternalId | None = None,
    ) -> CandidateStored:
        """Store a resume (multipart field `document`): parse, embed and add it to the pool.

        `external_id` (a CRM or ATS id) names the candidate: a new document under a known
        id replaces the old one. Without it, the same file sent twice is stored once.
        `crm` with `crm_contact_id` links the candidate to that CRM contact, so that their
        scores are written back into it (the CRM must be in MATCHING_CRM).
        """
        return _call(
            lambda: self.matcher.add_candidate(
                document.read_bytes(),
                filename=_upload_name(document),
                external_id=external_id,
                crm=crm,
                crm_contact_id=crm_contact_id,
            )
        )

    @bentoml.api(route="/requisitions")
    def requisitions(self, text: Text, external_id: ExternalId | None = None) -> RequisitionStored:
        """Store a job posting (parsed and embedded once) so that calls can name it by id."""
        return _call(lambda: self.matcher.add_requisition(text, external_id=external_id))

    @bentoml.api(route="/requisitions/upload")
    def requisition_upload(
        self, document: Path, external_id: ExternalId | None = None
    ) -> RequisitionStored:
        """Store a job posting sent as a file (multipart field `document`: PDF, DOCX, TXT or
        HTML), as POST /requisitions does with its text."""
        return _call(
            lambda: self.matcher.add_requisition_document(
                document.read_bytes(), filename=_upload_name(document), external_id=external_id
            )
        )

    @bentoml.api(route="/feedback")
    def feedback(
        self,
        requisition_id: Id,
        candidate_id: Id,
        decision: Verdict,
        reason: Reason | None = None,
        shown_request_id: Id | None = None,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> FeedbackItem:
        """Record a recruiter's decision (`advance` or `reject`, with an optional reason).

        Stored as a labelled pair for retraining, with the reviewer (the key's name) and the
        latest score, rank and model version of the pair; never joined with protected
        attributes. `shown_request_id` names the shortlist request the recruiter was reading.
        """
        request = FeedbackRequest(
            requisition_id=requisition_id,
            candidate_id=candidate_id,
            decision=decision,
            reason=reason,
            shown_request_id=shown_request_id,
        )
        return _call(lambda: self.matcher.record_feedback(request, _context(ctx)))

    @bentoml.api(route="/review-requests")
    def review_request(
        self,
        candidate_id: Id,
        requisition_id: Id | None = None,
        note: Note | None = None,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> ReviewRequestItem:
        """Record that a candidate asked for a person to review a decision about them."""
        request = ReviewRequestInput(
            candidate_id=candidate_id, requisition_id=requisition_id, note=note
        )
        return _call(lambda: self.matcher.request_review(request, _context(ctx)))

    @bentoml.api(route="/crm/queue")
    def crm_queue(
        self,
        requisition_id: Id,
        candidate_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)],
    ) -> CrmQueued:
        """Send to CRM: queue the write-back of these candidates' latest scores for a
        requisition to the configured CRMs (MATCHING_CRM).

        Says how many writes were queued, which candidates have no contact in those CRMs and
        which were never scored for the requisition.
        """
        request = CrmQueueRequest(requisition_id=requisition_id, candidate_ids=candidate_ids)
        return _call(lambda: self.matcher.queue_write_back(request))

    @routes.get("/model", response_model=ModelInfo, tags=["Service APIs"])
    def model(self) -> ModelInfo:
        """The model in service: name, version, aliases, training date, audit and evaluation."""
        return self.matcher.info()

    @routes.get("/requisitions", response_model=RequisitionList, tags=["Service APIs"])
    def list_requisitions(self, query: Annotated[RequisitionQuery, Query()]) -> RequisitionList:
        """The stored requisitions, the most recently stored first, one page at a time."""
        return _answer(lambda: self.matcher.requisitions(query))

    @routes.get("/candidates/{candidate_id}", response_model=CandidateDetail, tags=["Service APIs"])
    def get_candidate(
        self,
        candidate_id: Annotated[Id, PathParam(description="The stored candidate's id.")],
        query: Annotated[NoQuery, Query()],
    ) -> CandidateDetail:
        """A stored candidate: the parsed profile with the evidence of each skill (the span it
        was read from), the document it came from, their latest score for each requisition
        with the model version, recruiters' decisions and review requests."""
        return _answer(lambda: self.matcher.candidate(candidate_id))

    @routes.get("/feedback", response_model=FeedbackList, tags=["Service APIs"])
    def list_feedback(self, query: Annotated[FeedbackQuery, Query()]) -> FeedbackList:
        """Recruiters' decisions as labelled pairs (label 1 advance, 0 reject), oldest first.

        Strong labels for retraining and evaluation; `matching feedback export` writes them
        to CSV.
        """
        return _answer(lambda: self.matcher.feedback(query))

    @routes.get("/review-requests", response_model=ReviewRequestList, tags=["Service APIs"])
    def list_review_requests(self, query: Annotated[ReviewQuery, Query()]) -> ReviewRequestList:
        """Candidates' requests for a human review, the most recent first."""
        return _answer(lambda: self.matcher.review_requests(query))

    @routes.delete("/candidates/{candidate_id}", response_model=Deletion, tags=["Service APIs"])
    def delete_candidate(
        self, candidate_id: Annotated[Id, PathParam(description="The stored candidate's id.")]
    ) -> Deletion:
        """Delete a candidate with every derived record (documents, profiles, embeddings,
        scores, cached vectors, protected attributes); decision-log entries are kept, unlinked.

        Deleting an unknown id is not an error: `deleted` is false.
        """
        try:
            return self.matcher.delete_candidate(candidate_id)
        except MatchingError as exc:
            raise HTTPException(status_for(exc.code), detail=exc.to_dict()) from exc

    @routes.post("/crm/hooks/keap", include_in_schema=False)
    async def keap_hook(self, request: Request) -> Response:
        """Keap REST hooks (URL with ?token=MATCHING_KEAP_HOOK_SECRET): the X-Hook-Secret
        handshake, then contact events, queued for `matching crm rescore`."""
        return await answer_hook(self.hooks.keap, request)

    @routes.post("/crm/hooks/hubspot", include_in_schema=False)
    async def hubspot_hook(self, request: Request) -> Response:
        """HubSpot webhooks (v3 signature with MATCHING_HUBSPOT_CLIENT_SECRET): contact
        events, queued for `matching crm rescore`."""
        return await answer_hook(self.hooks.hubspot, request)


# BentoML saves an upload with NamedTemporaryFile(suffix=<the client's file name>), so the
# name it hands over starts with tempfile's "tmp" and eight random characters.
_TEMPORARY_PREFIX = re.compile(r"^tmp[a-z0-9_]{8}")


def _tame_the_garbage_collector() -> None:
    """Keep full garbage collections off the request path.

    The libraries, the model and the server leave ~850,000 objects that live as long as the
    process; a full collection scanning them paused requests for about 0.5 s every few seconds
    under load (benchmarks/bench_service.py), and even with them frozen, full collections of
    what requests leave behind took 30-90 ms. So: freeze what exists after start-up, run no
    automatic full collection, and collect fully once every few minutes from a thread instead
    (young objects are still collected as usual).
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000_000)

    def collect_now_and_then() -> None:
        while True:
            time.sleep(FULL_COLLECTION_EVERY_S)
            gc.collect()

    threading.Thread(target=collect_now_and_then, name="full-gc", daemon=True).start()


def _upload_name(document: Path) -> str:
    """The file name the client sent (the type hint and the name in messages and records)."""
    return _TEMPORARY_PREFIX.sub("", document.name, count=1) or "document"


def _reading_errors_are_bad_input(spec: type[Any]) -> None:
    """Make an unreadable body (invalid multipart data, no boundary) a 400, not a 500.

    Starlette refuses such a body with its own ``HTTPException``, which BentoML does not expect
    while it reads the input and so answers 500.
    """
    parse = spec.from_http_request

    async def from_http_request(cls: type[Any], request: Request, serde: Any) -> Any:
        try:
            return await parse(request, serde)
        except StarletteHTTPException as exc:
            if exc.status_code >= 500:
                raise
            raise bentoml.exceptions.BadInput(str(exc.detail)) from exc

    spec.from_http_request = classmethod(from_http_request)


def _call(work: Callable[[], T]) -> T:
    try:
        return work()
    except MatchingError as exc:
        raise ApiError(exc) from exc


def _answer(work: Callable[[], T]) -> T:
    """``_call`` for the mounted FastAPI routes (the middleware rewrites the error body)."""
    try:
        return work()
    except MatchingError as exc:
        raise HTTPException(status_for(exc.code), detail=exc.to_dict()) from exc


@routes.get(PAGE_PATH, include_in_schema=False)
def page_root() -> RedirectResponse:
    """The recruiter page lives at /ui/ (relative links need the slash)."""
    return RedirectResponse(PAGE_PATH + "/", status_code=308)


routes.mount(PAGE_PATH, recruiter_page(), name="recruiter-page")


def _document_shared_paths() -> None:
    """Keep both methods of a path that a BentoML API and a mounted route share in /docs.json.

    BentoML builds the document from its APIs' paths and then puts the mounted app's paths
    over them, so a path with a BentoML POST and a mounted GET (POST and GET /requisitions)
    would be documented with the GET only. The wrapped builder puts the POST back.
    """
    import importlib

    import attr

    openapi: Any = importlib.import_module("_bentoml_sdk.service.openapi")

    build = openapi.generate_spec
    if getattr(build, "__matching_merged__", False):
        return

    def generate_spec(svc: Any, **kwargs: Any) -> Any:
        spec = build(svc, **kwargs)
        for path, item in openapi._get_api_routes(svc).items():
            shown = spec.paths.get(path)
            if shown is not None and shown.post is None:
                spec.paths[path] = attr.evolve(shown, post=item.post)
        return spec

    generate_spec.__matching_merged__ = True  # type: ignore[attr-defined]
    openapi.generate_spec = generate_spec


_document_shared_paths()
# BentoML logs each failed request with its exception; keep request content out of the log.
logging.getLogger("bentoml._internal.server.http_app").addFilter(RedactClientErrors())

# `bentoml.service` returns a Service object (typed as the class by its stubs).
_service = cast("bentoml.Service[Matching]", Matching)
_service.add_asgi_middleware(ServiceMiddleware)
# BentoML's input models ignore unknown top-level fields; ours refuse them at every level, so
# that a misspelt option (`exclude_knockedout`) is an error rather than silently the default.
for _api in _service.apis.values():
    _api.input_spec.model_config["extra"] = "forbid"
    if _api.input_spec.multipart_fields:
        # BentoML reads each multipart form field as JSON when it can: an id made of digits (a
        # Keap or HubSpot contact id, a numeric external_id) arrives as a number. Take it as
        # the text it was sent as.
        _api.input_spec.model_config["coerce_numbers_to_str"] = True
    _api.input_spec.model_rebuild(force=True)
    _reading_errors_are_bad_input(_api.input_spec)
