"""ASGI middleware of the service: API keys, body size limit, request ids, one error shape.

It wraps the whole application (BentoML's routes and the mounted FastAPI routes alike):

- every route but the public ones (health, metrics, the API documents, the recruiter page's
  static files, and the CRM webhooks, which authenticate themselves) needs a valid key in
  ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; otherwise 401 (E601);
- a body over ``MATCHING_MAX_REQUEST_BYTES`` gets 413 (E602), declared or streamed;
- each request gets an id (a caller's ``X-Request-ID`` when it is sane, else a new one),
  returned in the ``X-Request-ID`` header and stored with every score it serves;
- every error response, whoever produced it, is rewritten to ``ErrorBody``
  (``code``, ``message``, ``remedy``, ``request_id``, ``detail``); a 5xx never carries the
  exception's text (it may hold personal data), only the request id to look up in the log;
- the OpenAPI document gets the key's security schemes and the error responses.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from matching.errors import ErrorCode, Errors, MatchingError
from matching.serving._keys import ApiKeys
from matching.settings import Settings, get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("matching.service")

PUBLIC_PATHS = frozenset(
    {"/", "/docs", "/docs.json", "/healthz", "/livez", "/readyz", "/metrics", "/favicon.ico"}
    # CRM webhooks authenticate themselves (a token or a signature: matching.crm.InboundHooks).
    | {"/crm/hooks/keap", "/crm/hooks/hubspot"}
    # The recruiter page's static files hold no data; every call they make carries a key.
    | {"/ui"}
)
PUBLIC_PREFIXES = ("/static_content/", "/ui/")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")

# HTTP status of each error code raised while serving a request.
_STATUS = {"E601": 401, "E602": 413, "E102": 413, "E603": 404, "E607": 404, "E608": 503}
_STATUS |= {"E610": 401, "E611": 401, "E612": 503}


def status_for(code: str) -> int:
    """The HTTP status for an error code: 4xx for the caller's mistakes, 503 for the operator's."""
    if code in _STATUS:
        return _STATUS[code]
    if code.startswith("E1"):
        return 422  # a document that cannot be read: well-formed request, unusable content
    if code.startswith(("E2", "E3", "E4")):
        return 503  # configuration, model or store: the operator must act
    return 400


def error_body(error: ErrorCode, *, request_id: str | None = None, **details: Any) -> bytes:
    """An ``ErrorBody`` as JSON bytes."""
    message, remedy = error.render(request_id=request_id, **details)
    body: dict[str, Any] = {"code": error.code, "message": message, "remedy": remedy}
    body["request_id"] = request_id
    return json.dumps(body).encode("utf-8")


class _TooLargeError(Exception):
    """The streamed body passed the limit."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class ServiceMiddleware:
    """The middleware described in the module docstring.

    Parameters
    ----------
    app
        The ASGI application to protect.
    settings
        Limits and key sources; read from the environment when omitted.
    keys
        Accepted keys; by default loaded from the settings, and loaded again when the keys
        file changes (a revoked key stops working without a restart).
    """

    def __init__(
        self, app: ASGIApp, *, settings: Settings | None = None, keys: ApiKeys | None = None
    ) -> None:
        self.app = app
        self.settings = settings if settings is not None else get_settings()
        self._fixed_keys = keys
        self._keys: ApiKeys | None = keys
        self._keys_stamp: float | None = None

    # -- keys -----------------------------------------------------------------------------
    def keys(self) -> ApiKeys:
        """The accepted keys (reloaded when the keys file's modification time changes)."""
        if self._fixed_keys is not None:
            return self._fixed_keys
        path = self.settings.resolved_api_keys_file()
        try:
            stamp: float | None = path.stat().st_mtime
        except OSError:
            stamp = None
        if self._keys is None or stamp != self._keys_stamp:
            self._keys = ApiKeys.load(self.settings, required=False)
            self._keys_stamp = stamp
        return self._keys

    # -- ASGI -----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        path: str = scope["path"]
        is_docs = path == "/docs.json"
        reply = _Reply(
            send, request_id, rewrite_docs=is_docs, method=scope.get("method", ""), path=path
        )

        if not self._is_public(path):
            caller = self.keys().check(_presented_key(headers))
            if caller is None:
                await reply.error(401, Errors.E601, www_authenticate=True)
                return
            state["caller"] = caller

        limit = self.settings.max_request_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await reply.error(413, Errors.E602, size=int(declared), limit=limit)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The app may turn the exception into its own 500 first: say what it was.
                    reply.override = (413, Errors.E602, {"size": f"over {limit}", "limit": limit})
                    raise _TooLargeError(received)
            return message

        try:
            await self.app(scope, counted_receive, reply.send)
        except _TooLargeError:
            if not reply.started:
                await reply.error(413, Errors.E602, size=f"over {limit}", limit=limit)
        except Exception:
            log.exception("request %s failed", request_id)
            if not reply.started:
                await reply.error(500, Errors.E609, request_id=request_id)

    @staticmethod
    def _is_public(path: str) -> bool:
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _presented_key(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return headers.get("x-api-key") or None


class _Reply:
    """Passes responses through, rewriting error bodies (and the OpenAPI document)."""

    def __init__(
        self, send: Send, request_id: str, *, rewrite_docs: bool, method: str, path: str
    ) -> None:
        self._send = send
        self.method = method
        self.path = path
        self.request_id = request_id
        self.rewrite_docs = rewrite_docs
        self.started = False
        self.override: tuple[int, ErrorCode, dict[str, Any]] | None = None
        self._held: Message | None = None
        self._chunks: list[bytes] = []

    async def error(
        self, status: int, error: ErrorCode, *, www_authenticate: bool = False, **details: Any
    ) -> None:
        body = error_body(error, request_id=self.request_id, **details)
        headers = [(b"content-type", b"application/json")]
        if www_authenticate:
            headers.append((b"www-authenticate", b'Bearer realm="matching"'))
        await self._start(status, headers, body)

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"x-request-id")]
        kept += [
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", self.request_id.encode()),
        ]
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": kept})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            if status >= 400 or (self.rewrite_docs and status == 200):
                self._held = message
                return
            message = dict(message)
            message["headers"] = [
                *message.get("headers", []),
                (b"x-request-id", self.request_id.encode()),
            ]
            self.started = True
            await self._send(message)
            return
        if message["type"] == "http.response.body" and self._held is not None:
            self._chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            held, self._held = self._held, None
            if self.override is not None and int(held["status"]) >= 400:
                status, error, details = self.override
                await self.error(status, error, **details)
                return
            raw = b"".join(self._chunks)
            status = int(held["status"])
            headers = [(k, v) for k, v in held.get("headers", []) if k.lower() != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            if status < 400:
                body = json.dumps(add_security(json.loads(raw))).encode("utf-8")
            else:
                status, body = normalise_error(
                    status, raw, self.request_id, method=self.method, path=self.path
                )
            await self._start(status, headers, body)
            return
        await self._send(message)


def normalise_error(
    status: int, raw: bytes, request_id: str, *, method: str = "", path: str = ""
) -> tuple[int, bytes]:
    """Any error body (BentoML's, FastAPI's, Starlette's, ours) as ``(status, ErrorBody)``."""
    if status >= 500:
        kept = _kept_server_error(raw)
        if kept is not None:
            kept["request_id"] = request_id
            return status, json.dumps(kept).encode("utf-8")
        if status == 503:
            body = json.loads(
                error_body(
                    Errors.E608, request_id=request_id, detail="the model or store is not loaded"
                )
            )
        else:
            log.error("request %s answered %d", request_id, status)
            body = json.loads(error_body(Errors.E609, request_id=request_id))
        return status, json.dumps(body).encode("utf-8")
    try:
        payload: Any = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode("utf-8", "replace").strip()
    # BentoML wraps an exception's message as [{"error": "..."}]; ours is JSON in there.
    if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], dict):
        payload = payload[0]
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        try:
            inner = json.loads(payload["error"])
        except ValueError:
            inner = None
        if isinstance(inner, dict) and "code" in inner:
            payload = inner
    if isinstance(payload, dict) and isinstance(payload.get("detail"), dict):
        payload = payload["detail"]  # FastAPI's HTTPException(detail=ErrorBody)
    if isinstance(payload, dict) and {"code", "message", "remedy"} <= payload.keys():
        payload["request_id"] = request_id
        return status, json.dumps(payload).encode("utf-8")
    if status in (404, 405):
        return status, error_body(Errors.E607, request_id=request_id, method=method, path=path)
    detail: list[dict[str, object]] | None = None
    text = "the request body or parameters are invalid"
    if isinstance(payload, dict):
        if isinstance(payload.get("detail"), list):
            detail = [_clean(d) for d in payload["detail"] if isinstance(d, dict)]
        text = str(payload.get("error") or text)
    elif isinstance(payload, str) and payload:
        text = payload[:300]
    if detail:
        text = "; ".join(_describe(d) for d in detail[:5])
    body = json.loads(error_body(Errors.E600, request_id=request_id, detail=text))
    body["detail"] = detail
    # FastAPI says 422 for what BentoML calls 400; one status for one error.
    return (400 if status == 422 else status), json.dumps(body).encode("utf-8")


# 5xx errors of ours whose text comes from our own template (a setting to set, never request
# content): their body is kept instead of the generic E608/E609.
_KEPT_5XX = frozenset({"E612"})


def _kept_server_error(raw: bytes) -> dict[str, Any] | None:
    """Our ``ErrorBody`` of a code in ``_KEPT_5XX`` (FastAPI's ``detail`` unwrapped), or None."""
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(payload.get("detail"), dict):
        payload = payload["detail"]
    if isinstance(payload, dict) and payload.get("code") in _KEPT_5XX:
        return {k: payload.get(k) for k in ("code", "message", "remedy")}
    return None


def _clean(item: dict[str, Any]) -> dict[str, object]:
    """A validation error without the input value (it may be a resume)."""
    return {k: v for k, v in item.items() if k in ("type", "loc", "msg")}


def _describe(item: dict[str, object]) -> str:
    loc = item.get("loc")
    where = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else ""
    return f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg", "invalid"))


def add_security(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the API-key schemes, error responses and our own name."""
    components = spec.setdefault("components", {})
    schemes = components.setdefault("securitySchemes", {})
    schemes["ApiKeyHeader"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    schemes["BearerKey"] = {"type": "http", "scheme": "bearer"}
    schemas = components.setdefault("schemas", {})
    schemas["ErrorBody"] = {
        "type": "object",
        "required": ["code", "message", "remedy"],
        "properties": {
            "code": {"type": "string", "example": "E600"},
            "message": {"type": "string"},
            "remedy": {"type": "string"},
            "request_id": {"type": "string", "nullable": True},
            "detail": {"type": "array", "items": {"type": "object"}, "nullable": True},
        },
    }
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    errors = {
        "400": {"description": "Malformed request (E600, E604)", **ref},
        "401": {"description": "Missing or unknown API key (E601)", **ref},
        "404": {"description": "Unknown id (E603) or route (E607)", **ref},
        "413": {"description": "Body or document too large (E602, E102)", **ref},
        "500": {"description": "Failure on our side (E609): quote the request id", **ref},
        "503": {"description": "Not ready, or the model or store is unavailable", **ref},
    }
    unreadable = {"description": "A document that cannot be read (E100-E112)", **ref}
    info = spec.setdefault("info", {})
    info["title"] = "matching"
    info["contact"] = {"name": "matching maintainers"}
    info["description"] = SERVICE_DESCRIPTION
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete", "patch") or not isinstance(
                operation, dict
            ):
                continue
            responses = operation.setdefault("responses", {})
            _refer_to_components(responses, schemas)
            if ServiceMiddleware._is_public(path):
                operation["security"] = []
                continue
            operation["security"] = [{"ApiKeyHeader": []}, {"BearerKey": []}]
            responses.pop("422", None)
            responses.update(errors)
            if path in ("/parse", "/candidates", "/requisitions/upload"):
                responses["422"] = unreadable
    return spec


def _refer_to_components(responses: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Replace inline response schemas by the component of the same title.

    BentoML inlines an API's output model and keeps only the first branch of each ``anyOf``,
    so ``int | None`` is published as ``integer``; the component keeps the ``null``.
    """
    for response in responses.values():
        for media in response.get("content", {}).values() if isinstance(response, dict) else ():
            schema = media.get("schema") if isinstance(media, dict) else None
            if isinstance(schema, dict) and "$ref" not in schema:
                title = schema.get("title")
                if isinstance(title, str) and title in schemas:
                    media["schema"] = {"$ref": f"#/components/schemas/{title}"}


SERVICE_DESCRIPTION = (
    "Scores and ranks job candidates against requisitions, with reasons (matched, near and "
    "missing skills, experience, feature contributions) and knock-outs reported beside the "
    "score.\n\nEvery route but the health checks, metrics and this document needs an API key "
    "in `Authorization: Bearer KEY` or `X-API-Key: KEY`. Every error has a stable `code`, a "
    "`message` and a `remedy`. Scores are decision support: a person decides."
)


class RedactClientErrors(logging.Filter):
    """Keep request content out of the log when a request fails on the caller's side.

    BentoML logs every failed request with its exception. A validation error's text holds the
    submitted values (a resume, an e-mail address) and a client error needs no traceback: both
    become one line with the error's kind and, for validation, the fields at fault. Failures on
    our side keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info[1] is None:
            return True
        exc = record.exc_info[1]
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors()})
            summary = f"invalid input ({exc.error_count()} errors at {', '.join(fields[:10])})"
        else:
            status = getattr(getattr(exc, "error_code", None), "value", 500)
            if not isinstance(status, int) or status >= 500:
                return True
            code = _code_in(str(exc))
            summary = f"client error {status}" + (f" {code}" if code else "")
        record.msg = f"{record.getMessage()}: {summary}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _code_in(text: str) -> str | None:
    """The error code in an ``ApiError``'s JSON message, if any."""
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    return str(payload.get("code")) if isinstance(payload, dict) and "code" in payload else None


def error_from(exc: MatchingError) -> tuple[int, dict[str, str]]:
    """``(status, body)`` for an error raised while serving."""
    return status_for(exc.code), exc.to_dict()


__all__ = [
    "PUBLIC_PATHS",
    "RedactClientErrors",
    "ServiceMiddleware",
    "add_security",
    "error_body",
    "error_from",
    "normalise_error",
    "status_for",
]
