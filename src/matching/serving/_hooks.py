"""The CRM webhook routes' HTTP side: request in, ``matching.crm.InboundHooks`` reply out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matching.crm import HookReply, HookRequest
from matching.errors import MatchingError
from matching.serving._asgi import status_for

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response


def hook_request(
    *, method: str, scope: dict[str, Any], headers: dict[str, str], body: bytes
) -> HookRequest:
    """A ``HookRequest`` from an ASGI scope (``headers`` with lower-case names).

    The base URL is the one the caller used: ``X-Forwarded-Proto`` and ``X-Forwarded-Host``
    when a proxy set them, else the scheme and ``Host`` of the request
    (``MATCHING_PUBLIC_URL`` overrides it where it matters, for HubSpot's signature).
    """
    from urllib.parse import parse_qsl

    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip() or scope.get(
        "scheme", "http"
    )
    host = headers.get("x-forwarded-host", "").split(",")[0].strip() or headers.get("host", "")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    raw_path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
    return HookRequest(
        method=method,
        base=f"{scheme}://{host}",
        target=target,
        headers=headers,
        query=dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)),
        body=body,
    )


async def answer_hook(handler: Callable[[HookRequest], HookReply], request: Request) -> Response:
    """Read the body, run ``handler`` in a worker thread (it writes to the store), answer.

    A ``MatchingError`` becomes its status and ``ErrorBody`` (through FastAPI's
    ``HTTPException``, which the service middleware rewrites).
    """
    from fastapi.exceptions import HTTPException
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse

    body = await request.body()
    hook = hook_request(
        method=request.method,
        scope=dict(request.scope),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
    )
    try:
        reply = await run_in_threadpool(handler, hook)
    except MatchingError as exc:
        raise HTTPException(status_for(exc.code), detail=exc.to_dict()) from exc
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


__all__ = ["answer_hook", "hook_request"]
