"""Keap REST API v2: scores in contact custom fields.

In v2 a contact's ``custom_fields`` array *replaces* the stored one (items left out are
removed), so every write reads the contact's custom fields, changes only ours and sends the
whole array back with ``update_mask=custom_fields``. Missing fields are created on first use
(``POST /rest/v2/contacts/model/customFields``) and their ids cached for the process.

Authentication: a Personal Access Token or Service Account Key in ``X-Keap-API-Key``, or OAuth2
with a refresh token that Keap rotates on every refresh (the new pair is saved to
``token_file`` before it is used).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from matching.crm._base import FIELDS, CrmError, FieldMap, error_for, transport_error

DEFAULT_BASE_URL = "https://api.infusionsoft.com/crm"
TOKEN_URL = "https://api.infusionsoft.com/token"
# The Keap field type of each written value.
FIELD_TYPES = {
    "score": "DECIMAL_NUMBER",
    "rank": "WHOLE_NUMBER",
    "requisition_id": "TEXT",
    "reasons": "TEXT",
    "model": "TEXT",
    "scored_at": "TEXT",
}


class KeapOAuth:
    """OAuth2 tokens of a Keap app, refreshed on demand and persisted (Keap rotates them).

    ``token_file`` holds ``{"access_token": ..., "refresh_token": ...}``.
    """

    def __init__(
        self,
        token_file: Path,
        *,
        client_id: str,
        client_secret: str,
        token_url: str = TOKEN_URL,
    ) -> None:
        self.token_file = token_file
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_url = token_url
        self._lock = threading.Lock()

    def access_token(self) -> str:
        """The current access token."""
        return str(self._read().get("access_token", ""))

    def refresh(self, client: httpx.Client) -> None:
        """Trade the refresh token for a new pair and save it (atomically) before use."""
        with self._lock:
            tokens = self._read()
            try:
                response = client.post(
                    self.token_url,
                    data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    auth=(self.client_id, self.client_secret),
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc, what="keap token refresh") from exc
            if response.status_code != 200:
                error = error_for(response, what="keap token refresh")
                # A refused refresh token needs a person: re-authorise the app.
                raise CrmError(error.detail, retryable=error.retryable, status=error.status)
            fresh = response.json()
            tokens.update(
                access_token=fresh["access_token"],
                refresh_token=fresh.get("refresh_token", tokens["refresh_token"]),
            )
            tmp = self.token_file.with_suffix(".tmp")
            # Created readable by the owner only, then moved into place whole.
            tmp.unlink(missing_ok=True)
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(tokens))
            tmp.replace(self.token_file)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.token_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CrmError(
                f"keap tokens unreadable: {type(exc).__name__}", retryable=False
            ) from exc
        return dict(data) if isinstance(data, dict) else {}


class KeapConnector:
    """Score fields on Keap v2 contacts.

    Parameters
    ----------
    base_url
        ``https://api.infusionsoft.com/crm`` (paths start with ``/rest/v2``).
    api_key
        A Personal Access Token or Service Account Key (``X-Keap-API-Key``), or
    oauth
        OAuth2 tokens (``Authorization: Bearer``), refreshed once on a 401.
    fields
        Field labels of the written values.
    client
        An ``httpx.Client`` (tests pass one with a mock transport).
    """

    name = "keap"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        oauth: KeapOAuth | None = None,
        fields: FieldMap | None = None,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
    ) -> None:
        if (api_key is None) == (oauth is None):
            raise ValueError("give either api_key or oauth")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.oauth = oauth
        self.fields = fields or FieldMap()
        self.client = client or httpx.Client(timeout=timeout)
        self._ids: dict[str, str] = {}
        self._custom: dict[str, list[dict[str, Any]]] = {}

    # -- HTTP -----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        if self.oauth is not None:
            return {"Authorization": f"Bearer {self.oauth.access_token()}"}
        return {"X-Keap-API-Key": str(self.api_key)}

    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            try:
                response = self.client.request(
                    method, self.base_url + path, headers=self._headers(), **kwargs
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc, what=what) from exc
            if response.status_code == 401 and self.oauth is not None and attempt == 1:
                self.oauth.refresh(self.client)
                continue
            if response.status_code >= 400:
                raise error_for(response, what=what)
            return response
        raise CrmError(f"{what}: HTTP 401 after a token refresh", retryable=False, status=401)

    # -- Connector ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Find our custom fields by label, creating those that are missing."""
        if len(self._ids) == len(FIELDS):
            return
        model = self._call("GET", "/rest/v2/contacts/model", what="keap contact model").json()
        by_label = {str(f.get("label")): str(f.get("id")) for f in model.get("custom_fields") or []}
        for name in FIELDS:
            label = self.fields.names[name]
            if label not in by_label:
                created = self._call(
                    "POST",
                    "/rest/v2/contacts/model/customFields",
                    what="keap create custom field",
                    json={"label": label, "field_type": FIELD_TYPES[name]},
                ).json()
                by_label[label] = str(created["id"])
            self._ids[name] = by_label[label]

    def read(self, contact_id: str) -> dict[str, Any]:
        """Our fields' values in the contact (the whole array is kept for the next write)."""
        self.prepare()
        contact = self._call(
            "GET",
            f"/rest/v2/contacts/{contact_id}",
            what="keap get contact",
            params={"fields": "custom_fields"},
        ).json()
        custom = [dict(c) for c in contact.get("custom_fields") or []]
        # Kept for the write that usually follows; only the last contact read (bounded memory).
        self._custom = {contact_id: custom}
        content = {str(c.get("id")): c.get("content") for c in custom}
        return {name: content.get(field_id) for name, field_id in self._ids.items()}

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """Merge our values into the contact's custom fields and send the whole array."""
        self.prepare()
        custom = self._custom.pop(contact_id, None)
        if custom is None:
            self.read(contact_id)
            custom = self._custom.pop(contact_id)
        ours = {self._ids[name]: values.get(name) for name in FIELDS}
        merged = [c for c in custom if str(c.get("id")) not in ours]
        merged += [{"id": field_id, "content": value} for field_id, value in ours.items()]
        self._call(
            "PATCH",
            f"/rest/v2/contacts/{contact_id}",
            what="keap update contact",
            params={"update_mask": "custom_fields"},
            json={"custom_fields": merged},
        )


__all__ = ["DEFAULT_BASE_URL", "FIELD_TYPES", "KeapConnector", "KeapOAuth"]
