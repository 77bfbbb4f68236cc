"""Inbound CRM webhooks: HubSpot signatures, Keap handshakes and tokens, parsing, queuing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from matching.crm import (
    HookRequest,
    InboundHooks,
    hubspot_signature,
    own_properties,
    value_hash,
    verify_hubspot,
)
from matching.crm._inbound import hubspot_events, hubspot_uri, keap_events
from matching.errors import ConfigError, Errors, InputError
from matching.serving import hook_request, normalise_error
from matching.settings import Settings
from matching.store import Inbox, Store

SECRET = "client-secret"
TOKEN = "keap-token-123"
NOW = 1_700_000_000.0  # seconds since the epoch
STAMP = "1700000000000"  # the same moment in milliseconds, as HubSpot sends it
BASE = "https://hooks.example.com"
HUBSPOT_BODY = b'[{"eventId":1,"objectId":201}]'


def _sign(body: bytes, *, target: str = "/crm/hooks/hubspot", stamp: str = STAMP) -> str:
    """The v3 signature computed here, from the documented recipe, without the code under test."""
    message = b"POST" + (BASE + target).encode() + body + stamp.encode()
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


def _hooks(store: Store, **settings: Any) -> InboundHooks:
    values = {
        "keap_hook_secret": TOKEN,
        "hubspot_client_secret": SECRET,
        "home": Path("/nonexistent"),
    } | settings
    return InboundHooks(Inbox(store), settings=Settings(**values), clock=lambda: NOW)


def _keap(
    body: bytes = b"", *, token: str | None = TOKEN, headers: dict[str, str] | None = None
) -> HookRequest:
    query = {} if token is None else {"token": token}
    return HookRequest("POST", BASE, "/crm/hooks/keap", headers or {}, query, body)


def _hubspot(
    body: bytes, *, signature: str | None = None, stamp: str = STAMP, target: str = ""
) -> HookRequest:
    target = target or "/crm/hooks/hubspot"
    headers = {
        "x-hubspot-signature-v3": signature
        if signature is not None
        else _sign(body, target=target),
        "x-hubspot-request-timestamp": stamp,
    }
    return HookRequest("POST", BASE, target, headers, {}, body)


def _keap_body(event_key: str = "contact.edit", *ids: int, object_type: str = "contact") -> bytes:
    keys = [
        {"id": i, "apiUrl": f"https://api.test/contacts/{i}", "timestamp": "2026-11-20T10:00:00Z"}
        for i in ids
    ]
    return json.dumps(
        {"event_key": event_key, "object_type": object_type, "object_keys": keys}
    ).encode()


# -- HubSpot's v3 signature --------------------------------------------------------------------


def test_the_signature_matches_a_worked_example() -> None:
    """method + URI + body + timestamp, HMAC-SHA256 with the client secret, base64."""
    uri = "https://hooks.example.com/crm/hooks/hubspot?portal=a:b"
    expected = "WoNgGCLeH8hJmdScoNRTNy1JtGRiWZNiU79rlZvFIK4="
    message = b"POST" + uri.encode() + HUBSPOT_BODY + STAMP.encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == expected
    signed = hubspot_signature(SECRET, method="POST", uri=uri, body=HUBSPOT_BODY, timestamp=STAMP)
    assert signed == expected


def test_an_encoded_uri_is_signed_as_hubspot_decodes_it() -> None:
    """HubSpot decodes %3A and friends before signing: the encoded URI gives the same result."""
    decoded = hubspot_signature(
        SECRET, method="POST", uri=BASE + "/h?portal=a:b", body=b"[]", timestamp=STAMP
    )
    encoded = hubspot_signature(
        SECRET, method="POST", uri=BASE + "/h?portal=a%3ab", body=b"[]", timestamp=STAMP
    )
    assert decoded == encoded


@pytest.mark.parametrize(
    ("given", "signed"),
    [
        ("/h?a=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B", "/h?a=:/?@!$'()*,;"),
        ("/h?a=%3a%2f", "/h?a=:/"),
        ("/h?a=%20%26%3D%25", "/h?a=%20%26%3D%25"),  # not in HubSpot's table: kept
    ],
)
def test_only_the_documented_characters_are_decoded(given: str, signed: str) -> None:
    """The twelve characters of HubSpot's table are decoded (any case), nothing else."""
    assert hubspot_uri(given) == signed


def test_a_valid_signature_verifies() -> None:
    """A request signed with the secret, sent now, passes."""
    verify_hubspot(
        SECRET,
        method="POST",
        uri=BASE + "/crm/hooks/hubspot",
        body=HUBSPOT_BODY,
        signature=_sign(HUBSPOT_BODY),
        timestamp=STAMP,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("signature", "stamp", "now", "problem"),
    [
        (None, STAMP, NOW, "missing"),
        ("", STAMP, NOW, "missing"),
        ("c2lnbmF0dXJl", STAMP, NOW, "wrong"),
        ("sign", "yesterday", NOW, "unusable"),
        ("sign", STAMP, NOW + 301, "stale"),
        ("sign", STAMP, NOW - 301, "stale"),
    ],
)
def test_bad_or_stale_signatures_are_refused(
    signature: str | None, stamp: str, now: float, problem: str
) -> None:
    """Missing, wrong, unreadable or more than 5 minutes off: E611."""
    if signature == "sign":
        signature = _sign(HUBSPOT_BODY, stamp=stamp) if stamp.isdigit() else "x"
    with pytest.raises(InputError) as caught:
        verify_hubspot(
            SECRET,
            method="POST",
            uri=BASE + "/crm/hooks/hubspot",
            body=HUBSPOT_BODY,
            signature=signature,
            timestamp=stamp,
            now=now,
        )
    assert caught.value.code == "E611"
    assert problem in caught.value.message


def test_a_changed_body_does_not_verify() -> None:
    """One byte more in the body and the signature fails."""
    with pytest.raises(InputError):
        verify_hubspot(
            SECRET,
            method="POST",
            uri=BASE + "/crm/hooks/hubspot",
            body=HUBSPOT_BODY + b" ",
            signature=_sign(HUBSPOT_BODY),
            timestamp=STAMP,
            now=NOW,
        )


# -- payloads ----------------------------------------------------------------------------------


def test_keap_objects_become_contact_events() -> None:
    """Each object key is an event of its contact, with a stable id and its timestamp."""
    events, skipped = keap_events(json.loads(_keap_body("contact.edit", 11, 12)))
    assert skipped == 0
    assert [(e.contact_id, e.event, e.event_key) for e in events] == [
        ("11", "edit", "contact.edit"),
        ("12", "edit", "contact.edit"),
    ]
    assert events[0].event_id == "contact.edit:11:2026-11-20T10:00:00Z"
    assert events[0].occurred_at is not None
    assert events[0].occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"


@pytest.mark.parametrize(
    ("event_key", "object_type", "kind"),
    [
        ("contact.add", "contact", "add"),
        ("contact.delete", "contact", "delete"),
        ("order.add", "order", None),
        ("contactGroup.applied", "contact", None),
    ],
)
def test_keap_event_keys(event_key: str, object_type: str, kind: str | None) -> None:
    """Contact additions, edits and deletions are kept; other events are skipped."""
    events, skipped = keap_events(json.loads(_keap_body(event_key, 5, object_type=object_type)))
    assert [e.event for e in events] == ([kind] if kind else [])
    assert skipped == (0 if kind else 1)


@pytest.mark.parametrize(
    "payload", [[], "text", {"event_key": "contact.edit"}, {"object_keys": []}]
)
def test_a_body_that_is_not_a_keap_event_is_refused(payload: Any) -> None:
    """E613 for anything but an object with event_key and object_keys."""
    with pytest.raises(InputError) as caught:
        keap_events(payload)
    assert caught.value.code == "E613"


def test_hubspot_events_of_contacts_are_kept() -> None:
    """Creation, property change and deletion of contacts; companies are skipped."""
    payload = [
        {"eventId": 1, "subscriptionId": 9, "objectId": 201, "occurredAt": 1_700_000_000_000,
         "subscriptionType": "contact.creation"},
        {"eventId": 2, "subscriptionId": 9, "objectId": 201, "occurredAt": 1_700_000_000_001,
         "subscriptionType": "contact.propertyChange", "propertyName": "firstname",
         "propertyValue": "Ada"},
        {"eventId": 3, "subscriptionId": 9, "objectId": 202, "occurredAt": 1_700_000_000_002,
         "subscriptionType": "contact.deletion"},
        {"eventId": 4, "subscriptionId": 9, "objectId": 7, "occurredAt": 1_700_000_000_003,
         "subscriptionType": "company.creation"},
    ]  # fmt: skip
    events, skipped = hubspot_events(payload, own=own_properties())
    assert [(e.contact_id, e.event) for e in events] == [
        ("201", "add"),
        ("201", "edit"),
        ("202", "delete"),
    ]
    assert skipped == 1
    assert events[0].event_id == "1:9:201:1700000000000"
    # A foreign property is not kept (its value may be contact data): no name, no hash.
    assert events[1].property is None
    assert events[1].value_sha256 is None


def test_a_change_of_our_own_property_keeps_a_hash_of_its_value() -> None:
    """`matching_score` (the field map's default) is ours: its name and value hash are kept."""
    own = own_properties()
    assert own["matching_score"] == "score"
    payload = [
        {"eventId": 5, "subscriptionId": 9, "objectId": 201, "occurredAt": 1,
         "subscriptionType": "contact.propertyChange", "propertyName": "matching_score",
         "propertyValue": "87.5"},
    ]  # fmt: skip
    (event,) = hubspot_events(payload, own=own)[0]
    assert event.property == "matching_score"
    assert event.value_sha256 == value_hash("score", 87.50)


def test_generic_object_events_of_contacts_and_merges() -> None:
    """object.* events count for contacts (objectTypeId 0-1); a merge deletes the merged ones."""
    payload = [
        {"eventId": 6, "objectId": 301, "objectTypeId": "0-1", "occurredAt": 1,
         "subscriptionType": "object.propertyChange", "propertyName": "email"},
        {"eventId": 7, "objectId": 9, "objectTypeId": "0-2", "occurredAt": 1,
         "subscriptionType": "object.creation"},
        {"eventId": 8, "objectId": 401, "occurredAt": 1, "subscriptionType": "contact.merge",
         "primaryObjectId": 401, "mergedObjectIds": [402, 401]},
    ]  # fmt: skip
    events, skipped = hubspot_events(payload, own={})
    assert [(e.contact_id, e.event) for e in events] == [
        ("301", "edit"),
        ("402", "delete"),
        ("401", "edit"),
    ]
    assert skipped == 1


def test_a_body_that_is_not_an_event_array_is_refused() -> None:
    """E613 for a JSON text or number."""
    with pytest.raises(InputError) as caught:
        hubspot_events("nope", own={})
    assert caught.value.code == "E613"


# -- the receivers -----------------------------------------------------------------------------


def test_the_keap_handshake_echoes_the_secret(store: Store) -> None:
    """With the right token, X-Hook-Secret comes back as a header with 200; nothing is queued."""
    reply = _hooks(store).keap(_keap(headers={"x-hook-secret": "abc123"}))
    assert reply.status == 200
    assert reply.headers == {"X-Hook-Secret": "abc123"}
    assert Inbox(store).pending() == 0


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_keap_requests_without_the_token_are_refused(store: Store, token: str | None) -> None:
    """The handshake and deliveries alike need ?token=MATCHING_KEAP_HOOK_SECRET (E610)."""
    for request in (
        _keap(token=token, headers={"x-hook-secret": "abc"}),
        _keap(b"{}", token=token),
    ):
        with pytest.raises(InputError) as caught:
            _hooks(store).keap(request)
        assert caught.value.code == "E610"


def test_an_unconfigured_hook_says_which_setting_is_missing(store: Store) -> None:
    """E612 names the setting (the service answers 503)."""
    with pytest.raises(ConfigError) as caught:
        _hooks(store, keap_hook_secret=None).keap(_keap(b"{}"))
    assert caught.value.code == "E612"
    assert "MATCHING_KEAP_HOOK_SECRET" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        _hooks(store, hubspot_client_secret=None).hubspot(_hubspot(HUBSPOT_BODY))
    assert "MATCHING_HUBSPOT_CLIENT_SECRET" in caught.value.message


def test_keap_events_are_queued_once(store: Store) -> None:
    """A delivery is queued; Keap's retry of the same delivery adds nothing."""
    hooks = _hooks(store)
    first = hooks.keap(_keap(_keap_body("contact.edit", 11, 12)))
    again = hooks.keap(_keap(_keap_body("contact.edit", 11, 12)))
    assert first.body == {"queued": 2, "duplicates": 0, "skipped": 0}
    assert again.body == {"queued": 0, "duplicates": 2, "skipped": 0}
    assert Inbox(store).counts() == {"keap": {"pending": 2}}


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b""])
def test_bad_json_is_refused_and_nothing_is_queued(store: Store, body: bytes) -> None:
    """E613 (400) for a body that is not JSON; the inbox stays empty."""
    with pytest.raises(InputError) as caught:
        _hooks(store).keap(_keap(body))
    assert caught.value.code == "E613"
    with pytest.raises(InputError):
        _hooks(store).hubspot(_hubspot(body))
    assert Inbox(store).pending() == 0


def test_a_signed_hubspot_delivery_is_queued(store: Store) -> None:
    """Verified against the URI it was called on, its contact events are queued."""
    body = json.dumps(
        [{"eventId": 1, "subscriptionId": 9, "objectId": 201, "occurredAt": 1,
          "subscriptionType": "contact.propertyChange", "propertyName": "firstname"}]
    ).encode()  # fmt: skip
    reply = _hooks(store).hubspot(_hubspot(body))
    assert reply.body == {"queued": 1, "duplicates": 0, "skipped": 0}
    (item,) = Inbox(store).items()
    assert (item.crm, item.contact_id, item.event, item.state) == (
        "hubspot",
        "201",
        "edit",
        "pending",
    )


def test_a_wrong_hubspot_signature_queues_nothing(store: Store) -> None:
    """E611 before the body is read: nothing reaches the inbox."""
    body = b'[{"eventId":1,"objectId":201,"subscriptionType":"contact.creation"}]'
    with pytest.raises(InputError) as caught:
        _hooks(store).hubspot(_hubspot(body, signature=_sign(b"[]")))
    assert caught.value.code == "E611"
    assert Inbox(store).pending() == 0


def test_the_public_url_is_what_hubspot_signed(store: Store) -> None:
    """Behind a proxy the request's own base differs: MATCHING_PUBLIC_URL is used instead."""
    signed = _hubspot(HUBSPOT_BODY)
    proxied = HookRequest(
        "POST", "http://10.0.0.5:3000", signed.target, signed.headers, {}, signed.body
    )
    with pytest.raises(InputError):
        _hooks(store).hubspot(proxied)
    assert _hooks(store, public_url=BASE + "/").hubspot(proxied).status == 200


def test_the_request_is_read_from_the_asgi_scope() -> None:
    """Base from the Host header (or a proxy's X-Forwarded-*), the path and query as sent."""
    scope = {
        "scheme": "http",
        "raw_path": b"/crm/hooks/keap",
        "query_string": b"token=a%3Ab&x=1",
        "server": ("127.0.0.1", 3000),
    }
    plain = hook_request(method="POST", scope=scope, headers={"host": "svc:3000"}, body=b"")
    assert (plain.base, plain.target) == ("http://svc:3000", "/crm/hooks/keap?token=a%3Ab&x=1")
    assert plain.query == {"token": "a:b", "x": "1"}
    proxied = hook_request(
        method="POST",
        scope=scope,
        headers={"host": "svc:3000", "x-forwarded-proto": "https", "x-forwarded-host": "h.io"},
        body=b"",
    )
    assert proxied.base == "https://h.io"


def test_a_bad_field_map_is_a_configuration_error(store: Store) -> None:
    """An unknown value in MATCHING_CRM_FIELDS stops the service with E203, not a traceback."""
    with pytest.raises(ConfigError) as caught:
        _hooks(store, crm_fields="colour=Blue")
    assert caught.value.code == "E203"


def test_an_unconfigured_hook_keeps_its_own_503_body() -> None:
    """The middleware keeps E612's body on a 503 (it names the setting); other 503s stay E608."""
    error = ConfigError(Errors.E612, crm="Keap", setting="MATCHING_KEAP_HOOK_SECRET")
    raw = json.dumps({"detail": error.to_dict()}).encode()
    status, body = normalise_error(503, raw, "r1")
    assert status == 503
    assert json.loads(body) == error.to_dict() | {"request_id": "r1"}
    _, other = normalise_error(503, b'{"detail": "Jane Doe broke it"}', "r2")
    assert json.loads(other)["code"] == "E608"
