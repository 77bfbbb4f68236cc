"""Bullhorn REST API: scores in a Candidate's custom fields.

Bullhorn cannot create fields through the API: the Candidate entity has a fixed set of custom
fields (``customFloat1``–``23``, ``customInt1``–``23``, ``customText1``–``60`` of 100
characters, ``customTextBlock1``–``10`` unlimited), which an administrator names and shows in
Bullhorn's field maps. A setting says which one holds each written value (``DEFAULT_FIELDS``);
``prepare`` checks them with ``GET meta/Candidate`` and refuses, naming them, fields that are
missing or read-only. An update is ``POST entity/Candidate/{id}`` with the fields to change
(fields left out are kept; ``PUT`` would create a candidate): only the fields whose value
differs from the one just read are sent, so a write already there, or one cut to a field's
length, sends nothing.

Authentication is OAuth 2.0 and a REST session: ``GET loginInfo?username=`` gives the data
centre's ``oauthUrl`` and ``restUrl``; an authorization code (the first time) or the stored
refresh token is traded at ``{oauthUrl}/token`` for an access token and a new refresh token
(Bullhorn's refresh tokens are single-use, so the new pair is saved before it is used); ``GET
{restUrl}/login?version=2.0&access_token=`` gives the session's ``BhRestToken`` and the
corporation's ``restUrl``, which every later call is made against, the token in a
``BhRestToken`` header (never in the URL). An expired session (401) is logged in again once.
Redirects (Bullhorn answers 307 from a wrong data centre) are followed during the login only.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from matching.crm._base import FIELDS, CrmError, FieldMap, error_for, json_object, transport_error

LOGIN_INFO_URL = "https://rest.bullhornstaffing.com/rest-services/loginInfo"
API_VERSION = "2.0"
# Where each written value goes unless MATCHING_BULLHORN_FIELDS says otherwise.
DEFAULT_FIELDS = {
    "score": "customFloat1",
    "rank": "customFloat2",
    "requisition_id": "customText1",
    "reasons": "customTextBlock1",
    "model": "customText2",
    "scored_at": "customText3",
}
# The custom fields each value may go to: the score needs decimals; a rank fits either
# number; the rest are text.
ALLOWED_KINDS = {
    "score": ("customFloat",),
    "rank": ("customFloat", "customInt"),
    "requisition_id": ("customText", "customTextBlock"),
    "reasons": ("customText", "customTextBlock"),
    "model": ("customText", "customTextBlock"),
    "scored_at": ("customText", "customTextBlock"),
}
# A customText field's length when the meta gives none (Bullhorn's entity reference).
TEXT_MAX_LENGTH = 100
REMEDY = (
    "show them on the Candidate in Bullhorn's field maps (Admin > Field Mappings), "
    "or choose others with MATCHING_BULLHORN_FIELDS"
)
_CUSTOM = re.compile(r"(customFloat|customInt|customTextBlock|customText)([1-9][0-9]*)")
_CANDIDATE_ID = re.compile(r"[0-9]{1,18}")


def bullhorn_fields(text: str | None = None) -> FieldMap:
    """The Bullhorn field of each written value: ``DEFAULT_FIELDS`` and ``text``'s overrides.

    ``text`` is a setting's value, ``score=customFloat3,reasons=customTextBlock2``. Raises
    ``ValueError`` for an unknown value name or a field that cannot hold the value.
    """
    names = dict(DEFAULT_FIELDS)
    for entry in (text or "").split(","):
        if "=" in entry:
            key, value = (part.strip() for part in entry.split("=", 1))
            if key not in FIELDS:
                raise ValueError(f"unknown written value {key!r}; use one of {FIELDS}")
            names[key] = value
    fields = FieldMap(names)
    check_fields(fields)
    return fields


def check_fields(fields: FieldMap) -> None:
    """Raise ``ValueError`` unless each value has its own custom field of a kind that fits."""
    for name in FIELDS:
        found = _CUSTOM.fullmatch(fields.names[name])
        if found is None or found.group(1) not in ALLOWED_KINDS[name]:
            kinds = " or ".join(f"{k}N" for k in ALLOWED_KINDS[name])
            raise ValueError(f"{name} needs a Bullhorn {kinds} field, not {fields.names[name]!r}")
    chosen = [fields.names[name] for name in FIELDS]
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"two written values share a Bullhorn field: {chosen}")


@dataclass(frozen=True)
class BullhornSession:
    """A REST session: its ``BhRestToken`` and the corporation's ``restUrl`` (ending in /)."""

    rest_url: str
    rest_token: str = field(repr=False)


class BullhornOAuth:
    """Bullhorn's login: data centre, OAuth tokens (saved, rotated) and a REST session.

    Parameters
    ----------
    token_file
        JSON ``{"access_token": ..., "refresh_token": ...}``, written with mode 0600; it may
        be absent while ``code`` is given.
    client_id, client_secret
        The OAuth key Bullhorn Support issued.
    username
        The API user (``loginInfo`` finds its data centre).
    code
        An authorization code, traded once when the file holds no refresh token.
    redirect_uri
        The redirect URI the code was issued for, if one was given.
    login_info_url
        Bullhorn's ``loginInfo`` endpoint.
    """

    def __init__(
        self,
        token_file: Path,
        *,
        client_id: str,
        client_secret: str,
        username: str,
        code: str | None = None,
        redirect_uri: str | None = None,
        login_info_url: str = LOGIN_INFO_URL,
    ) -> None:
        self.token_file = token_file
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.code = code
        self.redirect_uri = redirect_uri
        self.login_info_url = login_info_url
        self._urls: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def login(self, client: httpx.Client) -> BullhornSession:
        """A new REST session (one access token, traded at once for a ``BhRestToken``)."""
        with self._lock:
            oauth_url, rest_url = self._data_centre(client)
            access_token = self._access_token(client, oauth_url)
            what = "bullhorn login"
            try:
                response = client.get(
                    f"{rest_url}/login",
                    params={"version": API_VERSION, "access_token": access_token},
                    follow_redirects=True,
                )
            except httpx.HTTPError as exc:
                raise transport_error(exc, what=what) from exc
            if response.status_code != 200:
                raise error_for(response, what=what)
            body = json_object(response, what=what)
            token, url = body.get("BhRestToken"), body.get("restUrl")
            if not isinstance(token, str) or not isinstance(url, str) or not token or not url:
                raise CrmError(f"{what}: HTTP 200 without BhRestToken and restUrl", retryable=True)
            return BullhornSession(rest_url=url.rstrip("/") + "/", rest_token=token)

    def _data_centre(self, client: httpx.Client) -> tuple[str, str]:
        """The data centre's ``oauthUrl`` and ``restUrl`` for the API user (cached)."""
        if self._urls is not None:
            return self._urls
        what = "bullhorn login info"
        try:
            response = client.get(
                self.login_info_url, params={"username": self.username}, follow_redirects=True
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, what=what) from exc
        if response.status_code != 200:
            raise error_for(response, what=what)
        body = json_object(response, what=what)
        oauth_url, rest_url = body.get("oauthUrl"), body.get("restUrl")
        if not isinstance(oauth_url, str) or not isinstance(rest_url, str):
            raise CrmError(
                f"{what}: HTTP 200 without oauthUrl and restUrl; check MATCHING_BULLHORN_USERNAME",
                retryable=False,
                status=200,
            )
        self._urls = (oauth_url.rstrip("/"), rest_url.rstrip("/"))
        return self._urls

    def _access_token(self, client: httpx.Client, oauth_url: str) -> str:
        """Trade the stored refresh token (or the authorization code) for a new pair, saved."""
        tokens = self._read()
        refresh = tokens.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            form = {"grant_type": "refresh_token", "refresh_token": refresh}
            what = "bullhorn token refresh"
        elif self.code:
            form = {"grant_type": "authorization_code", "code": self.code}
            if self.redirect_uri:
                form["redirect_uri"] = self.redirect_uri
            what = "bullhorn authorization code"
        else:
            raise CrmError(
                "bullhorn token: no refresh token and no authorization code; authorise the "
                "app and set MATCHING_BULLHORN_AUTH_CODE",
                retryable=False,
            )
        form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        try:
            # Secrets go in the form body, not the URL (Bullhorn's examples use the query).
            response = client.post(f"{oauth_url}/token", data=form, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise transport_error(exc, what=what) from exc
        if response.status_code in (400, 401) and form["grant_type"] == "refresh_token":
            # A refresh token is single-use: another worker sharing the file may have used it
            # and saved the next one. Try that one, once.
            newer = self._read().get("refresh_token")
            if isinstance(newer, str) and newer and newer != refresh:
                form["refresh_token"] = newer
                try:
                    response = client.post(f"{oauth_url}/token", data=form, follow_redirects=True)
                except httpx.HTTPError as exc:
                    raise transport_error(exc, what=what) from exc
        if response.status_code != 200:
            error = error_for(response, what=what)
            if error.retryable:
                raise error
            raise CrmError(
                f"{error.detail}; authorise the app again (a new authorization code)",
                retryable=False,
                status=error.status,
            )
        fresh = json_object(response, what=what)
        access = fresh.get("access_token")
        if not isinstance(access, str) or not access:
            raise CrmError(f"{what}: HTTP 200 without access_token", retryable=True, status=200)
        tokens["access_token"] = access
        if isinstance(fresh.get("refresh_token"), str):
            tokens["refresh_token"] = fresh["refresh_token"]
        self._save(tokens)
        self.code = None  # an authorization code is single-use
        return access

    def _read(self) -> dict[str, Any]:
        """The saved tokens ({} when the file does not exist yet)."""
        try:
            data = json.loads(self.token_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CrmError(
                f"bullhorn tokens unreadable: {type(exc).__name__}", retryable=False
            ) from exc
        return dict(data) if isinstance(data, dict) else {}

    def _save(self, tokens: Mapping[str, Any]) -> None:
        """Replace the token file atomically; the new file is never readable by others."""
        tmp = self.token_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # an older .tmp keeps its mode through O_CREAT
            os.write(fd, json.dumps(dict(tokens)).encode("utf-8"))
        finally:
            os.close(fd)
        tmp.replace(self.token_file)


@dataclass(frozen=True)
class _Field:
    """One written value's Bullhorn field: name, how its value travels, and its length."""

    name: str
    kind: Literal["float", "int", "text"]
    max_length: int | None


class BullhornConnector:
    """Score fields as custom fields of Bullhorn Candidates (REST API 2.0).

    Parameters
    ----------
    oauth
        The login (tokens and sessions).
    fields
        The Bullhorn field of each written value (``bullhorn_fields()`` by default).
    client
        An ``httpx.Client`` (tests pass one with a mock transport), else one with
    timeout
        seconds per request.
    """

    name = "bullhorn"

    def __init__(
        self,
        *,
        oauth: BullhornOAuth,
        fields: FieldMap | None = None,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.oauth = oauth
        self.fields = fields or bullhorn_fields()
        check_fields(self.fields)
        self.client = client or httpx.Client(timeout=timeout)
        self._session: BullhornSession | None = None
        self._fields: dict[str, _Field] = {}
        self._read_last: dict[str, dict[str, Any]] = {}

    # -- HTTP -----------------------------------------------------------------------------
    def _call(
        self, method: str, path: str, *, what: str, accept: int = 0, **kwargs: Any
    ) -> httpx.Response:
        """One request in the session; a 401 (the session expired) logs in again, once.

        A failed response raises ``CrmError``, except one of status ``accept``.
        """
        response = self._send(method, path, what=what, **kwargs)
        if response.status_code == 401:
            self._session = None
            response = self._send(method, path, what=what, **kwargs)
            if response.status_code == 401:
                self._session = None
                raise CrmError(f"{what}: HTTP 401 after a new login", retryable=False, status=401)
        if response.status_code >= 400 and response.status_code != accept:
            raise error_for(response, what=what)
        return response

    def _send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """One request with the session's token in a header (logging in first if needed)."""
        if self._session is None:
            self._session = self.oauth.login(self.client)
        try:
            return self.client.request(
                method,
                self._session.rest_url + path,
                headers={"BhRestToken": self._session.rest_token},
                **kwargs,
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, what=what) from exc

    # -- Connector ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Check that our fields exist on Candidate and can be written; keep their types."""
        if len(self._fields) == len(FIELDS):
            return
        what = "bullhorn candidate meta"
        names = [self.fields.names[name] for name in FIELDS]
        fields = ",".join(names)
        response = self._call(
            "GET", "meta/Candidate", what=what, accept=400, params={"fields": fields}
        )
        if response.status_code == 400:
            # An unknown field name may fail the whole call: list every field instead.
            response = self._call("GET", "meta/Candidate", what=what, params={"fields": "*"})
        meta = json_object(response, what=what)
        found = {str(f.get("name")): f for f in meta.get("fields") or [] if isinstance(f, dict)}
        missing = [n for n in names if n not in found]
        read_only = [n for n in names if n in found and _read_only(found[n])]
        if missing or read_only:
            problems = [f"no field {', '.join(missing)}"] if missing else []
            problems += [f"read-only {', '.join(read_only)}"] if read_only else []
            raise CrmError(
                f"{what}: Candidate has {' and '.join(problems)}; {REMEDY}", retryable=False
            )
        self._fields = {
            name: _describe(self.fields.names[name], found[self.fields.names[name]])
            for name in FIELDS
        }

    def read(self, contact_id: str) -> dict[str, Any]:
        """Our fields' values in the candidate (None when empty), kept for the next write."""
        self.prepare()
        what = "bullhorn get candidate"
        response = self._call(
            "GET",
            f"entity/Candidate/{_candidate_id(contact_id, what=what)}",
            what=what,
            params={"fields": ",".join(f.name for f in self._fields.values())},
        )
        body = json_object(response, what=what)
        data = body.get("data", body)
        data = data if isinstance(data, dict) else {}
        values = {
            name: None if data.get(f.name) in (None, "") else data[f.name]
            for name, f in self._fields.items()
        }
        # Kept for the write that usually follows; only the last candidate read.
        self._read_last = {str(contact_id): values}
        return dict(values)

    def write(self, contact_id: str, values: Mapping[str, Any]) -> None:
        """Send the fields whose value differs from the candidate's (others are kept)."""
        self.prepare()
        what = "bullhorn update candidate"
        candidate = _candidate_id(contact_id, what=what)
        current = self._read_last.pop(candidate, None)
        if current is None:
            current = self.read(candidate)
            self._read_last.clear()
        changed: dict[str, Any] = {}
        for name, f in self._fields.items():
            wanted = _wire(f, values.get(name), name=name, what=what)
            if not _same(f, current.get(name), wanted):
                changed[f.name] = wanted
        if changed:
            self._call("POST", f"entity/Candidate/{candidate}", what=what, json=changed)


def _candidate_id(contact_id: str, *, what: str) -> str:
    """A Bullhorn candidate id (digits), refused before any call otherwise."""
    text = str(contact_id)
    if _CANDIDATE_ID.fullmatch(text) is None:
        raise CrmError(f"{what}: a candidate id is a whole number", retryable=False)
    return text


def _read_only(meta: Mapping[str, Any]) -> bool:
    """Whether the meta marks a field read-only (the docs spell it two ways)."""
    return bool(meta.get("readOnly") or meta.get("readonly"))


def _describe(name: str, meta: Mapping[str, Any]) -> _Field:
    """Our field's kind (from the meta's dataType, else its name) and its maximum length."""
    data_type = str(meta.get("dataType") or "")
    kind: Literal["float", "int", "text"]
    if data_type == "Integer" or (not data_type and name.startswith("customInt")):
        kind = "int"
    elif data_type in ("Double", "BigDecimal", "Float") or (
        not data_type and name.startswith("customFloat")
    ):
        kind = "float"
    else:
        kind = "text"
    length = meta.get("maxLength")
    if isinstance(length, int) and not isinstance(length, bool) and length > 0:
        max_length: int | None = length
    elif name.startswith("customTextBlock"):
        max_length = None
    else:
        max_length = TEXT_MAX_LENGTH
    return _Field(name, kind, max_length if kind == "text" else None)


def _wire(f: _Field, value: Any, *, name: str, what: str) -> Any:
    """A value as Bullhorn takes it: a number, a string cut to the field's length, or null."""
    if value is None or value == "":
        return None
    if f.kind == "text":
        text = str(value)
        return text[: f.max_length] if f.max_length is not None else text
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise CrmError(f"{what}: {name} is not a finite number", retryable=False)
    return round(number) if f.kind == "int" else number


def _same(f: _Field, current: Any, wanted: Any) -> bool:
    """Whether the candidate's value already is the one we would send."""
    if current is None or wanted is None:
        return current is None and wanted is None
    if f.kind == "text":
        return str(current) == str(wanted)
    try:
        return float(current) == float(wanted)
    except (TypeError, ValueError):
        return False


__all__ = [
    "DEFAULT_FIELDS",
    "LOGIN_INFO_URL",
    "TEXT_MAX_LENGTH",
    "BullhornConnector",
    "BullhornOAuth",
    "BullhornSession",
    "bullhorn_fields",
    "check_fields",
]
