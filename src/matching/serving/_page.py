"""The recruiter page: static files (HTML, CSS, JavaScript modules) served under ``/ui/``.

The files hold no data and need no key; every call they make to the API carries the key the
recruiter signed in with (kept in the tab's ``sessionStorage`` only). They are served with a
strict Content-Security-Policy: scripts and styles from the service only, no inline script,
no other origin, so that text from a resume can never run as code even if it reached the DOM
as markup (the page inserts every value as text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_DIR = Path(__file__).resolve().parent / "page"
PAGE_PATH = "/ui"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    # Revalidate on every load (ETag), so that an upgraded service serves the new page.
    (b"cache-control", b"no-cache"),
]


def recruiter_page(directory: Path = PAGE_DIR) -> ASGIApp:
    """An ASGI app serving the page's files from ``directory`` with the security headers.

    Mount it at ``/ui`` (``index.html`` answers ``/ui/``).
    """
    from starlette.staticfiles import StaticFiles

    files = StaticFiles(directory=directory, html=True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control"
                ]
                message = {**message, "headers": [*kept, *SECURITY_HEADERS]}
            await send(message)

        await files(scope, receive, send_with_headers)

    return app


__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_DIR", "PAGE_PATH", "recruiter_page"]
