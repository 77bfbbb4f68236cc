"""A signed webhook: scores POSTed to any system that is not one of the CRMs we speak.

Each write is one ``POST`` of JSON::

    {"contact_id": "...", "values": {"score": 81.2, "rank": 2, ...}, "sent_at": 1764619200}

with two headers:

- ``X-Matching-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the
  shared secret>`` (check it with :func:`verify_signature`; refuse old timestamps);
- ``Idempotency-Key``: SHA-256 of the contact and values. A receiver cannot be read back, so a
  write retried after a lost answer is sent again with the same key: deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from matching.crm._base import error_for, transport_error

SIGNATURE_HEADER = "X-Matching-Signature"


def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_s: float = 300.0,
    now: Callable[[], float] = time.time,
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, made within ``tolerance_s`` seconds."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now() - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


class WebhookConnector:
    """Scores POSTed, signed, to one URL.

    Parameters
    ----------
    url
        Where to POST.
    secret
        The shared HMAC secret.
    client
        An ``httpx.Client`` (tests pass one with a mock transport).
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        secret: str,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret to sign with")
        self.url = url
        self.secret = secret
        self.client = client or httpx.Client(timeout=timeout)
        self._clock = clock

    def prepare(self) -> None:
        """Nothing to prepare: the receiver owns its fields."""

    def read(self, contact_id: str) -> dict[str, Any]:
        """A webhook cannot be read back: nothing is known to be there."""
        return {}

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """POST the values, signed, with an idempotency key."""
        timestamp = int(self._clock())
        body = json.dumps(
            {"contact_id": contact_id, "values": dict(values), "sent_at": timestamp},
            sort_keys=True,
        ).encode("utf-8")
        key = hashlib.sha256(
            json.dumps([contact_id, dict(values)], sort_keys=True).encode("utf-8")
        ).hexdigest()
        try:
            response = self.client.post(
                self.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(self.secret, body, timestamp=timestamp),
                    "Idempotency-Key": key,
                },
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, what="webhook post") from exc
        if response.status_code >= 400:
            raise error_for(response, what="webhook post")


__all__ = ["SIGNATURE_HEADER", "WebhookConnector", "sign", "verify_signature"]
