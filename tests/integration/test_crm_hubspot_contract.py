"""The HubSpot connector against HubSpot's official OpenAPI specs (``../shared/specs``).

Every request the connector sends in each scenario must be an operation of the specs (method
and path), with only declared query parameters of the declared types, the declared security
(``Authorization: Bearer``) and a JSON body that validates against the operation's request
schema and names no field the schema lacks. Every answer of the fake HubSpot the unit tests
use must validate against the operation's response schema for its status, so that the fake
answers as HubSpot does. Skipped when the specs are absent.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from matching.crm import CrmError, HubSpotConnector
from tests.unit.test_crm_hubspot import BASE, TOKEN, VALUES, HubSpot, error_body

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
SPEC_FILES = ("hubspot-crm-contacts-v3.json", "hubspot-crm-properties-v3.json")
METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, with the path parameters a request filled in."""

    spec: dict[str, Any]
    template: str
    method: str
    body: dict[str, Any]
    path_params: dict[str, str]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """Path-level and operation parameters ($refs resolved)."""
        item = self.spec["paths"][self.template]
        found = [*item.get("parameters", []), *self.body.get("parameters", [])]
        return [_resolve(self.spec, p) for p in found]


class OpenApi:
    """Operations of several OpenAPI 3.0 documents, and checks of requests and responses."""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        self.routes: list[tuple[re.Pattern[str], int, dict[str, Any], str]] = []
        for spec in specs:
            for template in spec["paths"]:
                pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
                self.routes.append((re.compile(pattern + "$"), template.count("{"), spec, template))
        # A literal segment wins over a parameter (``/groups`` over ``/{propertyName}``).
        self.routes.sort(key=lambda route: route[1])
        self._validators: dict[str, Any] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation for a method and path, or None when no spec has it."""
        for pattern, _, spec, template in self.routes:
            match = pattern.match(path)
            body = spec["paths"][template].get(method.lower()) if match else None
            if match and body is not None:
                return Operation(spec, template, method.lower(), body, match.groupdict())
        return None

    def request_problems(self, request: httpx.Request) -> list[str]:
        """What in a request the specs do not allow (empty when it conforms)."""
        op = self.operation(request.method, request.url.path)
        if op is None:
            return [f"{request.method} {request.url.path} is not in the specs"]
        where = f"{op.method.upper()} {op.template}"
        problems: list[str] = []
        declared = {(p["in"], p["name"]): p for p in op.parameters}
        for name, value in op.path_params.items():
            param = declared.get(("path", name))
            if param is None:
                problems.append(f"{where}: path parameter {name} is not declared")
            else:
                problems += self.errors(op.spec, param["schema"], value, f"{where} {name}")
        params = request.url.params
        for name in params:
            param = declared.get(("query", name))
            if param is None:
                problems.append(f"{where}: query parameter {name!r} is not declared")
                continue
            value = _query_value(param["schema"], params.get_list(name))
            problems += self.errors(op.spec, param["schema"], value, f"{where} ?{name}")
        for (kind, name), param in declared.items():
            if kind == "query" and param.get("required") and name not in params:
                problems.append(f"{where}: required query parameter {name!r} is missing")
        problems += self._security_problems(op, request, where)
        return problems + self._body_problems(op, request, where)

    def response_problems(self, request: httpx.Request, response: httpx.Response) -> list[str]:
        """What in a response its operation's schema does not allow (empty when it conforms)."""
        op = self.operation(request.method, request.url.path)
        if op is None:
            return [f"{request.method} {request.url.path} is not in the specs"]
        where = f"{op.method.upper()} {op.template} → {response.status_code}"
        responses = op.body["responses"]
        declared = responses.get(str(response.status_code))
        if declared is None and response.status_code < 400:
            return [f"{where}: status not declared (declared: {sorted(responses)})"]
        declared = _resolve(op.spec, declared if declared is not None else responses["default"])
        content = declared.get("content") or {}
        media = content.get("application/json") or content.get("*/*")
        if media is None:
            return [] if not response.content else [f"{where}: a body where none is declared"]
        return self.errors(op.spec, media["schema"], json.loads(response.content), where)

    def errors(
        self, spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str
    ) -> list[str]:
        """JSON Schema errors of a value (Draft 4 with formats: OpenAPI 3.0's base)."""
        key = f"{id(spec)}:{json.dumps(schema, sort_keys=True)}"
        if key not in self._validators:
            # $refs (#/components/...) resolve against this root, which carries the components.
            root = {**copy.deepcopy(schema), "components": spec["components"]}
            self._validators[key] = jsonschema_rs.Draft4Validator(root, validate_formats=True)
        return [
            f"{where}: {e.message} at {list(e.instance_path)}"
            for e in self._validators[key].iter_errors(value)
        ]

    def _body_problems(self, op: Operation, request: httpx.Request, where: str) -> list[str]:
        declared = op.body.get("requestBody")
        if declared is None:
            return [f"{where}: a body where none is declared"] if request.content else []
        declared = _resolve(op.spec, declared)
        if not request.content:
            return [f"{where}: the required body is missing"] if declared.get("required") else []
        media_type = request.headers.get("content-type", "").split(";")[0]
        media = declared["content"].get(media_type)
        if media is None:
            return [f"{where}: content type {media_type!r} is not declared"]
        body = json.loads(request.content)
        schema = media["schema"]
        return self.errors(op.spec, schema, body, where) + [
            f"{where}: undeclared field {path}" for path in _undeclared(op.spec, schema, body, "")
        ]

    @staticmethod
    def _security_problems(op: Operation, request: httpx.Request, where: str) -> list[str]:
        """Every operation the connector uses declares oauth2: a bearer token must be sent."""
        schemes = {name for req in op.body.get("security", []) for name in req}
        if "oauth2" in schemes and not request.headers.get("authorization", "").startswith(
            "Bearer "
        ):
            return [f"{where}: oauth2 is declared, no Authorization: Bearer sent"]
        return []


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A node with its $ref (``#/...``) followed, repeatedly."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _query_value(schema: dict[str, Any], values: list[str]) -> Any:
    """A query parameter's values as the JSON its schema describes (form style, exploded)."""
    kind = schema.get("type")
    if kind == "array":
        return values
    value = values[-1]
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    if kind == "integer":
        return int(value) if value.lstrip("-").isdigit() else value
    return value


def _undeclared(
    spec: dict[str, Any], schema: dict[str, Any], value: Any, path: str
) -> Iterator[str]:
    """Paths of request fields the schema does not declare (a typo validates otherwise)."""
    schema = _resolve(spec, schema)
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if props is not None and key in props:
                yield from _undeclared(spec, props[key], item, f"{path}.{key}")
            elif isinstance(extra, dict):
                yield from _undeclared(spec, extra, item, f"{path}.{key}")
            elif props is not None and extra is None:
                yield f"{path}.{key}"
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _undeclared(spec, schema["items"], item, f"{path}[{index}]")


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    """HubSpot's contacts and properties specs; the module is skipped without them."""
    missing = [name for name in SPEC_FILES if not (SPECS / name).is_file()]
    if missing:
        pytest.skip(f"HubSpot OpenAPI specs absent from {SPECS}: {missing}")
    return OpenApi([json.loads((SPECS / name).read_text(encoding="utf-8")) for name in SPEC_FILES])


def _connector(hubspot: HubSpot, token: str = TOKEN) -> HubSpotConnector:
    client = httpx.Client(transport=httpx.MockTransport(hubspot))
    return HubSpotConnector(access_token=token, base_url=BASE, client=client)


def _prepare(hubspot: HubSpot) -> None:
    _connector(hubspot).prepare()


def _read_and_write(hubspot: HubSpot) -> None:
    connector = _connector(hubspot)
    connector.read("42")
    connector.write("42", VALUES)
    connector.write("42", {**VALUES, "reasons": None})
    connector.read("42")


def _batches(hubspot: HubSpot) -> None:
    connector = _connector(hubspot)
    connector.read_many(["42", "43", "999"])  # 207: 999 is unknown
    connector.write_many([("42", VALUES), ("43", VALUES)])  # 200
    connector.write_many([("44", VALUES), ("999", VALUES)])  # 207


def _errors(hubspot: HubSpot) -> None:
    connector = _connector(hubspot)
    connector.prepare()
    with pytest.raises(CrmError, match="HTTP 404"):
        connector.read("999")
    hubspot.responses = [
        httpx.Response(429, headers={"Retry-After": "3"}, json=error_body("RATE_LIMITS", "slow"))
    ]
    connector.write_many([("42", VALUES)])
    with pytest.raises(CrmError, match="HTTP 401"):
        _connector(hubspot, token="pat-revoked").read("42")


def _existing_properties(hubspot: HubSpot) -> None:
    hubspot.properties["matching_score"] = {
        "name": "matching_score",
        "label": "Matching score",
        "type": "number",
        "fieldType": "number",
        "groupName": "contactinformation",
        "description": "",
        "options": [],
    }
    listing = {"results": list(hubspot.properties.values())}
    del hubspot.properties["matching_score"]
    _connector(hubspot).prepare()  # creates matching_score itself
    hubspot.responses = [httpx.Response(200, json=listing)]
    _connector(hubspot).prepare()  # another worker: its create of matching_score gets a 409


SCENARIOS: dict[str, Callable[[HubSpot], None]] = {
    "prepare": _prepare,
    "read and write": _read_and_write,
    "batches": _batches,
    "errors": _errors,
    "existing properties": _existing_properties,
}


@pytest.fixture(params=sorted(SCENARIOS))
def exchanges(request: pytest.FixtureRequest) -> list[tuple[httpx.Request, httpx.Response]]:
    """The requests and answers of one scenario against the fake HubSpot."""
    hubspot = HubSpot()
    SCENARIOS[request.param](hubspot)
    assert hubspot.exchanges
    return hubspot.exchanges


def test_every_request_is_an_operation_of_the_specs(
    openapi: OpenApi, exchanges: list[tuple[httpx.Request, httpx.Response]]
) -> None:
    """Method, path, query parameters, security and JSON body conform to the specs."""
    problems = [p for request, _ in exchanges for p in openapi.request_problems(request)]
    assert problems == []


def test_every_answer_of_the_fake_conforms_to_the_specs(
    openapi: OpenApi, exchanges: list[tuple[httpx.Request, httpx.Response]]
) -> None:
    """The fake's status is declared and its body validates against the response schema."""
    problems = [p for q, r in exchanges for p in openapi.response_problems(q, r)]
    assert problems == []


def test_the_scenarios_cover_every_call_the_connector_makes(openapi: OpenApi) -> None:
    """Together the scenarios send each operation the connector uses, 207s and errors too."""
    seen: set[tuple[str, str, int]] = set()
    for scenario in SCENARIOS.values():
        hubspot = HubSpot()
        scenario(hubspot)
        for request, response in hubspot.exchanges:
            op = openapi.operation(request.method, request.url.path)
            assert op is not None
            seen.add((op.method, op.template, response.status_code))
    assert {
        ("get", "/crm/v3/properties/{objectType}", 200),
        ("post", "/crm/v3/properties/{objectType}", 201),
        ("post", "/crm/v3/properties/{objectType}", 409),
        ("get", "/crm/v3/objects/contacts/{contactId}", 200),
        ("get", "/crm/v3/objects/contacts/{contactId}", 404),
        ("get", "/crm/v3/properties/{objectType}", 401),
        ("patch", "/crm/v3/objects/contacts/{contactId}", 200),
        ("post", "/crm/v3/objects/contacts/batch/read", 207),
        ("post", "/crm/v3/objects/contacts/batch/update", 200),
        ("post", "/crm/v3/objects/contacts/batch/update", 207),
        ("post", "/crm/v3/objects/contacts/batch/update", 429),
    } <= seen


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "expected"),
    [
        ("GET", "/crm/v3/objects/contacts/42/notes", {}, None, "is not in the specs"),
        ("GET", "/crm/v3/objects/contacts/42", {"props": "x"}, None, "'props' is not declared"),
        ("GET", "/crm/v3/objects/contacts/42", {"archived": "maybe"}, None, "not of type"),
        (
            "POST",
            "/crm/v3/objects/contacts/batch/read",
            {},
            {"inputs": [{"id": "42"}], "properties": []},
            "propertiesWithHistory",
        ),
        (
            "POST",
            "/crm/v3/objects/contacts/batch/update",
            {},
            {"inputs": [{"id": "42", "properties": {"matching_score": 81.2}}]},
            "not of type",
        ),
        (
            "POST",
            "/crm/v3/properties/contacts",
            {},
            {"name": "a", "label": "A", "type": "number", "fieldType": "number", "group": "x"},
            "groupName",
        ),
        (
            "PATCH",
            "/crm/v3/objects/contacts/42",
            {},
            {"properties": {}, "idProperty": "email"},
            "undeclared field .idProperty",
        ),
    ],
)
def test_the_checker_catches_a_request_the_specs_refuse(
    openapi: OpenApi,
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
    expected: str,
) -> None:
    """The contract check is not vacuous: a wrong path, parameter or body is reported."""
    request = httpx.Request(
        method,
        BASE + path,
        params=params,
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    problems = openapi.request_problems(request)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "expected"),
    [
        ("POST", "/crm/v3/properties/contacts", 200, {}, "status not declared"),
        (
            "POST",
            "/crm/v3/objects/contacts/batch/read",
            200,
            {"status": "COMPLETE", "results": [], "completedAt": "2026-12-01T20:00:00Z"},
            "startedAt",
        ),
        (
            "GET",
            "/crm/v3/objects/contacts/42",
            200,
            {
                "id": "42",
                "properties": {"matching_score": None},
                "createdAt": "2026-12-01T20:00:00Z",
                "updatedAt": "2026-12-01T20:00:00Z",
                "archived": False,
            },
            "not of type",
        ),
        ("GET", "/crm/v3/objects/contacts/42", 404, {"message": "gone"}, "correlationId"),
    ],
)
def test_the_checker_catches_an_answer_the_specs_refuse(
    openapi: OpenApi, method: str, path: str, status: int, body: dict[str, Any], expected: str
) -> None:
    """The answer check is not vacuous: an undeclared status or a wrong body is reported."""
    request = httpx.Request(method, BASE + path)
    problems = openapi.response_problems(request, httpx.Response(status, json=body))
    assert any(expected in p for p in problems), problems


def test_the_specs_report_failed_batch_items_as_the_connector_reads_them(openapi: OpenApi) -> None:
    """207 is BatchResponseSimplePublicObjectWithErrors: errors[] of StandardError whose context
    maps keys to arrays of strings (where HubSpot names the failed ids), and each update input
    may carry an objectWriteTraceId."""
    op = openapi.operation("POST", "/crm/v3/objects/contacts/batch/update")
    assert op is not None
    schemas = op.spec["components"]["schemas"]
    ref = op.body["responses"]["207"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/BatchResponseSimplePublicObjectWithErrors"
    errors = schemas["BatchResponseSimplePublicObjectWithErrors"]["properties"]["errors"]
    assert errors["items"]["$ref"] == "#/components/schemas/StandardError"
    context = schemas["StandardError"]["properties"]["context"]
    assert context["additionalProperties"] == {
        "type": "array",
        "example": None,
        "items": {"type": "string", "example": None},
    }
    assert "objectWriteTraceId" in schemas["SimplePublicObjectBatchInput"]["properties"]
