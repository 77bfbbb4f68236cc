"""The HubSpot v3 connector against a fake HubSpot: properties, reads, writes, batches, errors."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.crm import (
    CrmError,
    FieldMap,
    HubSpotConnector,
    RateLimiter,
    RetryPolicy,
    deliver,
    same_values,
)
from matching.crm._deliver import BatchConnector
from matching.crm._hubspot import property_name

BASE = "https://hubspot.test"
TOKEN = "pat-na1-test"
NOW = "2026-12-01T20:00:00.000Z"
CORRELATION = "aeb5f871-7f07-4993-9211-075dc63e7cbf"
OURS = {
    "score": "matching_score",
    "rank": "matching_rank",
    "requisition_id": "matching_requisition",
    "reasons": "matching_reasons",
    "model": "matching_model",
    "scored_at": "matching_scored_at",
}
VALUES = {
    "score": 81.2,
    "rank": 2,
    "requisition_id": "r1",
    "reasons": "8 of 9 skills",
    "model": "m v6",
    "scored_at": "2026-12-01T20:00:00+00:00",
}


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    """HubSpot's error body (the spec's ``Error``)."""
    return {
        "status": "error",
        "message": message,
        "correlationId": CORRELATION,
        "category": category,
        **extra,
    }


def hubspot_property(name: str, label: str, kind: str, field_type: str, **extra: Any) -> Any:
    """A property as HubSpot describes it (the spec's ``Property``)."""
    return {
        "name": name,
        "label": label,
        "type": kind,
        "fieldType": field_type,
        "groupName": "contactinformation",
        "description": "",
        "options": [],
        "archived": False,
        **extra,
    }


class HubSpot:
    """Enough of HubSpot's CRM v3 for a few contacts, with a log of every exchange.

    ``responses`` are answered first, in order, whatever the request. With ``nulls``, a
    requested property without a value comes back as null, as the live API does (the spec
    says string); otherwise it is left out.
    """

    def __init__(self, *, nulls: bool = False) -> None:
        self.properties: dict[str, dict[str, Any]] = {
            "email": hubspot_property("email", "Email", "string", "text", hubspotDefined=True),
            "firstname": hubspot_property(
                "firstname", "First Name", "string", "text", hubspotDefined=True
            ),
        }
        self.contacts: dict[str, dict[str, str]] = {
            "42": {"email": "ada@example.test", "firstname": "Ada"},
            "43": {"email": "alan@example.test", "firstname": "Alan"},
            "44": {"email": "grace@example.test", "firstname": "Grace"},
        }
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self.responses: list[httpx.Response] = []
        self.nulls = nulls

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request received, in order."""
        return [request for request, _ in self.exchanges]

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        """The requests of one method and path."""
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.responses.pop(0) if self.responses else self._answer(request)
        self.exchanges.append((request, response))
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(
                401, json=error_body("INVALID_AUTHENTICATION", "Authentication failed.")
            )
        path, method = request.url.path, request.method
        body = json.loads(request.content) if request.content else {}
        if path == "/crm/v3/properties/contacts":
            if method == "GET":
                return httpx.Response(200, json={"results": list(self.properties.values())})
            return self._create_property(body)
        if path == "/crm/v3/objects/contacts/batch/read":
            inputs = [i["id"] for i in body["inputs"]]
            found = [self._object(c, body["properties"]) for c in inputs if c in self.contacts]
            return self._batch(found, [c for c in inputs if c not in self.contacts])
        if path == "/crm/v3/objects/contacts/batch/update":
            return self._update_batch(body["inputs"])
        contact_id = path.removeprefix("/crm/v3/objects/contacts/")
        if contact_id not in self.contacts:
            return httpx.Response(404, json=error_body("OBJECT_NOT_FOUND", "resource not found"))
        if method == "GET":
            names = request.url.params.get_list("properties")
            return httpx.Response(200, json=self._object(contact_id, names))
        unknown = set(body["properties"]) - set(self.properties)
        if unknown:
            return httpx.Response(400, json=error_body("VALIDATION_ERROR", "Property invalid"))
        self.contacts[contact_id].update(body["properties"])
        return httpx.Response(200, json=self._object(contact_id, list(body["properties"])))

    def _create_property(self, body: dict[str, Any]) -> httpx.Response:
        if body["name"] in self.properties:
            return httpx.Response(409, json=error_body("CONFLICT", "Property exists"))
        created = hubspot_property(
            body["name"],
            body["label"],
            body["type"],
            body["fieldType"],
            groupName=body["groupName"],
            description=body.get("description", ""),
        )
        self.properties[body["name"]] = created
        return httpx.Response(201, json=created)

    def _update_batch(self, inputs: list[dict[str, Any]]) -> httpx.Response:
        """Known contacts are updated; unknown ones fail in a 207 (an unknown property: 400)."""
        if any(set(i["properties"]) - set(self.properties) for i in inputs):
            return httpx.Response(400, json=error_body("VALIDATION_ERROR", "Property invalid"))
        done, missing = [], []
        for item in inputs:
            if item["id"] in self.contacts:
                self.contacts[item["id"]].update(item["properties"])
                done.append(self._object(item["id"], list(item["properties"])))
            else:
                missing.append(item["id"])
        return self._batch(done, missing)

    def _object(self, contact_id: str, names: list[str]) -> dict[str, Any]:
        """A contact with the requested properties (the spec's ``SimplePublicObject``)."""
        stored = self.contacts[contact_id]
        props: dict[str, Any] = {"hs_object_id": contact_id, "lastmodifieddate": NOW}
        for name in names:
            if name in stored:
                props[name] = stored[name]
            elif self.nulls:
                props[name] = None
        return {
            "id": contact_id,
            "properties": props,
            "createdAt": NOW,
            "updatedAt": NOW,
            "archived": False,
        }

    @staticmethod
    def _batch(results: list[dict[str, Any]], missing: list[str]) -> httpx.Response:
        """200, or 207 naming the ids not found (the message names them too, as HubSpot's do)."""
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": NOW,
            "completedAt": NOW,
        }
        if not missing:
            return httpx.Response(200, json=body)
        body["numErrors"] = 1
        body["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some CONTACT objects: {', '.join(missing)}",
                "context": {"ids": missing},
                "errors": [],
                "links": {},
            }
        ]
        return httpx.Response(207, json=body)


def _connector(hubspot: HubSpot, **kwargs: Any) -> HubSpotConnector:
    client = httpx.Client(transport=httpx.MockTransport(hubspot))
    return HubSpotConnector(base_url=BASE, client=client, **({"access_token": TOKEN} | kwargs))


def _batch_207(errors: list[dict[str, Any]], results: list[str]) -> httpx.Response:
    """A hand-written 207 of a batch update: these ids written, these errors."""
    return httpx.Response(
        207,
        json={
            "status": "COMPLETE",
            "results": [
                {"id": c, "properties": {}, "createdAt": NOW, "updatedAt": NOW, "archived": False}
                for c in results
            ],
            "numErrors": len(errors),
            "errors": errors,
            "startedAt": NOW,
            "completedAt": NOW,
        },
    )


# -- properties ---------------------------------------------------------------------------


def test_missing_properties_are_created_once_with_their_types() -> None:
    """Six properties are created (score and rank number/number, the rest string/text)."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    connector.prepare()
    created = {
        n: (p["type"], p["fieldType"]) for n, p in hubspot.properties.items() if n in OURS.values()
    }
    assert created == {
        "matching_score": ("number", "number"),
        "matching_rank": ("number", "number"),
        "matching_requisition": ("string", "text"),
        "matching_reasons": ("string", "text"),
        "matching_model": ("string", "text"),
        "matching_scored_at": ("string", "text"),
    }
    assert hubspot.properties["matching_score"]["label"] == "Matching score"
    assert len(hubspot.calls("POST", "/crm/v3/properties/contacts")) == 6
    assert len(hubspot.calls("GET", "/crm/v3/properties/contacts")) == 1


def test_new_properties_go_to_the_configured_group() -> None:
    """groupName is contactinformation by default, else the group given."""
    hubspot = HubSpot()
    _connector(hubspot, group_name="matching").prepare()
    posts = hubspot.calls("POST", "/crm/v3/properties/contacts")
    assert {json.loads(r.content)["groupName"] for r in posts} == {"matching"}


def test_existing_properties_are_found_by_name_or_label() -> None:
    """An existing internal name is used; so is a property that carries our label."""
    hubspot = HubSpot()
    hubspot.properties["matching_score"] = hubspot_property(
        "matching_score", "Matching score", "number", "number"
    )
    hubspot.properties["fit_rank"] = hubspot_property(
        "fit_rank", "Matching rank", "number", "number"
    )
    connector = _connector(hubspot)
    connector.write("42", VALUES)
    assert hubspot.contacts["42"]["fit_rank"] == "2"
    assert "matching_rank" not in hubspot.properties
    assert len(hubspot.calls("POST", "/crm/v3/properties/contacts")) == 4


def test_a_property_created_meanwhile_is_taken() -> None:
    """A 409 on create (another worker made it between list and create) is not an error."""
    hubspot = HubSpot()
    listing = {"results": list(hubspot.properties.values())}
    hubspot.properties["matching_score"] = hubspot_property(
        "matching_score", "Matching score", "number", "number"
    )
    hubspot.responses = [httpx.Response(200, json=listing)]  # the list predates it
    connector = _connector(hubspot)
    connector.prepare()
    creates = [r.status_code for q, r in hubspot.exchanges if q.method == "POST"]
    assert sorted(creates) == [201] * 5 + [409]
    assert connector.read("42")["score"] is None


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Matching score", "matching_score"),
        ("Fit-Score (v2)", "fit_score_v2"),
        ("Über Rang", "uber_rang"),
        ("2nd rank", "p_2nd_rank"),
    ],
)
def test_property_names_are_hubspot_safe(label: str, name: str) -> None:
    """Lower-case ASCII letters, digits and underscores, starting with a letter."""
    assert property_name(label) == name


def test_labels_that_name_the_same_property_are_refused() -> None:
    """Two labels that give one internal name raise ValueError before any call."""
    with pytest.raises(ValueError, match="same property name"):
        HubSpotConnector(access_token=TOKEN, fields=FieldMap.parse("score=Fit, rank=fit"))


def test_a_token_is_required() -> None:
    """No token, no connector."""
    with pytest.raises(ValueError, match="access_token"):
        HubSpotConnector(access_token="")


# -- single reads and writes ----------------------------------------------------------------


def test_a_contact_without_our_values_reads_as_none() -> None:
    """Properties that are not in the answer read as None."""
    hubspot = HubSpot()
    assert _connector(hubspot).read("42") == dict.fromkeys(OURS)
    (get,) = hubspot.calls("GET", "/crm/v3/objects/contacts/42")
    assert sorted(get.url.params.get_list("properties")) == sorted(OURS.values())


def test_null_and_empty_values_read_as_none() -> None:
    """The live API answers null for an empty property, and "" once one was cleared."""
    hubspot = HubSpot(nulls=True)
    hubspot.contacts["42"]["matching_model"] = ""
    hubspot.contacts["42"]["matching_rank"] = "3"
    values = _connector(hubspot).read("42")
    assert (values["score"], values["model"], values["rank"]) == (None, None, "3")


def test_a_write_sends_strings_and_keeps_other_properties() -> None:
    """One PATCH of our six properties as strings; the contact's own properties stay."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.write("42", VALUES)
    (patch,) = hubspot.calls("PATCH", "/crm/v3/objects/contacts/42")
    assert json.loads(patch.content) == {
        "properties": {
            "matching_score": "81.2",
            "matching_rank": "2",
            "matching_requisition": "r1",
            "matching_reasons": "8 of 9 skills",
            "matching_model": "m v6",
            "matching_scored_at": "2026-12-01T20:00:00+00:00",
        }
    }
    assert hubspot.contacts["42"]["email"] == "ada@example.test"
    assert same_values(connector.read("42"), VALUES)


def test_none_clears_a_value() -> None:
    """None is sent as "" (HubSpot's way to clear) and reads back as None."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.write("42", VALUES)
    connector.write("42", {**VALUES, "reasons": None})
    assert hubspot.contacts["42"]["matching_reasons"] == ""
    assert connector.read("42")["reasons"] is None


def test_a_contact_id_cannot_leave_its_path() -> None:
    """The id is quoted into one path segment."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    with pytest.raises(CrmError):
        connector.read("../properties/contacts")
    assert hubspot.requests[-1].url.raw_path.startswith(
        b"/crm/v3/objects/contacts/..%2Fproperties%2Fcontacts?"
    )


def test_every_request_carries_the_bearer_token() -> None:
    """A private app token goes in Authorization: Bearer."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.write("42", VALUES)
    connector.write_many([("43", VALUES)])
    assert {r.headers["Authorization"] for r in hubspot.requests} == {f"Bearer {TOKEN}"}


# -- errors ---------------------------------------------------------------------------------


def test_a_refused_token_cannot_be_retried() -> None:
    """401: a person must fix the token; the detail names the call and status only."""
    connector = _connector(HubSpot(), access_token="pat-revoked")
    with pytest.raises(CrmError) as caught:
        connector.prepare()
    assert (caught.value.status, caught.value.retryable) == (401, False)
    assert caught.value.detail == "hubspot list properties: HTTP 401"


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_errors_say_whether_to_retry(status: int, retryable: bool) -> None:
    """429 and 5xx can be retried; other 4xx cannot. Retry-After is read."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    hubspot.responses = [
        httpx.Response(status, headers={"Retry-After": "12"}, json=error_body("X", "x"))
    ]
    with pytest.raises(CrmError) as caught:
        connector.read("42")
    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    assert caught.value.retry_after == 12.0
    assert caught.value.detail == f"hubspot get contact: HTTP {status}"  # no contact data


def test_an_unknown_contact_is_not_retried() -> None:
    """A single read of a contact that does not exist: 404, dead."""
    with pytest.raises(CrmError) as caught:
        _connector(HubSpot()).read("999")
    assert (caught.value.status, caught.value.retryable) == (404, False)


def test_a_connection_failure_can_be_retried() -> None:
    """A refused connection is a retryable CrmError."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    connector = HubSpotConnector(
        access_token=TOKEN, client=httpx.Client(transport=httpx.MockTransport(down))
    )
    with pytest.raises(CrmError) as caught:
        connector.prepare()
    assert caught.value.retryable


def test_a_body_that_is_not_json_can_be_retried() -> None:
    """A 200 with an HTML body (a proxy's) is a retryable CrmError, not a crash."""
    hubspot = HubSpot()
    hubspot.responses = [httpx.Response(200, text="<html>maintenance</html>")]
    with pytest.raises(CrmError) as caught:
        _connector(hubspot).prepare()
    assert caught.value.retryable


# -- batches --------------------------------------------------------------------------------


def test_read_many_reads_in_one_call_and_leaves_out_unknown_contacts() -> None:
    """One batch read (a 207 for the unknown id): values of the known contacts only."""
    hubspot = HubSpot()
    hubspot.contacts["43"]["matching_score"] = "70.5"
    connector = _connector(hubspot)
    values = connector.read_many(["42", "43", "999"])
    assert set(values) == {"42", "43"}
    assert values["43"]["score"] == "70.5"
    assert values["42"] == dict.fromkeys(OURS)
    (call,) = hubspot.calls("POST", "/crm/v3/objects/contacts/batch/read")
    body = json.loads(call.content)
    assert body["inputs"] == [{"id": "42"}, {"id": "43"}, {"id": "999"}]
    assert body["propertiesWithHistory"] == []


def test_read_many_sends_at_most_100_ids_a_call() -> None:
    """250 ids (one given twice): calls of 100, 100 and 50."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.read_many([str(i) for i in range(250)] + ["7"])
    calls = hubspot.calls("POST", "/crm/v3/objects/contacts/batch/read")
    assert [len(json.loads(c.content)["inputs"]) for c in calls] == [100, 100, 50]


def test_write_many_writes_every_contact() -> None:
    """Each contact gets its own values; every outcome is None."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    outcome = connector.write_many([("42", VALUES), ("43", {**VALUES, "rank": 1})])
    assert outcome == {"42": None, "43": None}
    assert (hubspot.contacts["42"]["matching_rank"], hubspot.contacts["43"]["matching_rank"]) == (
        "2",
        "1",
    )
    (call,) = hubspot.calls("POST", "/crm/v3/objects/contacts/batch/update")
    assert json.loads(call.content)["inputs"][0]["objectWriteTraceId"] == "42"


def test_write_many_sends_at_most_100_inputs_a_call() -> None:
    """150 writes: two calls, of 100 and 50."""
    hubspot = HubSpot()
    hubspot.contacts.update({str(i): {} for i in range(1000, 1150)})
    connector = _connector(hubspot)
    outcome = connector.write_many([(str(i), VALUES) for i in range(1000, 1150)])
    assert set(outcome.values()) == {None}
    calls = hubspot.calls("POST", "/crm/v3/objects/contacts/batch/update")
    assert [len(json.loads(c.content)["inputs"]) for c in calls] == [100, 50]


def test_a_contact_given_twice_is_written_once_with_its_last_values() -> None:
    """HubSpot refuses duplicate ids in a batch: the last values win."""
    hubspot = HubSpot()
    outcome = _connector(hubspot).write_many([("42", VALUES), ("42", {**VALUES, "rank": 9})])
    assert outcome == {"42": None}
    (call,) = hubspot.calls("POST", "/crm/v3/objects/contacts/batch/update")
    assert len(json.loads(call.content)["inputs"]) == 1
    assert hubspot.contacts["42"]["matching_rank"] == "9"


def test_a_partial_failure_fails_only_the_items_it_names() -> None:
    """207: the unknown contact gets a 404 that is not retried; the others are written."""
    hubspot = HubSpot()
    outcome = _connector(hubspot).write_many([("42", VALUES), ("999", VALUES), ("43", VALUES)])
    assert (outcome["42"], outcome["43"]) == (None, None)
    error = outcome["999"]
    assert error is not None
    assert (error.status, error.retryable) == (404, False)
    assert hubspot.contacts["43"]["matching_score"] == "81.2"


def test_item_errors_carry_no_contact_data() -> None:
    """The detail names the call, status and category: not the id, value or message."""
    hubspot = HubSpot()
    outcome = _connector(hubspot).write_many([("42", VALUES), ("999", VALUES)])
    error = outcome["999"]
    assert error is not None
    assert error.detail == "hubspot batch update: HTTP 207 OBJECT_NOT_FOUND"


@pytest.mark.parametrize(
    ("status", "category", "expected", "retryable"),
    [
        ("error", "OBJECT_NOT_FOUND", 404, False),
        ("error", "VALIDATION_ERROR", 400, False),
        ("error", "RATE_LIMITS", 429, True),
        ("error", "INTERNAL_ERROR", 500, True),
        ("503", "SOMETHING_NEW", 503, True),
        ("error", "SOMETHING_NEW", 207, False),
    ],
)
def test_an_item_error_is_retried_when_its_cause_may_pass(
    status: str, category: str, expected: int, retryable: bool
) -> None:
    """A numeric item status decides; else the category; an unknown one is not retried."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    item = {"status": status, "category": category, "message": "m", "context": {"ids": ["43"]}}
    hubspot.responses = [_batch_207([{**item, "errors": [], "links": {}}], results=["42"])]
    outcome = connector.write_many([("42", VALUES), ("43", VALUES)])
    error = outcome["43"]
    assert outcome["42"] is None
    assert error is not None
    assert (error.status, error.retryable) == (expected, retryable)


def test_an_item_named_by_its_trace_id_fails_alone() -> None:
    """A 207 error that names the input by objectWriteTraceId fails that item only."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    item: dict[str, Any] = {"status": "error", "category": "VALIDATION_ERROR", "message": "m"}
    item |= {"context": {"objectWriteTraceId": ["43"]}, "errors": [], "links": {}}
    hubspot.responses = [_batch_207([item], results=["42"])]
    outcome = connector.write_many([("42", VALUES), ("43", VALUES)])
    assert outcome["42"] is None
    assert outcome["43"] is not None


def test_an_item_without_a_result_is_retried() -> None:
    """An item HubSpot neither wrote nor named in an error is retried (reads skip it if done)."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    hubspot.responses = [_batch_207([], results=["42"])]
    error = connector.write_many([("42", VALUES), ("43", VALUES)])["43"]
    assert error is not None
    assert error.retryable


def test_an_unattributed_item_error_goes_to_the_items_without_a_result() -> None:
    """An error without ids in its context is given to the items missing from results."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    item = {"status": "error", "category": "VALIDATION_ERROR", "message": "m", "context": {}}
    hubspot.responses = [_batch_207([{**item, "errors": [], "links": {}}], results=["42"])]
    outcome = connector.write_many([("42", VALUES), ("43", VALUES)])
    error = outcome["43"]
    assert outcome["42"] is None
    assert error is not None
    assert (error.status, error.retryable) == (400, False)


def test_a_rate_limited_batch_makes_every_item_retryable_and_stops() -> None:
    """429 on the call: all its items, and those of later calls (not sent), wait Retry-After."""
    hubspot = HubSpot()
    hubspot.contacts.update({str(i): {} for i in range(1000, 1150)})
    connector = _connector(hubspot)
    connector.prepare()
    hubspot.responses = [
        httpx.Response(
            429,
            headers={"Retry-After": "7"},
            json=error_body("RATE_LIMITS", "You have reached your ten_secondly_rolling limit."),
        )
    ]
    outcome = connector.write_many([(str(i), VALUES) for i in range(1000, 1150)])
    assert len(outcome) == 150
    assert all(e is not None and e.retryable and e.retry_after == 7.0 for e in outcome.values())
    assert len(hubspot.calls("POST", "/crm/v3/objects/contacts/batch/update")) == 1


def test_a_refused_batch_fails_its_items_and_the_next_call_is_sent() -> None:
    """400 on one call: its items are not retried; the next call still goes."""
    hubspot = HubSpot()
    hubspot.contacts.update({str(i): {} for i in range(1000, 1150)})
    connector = _connector(hubspot)
    connector.prepare()
    hubspot.responses = [httpx.Response(400, json=error_body("VALIDATION_ERROR", "bad"))]
    outcome = connector.write_many([(str(i), VALUES) for i in range(1000, 1150)])
    refused = [e for e in outcome.values() if e is not None]
    assert len(refused) == 100
    assert {(e.status, e.retryable, e.detail) for e in refused} == {
        (400, False, "hubspot batch update: HTTP 400")
    }
    assert hubspot.contacts["1149"]["matching_score"] == "81.2"


def test_a_batch_read_failure_raises() -> None:
    """A failed batch read is the whole call's CrmError (the worker retries every item)."""
    hubspot = HubSpot()
    connector = _connector(hubspot)
    connector.prepare()
    hubspot.responses = [httpx.Response(503, json=error_body("INTERNAL_ERROR", "down"))]
    with pytest.raises(CrmError) as caught:
        connector.read_many(["42"])
    assert (caught.value.status, caught.value.retryable) == (503, True)


# -- with the outbox worker -------------------------------------------------------------------


def test_the_connector_is_a_batch_connector() -> None:
    """The worker sees read_many, write_many and batch_size (100)."""
    connector = _connector(HubSpot())
    assert isinstance(connector, BatchConnector)
    assert connector.batch_size == 100


def test_the_worker_delivers_in_one_batch_read_and_one_batch_update(tmp_path: Path) -> None:
    """Three queued writes: two delivered, the unknown contact's dead; a rerun calls nothing."""
    from tests.crm_helpers import queue_linked_scores

    _, outbox = queue_linked_scores(tmp_path / "store.db", "hubspot", ["42", "43", "999"])
    hubspot = HubSpot()

    def run() -> Any:
        return deliver(
            outbox,
            {"hubspot": _connector(hubspot)},
            limiters={"hubspot": RateLimiter(1000.0, burst=1000)},
            policy=RetryPolicy(max_attempts=3, base_s=0.0, cap_s=0.0),
            sleep=lambda _: None,
            rng=random.Random(0),
        )

    report = run()
    assert (report.delivered, report.dead) == (2, 1)
    assert len(hubspot.calls("POST", "/crm/v3/objects/contacts/batch/read")) == 1
    assert len(hubspot.calls("POST", "/crm/v3/objects/contacts/batch/update")) == 1
    assert hubspot.contacts["43"]["matching_score"] == "61.0"
    assert run().calls == 0
