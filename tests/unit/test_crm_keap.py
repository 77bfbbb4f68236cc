"""The Keap v2 connector against a mocked transport: fields, merge-writes, auth, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.crm import CrmError, FieldMap, KeapConnector, KeapOAuth

BASE = "https://keap.test/crm"


class Keap:
    """Enough of Keap v2 for one contact, with a foreign custom field and a request log."""

    def __init__(self) -> None:
        self.fields: list[dict[str, Any]] = [
            {"id": "7", "label": "Shoe size", "field_type": "TEXT"}
        ]
        self.custom: dict[str, list[dict[str, Any]]] = {"42": [{"id": "7", "content": "44"}]}
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self.token = "key-1"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responses:
            return self.responses.pop(0)
        if (
            request.headers.get("X-Keap-API-Key") != "key-1"
            and request.headers.get("Authorization") != f"Bearer {self.token}"
        ):
            return httpx.Response(401, json={"message": "unauthorised"})
        path = request.url.path.removeprefix("/crm")
        if path == "/rest/v2/contacts/model":
            return httpx.Response(200, json={"custom_fields": self.fields})
        if path == "/rest/v2/contacts/model/customFields":
            body = json.loads(request.content)
            field = {"id": str(100 + len(self.fields)), **body}
            self.fields.append(field)
            return httpx.Response(201, json=field)
        contact_id = path.rsplit("/", 1)[-1]
        if contact_id not in self.custom:
            return httpx.Response(404, json={"message": "not found"})
        if request.method == "GET":
            return httpx.Response(
                200, json={"id": contact_id, "custom_fields": self.custom[contact_id]}
            )
        self.custom[contact_id] = json.loads(request.content)["custom_fields"]  # replaces
        return httpx.Response(
            200, json={"id": contact_id, "custom_fields": self.custom[contact_id]}
        )


def _connector(keap: Keap, **kwargs: Any) -> KeapConnector:
    client = httpx.Client(transport=httpx.MockTransport(keap))
    return KeapConnector(base_url=BASE, client=client, **({"api_key": "key-1"} | kwargs))


VALUES = {
    "score": 81.2,
    "rank": 2,
    "requisition_id": "r1",
    "reasons": "8 of 9 skills",
    "model": "m v6",
    "scored_at": "2026-12-01T20:00:00+00:00",
}


def test_missing_fields_are_created_once_with_their_types() -> None:
    """Six fields are created (score as DECIMAL_NUMBER, rank WHOLE_NUMBER); later: none."""
    keap = Keap()
    connector = _connector(keap)
    connector.prepare()
    connector.prepare()
    created = {f["label"]: f["field_type"] for f in keap.fields[1:]}
    assert created["Matching score"] == "DECIMAL_NUMBER"
    assert created["Matching rank"] == "WHOLE_NUMBER"
    assert len(created) == 6
    assert sum(r.method == "POST" for r in keap.requests) == 6


def test_existing_fields_are_found_by_label() -> None:
    """A configured label that exists is used, not created."""
    keap = Keap()
    connector = _connector(keap, fields=FieldMap.parse("score=Shoe size"))
    connector.prepare()
    assert connector._ids["score"] == "7"
    assert sum(r.method == "POST" for r in keap.requests) == 5


def test_a_write_keeps_the_contact_s_other_fields() -> None:
    """Keap replaces the array: the connector sends the foreign field back untouched."""
    keap = Keap()
    connector = _connector(keap)
    connector.write("42", VALUES)
    content = {c["id"]: c["content"] for c in keap.custom["42"]}
    assert content["7"] == "44"
    assert connector.read("42") == VALUES
    patch = next(r for r in keap.requests if r.method == "PATCH")
    assert patch.url.params["update_mask"] == "custom_fields"


def test_a_second_write_replaces_only_our_values() -> None:
    """Writing again leaves one entry per field, the foreign one included."""
    keap = Keap()
    connector = _connector(keap)
    connector.write("42", VALUES)
    connector.read("42")
    connector.write("42", {**VALUES, "score": 90.0})
    ids = [c["id"] for c in keap.custom["42"]]
    assert len(ids) == len(set(ids)) == 7
    assert connector.read("42")["score"] == 90.0


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_errors_say_whether_to_retry(status: int, retryable: bool) -> None:
    """429 and 5xx can be retried; other 4xx cannot. Retry-After is read."""
    keap = Keap()
    connector = _connector(keap)
    connector.prepare()
    keap.responses = [httpx.Response(status, headers={"Retry-After": "12"})]
    with pytest.raises(CrmError) as caught:
        connector.read("42")
    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    assert caught.value.retry_after == 12.0
    assert caught.value.detail == f"keap get contact: HTTP {status}"  # no contact data


def test_a_connection_failure_can_be_retried() -> None:
    """A refused connection is a retryable CrmError."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    connector = KeapConnector(
        base_url=BASE, api_key="k", client=httpx.Client(transport=httpx.MockTransport(down))
    )
    with pytest.raises(CrmError) as caught:
        connector.prepare()
    assert caught.value.retryable


def test_oauth_refreshes_once_and_saves_the_rotated_tokens(tmp_path: Path) -> None:
    """On a 401 the refresh token is traded, the new pair saved, and the call repeated."""
    keap = Keap()
    keap.token = "access-2"
    tokens = tmp_path / "keap.json"
    tokens.write_text(json.dumps({"access_token": "access-1", "refresh_token": "refresh-1"}))
    refreshes: list[dict[str, str]] = []

    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            refreshes.append(form)
            return httpx.Response(
                200, json={"access_token": "access-2", "refresh_token": "refresh-2"}
            )
        return keap(request)

    oauth = KeapOAuth(
        tokens, client_id="id", client_secret="secret", token_url="https://keap.test/token"
    )
    connector = KeapConnector(
        base_url=BASE, oauth=oauth, client=httpx.Client(transport=httpx.MockTransport(transport))
    )
    connector.prepare()
    assert refreshes == [{"grant_type": "refresh_token", "refresh_token": "refresh-1"}]
    assert json.loads(tokens.read_text()) == {
        "access_token": "access-2",
        "refresh_token": "refresh-2",
    }


def test_api_key_or_oauth_not_both() -> None:
    """The connector needs exactly one way to authenticate."""
    with pytest.raises(ValueError, match="either"):
        KeapConnector(base_url=BASE)
