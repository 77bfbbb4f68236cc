"""The Keap connector and the fake Keap server against Keap's official v2 OpenAPI document.

The connector runs its calls (find and create the fields, read, merge-write; with an API key
and with an OAuth2 token; answers 200, 201, 401, 404, 500) against the fake server of
``tests/crm_keap_server.py``, which records them. Every recorded request must be an operation
of ``../shared/specs/keap-v2-openapi.yml`` (server path ``/crm``, paths under ``/rest/v2``)
with only declared query parameters of the declared types and a JSON body that validates
against the operation's request schema and names no property the schema lacks. Every answer
of the fake must validate the same way against the operation's response schema for its
status, so that the fake answers as Keap does. Skipped when the specs are absent.

The document declares only OAuth2 (``Authorization: Bearer``); Keap also takes a Personal
Access Token or Service Account Key in ``X-Keap-API-Key``, which this document does not
describe: a request must carry exactly one of the two.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import jsonschema_rs
import pytest

from matching.crm import CrmError, KeapConnector, KeapOAuth
from tests.crm_keap_server import FOREIGN_FIELD, FOREIGN_VALUE, Exchange, KeapServer

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
SPEC = SPECS / "keap-v2-openapi.yml"
SPEC_URI = "urn:keap-v2-openapi"
METHODS = ("get", "put", "post", "patch", "delete")
# Answers to injected faults that Keap's document does not list (it lists 400-405, 409,
# 500, 501); the fake still sends them with the document's Error body.
UNDECLARED_FAULTS = (429, 502, 503)
FAKE_ONLY = 5  # exchanges sent by hand to see the fake's other answers
VALUES = {
    "score": 87.5,
    "rank": 2,
    "requisition_id": "req-1",
    "reasons": "strong Python; missing: Scala",
    "model": "ranker v3",
    "scored_at": "2026-01-05T10:00:00+00:00",
}

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not SPEC.is_file(), reason=f"{SPEC} is absent (Keap's OpenAPI document)"),
]


# -- the checker ----------------------------------------------------------------------------
def pointer(*parts: str) -> str:
    """A JSON pointer to ``parts`` (escaped as RFC 6901 says)."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Operation:
    """An operation of the document, with where it lives and the path's filled parameters."""

    template: str
    method: str
    body: dict[str, Any]
    path_params: dict[str, str]

    @property
    def where(self) -> str:
        """``PATCH /rest/v2/contacts/{contact_id}``."""
        return f"{self.method.upper()} {self.template}"


class KeapOpenApi:
    """Operations of Keap's v2 document, and checks of requests and answers against it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.prefix = urlsplit(spec["servers"][0]["url"]).path.rstrip("/")
        self.registry = jsonschema_rs.Registry([(SPEC_URI, spec)])
        routes = []
        for template in spec["paths"]:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            routes.append((template.count("{"), template, re.compile(pattern + "$")))
        # A literal segment wins over a parameter (``/contacts/model`` over ``/{contact_id}``).
        self.routes = sorted(routes, key=lambda route: route[0])
        self._validators: dict[str, Any] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation of a request path (with the server's ``/crm``), or None."""
        if not path.startswith(self.prefix + "/"):
            return None
        path = path.removeprefix(self.prefix)
        for _, template, pattern in self.routes:
            match = pattern.match(path)
            body = self.spec["paths"][template].get(method.lower()) if match else None
            if match and body is not None:
                return Operation(template, method.lower(), body, match.groupdict())
        return None

    def request_problems(self, exchange: Exchange) -> list[str]:
        """What in a recorded request the document does not allow (empty when it conforms)."""
        op = self.operation(exchange.method, exchange.path)
        if op is None:
            return [f"{exchange.method} {exchange.path} is not in the document"]
        problems: list[str] = []
        declared = self._parameters(op)
        for name, value in op.path_params.items():
            if ("path", name) not in declared:
                problems.append(f"{op.where}: path parameter {name} is not declared")
            else:
                at, param = declared["path", name]
                problems += self.errors(at + "/schema", value, f"{op.where} {{{name}}}")
        names = {name for name, _ in exchange.query}
        for name in sorted(names):
            if ("query", name) not in declared:
                problems.append(f"{op.where}: query parameter {name!r} is not declared")
                continue
            at, param = declared["query", name]
            value = query_value(param, [v for k, v in exchange.query if k == name])
            problems += self.errors(at + "/schema", value, f"{op.where} ?{name}")
        for (kind, name), (_, param) in declared.items():
            if kind == "query" and param.get("required") and name not in names:
                problems.append(f"{op.where}: required query parameter {name!r} is missing")
        return problems + self._auth_problems(exchange, op) + self._body_problems(exchange, op)

    def response_problems(self, exchange: Exchange) -> list[str]:
        """What in a recorded answer the operation's schema for its status does not allow."""
        op = self.operation(exchange.method, exchange.path)
        if op is None:
            return [f"{exchange.method} {exchange.path} is not in the document"]
        where = f"{op.where} → {exchange.status}"
        status = str(exchange.status)
        responses = op.body["responses"]
        if status not in responses:
            if exchange.status in UNDECLARED_FAULTS:
                # Not in the document: at least the shape of its other errors.
                return self.errors(
                    pointer("components", "schemas", "Error"), exchange.response, where
                )
            return [f"{where}: status not declared (declared: {sorted(responses)})"]
        base = pointer("paths", op.template, op.method, "responses", status)
        content = responses[status].get("content") or {}
        if "application/json" not in content:
            return [] if exchange.response is None else [f"{where}: a body where none is declared"]
        at = base + pointer("content", "application/json", "schema")
        return self.errors(at, exchange.response, where)

    def errors(self, at: str, value: Any, where: str) -> list[str]:
        """Schema errors of ``value`` against the schema at pointer ``at``, and properties it
        names that the schema does not declare (the document's schemas are open)."""
        validator = self._validators.get(at)
        if validator is None:
            validator = jsonschema_rs.Draft202012Validator(
                {"$ref": SPEC_URI + "#" + quote(at, safe="/~")}, registry=self.registry
            )
            self._validators[at] = validator
        found = [
            f"{where}: {e.message} at {list(e.instance_path)}" for e in validator.iter_errors(value)
        ]
        return found + self.undeclared(self.resolve_pointer(at), value, where)

    def undeclared(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        """Object properties in ``value`` that ``schema`` does not declare, recursively."""
        schema = self.resolve(schema)
        if isinstance(value, dict) and "additionalProperties" not in schema:
            properties: dict[str, Any] = {}
            for part in [schema, *schema.get("allOf", [])]:
                properties.update(self.resolve(part).get("properties") or {})
            if not properties or "oneOf" in schema or "anyOf" in schema:
                return []
            problems = []
            for name, item in value.items():
                if name not in properties:
                    problems.append(f"{where}: property {name!r} is not declared")
                else:
                    problems += self.undeclared(properties[name], item, f"{where}.{name}")
            return problems
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [
                p
                for i, v in enumerate(value)
                for p in self.undeclared(schema["items"], v, f"{where}[{i}]")
            ]
        return []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with its ``$ref`` (within the document) followed."""
        while "$ref" in schema:
            schema = self.resolve_pointer(schema["$ref"].removeprefix("#"))
        return schema

    def resolve_pointer(self, at: str) -> dict[str, Any]:
        """The part of the document at a JSON pointer."""
        node: Any = self.spec
        for part in at.split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return dict(node)

    def _parameters(self, op: Operation) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """Declared parameters by (in, name): the pointer to each and its definition."""
        found = {}
        item = pointer("paths", op.template)
        for base, params in (
            (item + "/parameters", self.spec["paths"][op.template].get("parameters") or []),
            (item + pointer(op.method, "parameters"), op.body.get("parameters") or []),
        ):
            for index, param in enumerate(params):
                at = f"{base}/{index}"
                if "$ref" in param:
                    at = param["$ref"].removeprefix("#")
                    param = self.resolve(param)
                found[param["in"], param["name"]] = (at, param)
        return found

    def _auth_problems(self, exchange: Exchange, op: Operation) -> list[str]:
        security = op.body.get("security", self.spec.get("security")) or []
        schemes = {name for requirement in security for name in requirement}
        bearer = exchange.headers.get("authorization", "").startswith("Bearer ")
        api_key = "x-keap-api-key" in exchange.headers
        if bearer and api_key:
            return [f"{op.where}: both a Bearer token and X-Keap-API-Key"]
        if not bearer and not api_key:
            return [f"{op.where}: no credentials (the document declares {sorted(schemes)})"]
        if bearer and "oauth2" not in schemes:
            return [f"{op.where}: a Bearer token where the document declares {sorted(schemes)}"]
        return []

    def _body_problems(self, exchange: Exchange, op: Operation) -> list[str]:
        declared = op.body.get("requestBody")
        if declared is None:
            return [] if exchange.body is None else [f"{op.where}: a body where none is declared"]
        if exchange.body is None:
            return [f"{op.where}: the required body is missing"] if declared.get("required") else []
        media = exchange.headers.get("content-type", "").split(";")[0].strip()
        if media not in declared["content"]:
            return [f"{op.where}: body of type {media!r}; declared {sorted(declared['content'])}"]
        at = pointer("paths", op.template, op.method, "requestBody", "content", media, "schema")
        return self.errors(at, exchange.body, f"{op.where} body")


def query_value(param: dict[str, Any], values: list[str]) -> Any:
    """A query parameter's value as its schema types it (OpenAPI's form style)."""
    schema = param.get("schema") or {}
    if schema.get("type") == "array":
        explode = param.get("explode", param.get("style", "form") == "form")
        return values if explode else [v for value in values for v in value.split(",")]
    value = values[-1]
    if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if schema.get("type") == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


# -- the calls, recorded ----------------------------------------------------------------
@pytest.fixture(scope="module")
def openapi() -> KeapOpenApi:
    """Keap's v2 document, read once (1.3 MB of YAML)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as text:
        return KeapOpenApi(yaml.load(text, Loader=loader))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[Exchange]:
    """Every exchange of the connector's calls with the fake server, in each scenario."""
    tokens = tmp_path_factory.mktemp("keap") / "tokens.json"
    tokens.write_text(json.dumps({"access_token": "tok-1", "refresh_token": "r-1"}))
    with KeapServer(access_tokens={"tok-1"}) as keap:
        for contact in ("1001", "1002"):
            keap.add_contact(contact)
        clients = [httpx.Client(timeout=10) for _ in range(4)]
        try:
            by_key = KeapConnector(base_url=keap.base_url, api_key=keap.api_key, client=clients[0])
            by_key.prepare()  # finds none of the fields: creates them
            by_key.read("1001")
            by_key.write("1001", VALUES)
            by_key.write("1002", VALUES)  # no read first: the connector reads before writing
            with pytest.raises(CrmError) as missing:
                by_key.read("404404")
            assert missing.value.status == 404
            keap.faults.apply_then_fail({"1002"})
            with pytest.raises(CrmError) as failed:
                by_key.write("1002", {**VALUES, "rank": 3})
            assert failed.value.status == 500
            # Another process: the fields exist now and are found, not created again.
            by_token = KeapConnector(
                base_url=keap.base_url,
                oauth=KeapOAuth(tokens, client_id="app", client_secret="secret"),
                client=clients[1],
            )
            by_token.read("1002")
            by_token.write("1002", {**VALUES, "rank": 4})
            refused = KeapConnector(
                base_url=keap.base_url, api_key="not-the-key", client=clients[2]
            )
            with pytest.raises(CrmError) as unauthorised:
                refused.prepare()
            assert unauthorised.value.status == 401
            exchanges = keap.exchanges()
            # The fake's other answers, by hand: a contact without `fields`, a label taken,
            # a field without a type, an unknown update_mask, a 429.
            raw, headers = clients[3], {"X-Keap-API-Key": keap.api_key}
            raw.get(keap.base_url + "/rest/v2/contacts/1001", headers=headers)
            raw.post(
                keap.base_url + "/rest/v2/contacts/model/customFields",
                json={"label": FOREIGN_FIELD["label"], "field_type": "TEXT"},
                headers=headers,
            )
            raw.post(
                keap.base_url + "/rest/v2/contacts/model/customFields",
                json={"label": "No type"},
                headers=headers,
            )
            raw.patch(
                keap.base_url + "/rest/v2/contacts/1001",
                params={"update_mask": "custom_field"},
                json={"custom_fields": []},
                headers=headers,
            )
            keap.faults.throttle(5, retry_after=1)
            raw.get(keap.base_url + "/rest/v2/contacts/1001", headers=headers)
            keap.faults.clear()
            fake_only = keap.exchanges()[len(exchanges) :]
        finally:
            for client in clients:
                client.close()
    assert len(fake_only) == FAKE_ONLY
    return exchanges + fake_only


@pytest.fixture(scope="module")
def connector_calls(recorded: list[Exchange]) -> list[Exchange]:
    """The requests the connector sent (the fake's extra answers left out)."""
    return recorded[:-FAKE_ONLY]


# -- the tests --------------------------------------------------------------------------
def test_the_scenarios_cover_every_call_and_answer(connector_calls: list[Exchange]) -> None:
    """The recorded calls include each of the connector's calls, and its error answers."""
    seen = {(e.method, e.status) for e in connector_calls}
    wanted = {("GET", 200), ("POST", 201), ("PATCH", 200), ("GET", 404), ("PATCH", 500)}
    assert wanted | {("GET", 401)} <= seen
    credentials = {"authorization" in e.headers for e in connector_calls}
    assert credentials == {True, False}  # OAuth2 Bearer and X-Keap-API-Key both exercised


def test_every_request_is_an_operation_of_the_document(
    openapi: KeapOpenApi, connector_calls: list[Exchange]
) -> None:
    """Method and path of every request exist in the document (under its server's /crm)."""
    operations = {
        f"{e.method} {e.path}": openapi.operation(e.method, e.path) for e in connector_calls
    }
    assert [call for call, op in operations.items() if op is None] == []
    assert sorted({op.where for op in operations.values() if op is not None}) == [
        "GET /rest/v2/contacts/model",
        "GET /rest/v2/contacts/{contact_id}",
        "PATCH /rest/v2/contacts/{contact_id}",
        "POST /rest/v2/contacts/model/customFields",
    ]


def test_every_request_conforms(openapi: KeapOpenApi, connector_calls: list[Exchange]) -> None:
    """Declared query parameters of the declared types, credentials, and bodies that validate
    against the request schema and name no undeclared property."""
    problems = [p for e in connector_calls for p in openapi.request_problems(e)]
    assert problems == []


def test_every_answer_of_the_fake_conforms(openapi: KeapOpenApi, recorded: list[Exchange]) -> None:
    """The fake answers with the document's response schema for each status (faults too)."""
    problems = [p for e in recorded for p in openapi.response_problems(e)]
    assert problems == []
    assert {e.status for e in recorded} >= {200, 201, 400, 401, 404, 409, 429, 500}


def test_writes_keep_the_contacts_other_fields(recorded: list[Exchange]) -> None:
    """Each PATCH sends the whole custom_fields array: the foreign field and all of ours."""
    patches = [
        e for e in recorded if e.method == "PATCH" and e.params("update_mask") == ["custom_fields"]
    ]
    assert len(patches) == 4
    for patch in patches:
        sent = {item["id"]: item["content"] for item in patch.body["custom_fields"]}
        assert sent[FOREIGN_FIELD["id"]] == FOREIGN_VALUE
        assert len(sent) == 7


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problem"),
    [
        ("GET", "/crm/rest/v2/contact/1", [], None, "is not in the document"),
        ("PUT", "/crm/rest/v2/contacts/1", [], {}, "is not in the document"),
        ("GET", "/rest/v2/contacts/1", [], None, "is not in the document"),
        ("GET", "/crm/rest/v2/contacts/1", [("field", "custom_fields")], None, "not declared"),
        (
            "PATCH",
            "/crm/rest/v2/contacts/1",
            [("update_mask", "custom_field")],
            {},
            "is not one of",
        ),
        ("PATCH", "/crm/rest/v2/contacts/1", [], {"custom_fields": {"1": 2}}, "is not of type"),
        (
            "PATCH",
            "/crm/rest/v2/contacts/1",
            [],
            {"customFields": []},
            "'customFields' is not declared",
        ),
        (
            "PATCH",
            "/crm/rest/v2/contacts/1",
            [],
            {"custom_fields": [{"id": "1", "value": 2}]},
            "'value' is not declared",
        ),
        ("PATCH", "/crm/rest/v2/contacts/1", [], None, "required body is missing"),
        (
            "POST",
            "/crm/rest/v2/contacts/model/customFields",
            [],
            {"label": "x"},
            "is a required property",
        ),
        (
            "POST",
            "/crm/rest/v2/contacts/model/customFields",
            [],
            {"label": "x", "field_type": "NUMBER"},
            "is not one of",
        ),
    ],
)
def test_the_checker_refuses_what_the_document_does_not_allow(
    openapi: KeapOpenApi,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: Any,
    problem: str,
) -> None:
    """A request the document does not allow is caught (so a pass means something)."""
    exchange = Exchange(
        number=1,
        arrived=0.0,
        method=method,
        path=path,
        query=query,
        headers={"x-keap-api-key": "k", "content-type": "application/json"},
        body=body,
    )
    problems = openapi.request_problems(exchange)
    assert any(problem in p for p in problems), problems


def test_the_fake_replaces_the_custom_fields_array() -> None:
    """As the document says, items left out of custom_fields are removed: a connector that
    forgot to merge would lose the foreign field here, as it would in Keap."""
    with KeapServer() as keap, httpx.Client() as client:
        keap.add_contact("7")
        headers = {"X-Keap-API-Key": keap.api_key}
        created = client.post(
            keap.base_url + "/rest/v2/contacts/model/customFields",
            json={"label": "Ours", "field_type": "TEXT"},
            headers=headers,
        ).json()
        client.patch(
            keap.base_url + "/rest/v2/contacts/7",
            params={"update_mask": "custom_fields"},
            json={"custom_fields": [{"id": created["id"], "content": "x"}]},
            headers=headers,
        ).raise_for_status()
        assert keap.custom_values("7") == {"Ours": "x"}
        shown = client.get(keap.base_url + "/rest/v2/contacts/7", headers=headers).json()
        assert "custom_fields" not in shown  # only when asked for with fields=custom_fields
