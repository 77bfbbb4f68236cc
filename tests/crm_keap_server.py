"""A stateful fake of the Keap REST API v2 (contacts and their custom fields), for tests.

A real HTTP server: a Starlette app on uvicorn on a free loopback port, in a thread of the test
process (so it outlives any worker process the test kills). It speaks the v2 shapes the
connector uses, under the same ``/crm`` prefix as ``https://api.keap.com/crm``:

- ``GET /rest/v2/contacts/model``: the custom fields' metadata (``ObjectModel``);
- ``POST /rest/v2/contacts/model/customFields``: create a field (201, ``CustomFieldMetaData``);
- ``GET /rest/v2/contacts/{id}?fields=...``: a contact; ``custom_fields`` only when asked for;
- ``PATCH /rest/v2/contacts/{id}?update_mask=...``: update; ``custom_fields`` *replaces* the
  stored array, as the spec says (items left out are removed), so a connector that does not
  merge loses the contact's other fields.

Every request needs ``X-Keap-API-Key`` (or an OAuth2 token given to the server). Every request
is recorded (:class:`Exchange`) and faults are injected from the test through
:attr:`KeapServer.faults` and :meth:`KeapServer.refuse_connections`::

    with KeapServer() as keap:
        keap.add_contact("1001")                     # holds FOREIGN_FIELD = "keep me"
        keap.faults.error_rate(0.02, seed=7)         # seeded random 5xx, nothing applied
        keap.faults.apply_then_fail({"1001"})        # first PATCH applied, then 500
        ...  # MATCHING_KEAP_BASE_URL=keap.base_url, MATCHING_KEAP_API_KEY=keap.api_key
        assert keap.applied_patches()["1001"] == 1
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PREFIX = "/crm"
# A field somebody else owns: every contact starts with it, and it must survive our writes.
FOREIGN_FIELD = {"id": "999", "label": "Favourite colour", "field_type": "TEXT"}
FOREIGN_VALUE = "keep me"
FIELD_TYPES = frozenset(
    [
        "CURRENCY",
        "DATE",
        "DATE_TIME",
        "DAY_OF_WEEK",
        "DECIMAL_NUMBER",
        "DRILLDOWN",
        "DROPDOWN",
        "EMAIL",
        "LIST_BOX",
        "MONTH",
        "NAME",
        "PERCENT",
        "PHONE_NUMBER",
        "RADIO",
        "SOCIAL_SECURITY_NUMBER",
        "STATE",
        "TEXT",
        "TEXT_AREA",
        "USER",
        "USER_LIST_BOX",
        "WEBSITE",
        "WHOLE_NUMBER",
        "YEAR",
        "YES_NO",
    ]
)
# What update_mask may name (the spec's enum), and what a PATCH can actually change here.
MASKABLE = frozenset(
    [
        "addresses",
        "anniversary_date",
        "birth_date",
        "company",
        "contact_type",
        "create_time",
        "custom_fields",
        "email_addresses",
        "family_name",
        "fax_numbers",
        "given_name",
        "id",
        "job_title",
        "leadsource_id",
        "links",
        "middle_name",
        "notes",
        "origin",
        "owner_id",
        "phone_numbers",
        "preferred_locale",
        "preferred_name",
        "prefix",
        "referral_code",
        "score_value",
        "social_accounts",
        "source_type",
        "spouse_name",
        "suffix",
        "tag_ids",
        "time_zone",
        "update_time",
        "utm_parameters",
        "website",
        "account_id",
        "assistant_name",
        "assistant_phone",
        "billing_information",
        "created_by",
        "groups",
        "last_updated_by",
    ]
)
READ_ONLY = frozenset({"id", "create_time", "update_time", "created_by", "last_updated_by"})
# Sent only when asked for in ``fields`` (the model's optional_properties).
OPTIONAL = ("custom_fields",)


@dataclass
class Exchange:
    """One request the server received and what it answered.

    ``number`` is the order of arrival; ``fault`` names the injected fault (None for a plain
    answer); ``applied`` says whether a PATCH changed the stored contact; ``held`` whether its
    answer was held back (:meth:`Faults.hold_after_apply`); ``slowed`` the seconds it was
    delayed by :meth:`Faults.slow`.
    """

    number: int
    arrived: float
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    status: int = 0
    response: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    applied: bool = False
    held: bool = False
    slowed: float = 0.0
    answered: float = 0.0

    @property
    def contact_id(self) -> str | None:
        """The contact a ``/rest/v2/contacts/{id}`` request is about."""
        head = PREFIX + "/rest/v2/contacts/"
        rest = self.path.removeprefix(head)
        if not self.path.startswith(head) or not rest or "/" in rest or rest == "model":
            return None
        return rest

    def params(self, name: str) -> list[str]:
        """Values of a query parameter (repeated or comma-separated)."""
        return [v for k, raw in self.query if k == name for v in raw.split(",") if v]


class Faults:
    """What goes wrong, set by the test at any moment (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """No faults."""
        with self._lock:
            self._down_until = 0.0
            self._down_status = 503
            self._throttle_until = 0.0
            self._retry_after = 1
            self._error_p = 0.0
            self._error_rng = random.Random(0)
            self._error_statuses: tuple[int, ...] = (500, 502, 503)
            self._slow_p = 0.0
            self._slow_s = 0.0
            self._slow_rng = random.Random(0)
            self._apply_then_fail: set[str] = set()
            self._failing: dict[str, int] = {}
            self._hold_nth = 0
            self._hold_s = 0.0
            self.held = threading.Event()

    def down(self, seconds: float, *, status: int = 503) -> None:
        """Answer every request with ``status`` (no Retry-After) for ``seconds``."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            self._down_status = status

    def throttle(self, seconds: float, *, retry_after: int = 1) -> None:
        """Answer every request with 429 and ``Retry-After: retry_after`` for ``seconds``."""
        with self._lock:
            self._throttle_until = time.monotonic() + seconds
            self._retry_after = retry_after

    def error_rate(
        self, probability: float, *, seed: int = 0, statuses: tuple[int, ...] = (500, 502, 503)
    ) -> None:
        """Fail a request at random (seeded) with one of ``statuses``, before doing anything."""
        with self._lock:
            self._error_p = probability
            self._error_rng = random.Random(seed)
            self._error_statuses = statuses

    def slow(self, probability: float, seconds: float, *, seed: int = 0) -> None:
        """Delay a request at random (seeded) by ``seconds`` before answering it."""
        with self._lock:
            self._slow_p = probability
            self._slow_s = seconds
            self._slow_rng = random.Random(seed)

    def apply_then_fail(self, contact_ids: Iterable[str]) -> None:
        """The first PATCH of each contact is applied, then answered 500 (the duplicate trap)."""
        with self._lock:
            self._apply_then_fail |= set(contact_ids)

    def fail_contact(self, contact_id: str, status: int) -> None:
        """Every request about this contact is answered ``status`` (0 to stop)."""
        with self._lock:
            if status:
                self._failing[contact_id] = status
            else:
                self._failing.pop(contact_id, None)

    def hold_after_apply(self, nth: int, seconds: float) -> threading.Event:
        """The ``nth`` applied PATCH waits ``seconds`` before its answer; the event says when.

        A test kills the worker in that window: the write is in the CRM, the worker never
        learns it.
        """
        with self._lock:
            self._hold_nth = nth
            self._hold_s = seconds
            self.held = threading.Event()
            return self.held

    # -- used by the server ---------------------------------------------------------------
    def before(self, exchange: Exchange) -> tuple[float, int, str | None, dict[str, str]]:
        """Delay, and the status (0: none), fault name and headers of a refusal."""
        with self._lock:
            now = time.monotonic()
            delay = self._slow_s if self._slow_rng.random() < self._slow_p else 0.0
            if now < self._down_until:
                return delay, self._down_status, "down", {}
            if now < self._throttle_until:
                return delay, 429, "throttled", {"Retry-After": str(self._retry_after)}
            failing = self._failing.get(exchange.contact_id or "")
            if failing:
                return delay, failing, "failing contact", {}
            if self._error_rng.random() < self._error_p:
                return delay, self._error_rng.choice(self._error_statuses), "random 5xx", {}
            return delay, 0, None, {}

    def after_apply(self, contact_id: str, applied_total: int) -> tuple[float, bool]:
        """Hold (seconds) and whether to fail an applied PATCH."""
        with self._lock:
            hold = self._hold_s if applied_total == self._hold_nth else 0.0
            if hold:
                self.held.set()
            fail = contact_id in self._apply_then_fail
            self._apply_then_fail.discard(contact_id)
            return hold, fail


def _error(status: int, message: str) -> dict[str, Any]:
    """The spec's ``Error`` body."""
    return {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "ERROR")}


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


class KeapServer:
    """The fake Keap v2 API: state in memory, every request recorded, faults on demand.

    Parameters
    ----------
    api_key
        The only ``X-Keap-API-Key`` accepted.
    access_tokens
        OAuth2 access tokens accepted as ``Authorization: Bearer`` (none by default).
    """

    def __init__(
        self, *, api_key: str = "test-keap-key", access_tokens: Iterable[str] = ()
    ) -> None:
        self.api_key = api_key
        self.access_tokens = set(access_tokens)
        self.faults = Faults()
        self._lock = threading.Lock()
        self._contacts: dict[str, dict[str, Any]] = {}
        self._fields: dict[str, dict[str, Any]] = {}
        self._next_field = 1
        self._exchanges: list[Exchange] = []
        self._arrivals = 0
        self._applied_total = 0
        self._port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._refusing: threading.Thread | None = None
        self._add_field(FOREIGN_FIELD["label"], FOREIGN_FIELD["field_type"], FOREIGN_FIELD["id"])
        self.app = Starlette(
            routes=[
                Route(PREFIX + "/rest/v2/contacts/model", self._dispatch, methods=["GET"]),
                Route(
                    PREFIX + "/rest/v2/contacts/model/customFields",
                    self._dispatch,
                    methods=["POST"],
                ),
                Route(
                    PREFIX + "/rest/v2/contacts/{contact_id}",
                    self._dispatch,
                    methods=["GET", "PATCH"],
                ),
                Route("/{rest:path}", self._dispatch, methods=["GET", "POST", "PATCH", "PUT"]),
            ]
        )

    # -- life -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """What the connector is given (``MATCHING_KEAP_BASE_URL``): the URL with ``/crm``."""
        return self.url + PREFIX

    def start(self) -> KeapServer:
        """Listen on a free loopback port (the same one again after a refusal)."""
        # IPPROTO_TCP named, else asyncio leaves Nagle on and every answer waits 40 ms.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-keap", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the fake Keap server did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop listening (requests in flight are answered first)."""
        if self._refusing is not None:
            self._refusing.join(timeout=30)
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=30)

    def refuse_connections(self, seconds: float) -> None:
        """Stop listening now and for ``seconds`` (connections refused), then listen again."""

        def outage() -> None:
            server, thread = self._server, self._thread
            if server is None or thread is None:
                return
            server.should_exit = True
            thread.join(timeout=30)
            time.sleep(seconds)
            self.start()

        self._refusing = threading.Thread(target=outage, name="fake-keap-outage", daemon=True)
        self._refusing.start()

    def __enter__(self) -> KeapServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- state ----------------------------------------------------------------------------
    def add_contact(self, contact_id: str, **properties: Any) -> None:
        """A contact with a name, an email and the foreign custom field (``FOREIGN_VALUE``)."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        contact = {
            "id": contact_id,
            "given_name": f"Given{contact_id}",
            "family_name": "Tester",
            "email_addresses": [{"email": f"c{contact_id}@example.com", "field": "EMAIL1"}],
            "custom_fields": [{"id": FOREIGN_FIELD["id"], "content": FOREIGN_VALUE}],
            "create_time": stamp,
            "update_time": stamp,
            **properties,
        }
        with self._lock:
            self._contacts[contact_id] = contact

    def contact(self, contact_id: str) -> dict[str, Any]:
        """A copy of the stored contact (KeyError when absent)."""
        with self._lock:
            return copy.deepcopy(self._contacts[contact_id])

    def custom_values(self, contact_id: str) -> dict[str, Any]:
        """The contact's custom field values by field label."""
        with self._lock:
            labels = {i: f["label"] for i, f in self._fields.items()}
            return {
                labels.get(str(c["id"]), str(c["id"])): c.get("content")
                for c in self._contacts[contact_id]["custom_fields"]
            }

    def field_labels(self) -> dict[str, str]:
        """Field id by label."""
        with self._lock:
            return {f["label"]: i for i, f in self._fields.items()}

    @property
    def request_count(self) -> int:
        """Requests received so far (answered or not)."""
        with self._lock:
            return self._arrivals

    def exchanges(self, *, method: str | None = None) -> list[Exchange]:
        """Answered requests in order of arrival, optionally of one method."""
        with self._lock:
            found = [e for e in self._exchanges if method is None or e.method == method]
        return sorted(found, key=lambda e: e.number)

    def applied_patches(self) -> Counter[str]:
        """PATCHes that changed the stored contact, per contact (faulted ones included)."""
        return Counter(e.contact_id for e in self.exchanges(method="PATCH") if e.applied)

    def status_counts(self) -> Counter[int]:
        """Answers per HTTP status."""
        return Counter(e.status for e in self.exchanges())

    def fault_counts(self) -> Counter[str]:
        """Answers per injected fault."""
        return Counter(e.fault for e in self.exchanges() if e.fault)

    def _add_field(
        self, label: str, field_type: str, field_id: str | None = None
    ) -> dict[str, Any]:
        field_id = field_id or str(self._next_field)
        self._next_field += 1
        meta = {
            "id": field_id,
            "label": label,
            "field_type": field_type,
            "record_type": "CONTACT",
            "field_name": f"custom{field_id}",
        }
        self._fields[field_id] = meta
        return meta

    # -- HTTP -----------------------------------------------------------------------------
    async def _dispatch(self, request: Request) -> Response:
        with self._lock:
            self._arrivals += 1
            number = self._arrivals
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        exchange = Exchange(
            number=number,
            arrived=time.monotonic(),
            method=request.method,
            path=request.url.path,
            query=list(request.query_params.multi_items()),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        try:
            status, payload, headers = await self._answer(request, exchange)
        except Exception as exc:  # the fake must answer, and say why, never hang a test
            status, payload, headers = 500, _error(500, f"fake failed: {exc!r}"), {}
        exchange.status, exchange.response, exchange.response_headers = status, payload, headers
        exchange.answered = time.monotonic()
        with self._lock:
            self._exchanges.append(exchange)
        if payload is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(payload, status_code=status, headers=headers)

    async def _answer(
        self, request: Request, exchange: Exchange
    ) -> tuple[int, Any, dict[str, str]]:
        delay, status, fault, headers = self.faults.before(exchange)
        if delay:
            exchange.slowed = delay
            await asyncio.sleep(delay)
        if status:
            exchange.fault = fault
            return status, _error(status, f"injected: {fault}"), headers
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.headers.get("x-keap-api-key") != self.api_key and (
            bearer not in self.access_tokens
        ):
            return 401, _error(401, "a valid X-Keap-API-Key or access token is required"), {}
        path = exchange.path.removeprefix(PREFIX)
        if path == "/rest/v2/contacts/model" and exchange.method == "GET":
            return 200, self._model(), {}
        if path == "/rest/v2/contacts/model/customFields" and exchange.method == "POST":
            return self._create_field(exchange.body)
        contact_id = exchange.contact_id
        if contact_id is not None and exchange.method == "GET":
            return self._get_contact(contact_id, exchange)
        if contact_id is not None and exchange.method == "PATCH":
            status, payload = self._patch_contact(contact_id, exchange)
            if exchange.applied:
                with self._lock:
                    self._applied_total += 1
                    total = self._applied_total
                hold, fail = self.faults.after_apply(contact_id, total)
                if hold:
                    exchange.fault, exchange.held = "held", True
                    await asyncio.sleep(hold)
                if fail:
                    exchange.fault = "apply then fail"
                    return 500, _error(500, "injected: applied, then failed"), {}
            return status, payload, {}
        return 404, _error(404, f"no route {exchange.method} {exchange.path}"), {}

    def _model(self) -> dict[str, Any]:
        with self._lock:
            fields = [copy.deepcopy(f) for f in self._fields.values()]
        return {"custom_fields": fields, "optional_properties": list(OPTIONAL)}

    def _create_field(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return 400, _error(400, "a JSON object is required"), {}
        label, field_type = body.get("label"), body.get("field_type")
        if not isinstance(label, str) or not label or field_type not in FIELD_TYPES:
            return 400, _error(400, "label and a known field_type are required"), {}
        with self._lock:
            if any(f["label"] == label for f in self._fields.values()):
                return 409, _error(409, f"a field labelled {label!r} exists"), {}
            meta = self._add_field(label, str(field_type))
        return 201, copy.deepcopy(meta), {}

    def _get_contact(self, contact_id: str, exchange: Exchange) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            contact = copy.deepcopy(self._contacts.get(contact_id))
        if contact is None:
            return 404, _error(404, "contact not found"), {}
        return 200, self._shown(contact, exchange.params("fields")), {}

    def _patch_contact(self, contact_id: str, exchange: Exchange) -> tuple[int, Any]:
        body = exchange.body
        if not isinstance(body, dict):
            return 400, _error(400, "a JSON object is required")
        mask = exchange.params("update_mask")
        unknown = [m for m in mask if m not in MASKABLE]
        if unknown:
            return 400, _error(400, f"unknown update_mask {unknown}")
        names = [n for n in (mask or list(body)) if n in body and n not in READ_ONLY]
        with self._lock:
            stored = self._contacts.get(contact_id)
            if stored is None:
                return 404, _error(404, "contact not found")
            if "custom_fields" in names:
                problem = self._bad_custom_fields(body["custom_fields"])
                if problem:
                    return 400, _error(400, problem)
            for name in names:
                # Arrays, custom_fields among them, replace what is stored: items left out go.
                stored[name] = copy.deepcopy(body[name])
            stored["update_time"] = datetime.now(UTC).isoformat(timespec="seconds")
            contact = copy.deepcopy(stored)
        exchange.applied = True
        return 200, self._shown(contact, exchange.params("fields"))

    def _bad_custom_fields(self, values: Any) -> str | None:
        if not isinstance(values, list):
            return "custom_fields must be an array"
        seen: set[str] = set()
        for item in values:
            if not isinstance(item, dict) or set(item) - {"id", "content"}:
                return "a custom field value is {id, content}"
            field_id = item.get("id")
            if not isinstance(field_id, str) or field_id not in self._fields:
                return f"unknown custom field id {field_id!r}"
            if field_id in seen:
                return f"custom field {field_id} given twice"
            seen.add(field_id)
        return None

    @staticmethod
    def _shown(contact: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        """The contact as the API shows it: optional properties only when asked for."""
        if fields:
            return {k: v for k, v in contact.items() if k == "id" or k in fields}
        return {k: v for k, v in contact.items() if k not in OPTIONAL}


@contextlib.contextmanager
def running_keap(
    *, api_key: str = "test-keap-key", access_tokens: Iterable[str] = ()
) -> Iterator[KeapServer]:
    """A started :class:`KeapServer`, stopped on exit."""
    server = KeapServer(api_key=api_key, access_tokens=access_tokens)
    server.start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "FOREIGN_FIELD",
    "FOREIGN_VALUE",
    "PREFIX",
    "Exchange",
    "Faults",
    "KeapServer",
    "running_keap",
]
