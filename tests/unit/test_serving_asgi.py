"""The service middleware: keys, size limit, request ids and one error shape (fake app)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from matching.serving import ApiKeys, RedactClientErrors, ServiceMiddleware, add_key, hash_key
from matching.settings import Settings

KEY = "mk_test-key"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "size": len(body),
            "request_id": request.state.request_id,
            "caller": getattr(request.state, "caller", None),
        }
    )


def _fixed(status: int, payload: Any, *, plain: bool = False) -> Callable[[Request], Any]:
    async def endpoint(_: Request) -> Response:
        if plain:
            return PlainTextResponse(str(payload), status_code=status)
        return JSONResponse(payload, status_code=status)

    return endpoint


async def _boom(_: Request) -> Response:
    raise RuntimeError("Jane Doe's resume broke it")


def _app(settings: Settings, keys: ApiKeys | None = None) -> httpx.AsyncClient:
    app = Starlette(
        routes=[
            Route("/echo", _echo, methods=["POST", "GET"]),
            Route("/healthz", _fixed(200, "ok", plain=True)),
            Route(
                "/docs.json",
                _fixed(
                    200, {"paths": {"/echo": {"post": {"responses": {}}}, "/healthz": {"get": {}}}}
                ),
            ),
            Route(
                "/bento-error",
                _fixed(
                    404, [{"error": json.dumps({"code": "E603", "message": "m", "remedy": "r"})}]
                ),
                methods=["POST"],
            ),
            Route(
                "/validation",
                _fixed(
                    400,
                    {
                        "error": "1 validation error for Input",
                        "detail": [
                            {
                                "type": "missing",
                                "loc": ["text"],
                                "msg": "Field required",
                                "input": "secret",
                            }
                        ],
                    },
                ),
                methods=["POST"],
            ),
            Route("/fastapi-422", _fixed(422, {"detail": [{"loc": ["body"], "msg": "bad"}]})),
            Route("/unavailable", _fixed(503, "no", plain=True)),
            Route("/boom", _boom),
        ]
    )
    wrapped = ServiceMiddleware(app, settings=settings, keys=keys)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, api_keys=f"tests:sha256:{hash_key(KEY)}", max_request_bytes=1000)


AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_public_paths_need_no_key(settings: Settings) -> None:
    """Health checks answer without a key."""
    async with _app(settings) as client:
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"X-API-Key": "nope"}, {"Authorization": KEY}]
)
async def test_other_paths_refuse_a_missing_or_wrong_key(
    settings: Settings, headers: dict[str, str]
) -> None:
    """401 with E601, a remedy and a WWW-Authenticate challenge; the app is not reached."""
    async with _app(settings) as client:
        response = await client.post("/echo", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "E601"
    assert response.json()["remedy"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [AUTH, {"X-API-Key": KEY}, {"authorization": f"bearer {KEY}"}])
async def test_a_valid_key_passes_and_names_the_caller(
    settings: Settings, headers: dict[str, str]
) -> None:
    """Bearer (any case) or X-API-Key; the key's name reaches the app as the caller."""
    async with _app(settings) as client:
        response = await client.post("/echo", headers=headers, content=b"{}")
    assert response.status_code == 200
    assert response.json()["caller"] == "tests"


async def test_request_ids_are_taken_or_made(settings: Settings) -> None:
    """A sane X-Request-ID is kept and echoed; a strange one is replaced."""
    async with _app(settings) as client:
        kept = await client.get("/echo", headers={**AUTH, "X-Request-ID": "crm-123"})
        replaced = await client.get("/echo", headers={**AUTH, "X-Request-ID": "bad id " * 20})
    assert kept.headers["x-request-id"] == "crm-123" == kept.json()["request_id"]
    assert replaced.headers["x-request-id"] == replaced.json()["request_id"]
    assert len(replaced.json()["request_id"]) == 32


async def test_a_declared_oversized_body_is_refused(settings: Settings) -> None:
    """Content-Length over the limit: 413 E602 before the body is read."""
    async with _app(settings) as client:
        response = await client.post("/echo", headers=AUTH, content=b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "E602"


async def test_a_streamed_oversized_body_is_refused(settings: Settings) -> None:
    """A chunked body without Content-Length is counted as it arrives."""

    async def chunks() -> Any:
        for _ in range(5):
            yield b"x" * 300

    async with _app(settings) as client:
        response = await client.post("/echo", headers=AUTH, content=chunks())
    assert response.status_code == 413
    assert response.json()["code"] == "E602"


async def test_a_body_at_the_limit_passes(settings: Settings) -> None:
    """Exactly the limit is allowed."""
    async with _app(settings) as client:
        response = await client.post("/echo", headers=AUTH, content=b"x" * 1000)
    assert response.json()["size"] == 1000


async def test_bentoml_wrapped_errors_become_error_bodies(settings: Settings) -> None:
    """BentoML's [{"error": "<our JSON>"}] is unwrapped; the status is kept."""
    async with _app(settings) as client:
        response = await client.post("/bento-error", headers={**AUTH, "X-Request-ID": "r1"})
    assert response.status_code == 404
    assert response.json() == {"code": "E603", "message": "m", "remedy": "r", "request_id": "r1"}


async def test_validation_errors_keep_locations_but_not_inputs(settings: Settings) -> None:
    """E600 names each field and message; the submitted value (maybe a resume) is dropped."""
    async with _app(settings) as client:
        response = await client.post("/validation", headers=AUTH)
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "E600"
    assert "text: Field required" in body["message"]
    assert body["detail"] == [{"type": "missing", "loc": ["text"], "msg": "Field required"}]
    assert "secret" not in response.text


async def test_fastapi_validation_is_a_400_too(settings: Settings) -> None:
    """One status for one error: FastAPI's 422 becomes 400 E600."""
    async with _app(settings) as client:
        response = await client.get("/fastapi-422", headers=AUTH)
    assert (response.status_code, response.json()["code"]) == (400, "E600")


async def test_unknown_routes_say_so(settings: Settings) -> None:
    """404 E607 names the method and path."""
    async with _app(settings) as client:
        response = await client.delete("/nowhere", headers=AUTH)
    assert response.status_code in (404, 405)
    assert response.json()["code"] == "E607"
    assert "DELETE /nowhere" in response.json()["message"]


async def test_a_crash_reveals_nothing_but_the_request_id(settings: Settings) -> None:
    """500 E609 with the request id; the exception's text (personal data) stays in the log."""
    async with _app(settings) as client:
        response = await client.get("/boom", headers={**AUTH, "X-Request-ID": "r9"})
    assert response.status_code == 500
    assert response.json()["code"] == "E609"
    assert "r9" in response.json()["message"]
    assert "Jane" not in response.text


async def test_unavailable_is_e608(settings: Settings) -> None:
    """A 503 (not ready) says so with E608."""
    async with _app(settings) as client:
        response = await client.get("/unavailable", headers=AUTH)
    assert (response.status_code, response.json()["code"]) == (503, "E608")


async def test_the_openapi_document_gets_security_and_errors(settings: Settings) -> None:
    """Protected operations list both key schemes and the ErrorBody responses; public ones none."""
    async with _app(settings) as client:
        spec = (await client.get("/docs.json")).json()
    assert set(spec["components"]["securitySchemes"]) == {"ApiKeyHeader", "BearerKey"}
    echo = spec["paths"]["/echo"]["post"]
    assert echo["security"] == [{"ApiKeyHeader": []}, {"BearerKey": []}]
    assert {"400", "401", "404", "413", "500"} <= set(echo["responses"])
    assert spec["paths"]["/healthz"]["get"]["security"] == []


async def test_a_revoked_key_stops_working_without_a_restart(tmp_path: Path) -> None:
    """Keys are read again when the keys file changes."""
    settings = Settings(home=tmp_path, max_request_bytes=1000)
    old, path = add_key("crm", settings=settings)
    async with _app(settings) as client:
        assert (await client.get("/echo", headers={"X-API-Key": old})).status_code == 200
        new, _ = add_key("crm", settings=settings)
        stamp = path.stat().st_mtime + 5
        os.utime(path, (stamp, stamp))
        assert (await client.get("/echo", headers={"X-API-Key": old})).status_code == 401
        assert (await client.get("/echo", headers={"X-API-Key": new})).status_code == 200


def _record(exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord(
        "bentoml", logging.ERROR, __file__, 1, "Exception on %s [%s]", ("/score", "POST"),
        (type(exc), exc, None),
    )  # fmt: skip


def test_validation_errors_are_logged_without_their_input() -> None:
    """A pydantic error becomes one INFO line naming fields, not values; no traceback."""
    from pydantic import BaseModel, ValidationError

    class Body(BaseModel):
        email: int

    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"email": "jane@example.org"})
    record = _record(caught.value)
    assert RedactClientErrors().filter(record)
    assert record.exc_info is None
    assert record.levelno == logging.INFO
    assert "jane@example.org" not in record.getMessage()
    assert "email" in record.getMessage()


def test_client_errors_keep_their_code_only() -> None:
    """A 4xx exception is logged with its status and code, without its message."""
    from http import HTTPStatus

    from bentoml.exceptions import BentoMLException

    exc = BentoMLException(
        json.dumps({"code": "E603", "message": "No stored candidate jane"}),
        error_code=HTTPStatus.NOT_FOUND,
    )
    record = _record(exc)
    RedactClientErrors().filter(record)
    assert record.getMessage() == "Exception on /score [POST]: client error 404 E603"


def test_failures_on_our_side_keep_the_traceback() -> None:
    """Anything else (a 5xx) is left as it is, for the operator."""
    record = _record(RuntimeError("boom"))
    RedactClientErrors().filter(record)
    assert record.exc_info is not None
    assert record.levelno == logging.ERROR
