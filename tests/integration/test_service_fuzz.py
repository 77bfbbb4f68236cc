"""Property-based tests of the live service against its own OpenAPI document (schemathesis).

Schemathesis reads /docs.json from a real `bentoml serve` process and generates requests for
each operation: valid ones (they must never get a 5xx, and every answer must match the
document: status, content type and body schema) and invalid ones (still never a 5xx). The runs
are bounded and derandomized, so the same requests are sent on every run.

Schemathesis's own lazy pytest loader (`schemathesis.pytest.from_fixture`) sets
`Function._nodeid`, which pytest 9.2 no longer has, so each operation is a plain parametrized
test that draws cases from `APIOperation.as_strategy` with Hypothesis.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from matching.ranking import CandidateRanker
from tests.service_process import ServiceProcess, prepare_home, start_service
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.server,
]

# Every operation of /docs.json ("METHOD path"); test_every_operation_is_fuzzed keeps it whole.
OPERATIONS = [
    "POST /score",
    "POST /shortlist",
    "POST /parse",
    "POST /candidates",
    "POST /requisitions",
    "GET /requisitions",
    "POST /requisitions/upload",
    "GET /model",
    "GET /candidates/{candidate_id}",
    "DELETE /candidates/{candidate_id}",
    "POST /feedback",
    "GET /feedback",
    "POST /review-requests",
    "GET /review-requests",
    "POST /crm/queue",
    "GET /healthz",
    "GET /livez",
    "GET /readyz",
    "GET /metrics",
]
# Operations with a body or a parameter, so that there is something to make invalid.
GETS_WITH_PARAMETERS = (
    "GET /requisitions",
    "GET /candidates/{candidate_id}",
    "GET /feedback",
    "GET /review-requests",
)
WITH_INPUT = [
    label
    for label in OPERATIONS
    if label.startswith(("POST", "DELETE")) or label in GETS_WITH_PARAMETERS
]
# Where a requisition or a candidate comes from: the API takes exactly one (a rule the
# document cannot state, so generated requests break it nearly always).
SOURCES = ("id", "external_id", "text", "document")
# Small enough for the file to run in well under 3 minutes on 2 cores (about 50 s here).
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    # Bodies are generated from large schemas and every example is an HTTP call.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker
) -> Iterator[ServiceProcess]:
    """The running service over a temporary home, stopped (workers included) after the module."""
    env = prepare_home(tmp_path_factory.mktemp("fuzz-home"), tiny_ranker)
    started = start_service(env)
    workers = psutil.Process(started.process.pid).children(recursive=True)
    try:
        yield started
    finally:
        started.stop()
        # BentoML's workers run in their own process groups: end any that outlived the server.
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()


@pytest.fixture(scope="module")
def api_schema(service: ServiceProcess) -> Any:
    """The service's OpenAPI document, loaded by schemathesis."""
    return schemathesis.openapi.from_url(f"{service.url}/docs.json", timeout=30)


def _operation(api_schema: Any, label: str) -> Any:
    method, path = label.split(" ", 1)
    return api_schema[path][method]


def _one_source_each(case: Any) -> Any:
    """The case with one source for the requisition and for each candidate.

    A requisition with an id keeps only the id; one with none gets a posting's text. A
    candidate keeps its first source; one with none gets a resume's text.
    """
    body = case.body
    if not isinstance(body, dict):
        return case
    requisition = body.get("requisition")
    if isinstance(requisition, dict):
        if requisition.get("id") is not None:
            requisition.pop("text", None)
            requisition.pop("external_id", None)
        elif requisition.get("text") is None and requisition.get("external_id") is None:
            requisition["text"] = JOBS["data"]
    for candidate in body.get("candidates") or []:
        if isinstance(candidate, dict):
            given_sources = [key for key in SOURCES if candidate.get(key) is not None]
            for key in given_sources[1:]:
                del candidate[key]
            if not given_sources:
                candidate["text"] = RESUMES["ada"]
    return case


def test_every_operation_is_fuzzed(api_schema: Any) -> None:
    """The operations fuzzed here are exactly those of the document."""
    documented = {result.ok().label for result in api_schema.get_all_operations()}
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_valid_requests_get_documented_answers(
    api_schema: Any, service: ServiceProcess, label: str
) -> None:
    """Requests that fit the document never get a 5xx, and each answer matches the document."""
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    @FUZZ
    @given(case=_operation(api_schema, label).as_strategy(headers=service.headers))
    def call(case: Any) -> None:
        case.call_and_validate(base_url=service.url, headers=service.headers, checks=checks)

    call()


@pytest.mark.parametrize("label", WITH_INPUT)
def test_invalid_requests_get_no_server_error(
    api_schema: Any, service: ServiceProcess, label: str
) -> None:
    """Requests that break the document are refused as the caller's mistake, never with a 5xx."""
    strategy = _operation(api_schema, label).as_strategy(
        GenerationMode.NEGATIVE, headers=service.headers
    )
    checks = [not_a_server_error, response_schema_conformance]

    @FUZZ
    @given(case=strategy)
    def call(case: Any) -> None:
        case.call_and_validate(base_url=service.url, headers=service.headers, checks=checks)

    call()


@pytest.mark.parametrize("label", ["POST /score", "POST /shortlist"])
def test_generated_scoring_requests_are_ranked(
    api_schema: Any, service: ServiceProcess, label: str
) -> None:
    """Generated requests with one source per item reach the model and come back ranked.

    No 5xx, answers as documented, and a 200 accounts for every candidate sent: each is either
    scored (ranks 1..n, best first) or has an error, once.
    """
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    strategy = _operation(api_schema, label).as_strategy(headers=service.headers)

    @FUZZ
    @given(case=strategy.map(_one_source_each))
    def call(case: Any) -> None:
        response = case.call_and_validate(
            base_url=service.url, headers=service.headers, checks=checks
        )
        if response.status_code != 200:
            return
        body = response.json()
        results = body["results"]
        scores = [item["score"] for item in results]
        assert scores == sorted(scores, reverse=True)
        if label == "POST /score":
            assert [item["rank"] for item in results] == list(range(1, len(results) + 1))
            indices = sorted([item["index"] for item in results + body["errors"]])
            assert indices == list(range(len(case.body["candidates"])))
        else:
            first = body["offset"] + 1
            assert [item["rank"] for item in results] == list(range(first, first + len(results)))

    call()
