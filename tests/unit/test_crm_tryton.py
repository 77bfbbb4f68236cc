"""The Tryton connector on a mocked transport: routes, key, errors, config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from matching.crm import FIELDS, CrmError, TrytonConnector
from matching.crm._config import connectors_from_settings
from matching.errors import ConfigError
from matching.settings import Settings

VALUES = {
    "score": 70.5,
    "rank": 1,
    "requisition_id": "r1",
    "reasons": "3 of 4 required skills",
    "model": "candidate-ranker v3",
    "scored_at": "2026-12-01T10:00:00+00:00",
}
FIELDS_OK = httpx.Response(200, json={"module": "matching_scores", "fields": sorted(FIELDS)})


def _connector(
    handle: Callable[[httpx.Request], httpx.Response],
) -> tuple[TrytonConnector, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/matching/fields"):
            return FIELDS_OK
        return handle(request)

    client = httpx.Client(transport=httpx.MockTransport(record))
    connector = TrytonConnector("http://tryton.test/", database="crm", key="k1", client=client)
    return connector, seen


def test_read_and_write_use_the_module_routes_with_the_key() -> None:
    """GET and PUT /<db>/matching/parties/<id>, Bearer key, only our fields in the body."""

    def handle(request: httpx.Request) -> httpx.Response:
        scores = dict.fromkeys(FIELDS) | {"score": 12.0}
        return httpx.Response(200, json={"id": 7, "name": "Ada", "scores": scores})

    connector, seen = _connector(handle)
    assert connector.read("7") == dict.fromkeys(FIELDS) | {"score": 12.0}
    connector.write("7", {**VALUES, "requisition_title": "not a field"})
    fields, get, put = seen
    assert str(fields.url) == "http://tryton.test/crm/matching/fields"
    assert (get.method, str(get.url)) == ("GET", "http://tryton.test/crm/matching/parties/7")
    assert (put.method, str(put.url)) == ("PUT", "http://tryton.test/crm/matching/parties/7")
    assert all(r.headers["Authorization"] == "Bearer k1" for r in seen)
    assert json.loads(put.content) == VALUES


def test_prepare_runs_once() -> None:
    """The module check is one call per connector, not one per write."""
    connector, seen = _connector(lambda r: httpx.Response(200, json={"id": 1, "scores": {}}))
    for _ in range(3):
        connector.read("1")
    assert [r.url.path for r in seen].count("/crm/matching/fields") == 1


@pytest.mark.parametrize(
    ("status", "retryable"), [(403, False), (401, False), (404, False), (503, True), (429, True)]
)
def test_a_failed_prepare_says_whether_retrying_helps(status: int, retryable: bool) -> None:
    """A refused key or a missing module is not retried; an unavailable server is."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": "4"})

    client = httpx.Client(transport=httpx.MockTransport(handle))
    connector = TrytonConnector("http://tryton.test", database="crm", key="k", client=client)
    with pytest.raises(CrmError) as caught:
        connector.prepare()
    assert caught.value.retryable is retryable
    assert caught.value.status == status
    if status == 404:
        assert "matching_scores module" in caught.value.detail
    if status in (429, 503):
        assert caught.value.retry_after == 4.0


def test_a_module_without_our_fields_is_refused() -> None:
    """An older module that lacks a field is named, not written half-way."""

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"fields": ["score"]})

    client = httpx.Client(transport=httpx.MockTransport(handle))
    connector = TrytonConnector("http://tryton.test", database="crm", key="k", client=client)
    with pytest.raises(CrmError, match="lacks") as caught:
        connector.prepare()
    assert not caught.value.retryable


@pytest.mark.parametrize("contact", ["abc", "0", "-3", ""])
def test_a_contact_id_that_is_no_party_id_is_not_sent(contact: str) -> None:
    """Party ids are positive integers; anything else fails at once, without a call."""
    connector, seen = _connector(lambda r: httpx.Response(200, json={}))
    with pytest.raises(CrmError, match="not a party id") as caught:
        connector.read(contact)
    assert not caught.value.retryable
    assert [r.url.path for r in seen] == ["/crm/matching/fields"]


def test_a_missing_party_is_not_retried_and_a_lost_connection_is() -> None:
    """404 on a party: dead write. A refused connection: retried later."""
    connector, _ = _connector(lambda r: httpx.Response(404))
    with pytest.raises(CrmError) as missing:
        connector.read("5")
    assert not missing.value.retryable

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    connector = TrytonConnector("http://tryton.test", database="crm", key="k", client=client)
    with pytest.raises(CrmError) as lost:
        connector.prepare()
    assert lost.value.retryable


def test_settings_make_a_connector_from_a_key_or_a_key_file(tmp_path: Path) -> None:
    """MATCHING_TRYTON_KEY, else the key file; neither is a clear configuration error."""
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    by_file = connectors_from_settings(Settings(crm="tryton", tryton_key_file=key_file))["tryton"]
    assert isinstance(by_file, TrytonConnector)
    assert by_file._headers["Authorization"] == "Bearer from-file"
    by_key = connectors_from_settings(Settings(crm="tryton", tryton_key="direct"))["tryton"]
    assert isinstance(by_key, TrytonConnector)
    assert by_key._headers["Authorization"] == "Bearer direct"
    with pytest.raises(ConfigError, match="MATCHING_TRYTON_KEY"):
        connectors_from_settings(Settings(crm="tryton"))
    with pytest.raises(ConfigError, match="MATCHING_TRYTON_KEY_FILE"):
        connectors_from_settings(Settings(crm="tryton", tryton_key_file=tmp_path / "absent"))
