"""The HTTP service's logic, apart from HTTP: typed API records, API keys, the live pool.

``service/service.py`` (BentoML) is a thin layer over :class:`Matcher`::

    from matching.serving import CallContext, Matcher, ScoreRequest

    matcher = Matcher.start()                 # champion model, store, pool in memory
    matcher.score(ScoreRequest.model_validate(body), CallContext(request_id="r1"))
"""

from __future__ import annotations

from matching.serving._api import (
    CandidateInput,
    CandidateStored,
    Deletion,
    DocumentUpload,
    ErrorBody,
    ExternalId,
    Id,
    ItemError,
    KnockoutRule,
    ModelInfo,
    ModelRef,
    RequisitionInput,
    RequisitionStored,
    ScoredItem,
    ScoreRequest,
    ScoreResponse,
    ShortlistRequest,
    ShortlistResponse,
    Text,
)
from matching.serving._asgi import (
    RedactClientErrors,
    ServiceMiddleware,
    add_security,
    normalise_error,
    status_for,
)
from matching.serving._engine import CallContext, Matcher
from matching.serving._hooks import answer_hook, hook_request
from matching.serving._keys import ApiKeys, add_key, hash_key, new_key, revoke_key
from matching.serving._pool import LivePool

__all__ = [
    "ApiKeys",
    "CallContext",
    "CandidateInput",
    "CandidateStored",
    "Deletion",
    "DocumentUpload",
    "ErrorBody",
    "ExternalId",
    "Id",
    "ItemError",
    "KnockoutRule",
    "LivePool",
    "Matcher",
    "ModelInfo",
    "ModelRef",
    "RedactClientErrors",
    "RequisitionInput",
    "RequisitionStored",
    "ScoreRequest",
    "ScoreResponse",
    "ScoredItem",
    "ServiceMiddleware",
    "ShortlistRequest",
    "ShortlistResponse",
    "Text",
    "add_key",
    "add_security",
    "answer_hook",
    "hash_key",
    "hook_request",
    "new_key",
    "normalise_error",
    "revoke_key",
    "status_for",
]
