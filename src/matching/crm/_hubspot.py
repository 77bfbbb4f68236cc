"""HubSpot CRM v3: scores in custom contact properties.

HubSpot properties are per field: ``PATCH /crm/v3/objects/contacts/{contactId}`` with
``{"properties": {...}}`` changes the properties it names and keeps every other one (no
replace trap, unlike Keap), and an empty string clears a value. Values travel as strings both
ways. Our properties are found by internal name (derived from the field map's label, e.g.
``matching_score``) or by label, created where missing (``POST /crm/v3/properties/contacts``)
and their names cached for the process.

The batch calls (``read_many``, ``write_many``) take up to 100 contacts a call. A batch update
answers 207 on a partial failure: the contacts written are in ``results``, the failed ones in
``errors[]``, each a ``StandardError`` whose ``context`` names them (``ids``, or the
``objectWriteTraceId`` we send with every input), so that only those are retried.

Authentication: a private app's access token, sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from matching.crm._base import FIELDS, CrmError, FieldMap, error_for, json_object, transport_error

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_GROUP = "contactinformation"
# HubSpot takes at most 100 inputs per batch call.
BATCH_LIMIT = 100
# The HubSpot (type, fieldType) of each written value.
PROPERTY_TYPES = {
    "score": ("number", "number"),
    "rank": ("number", "number"),
    "requisition_id": ("string", "text"),
    "reasons": ("string", "text"),
    "model": ("string", "text"),
    "scored_at": ("string", "text"),
}
# The HTTP status a per-item error of a 207 stands for, when its ``status`` is not a number
# (HubSpot sends "error" there); unknown categories count as not worth retrying.
CATEGORY_STATUS = {
    "VALIDATION_ERROR": 400,
    "INVALID_AUTHENTICATION": 401,
    "MISSING_SCOPES": 403,
    "OBJECT_NOT_FOUND": 404,
    "CONFLICT": 409,
    "OBJECT_ALREADY_EXISTS": 409,
    "RATE_LIMITS": 429,
    "INTERNAL_ERROR": 500,
}
# The ``context`` keys of a per-item error that name the failed inputs.
ID_KEYS = ("ids", "id", "objectWriteTraceId", "objectWriteTraceIds")


def property_name(label: str) -> str:
    """A HubSpot internal property name for a label: ``Matching score`` → ``matching_score``.

    Lower-case ASCII letters, digits and underscores, starting with a letter. Raises
    ``ValueError`` for a label without any letter or digit.
    """
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")
    if not name:
        raise ValueError(f"the label {label!r} has no letter or digit to name a property")
    return name if name[0].isalpha() else f"p_{name}"


class HubSpotConnector:
    """Score fields as custom properties of HubSpot contacts (CRM API v3).

    Parameters
    ----------
    access_token
        A private app's access token (scopes ``crm.objects.contacts.read``,
        ``crm.objects.contacts.write``, ``crm.schemas.contacts.read`` and
        ``crm.schemas.contacts.write``).
    base_url
        ``https://api.hubapi.com``.
    fields
        Property labels of the written values; internal names are derived from them.
    group_name
        The property group new properties are created in.
    client
        An ``httpx.Client`` (tests pass one with a mock transport), else one with
    timeout
        seconds per request.
    """

    name = "hubspot"
    batch_size = BATCH_LIMIT

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str = DEFAULT_BASE_URL,
        fields: FieldMap | None = None,
        group_name: str = DEFAULT_GROUP,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
    ) -> None:
        if not access_token:
            raise ValueError("give the private app's access_token")
        self.access_token = access_token
        self.base_url = base_url.rstrip("/")
        self.fields = fields or FieldMap()
        self.group_name = group_name
        self.client = client or httpx.Client(timeout=timeout)
        self._wanted = {name: property_name(self.fields.names[name]) for name in FIELDS}
        if len(set(self._wanted.values())) != len(FIELDS):
            raise ValueError(f"two field labels give the same property name: {self._wanted}")
        self._names: dict[str, str] = {}

    # -- HTTP -----------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """One request; a failed response or connection becomes a ``CrmError``."""
        try:
            response = self.client.request(
                method,
                self.base_url + path,
                headers={"Authorization": f"Bearer {self.access_token}"},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, what=what) from exc
        if response.status_code >= 400:
            raise error_for(response, what=what)
        return response

    # -- Connector ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Find our properties by internal name or label, creating those that are missing."""
        if len(self._names) == len(FIELDS):
            return
        what = "hubspot list properties"
        listing = json_object(
            self._call("GET", "/crm/v3/properties/contacts", what=what), what=what
        )
        by_name: set[str] = set()
        by_label: dict[str, str] = {}
        for prop in listing.get("results") or []:
            if isinstance(prop, dict) and not prop.get("archived"):
                by_name.add(str(prop.get("name")))
                by_label.setdefault(str(prop.get("label")), str(prop.get("name")))
        names: dict[str, str] = {}
        for field in FIELDS:
            wanted, label = self._wanted[field], self.fields.names[field]
            if wanted in by_name:
                names[field] = wanted
            elif label in by_label:
                names[field] = by_label[label]
            else:
                names[field] = self._create(field, wanted, label)
        self._names = names

    def _create(self, field: str, name: str, label: str) -> str:
        """Create one property; one that exists already (another worker's) is taken."""
        kind, field_type = PROPERTY_TYPES[field]
        body = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "groupName": self.group_name,
            "description": "Written by the candidate-matching service.",
        }
        try:
            self._call(
                "POST", "/crm/v3/properties/contacts", what="hubspot create property", json=body
            )
        except CrmError as exc:
            if exc.status != 409:
                raise
        return name

    def read(self, contact_id: str) -> dict[str, Any]:
        """Our properties' values in the contact, as HubSpot's strings (None when empty)."""
        self.prepare()
        what = "hubspot get contact"
        response = self._call(
            "GET",
            f"/crm/v3/objects/contacts/{quote(str(contact_id), safe='')}",
            what=what,
            params={"properties": list(self._names.values())},
        )
        return self._values(json_object(response, what=what))

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """Set our properties of the contact (None clears one); other properties are kept."""
        self.prepare()
        self._call(
            "PATCH",
            f"/crm/v3/objects/contacts/{quote(str(contact_id), safe='')}",
            what="hubspot update contact",
            json={"properties": self._properties(values)},
        )

    # -- Batches --------------------------------------------------------------------------
    def read_many(self, contact_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Our values of many contacts, by contact id, in calls of up to 100.

        Contacts HubSpot does not return (unknown, or failed in a 207) are left out: ``read``
        one of them for its error. A failed call raises ``CrmError``.
        """
        self.prepare()
        what = "hubspot batch read"
        ids = list(dict.fromkeys(str(c) for c in contact_ids))
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids, BATCH_LIMIT):
            body = {
                "inputs": [{"id": c} for c in chunk],
                "properties": list(self._names.values()),
                "propertiesWithHistory": [],
            }
            response = self._call(
                "POST", "/crm/v3/objects/contacts/batch/read", what=what, json=body
            )
            wanted = set(chunk)
            for obj in json_object(response, what=what).get("results") or []:
                if isinstance(obj, dict) and str(obj.get("id")) in wanted:
                    out[str(obj["id"])] = self._values(obj)
        return out

    def write_many(
        self, writes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> dict[str, CrmError | None]:
        """Write many contacts in calls of up to 100; per contact id, None or its error.

        A 207 fails only the items it reports. A failed call fails each of its items with the
        call's error; after one that can be retried (429, 5xx, a lost connection) the later
        calls are not sent and their items get the same error. A contact given twice is
        written once, with its last values.
        """
        self.prepare()
        properties = {str(c): self._properties(values) for c, values in writes}
        out: dict[str, CrmError | None] = {}
        stopped: CrmError | None = None
        for chunk in _chunks(list(properties), BATCH_LIMIT):
            if stopped is not None:
                out.update(dict.fromkeys(chunk, stopped))
                continue
            try:
                out.update(self._update_batch(chunk, properties))
            except CrmError as exc:
                out.update(dict.fromkeys(chunk, exc))
                if exc.retryable:
                    stopped = exc
        return out

    def _update_batch(
        self, chunk: list[str], properties: Mapping[str, dict[str, str]]
    ) -> dict[str, CrmError | None]:
        """One batch update call and the outcome of each of its items."""
        what = "hubspot batch update"
        inputs = [{"id": c, "objectWriteTraceId": c, "properties": properties[c]} for c in chunk]
        response = self._call(
            "POST", "/crm/v3/objects/contacts/batch/update", what=what, json={"inputs": inputs}
        )
        body = json_object(response, what=what)
        status = response.status_code
        members = set(chunk)
        failed: dict[str, CrmError] = {}
        unattributed: CrmError | None = None
        for error in body.get("errors") or []:
            if not isinstance(error, dict):
                continue
            item_error = _item_error(error, what=what, status=status)
            named = _context_ids(error) & members
            for contact_id in named:
                failed.setdefault(contact_id, item_error)
            if not named and unattributed is None:
                unattributed = item_error
        done = {str(o.get("id")) for o in body.get("results") or [] if isinstance(o, dict)}
        missing = unattributed or CrmError(
            f"{what}: HTTP {status}, an item without a result", retryable=True, status=status
        )
        return {c: failed.get(c, None if c in done else missing) for c in chunk}

    # -- Values ---------------------------------------------------------------------------
    def _values(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Our values in a contact object, by logical name (None for null, empty or absent)."""
        props = obj.get("properties")
        props = props if isinstance(props, dict) else {}
        out: dict[str, Any] = {}
        for field, name in self._names.items():
            value = props.get(name)
            out[field] = None if value is None or value == "" else str(value)
        return out

    def _properties(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Our values as HubSpot properties: strings, an empty one to clear a value."""
        return {
            self._names[field]: "" if values.get(field) is None else str(values.get(field))
            for field in FIELDS
        }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _context_ids(error: Mapping[str, Any]) -> set[str]:
    """The input ids a ``StandardError`` names in its context (or its details' contexts)."""
    contexts = [error.get("context")]
    contexts += [d.get("context") for d in error.get("errors") or [] if isinstance(d, dict)]
    ids: set[str] = set()
    for context in contexts:
        if isinstance(context, dict):
            for key in ID_KEYS:
                found = context.get(key)
                if isinstance(found, list):
                    ids.update(str(v) for v in found)
                elif isinstance(found, str):
                    ids.add(found)
    return ids


def _item_error(error: Mapping[str, Any], *, what: str, status: int) -> CrmError:
    """A ``CrmError`` for one item of a 207 (its category, never its message)."""
    category = str(error.get("category") or "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", category):
        category = "ERROR"
    code = str(error.get("status") or "")
    item_status = int(code) if code.isdigit() else CATEGORY_STATUS.get(category.upper(), status)
    retryable = item_status in (408, 425, 429) or item_status >= 500
    return CrmError(f"{what}: HTTP {status} {category}", retryable=retryable, status=item_status)


__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_BASE_URL",
    "DEFAULT_GROUP",
    "PROPERTY_TYPES",
    "HubSpotConnector",
    "property_name",
]
