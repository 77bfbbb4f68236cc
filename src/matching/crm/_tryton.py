"""Tryton: scores on parties, through the ``matching_scores`` module's REST routes.

Tryton is an open-source ERP/CRM (https://www.tryton.org) that runs anywhere Python does. The
module in ``integrations/tryton`` (installed with ``pip install ./integrations/tryton`` next to
``trytond``) adds the score fields to parties and these routes, behind a Tryton *user
application key* for the application ``matching`` (``Authorization: Bearer <key>``)::

    GET /<database>/matching/fields          the module is active and the key accepted
    GET /<database>/matching/parties/<id>    {"id", "name", "scores": {score, rank, ...}}
    PUT /<database>/matching/parties/<id>    set the score fields given; nothing else changes

A contact id is the party's id. The fields are the module's own, so there is no field map and
nothing to create. Tryton answers 401 without a key and 403 for a key it does not accept
(requested but not validated, cancelled, or for another application).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from matching.crm._base import FIELDS, CrmError, error_for, json_object, transport_error


class TrytonConnector:
    """Scores on Tryton parties.

    Parameters
    ----------
    base_url
        The Tryton server, e.g. ``http://127.0.0.1:8000``.
    database
        The Tryton database name (the first part of every route).
    key
        A validated user application key for the application ``matching``.
    client
        An ``httpx.Client`` (tests pass one with a mock transport).
    """

    name = "tryton"

    def __init__(
        self,
        base_url: str,
        *,
        database: str,
        key: str,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.database = database
        self._headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        self.client = client or httpx.Client(timeout=timeout)
        self._prepared = False

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}/{self.database}/matching{path}"
        try:
            response = self.client.request(method, url, headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_error(exc, what=what) from exc
        if response.status_code >= 400:
            raise error_for(response, what=what)
        return json_object(response, what=what)

    def prepare(self) -> None:
        """Check that the module answers and accepts the key (a 404: the module is missing)."""
        if self._prepared:
            return
        try:
            body = self._call("GET", "/fields", what="tryton fields")
        except CrmError as exc:
            if exc.status == 404:
                raise CrmError(
                    f"tryton fields: HTTP 404: no database {self.database!r} with the "
                    "matching_scores module activated",
                    retryable=False,
                    status=404,
                ) from exc
            raise
        missing = set(FIELDS) - set(body.get("fields") or [])
        if missing:
            raise CrmError(
                f"tryton fields: the module lacks {sorted(missing)} (upgrade it)",
                retryable=False,
            )
        self._prepared = True

    def read(self, contact_id: str) -> dict[str, Any]:
        """The party's score values (a party that does not exist: 404, not retried)."""
        self.prepare()
        party = self._call("GET", f"/parties/{_party_id(contact_id)}", what="tryton read party")
        scores = party.get("scores") or {}
        return {name: scores.get(name) for name in FIELDS}

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """Set the party's score fields; its other fields are not sent."""
        self.prepare()
        body = {name: values.get(name) for name in FIELDS}
        self._call("PUT", f"/parties/{_party_id(contact_id)}", what="tryton write party", json=body)


def _party_id(contact_id: str) -> int:
    try:
        party_id = int(contact_id)
    except ValueError:
        party_id = 0
    if party_id <= 0:
        raise CrmError(
            f"tryton: contact id {contact_id!r} is not a party id (a positive integer)",
            retryable=False,
        )
    return party_id


__all__ = ["TrytonConnector"]
