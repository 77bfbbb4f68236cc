"""What every CRM connector offers, the errors it raises and the fields it writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

# What is written, by logical name: the CRM's own field names come from FieldMap.
FIELDS = ("score", "rank", "requisition_id", "reasons", "model", "scored_at")


@dataclass(frozen=True)
class FieldMap:
    """The CRM field (label, property or column name) that holds each written value."""

    names: Mapping[str, str] = field(
        default_factory=lambda: {
            "score": "Matching score",
            "rank": "Matching rank",
            "requisition_id": "Matching requisition",
            "reasons": "Matching reasons",
            "model": "Matching model",
            "scored_at": "Matching scored at",
        }
    )

    def __post_init__(self) -> None:
        missing = set(FIELDS) - set(self.names)
        if missing:
            raise ValueError(f"the field map lacks {sorted(missing)}")

    @classmethod
    def parse(cls, text: str | None) -> FieldMap:
        """``score=Fit score,rank=Fit rank`` overrides the defaults (a setting's value)."""
        names = dict(cls().names)
        for entry in (text or "").split(","):
            if "=" in entry:
                key, value = (part.strip() for part in entry.split("=", 1))
                if key not in FIELDS:
                    raise ValueError(f"unknown written value {key!r}; use one of {FIELDS}")
                names[key] = value
        return cls(names)


def values_of(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The written values of an outbox payload, by logical name."""
    return {name: payload.get(name) for name in FIELDS}


class CrmError(Exception):
    """A CRM call that failed; ``retryable`` says whether trying again later can help.

    ``detail`` is a status and a short reason: never a payload or contact data.
    """

    def __init__(
        self, detail: str, *, retryable: bool, retry_after: float | None = None, status: int = 0
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


def error_for(response: httpx.Response, *, what: str) -> CrmError:
    """A ``CrmError`` for a failed response: 408, 425, 429 and 5xx can be retried."""
    status = response.status_code
    retryable = status in (408, 425, 429) or status >= 500
    return CrmError(
        f"{what}: HTTP {status}",
        retryable=retryable,
        retry_after=retry_after(response),
        status=status,
    )


def json_object(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """The response's JSON object (a body that is not one can be retried)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        status = response.status_code
        raise CrmError(f"{what}: HTTP {status}, no JSON object", retryable=True, status=status)
    return body


def transport_error(exc: httpx.HTTPError, *, what: str) -> CrmError:
    """A ``CrmError`` for a connection that failed (always worth retrying)."""
    return CrmError(f"{what}: {type(exc).__name__}", retryable=True)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), if the CRM sent one."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class Connector(Protocol):
    """A CRM: read and write a contact's score fields.

    ``read`` returns the written values now in the contact (logical names; None when
    empty), so that a write already there is skipped. ``write`` changes only our fields and
    keeps every other value of the contact.
    """

    name: str

    def prepare(self) -> None:
        """Make sure the fields exist (create them where the API allows); cache their ids."""

    def read(self, contact_id: str) -> dict[str, Any]:
        """The contact's current values of our fields."""

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """Set our fields of the contact to ``values``."""


class RateLimiter:
    """At most ``rate`` calls per second (a token bucket of ``burst``), shared by threads.

    ``pause(seconds)`` stops every call until then (a CRM's ``Retry-After``).
    """

    def __init__(
        self, rate: float, *, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """No call before ``seconds`` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def delay(self) -> float:
        """Take a token; return how long to wait before the call (0 when none)."""
        with self._lock:
            now = float(self._clock())
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            return max(wait, self._paused_until - now)


__all__ = [
    "FIELDS",
    "Connector",
    "CrmError",
    "FieldMap",
    "RateLimiter",
    "error_for",
    "json_object",
    "retry_after",
    "transport_error",
    "values_of",
]
