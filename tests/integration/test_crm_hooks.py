"""Inbound CRM webhooks end to end: the real `bentoml serve` process, then `matching crm rescore`.

One service is started for the module with MATCHING_CRM=keap,hubspot and both webhook secrets;
two example resumes are stored through the API, each linked to a contact (Keap 101, HubSpot
201) and scored, which queues their first writes. Keap and HubSpot then call the hooks as they
would (handshake, events, signed deliveries); the inbox is read from the SQLite file, and the
real CLI acts on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from matching.ranking import CandidateRanker
from tests.service_process import ROOT, ServiceProcess, prepare_home, start_service

pytestmark = [pytest.mark.slow, pytest.mark.server]

EXAMPLES = ROOT / "src" / "matching" / "examples"
POSTING = (EXAMPLES / "jobs" / "data_engineer.txt").read_text(encoding="utf-8")
KEAP_TOKEN = "keap-hook-token-42"
HUBSPOT_SECRET = "hubspot-client-secret"
KEAP_CONTACT, HUBSPOT_CONTACT, STRANGER = "101", "201", "999"


def _sign(method: str, uri: str, body: bytes, stamp: str) -> str:
    """HubSpot's v3 signature, computed here from the documented recipe."""
    message = method.encode() + uri.encode() + body + stamp.encode()
    digest = hmac.new(HUBSPOT_SECRET.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def _rows(env: dict[str, str], query: str) -> list[tuple[Any, ...]]:
    path = env["MATCHING_DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["remedy"]
    assert body["request_id"] == response.headers["x-request-id"]


def _matching(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    full.pop("MATCHING_API_KEYS", None)
    return subprocess.run(
        [sys.executable, "-c", "from matching.cli import main; main()", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker) -> dict[str, str]:
    """A service home with both CRMs configured for write-back and both webhook secrets."""
    home = prepare_home(tmp_path_factory.mktemp("hooks-home"), tiny_ranker)
    return home | {
        "MATCHING_CRM": "keap,hubspot",
        "MATCHING_KEAP_HOOK_SECRET": KEAP_TOKEN,
        "MATCHING_HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
    }


@pytest.fixture(scope="module")
def service(env: dict[str, str]) -> Iterator[ServiceProcess]:
    started = start_service(env)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def anonymous(service: ServiceProcess) -> Iterator[httpx.Client]:
    """A client without an API key, as a CRM calls."""
    with httpx.Client(base_url=service.url, timeout=60) as opened:
        yield opened


@dataclass(frozen=True)
class Linked:
    """The stored requisition and the two linked, scored candidates."""

    requisition_id: str
    keap_candidate: str
    hubspot_candidate: str


@pytest.fixture(scope="module")
def linked(service: ServiceProcess) -> Linked:
    """Two example resumes stored and linked to contacts, scored once (their writes queued)."""
    with httpx.Client(base_url=service.url, headers=service.headers, timeout=120) as client:
        ids = {}
        for filename, crm, contact in (
            ("ada_moreau.txt", "keap", KEAP_CONTACT),
            ("li_wei.html", "hubspot", HUBSPOT_CONTACT),
        ):
            response = client.post(
                "/candidates",
                files={"document": (filename, (EXAMPLES / "resumes" / filename).read_bytes())},
                data={"crm": crm, "crm_contact_id": contact},
            )
            assert response.status_code == 200, response.text
            ids[crm] = response.json()["candidate_id"]
        response = client.post("/requisitions", json={"text": POSTING})
        assert response.status_code == 200, response.text
        requisition_id = response.json()["requisition_id"]
        response = client.post(
            "/score",
            json={
                "requisition": {"id": requisition_id},
                "candidates": [{"id": ids["keap"]}, {"id": ids["hubspot"]}],
            },
        )
        assert response.status_code == 200, response.text
    return Linked(requisition_id, ids["keap"], ids["hubspot"])


def _post_hubspot(
    client: httpx.Client, service: ServiceProcess, body: bytes, *, stamp: str | None = None
) -> httpx.Response:
    stamp = stamp or _now_ms()
    path = "/crm/hooks/hubspot"
    return client.post(
        path,
        content=body,
        headers={
            "content-type": "application/json",
            "x-hubspot-signature-v3": _sign("POST", service.url + path, body, stamp),
            "x-hubspot-request-timestamp": stamp,
        },
    )


@pytest.fixture(scope="module")
def queued(anonymous: httpx.Client, service: ServiceProcess, linked: Linked) -> Linked:
    """Keap and HubSpot events posted to the hooks (the HubSpot ones signed)."""
    keap = {
        "event_key": "contact.edit",
        "object_type": "contact",
        "object_keys": [
            {"id": int(KEAP_CONTACT), "apiUrl": "", "timestamp": "2026-11-20T10:00:00Z"},
            {"id": int(STRANGER), "apiUrl": "", "timestamp": "2026-11-20T10:00:01Z"},
        ],
    }
    response = anonymous.post(f"/crm/hooks/keap?token={KEAP_TOKEN}", json=keap)
    assert response.status_code == 200, response.text
    assert response.json() == {"queued": 2, "duplicates": 0, "skipped": 0}
    stamp = int(time.time() * 1000)
    events = [
        {"eventId": 7001, "subscriptionId": 1, "portalId": 5, "appId": 6, "occurredAt": stamp,
         "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
         "objectId": int(HUBSPOT_CONTACT), "changeSource": "CRM_UI",
         "propertyName": "jobtitle", "propertyValue": "Data engineer"},
        {"eventId": 7002, "subscriptionId": 2, "portalId": 5, "appId": 6, "occurredAt": stamp,
         "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
         "objectId": int(HUBSPOT_CONTACT), "changeSource": "INTEGRATION",
         "propertyName": "matching_score", "propertyValue": "12"},
    ]  # fmt: skip
    response = _post_hubspot(anonymous, service, json.dumps(events).encode())
    assert response.status_code == 200, response.text
    assert response.json() == {"queued": 2, "duplicates": 0, "skipped": 0}
    return linked


@pytest.fixture(scope="module")
def rescored(env: dict[str, str], queued: Linked) -> dict[str, Any]:
    """`matching crm rescore --json` run on the store, as an operator (or cron) would."""
    done = _matching(env, "crm", "rescore", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# -- the hooks ----------------------------------------------------------------------------------


def test_the_keap_handshake_echoes_the_secret(anonymous: httpx.Client) -> None:
    """Keap's verification POST (no API key, the token in the URL) gets its X-Hook-Secret back."""
    response = anonymous.post(
        f"/crm/hooks/keap?token={KEAP_TOKEN}", headers={"X-Hook-Secret": "tmp-secret-1"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-hook-secret"] == "tmp-secret-1"


def test_keap_calls_without_the_token_are_refused(anonymous: httpx.Client) -> None:
    """401 E610, whether a handshake or a delivery."""
    _assert_error(anonymous.post("/crm/hooks/keap", headers={"X-Hook-Secret": "x"}), 401, "E610")
    _assert_error(
        anonymous.post("/crm/hooks/keap?token=wrong", json={"event_key": "contact.edit"}),
        401,
        "E610",
    )


def test_bad_json_is_a_400(anonymous: httpx.Client, service: ServiceProcess) -> None:
    """400 E613 from both hooks (the HubSpot one correctly signed)."""
    _assert_error(
        anonymous.post(f"/crm/hooks/keap?token={KEAP_TOKEN}", content=b"{oops"), 400, "E613"
    )
    _assert_error(_post_hubspot(anonymous, service, b"[{oops"), 400, "E613")


def test_a_wrong_hubspot_signature_is_a_401(anonymous: httpx.Client) -> None:
    """401 E611 for a signature made with another secret."""
    body = b'[{"eventId":1,"objectId":201,"subscriptionType":"contact.creation"}]'
    response = anonymous.post(
        "/crm/hooks/hubspot",
        content=body,
        headers={"x-hubspot-signature-v3": "d3Jvbmc=", "x-hubspot-request-timestamp": _now_ms()},
    )
    _assert_error(response, 401, "E611")


def test_a_stale_hubspot_delivery_is_a_401(
    anonymous: httpx.Client, service: ServiceProcess
) -> None:
    """401 E611 for a correctly signed request sent more than 5 minutes ago."""
    stale = str(int(time.time() * 1000) - 6 * 60 * 1000)
    body = b'[{"eventId":2,"objectId":201,"subscriptionType":"contact.creation"}]'
    _assert_error(_post_hubspot(anonymous, service, body, stamp=stale), 401, "E611")


# -- inbox, rescore, outbox ----------------------------------------------------------------------


def test_the_events_are_in_the_inbox(env: dict[str, str], queued: Linked) -> None:
    """Four pending events, keyed by contact; nothing of the refused requests."""
    rows = _rows(env, "SELECT crm, contact_id, event, property, state FROM crm_inbox")
    assert sorted(rows, key=str) == sorted(
        [
            ("keap", KEAP_CONTACT, "edit", None, "pending"),
            ("keap", STRANGER, "edit", None, "pending"),
            ("hubspot", HUBSPOT_CONTACT, "edit", None, "pending"),
            ("hubspot", HUBSPOT_CONTACT, "edit", "matching_score", "pending"),
        ],
        key=str,
    )


def test_rescore_acts_on_every_event(env: dict[str, str], rescored: dict[str, Any]) -> None:
    """Two contacts re-scored, the stranger unlinked, the change of our field not acted on."""
    assert rescored["events"] == 4
    assert (rescored["done"], rescored["unlinked"], rescored["ignored"]) == (2, 1, 1)
    assert rescored["rescored"] == 2
    states = _rows(env, "SELECT crm, contact_id, property, state FROM crm_inbox")
    assert ("keap", STRANGER, None, "unlinked") in states
    assert ("hubspot", HUBSPOT_CONTACT, "matching_score", "ignored") in states


def test_the_rescored_writes_are_queued(env: dict[str, str], rescored: dict[str, Any]) -> None:
    """Each linked contact has one pending write, newer than the first one it supersedes."""
    rows = _rows(
        env,
        "SELECT crm, contact_id, status, created_at FROM crm_outbox ORDER BY created_at",
    )
    for crm, contact in (("keap", KEAP_CONTACT), ("hubspot", HUBSPOT_CONTACT)):
        mine = [(status, at) for c, who, status, at in rows if (c, who) == (crm, contact)]
        assert [status for status, _ in mine] == ["superseded", "pending"], mine
        assert mine[1][1] > mine[0][1]


def test_status_lists_the_unlinked_contact(env: dict[str, str], rescored: dict[str, Any]) -> None:
    """`matching crm status --json` counts the events and names the contact to upload."""
    done = _matching(env, "crm", "status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["inbox"] == {
        "keap": {"done": 1, "unlinked": 1},
        "hubspot": {"done": 1, "ignored": 1},
    }
    assert status["unlinked"] == [{"crm": "keap", "contact_id": STRANGER}]
    assert status["counts"]["keap"]["pending"] == 1
