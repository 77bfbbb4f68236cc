"""The Bullhorn connector against a fake Bullhorn: login, custom fields, reads, writes, errors."""

from __future__ import annotations

import json
import random
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from matching.crm import (
    BullhornConnector,
    BullhornOAuth,
    CrmError,
    RateLimiter,
    RetryPolicy,
    bullhorn_fields,
    deliver,
)
from matching.crm._bullhorn import DEFAULT_FIELDS, BullhornSession

USERNAME = "matching.api"
CLIENT_ID = "client-1"
CLIENT_SECRET = "secret-1"
LOGIN_INFO = "https://rest.bullhornstaffing.com/rest-services/loginInfo"
OAUTH = "https://auth-emea.bullhorn.test/oauth"
DATA_CENTRE = "https://rest-emea.bullhorn.test/rest-services"
CORPORATION = "https://rest42.bullhorn.test/rest-services/e999/"
VALUES = {
    "score": 81.2,
    "rank": 2,
    "requisition_id": "r1",
    "reasons": "8 of 9 skills",
    "model": "m v6",
    "scored_at": "2026-12-01T20:00:00+00:00",
}


def field_meta(name: str) -> dict[str, Any]:
    """A Candidate field as ``meta/Candidate`` describes it."""
    if name.startswith("customFloat"):
        return {"name": name, "type": "SCALAR", "dataType": "Double", "label": name}
    if name.startswith("customInt"):
        return {"name": name, "type": "SCALAR", "dataType": "Integer", "label": name}
    length = 2147483647 if name.startswith("customTextBlock") else 100
    return {"name": name, "type": "SCALAR", "dataType": "String", "maxLength": length}


class Bullhorn:
    """Enough of Bullhorn for a few candidates: loginInfo, OAuth, REST login, meta, entity.

    Authorization codes, refresh tokens and access tokens are single-use, as Bullhorn's are;
    ``expire()`` ends the current REST session. ``responses`` are answered first, in order,
    to calls on the corporation's REST URL.
    """

    def __init__(self) -> None:
        schema = ["firstName", "customFloat1", "customFloat2", "customFloat3", "customInt1"]
        schema += [f"customText{i}" for i in range(1, 6)]
        schema += ["customTextBlock1", "customTextBlock2"]
        self.meta = {name: field_meta(name) for name in schema}
        self.meta["firstName"] = {"name": "firstName", "dataType": "String", "maxLength": 50}
        self.candidates: dict[str, dict[str, Any]] = {
            "42": {"firstName": "Ada", "customText4": "foreign"},
            "43": {"firstName": "Alan"},
        }
        self.codes = {"code-1"}
        self.refresh_token = "refresh-1"
        self.access_tokens: set[str] = set()
        self.session = ""
        self.issued = 0
        self.meta_refuses_unknown = False
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        """The requests of one method and path."""
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def expire(self) -> None:
        """End the REST session (its BhRestToken is refused from now on)."""
        self.session = ""

    def _next(self, kind: str) -> str:
        self.issued += 1
        return f"{kind}-{self.issued + 1}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url.copy_with(query=None))
        if url == LOGIN_INFO:
            assert request.url.params["username"] == USERNAME
            return httpx.Response(
                200,
                json={"oauthUrl": OAUTH, "restUrl": DATA_CENTRE, "atsUrl": "https://ats.test"},
            )
        if url == f"{OAUTH}/token":
            return self._token(request)
        if url == f"{DATA_CENTRE}/login":
            return self._login(request)
        if url.startswith(CORPORATION):
            if self.responses:
                return self.responses.pop(0)
            if not self.session or request.headers.get("BhRestToken") != self.session:
                return httpx.Response(401, json={"errorMessage": "Bad 'BhRestToken' or timed-out."})
            return self._rest(request, url.removeprefix(CORPORATION))
        return httpx.Response(404, json={"errorMessage": "no such host or path"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return httpx.Response(401, json={"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])
        elif form.get("grant_type") == "refresh_token" and (
            form.get("refresh_token") == self.refresh_token
        ):
            pass
        else:
            return httpx.Response(400, json={"error": "invalid_grant"})
        access, self.refresh_token = self._next("access"), self._next("refresh")
        self.access_tokens.add(access)
        return httpx.Response(
            200,
            json={
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 600,
                "refresh_token": self.refresh_token,
            },
        )

    def _login(self, request: httpx.Request) -> httpx.Response:
        access = request.url.params.get("access_token")
        if request.url.params.get("version") != "2.0" or access not in self.access_tokens:
            return httpx.Response(401, json={"errorMessage": "Invalid or expired OAuth token"})
        self.access_tokens.discard(access)
        self.session = self._next("session")
        return httpx.Response(200, json={"BhRestToken": self.session, "restUrl": CORPORATION})

    def _rest(self, request: httpx.Request, path: str) -> httpx.Response:
        names = request.url.params.get("fields", "").split(",")
        if path == "meta/Candidate":
            if names == ["*"]:
                names = list(self.meta)
            elif self.meta_refuses_unknown and set(names) - set(self.meta):
                return httpx.Response(400, json={"errorMessage": "Invalid field"})
            found = [self.meta[n] for n in names if n in self.meta]
            return httpx.Response(200, json={"entity": "Candidate", "fields": found})
        candidate_id = path.removeprefix("entity/Candidate/")
        if request.method == "PUT" or candidate_id not in self.candidates:
            return httpx.Response(404, json={"errorMessage": "no such candidate"})
        record = self.candidates[candidate_id]
        if request.method == "GET":
            data = {"id": int(candidate_id)} | {n: record.get(n) for n in names}
            return httpx.Response(200, json={"data": data})
        body = json.loads(request.content)
        if set(body) - set(self.meta):
            return httpx.Response(400, json={"errorMessage": "unknown fields"})
        record.update(body)  # an update keeps the fields it does not name
        return httpx.Response(
            200,
            json={
                "changedEntityType": "Candidate",
                "changedEntityId": int(candidate_id),
                "changeType": "UPDATE",
                "data": body,
            },
        )


def _oauth(tmp_path: Path, **kwargs: Any) -> BullhornOAuth:
    tokens = tmp_path / "bullhorn.json"
    if "code" not in kwargs and not tokens.exists():
        tokens.write_text(json.dumps({"refresh_token": "refresh-1"}))
    return BullhornOAuth(
        tokens,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        login_info_url=LOGIN_INFO,
        **kwargs,
    )


def _connector(bullhorn: Bullhorn, tmp_path: Path, **kwargs: Any) -> BullhornConnector:
    oauth = kwargs.pop("oauth", None) or _oauth(tmp_path)
    client = httpx.Client(transport=httpx.MockTransport(bullhorn))
    return BullhornConnector(oauth=oauth, client=client, **kwargs)


def _tokens(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "bullhorn.json").read_text()))


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


# -- login ----------------------------------------------------------------------------------


def test_the_login_follows_the_data_centre_and_the_corporation_url(tmp_path: Path) -> None:
    """loginInfo, then token and login at its data centre, then calls at login's restUrl."""
    bullhorn = Bullhorn()
    _connector(bullhorn, tmp_path).prepare()
    hosts = [(r.method, r.url.host, r.url.path) for r in bullhorn.requests]
    assert hosts == [
        ("GET", "rest.bullhornstaffing.com", "/rest-services/loginInfo"),
        ("POST", "auth-emea.bullhorn.test", "/oauth/token"),
        ("GET", "rest-emea.bullhorn.test", "/rest-services/login"),
        ("GET", "rest42.bullhorn.test", "/rest-services/e999/meta/Candidate"),
    ]


def test_a_stored_refresh_token_is_traded_and_the_rotated_one_saved(tmp_path: Path) -> None:
    """refresh-1 is sent in the form body; the new pair is saved, owner-only."""
    bullhorn = Bullhorn()
    _connector(bullhorn, tmp_path).prepare()
    token_call = bullhorn.calls("POST", "/oauth/token")[0]
    assert _form(token_call) == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-1",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert "refresh" not in str(token_call.url)
    assert _tokens(tmp_path)["refresh_token"] == bullhorn.refresh_token != "refresh-1"
    assert stat.S_IMODE((tmp_path / "bullhorn.json").stat().st_mode) == 0o600


def test_an_authorization_code_is_traded_once_when_no_refresh_token_is_saved(
    tmp_path: Path,
) -> None:
    """Without a token file the code is traded (with its redirect URI); later: the refresh."""
    bullhorn = Bullhorn()
    oauth = _oauth(tmp_path, code="code-1", redirect_uri="https://app.test/cb")
    connector = _connector(bullhorn, tmp_path, oauth=oauth)
    connector.prepare()
    bullhorn.expire()
    connector.read("42")
    grants = [_form(r) for r in bullhorn.calls("POST", "/oauth/token")]
    assert grants[0]["grant_type"] == "authorization_code"
    assert (grants[0]["code"], grants[0]["redirect_uri"]) == ("code-1", "https://app.test/cb")
    assert grants[1]["grant_type"] == "refresh_token"
    assert stat.S_IMODE((tmp_path / "bullhorn.json").stat().st_mode) == 0o600


def test_without_a_refresh_token_or_code_the_login_cannot_be_retried(tmp_path: Path) -> None:
    """No token file and no code: a person must authorise the app; nothing is sent to OAuth."""
    bullhorn = Bullhorn()
    oauth = BullhornOAuth(
        tmp_path / "absent.json",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        login_info_url=LOGIN_INFO,
    )
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path, oauth=oauth).prepare()
    assert not caught.value.retryable
    assert "authorise" in caught.value.detail
    assert not bullhorn.calls("POST", "/oauth/token")


def test_a_refused_refresh_token_cannot_be_retried_and_is_not_shown(tmp_path: Path) -> None:
    """invalid_grant: re-authorise; the detail holds the status, never a token or secret."""
    bullhorn = Bullhorn()
    bullhorn.refresh_token = "refresh-other"
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path).prepare()
    assert (caught.value.status, caught.value.retryable) == (400, False)
    assert caught.value.detail.startswith("bullhorn token refresh: HTTP 400; authorise")
    assert not any(s in caught.value.detail for s in ("refresh-1", CLIENT_SECRET, USERNAME))


def test_a_refresh_token_rotated_by_another_worker_is_taken(tmp_path: Path) -> None:
    """The stored token was used meanwhile by another process: its saved successor is tried."""
    bullhorn = Bullhorn()
    oauth = _oauth(tmp_path)

    def other_worker_first(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token" and _form(request)["refresh_token"] == "refresh-1":
            bullhorn.refresh_token = "refresh-9"  # the other worker traded refresh-1 ...
            (tmp_path / "bullhorn.json").write_text(json.dumps({"refresh_token": "refresh-9"}))
        return bullhorn(request)  # ... so refresh-1 is refused here

    client = httpx.Client(transport=httpx.MockTransport(other_worker_first))
    BullhornConnector(oauth=oauth, client=client).prepare()
    sent = [_form(r)["refresh_token"] for r in bullhorn.calls("POST", "/oauth/token")]
    assert sent == ["refresh-1", "refresh-9"]
    assert len(bullhorn.calls("GET", "/rest-services/login")) == 1


def test_a_307_from_the_wrong_data_centre_is_followed(tmp_path: Path) -> None:
    """A REST login answered with a 307 to another data centre still logs in there."""
    bullhorn = Bullhorn()
    redirected: list[httpx.URL] = []

    def wrong_data_centre(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest-services/login" and not redirected:
            redirected.append(request.url.copy_with(host="rest-west.bullhorn.test"))
            return httpx.Response(307, headers={"Location": str(redirected[0])})
        if request.url.host == "rest-west.bullhorn.test":
            moved = request.url.copy_with(host="rest-emea.bullhorn.test")
            return bullhorn(httpx.Request(request.method, moved, headers=request.headers))
        return bullhorn(request)

    client = httpx.Client(transport=httpx.MockTransport(wrong_data_centre))
    BullhornConnector(oauth=_oauth(tmp_path), client=client).prepare()
    assert redirected
    assert bullhorn.calls("GET", "/rest-services/e999/meta/Candidate")


def test_the_session_token_travels_in_a_header_not_the_url(tmp_path: Path) -> None:
    """Every data call carries BhRestToken as a header; no URL holds it."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.write("42", VALUES)
    data_calls = [r for r in bullhorn.requests if str(r.url).startswith(CORPORATION)]
    assert {r.headers["BhRestToken"] for r in data_calls} == {bullhorn.session}
    assert not any(bullhorn.session in str(r.url) for r in bullhorn.requests)


def test_a_session_does_not_show_its_token() -> None:
    """The repr of a session (in a log or traceback) leaves the BhRestToken out."""
    session = BullhornSession(rest_url=CORPORATION, rest_token="session-secret")
    assert "session-secret" not in repr(session)


def test_an_expired_session_logs_in_again_once(tmp_path: Path) -> None:
    """A 401 (session timed out) refreshes, logs in, and repeats the call."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.prepare()
    bullhorn.expire()
    assert connector.read("42")["score"] is None
    assert len(bullhorn.calls("POST", "/oauth/token")) == 2
    assert len(bullhorn.calls("GET", "/rest-services/login")) == 2


def test_a_401_after_a_new_login_cannot_be_retried(tmp_path: Path) -> None:
    """A session refused right after login: one re-login, then a CrmError, not a loop."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.prepare()
    bullhorn.responses = [httpx.Response(401), httpx.Response(401)]
    with pytest.raises(CrmError) as caught:
        connector.read("42")
    assert (caught.value.status, caught.value.retryable) == (401, False)
    assert caught.value.detail == "bullhorn get candidate: HTTP 401 after a new login"
    assert len(bullhorn.calls("GET", "/rest-services/login")) == 2


# -- fields ---------------------------------------------------------------------------------


def test_the_default_field_map_and_an_override() -> None:
    """Defaults from DEFAULT_FIELDS; a setting overrides the values it names."""
    assert dict(bullhorn_fields(None).names) == DEFAULT_FIELDS
    names = bullhorn_fields("score=customFloat3, reasons=customTextBlock2").names
    assert (names["score"], names["reasons"], names["rank"]) == (
        "customFloat3",
        "customTextBlock2",
        "customFloat2",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("score=customText5", "score needs a Bullhorn customFloatN"),
        ("rank=customTextBlock2", "rank needs"),
        ("model=customFloat3", "model needs"),
        ("model=firstName", "model needs"),
        ("model=customText1", "share a Bullhorn field"),
        ("shoe=customText9", "unknown written value"),
    ],
)
def test_a_field_that_cannot_hold_its_value_is_refused(text: str, message: str) -> None:
    """Numbers go to customFloat (rank also customInt), text to customText(Block), each once."""
    with pytest.raises(ValueError, match=message):
        bullhorn_fields(text)


def test_prepare_checks_the_fields_once_with_the_meta(tmp_path: Path) -> None:
    """One meta call naming our six fields; a second prepare calls nothing."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.prepare()
    connector.prepare()
    (meta,) = bullhorn.calls("GET", "/rest-services/e999/meta/Candidate")
    assert meta.url.params["fields"].split(",") == [DEFAULT_FIELDS[n] for n in DEFAULT_FIELDS]


def test_a_missing_field_is_named_and_cannot_be_retried(tmp_path: Path) -> None:
    """A field the meta does not list: a refusal naming it, with the remedy; no data call."""
    bullhorn = Bullhorn()
    fields = bullhorn_fields("reasons=customTextBlock9")
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path, fields=fields).prepare()
    assert not caught.value.retryable
    assert "no field customTextBlock9" in caught.value.detail
    assert "field maps" in caught.value.detail
    assert not [r for r in bullhorn.requests if "/entity/" in r.url.path]


def test_a_meta_call_refusing_an_unknown_field_still_names_it(tmp_path: Path) -> None:
    """Where the meta answers 400 to an unknown name, every field is listed to find it."""
    bullhorn = Bullhorn()
    bullhorn.meta_refuses_unknown = True
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path, fields=bullhorn_fields("model=customText77")).prepare()
    assert "no field customText77" in caught.value.detail
    metas = bullhorn.calls("GET", "/rest-services/e999/meta/Candidate")
    assert metas[-1].url.params["fields"] == "*"


def test_a_read_only_field_is_refused(tmp_path: Path) -> None:
    """A field the meta marks read-only cannot take our value: named, not retried."""
    bullhorn = Bullhorn()
    bullhorn.meta["customText2"]["readOnly"] = True
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path).prepare()
    assert "read-only customText2" in caught.value.detail
    assert not caught.value.retryable


# -- reads and writes -----------------------------------------------------------------------


def test_a_candidate_without_our_values_reads_as_none(tmp_path: Path) -> None:
    """Empty and absent fields read as None, by logical name."""
    bullhorn = Bullhorn()
    bullhorn.candidates["42"]["customText1"] = ""
    assert _connector(bullhorn, tmp_path).read("42") == dict.fromkeys(DEFAULT_FIELDS)


def test_a_read_asks_for_our_fields_only(tmp_path: Path) -> None:
    """GET entity/Candidate/{id} with fields= our six field names."""
    bullhorn = Bullhorn()
    _connector(bullhorn, tmp_path).read("42")
    (get,) = bullhorn.calls("GET", "/rest-services/e999/entity/Candidate/42")
    assert get.url.params["fields"] == ",".join(DEFAULT_FIELDS.values())


def test_a_write_reads_back_and_keeps_other_fields(tmp_path: Path) -> None:
    """A POST update sets our fields; firstName and the foreign customText4 are kept."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.write("42", VALUES)
    assert connector.read("42") == VALUES
    assert bullhorn.candidates["42"]["firstName"] == "Ada"
    assert bullhorn.candidates["42"]["customText4"] == "foreign"
    assert not [r for r in bullhorn.requests if r.method == "PUT"]


def test_a_write_sends_numbers_as_numbers_and_text_as_strings(tmp_path: Path) -> None:
    """The JSON body holds 81.2 and 2.0, not "81.2"; the text fields are strings."""
    bullhorn = Bullhorn()
    _connector(bullhorn, tmp_path).write("42", VALUES)
    (post,) = bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/42")
    assert json.loads(post.content) == {
        "customFloat1": 81.2,
        "customFloat2": 2.0,
        "customText1": "r1",
        "customTextBlock1": "8 of 9 skills",
        "customText2": "m v6",
        "customText3": "2026-12-01T20:00:00+00:00",
    }


def test_a_rank_in_a_custom_int_is_sent_as_an_integer(tmp_path: Path) -> None:
    """customInt fields take whole numbers."""
    bullhorn = Bullhorn()
    fields = bullhorn_fields("rank=customInt1")
    _connector(bullhorn, tmp_path, fields=fields).write("42", VALUES)
    assert bullhorn.candidates["42"]["customInt1"] == 2
    assert isinstance(bullhorn.candidates["42"]["customInt1"], int)


def test_a_second_write_sends_only_what_changed(tmp_path: Path) -> None:
    """After a read, only the changed score is posted."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.write("42", VALUES)
    connector.read("42")
    connector.write("42", {**VALUES, "score": 90.0})
    posts = bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/42")
    assert json.loads(posts[-1].content) == {"customFloat1": 90.0}


def test_a_write_already_there_sends_nothing(tmp_path: Path) -> None:
    """Writing the values the candidate holds makes no update call."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.write("42", VALUES)
    connector.write("42", VALUES)
    assert len(bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/42")) == 1


def test_none_clears_a_value(tmp_path: Path) -> None:
    """None is sent as null and reads back as None."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.write("42", VALUES)
    connector.write("42", {**VALUES, "reasons": None})
    assert connector.read("42")["reasons"] is None


def test_text_is_cut_to_the_meta_max_length(tmp_path: Path) -> None:
    """A field the meta gives 30 characters gets the first 30; writing it again sends nothing."""
    bullhorn = Bullhorn()
    bullhorn.meta["customText1"]["maxLength"] = 30
    connector = _connector(bullhorn, tmp_path)
    long = {**VALUES, "requisition_id": "r" * 50}
    connector.write("42", long)
    assert bullhorn.candidates["42"]["customText1"] == "r" * 30
    connector.write("42", long)
    assert len(bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/42")) == 1


def test_without_a_max_length_custom_text_takes_100_and_a_text_block_all(
    tmp_path: Path,
) -> None:
    """No maxLength in the meta: customText is cut to 100, customTextBlock is not cut."""
    bullhorn = Bullhorn()
    for meta in bullhorn.meta.values():
        meta.pop("maxLength", None)
    _connector(bullhorn, tmp_path).write(
        "42", {**VALUES, "requisition_id": "r" * 150, "reasons": "x" * 5000}
    )
    assert bullhorn.candidates["42"]["customText1"] == "r" * 100
    assert bullhorn.candidates["42"]["customTextBlock1"] == "x" * 5000


def test_a_score_that_is_not_a_number_cannot_be_retried(tmp_path: Path) -> None:
    """A value no field can hold is refused without a call; the detail names the value only."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    with pytest.raises(CrmError) as caught:
        connector.write("42", {**VALUES, "score": "high"})
    assert caught.value.detail == "bullhorn update candidate: score is not a finite number"
    assert not bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/42")


def test_a_candidate_id_must_be_a_number(tmp_path: Path) -> None:
    """An id that is not digits is refused before any data call (it cannot leave its path)."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    with pytest.raises(CrmError) as caught:
        connector.read("../meta/Candidate")
    assert not caught.value.retryable
    assert not [r for r in bullhorn.requests if "/entity/" in r.url.path]


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_errors_say_whether_to_retry(tmp_path: Path, status: int, retryable: bool) -> None:
    """429 and 5xx can be retried, other 4xx cannot; Retry-After is read; no data shown."""
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)
    connector.read("42")
    bullhorn.responses = [
        httpx.Response(status, headers={"Retry-After": "12"}, json={"errorMessage": "x"})
    ]
    with pytest.raises(CrmError) as caught:
        connector.write("42", VALUES)
    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    assert caught.value.retry_after == 12.0
    assert caught.value.detail == f"bullhorn update candidate: HTTP {status}"


def test_an_unknown_candidate_is_not_retried(tmp_path: Path) -> None:
    """A read of a candidate that does not exist: 404, dead."""
    with pytest.raises(CrmError) as caught:
        _connector(Bullhorn(), tmp_path).read("999")
    assert (caught.value.status, caught.value.retryable) == (404, False)
    assert caught.value.detail == "bullhorn get candidate: HTTP 404"


def test_a_connection_failure_can_be_retried(tmp_path: Path) -> None:
    """A refused connection (here at loginInfo) is a retryable CrmError."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    with pytest.raises(CrmError) as caught:
        BullhornConnector(oauth=_oauth(tmp_path), client=client).prepare()
    assert caught.value.retryable
    assert caught.value.detail == "bullhorn login info: ConnectError"


def test_a_body_that_is_not_json_can_be_retried(tmp_path: Path) -> None:
    """A 200 with an HTML body (a proxy's) is a retryable CrmError, not a crash."""
    bullhorn = Bullhorn()
    bullhorn.responses = [httpx.Response(200, text="<html>maintenance</html>")]
    with pytest.raises(CrmError) as caught:
        _connector(bullhorn, tmp_path).prepare()
    assert caught.value.retryable


# -- the worker -----------------------------------------------------------------------------


def test_the_worker_delivers_each_write_once_and_a_rerun_calls_nothing(tmp_path: Path) -> None:
    """Two candidates and an unknown one: two delivered, one dead; a rerun makes no call."""
    from tests.crm_helpers import queue_linked_scores

    _, outbox = queue_linked_scores(tmp_path / "store.db", "bullhorn", ["42", "43", "999"])
    bullhorn = Bullhorn()
    connector = _connector(bullhorn, tmp_path)

    def run() -> Any:
        return deliver(
            outbox,
            {"bullhorn": connector},
            limiters={"bullhorn": RateLimiter(1000.0, burst=1000)},
            policy=RetryPolicy(max_attempts=3, base_s=0.0, cap_s=0.0),
            sleep=lambda _: None,
            rng=random.Random(0),
        )

    report = run()
    assert (report.delivered, report.dead) == (2, 1)
    assert len(bullhorn.calls("POST", "/rest-services/e999/entity/Candidate/43")) == 1
    assert bullhorn.candidates["43"]["customFloat1"] == 61.0
    assert bullhorn.candidates["43"]["firstName"] == "Alan"
    before = len(bullhorn.requests)
    assert run().calls == 0
    assert len(bullhorn.requests) == before
