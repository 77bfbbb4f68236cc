"""The signed webhook connector: signatures, idempotency keys, errors, config."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from matching.crm import CrmError, WebhookConnector, sign, verify_signature
from matching.crm._config import connectors_from_settings
from matching.errors import ConfigError
from matching.settings import Settings

SECRET = "s3cret"
VALUES = {"score": 70.5, "rank": 1, "requisition_id": "r1", "reasons": "", "model": "m v1"}


def _connector(
    responses: list[httpx.Response] | None = None,
) -> tuple[WebhookConnector, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0) if responses else httpx.Response(204)

    client = httpx.Client(transport=httpx.MockTransport(handle))
    return WebhookConnector(
        "https://hooks.test/in", secret=SECRET, client=client, clock=lambda: 1_000
    ), seen


def test_a_write_is_signed_and_verifiable() -> None:
    """The receiver can check the body with the secret; a changed body or secret fails."""
    connector, seen = _connector()
    connector.write("c1", VALUES)
    (request,) = seen
    header = request.headers["X-Matching-Signature"]
    assert verify_signature(SECRET, header, request.content, now=lambda: 1_010)
    assert not verify_signature(SECRET, header, request.content + b" ", now=lambda: 1_010)
    assert not verify_signature("other", header, request.content, now=lambda: 1_010)
    assert json.loads(request.content) == {"contact_id": "c1", "values": VALUES, "sent_at": 1_000}


def test_old_signatures_are_refused() -> None:
    """A signature older than the tolerance does not verify (replays)."""
    body = b"{}"
    header = sign(SECRET, body, timestamp=1_000)
    assert verify_signature(SECRET, header, body, now=lambda: 1_299)
    assert not verify_signature(SECRET, header, body, now=lambda: 1_301)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=x,v1=abc", "t=1000"])
def test_malformed_signatures_are_refused(header: str | None) -> None:
    """Missing or malformed headers never verify."""
    assert not verify_signature(SECRET, header, b"{}", now=lambda: 1_000)


def test_the_same_write_carries_the_same_idempotency_key() -> None:
    """A retried write repeats its key (receivers deduplicate on it); another write differs."""
    connector, seen = _connector()
    connector.write("c1", VALUES)
    connector.write("c1", VALUES)
    connector.write("c1", {**VALUES, "score": 71.0})
    keys = [r.headers["Idempotency-Key"] for r in seen]
    assert keys[0] == keys[1] != keys[2]


def test_nothing_is_read_back() -> None:
    """A webhook cannot be read: the worker always writes (and relies on the key)."""
    connector, seen = _connector()
    assert connector.read("c1") == {}
    assert seen == []


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (429, True), (410, False), (400, False)]
)
def test_errors_say_whether_to_retry(status: int, retryable: bool) -> None:
    """5xx and 429 are retried; 410 (gone) and other 4xx are not."""
    connector, _ = _connector([httpx.Response(status)])
    with pytest.raises(CrmError) as caught:
        connector.write("c1", VALUES)
    assert (caught.value.status, caught.value.retryable) == (status, retryable)


def test_settings_need_a_url_and_a_secret(tmp_path: Any) -> None:
    """MATCHING_CRM=webhook without its URL and secret is a configuration error."""
    with pytest.raises(ConfigError):
        connectors_from_settings(Settings(home=tmp_path, crm="webhook"))
    made = connectors_from_settings(
        Settings(home=tmp_path, crm="webhook", webhook_url="https://h.test", webhook_secret="x")
    )
    assert isinstance(made["webhook"], WebhookConnector)
