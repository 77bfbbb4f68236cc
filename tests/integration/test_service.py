"""The HTTP service end to end: a real `bentoml serve` process over a temporary home.

One service is started for the module (about 12 s) with the tiny ranker registered as champion
in a SQLite MLflow store; every test talks to it over HTTP with httpx and, where a behaviour is
about what was stored, reads the store file directly.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import statistics
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.features import Encoder
from matching.ranking import CandidateRanker
from matching.store import Store, ingest_paths
from matching.store._models import DecisionRow
from tests import docs_factory
from tests.service_process import ServiceProcess, prepare_home, start_service
from tests.store_helpers import row_counts
from tests.tiny_ranking import JOBS, RESUMES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.server,
]

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "matching" / "examples"
POSTING = (EXAMPLES / "jobs" / "data_engineer.txt").read_text(encoding="utf-8")
# The readable example resumes: file name -> (the name on it, the place it names).
READABLE = {
    "ada_moreau.txt": ("Ada Moreau", "Lyon, France"),
    "li_wei.html": ("Li Wei", "Toronto, ON"),
    "maria_santos.docx": ("Maria Santos", "Porto, Portugal"),
    "sam_okafor.pdf": ("Sam Okafor", "Leeds, United Kingdom"),
}
MEDIA_TYPES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}
EMAILS = (
    "ada.moreau@example.org",
    "li.wei@example.com",
    "maria.santos@example.com",
    "sam.okafor@example.net",
)
# Every route that needs a key, as (method, path) with a harmless path parameter.
PROTECTED = [
    ("POST", "/score"),
    ("POST", "/shortlist"),
    ("POST", "/parse"),
    ("POST", "/candidates"),
    ("POST", "/requisitions"),
    ("GET", "/model"),
    ("DELETE", "/candidates/some-id"),
    ("GET", "/requisitions"),
    ("POST", "/requisitions/upload"),
    ("GET", "/candidates/some-id"),
    ("POST", "/feedback"),
    ("GET", "/feedback"),
    ("POST", "/review-requests"),
    ("GET", "/review-requests"),
    ("POST", "/crm/queue"),
]
# The recruiter page's static files are public too (they hold no data).
PUBLIC = ["/healthz", "/livez", "/readyz", "/metrics", "/docs.json", "/ui/", "/ui/js/app.js"]
DOCUMENTED = {
    ("post", "/score"),
    ("post", "/shortlist"),
    ("post", "/parse"),
    ("post", "/candidates"),
    ("post", "/requisitions"),
    ("get", "/requisitions"),
    ("post", "/requisitions/upload"),
    ("get", "/model"),
    ("get", "/candidates/{candidate_id}"),
    ("delete", "/candidates/{candidate_id}"),
    ("post", "/feedback"),
    ("get", "/feedback"),
    ("post", "/review-requests"),
    ("get", "/review-requests"),
    ("post", "/crm/queue"),
    ("get", "/healthz"),
    ("get", "/livez"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _sqlite_path(env: dict[str, str]) -> str:
    return env["MATCHING_DATABASE_URL"].removeprefix("sqlite:///")


def _decision_rows(env: dict[str, str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and every row of the raw ``decisions`` table."""
    connection = sqlite3.connect(f"file:{_sqlite_path(env)}?mode=ro", uri=True)
    try:
        table = DecisionRow.__tablename__
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
        rows = connection.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        connection.close()
    return columns, rows


def _linked_decisions(env: dict[str, str], candidate_id: str) -> int:
    connection = sqlite3.connect(f"file:{_sqlite_path(env)}?mode=ro", uri=True)
    try:
        query = f"SELECT COUNT(*) FROM {DecisionRow.__tablename__} WHERE candidate_id = ?"
        return int(connection.execute(query, (candidate_id,)).fetchone()[0])
    finally:
        connection.close()


def _assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an ``ErrorBody`` with this status and code; returns the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert body["remedy"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker) -> dict[str, str]:
    """A service home: the tiny ranker as champion, an empty store, one API key."""
    return prepare_home(tmp_path_factory.mktemp("service-home"), tiny_ranker)


@pytest.fixture(scope="module")
def service(env: dict[str, str]) -> Iterator[ServiceProcess]:
    """The running service, stopped (workers included) after the module."""
    started = start_service(env)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def client(service: ServiceProcess) -> Iterator[httpx.Client]:
    """An HTTP client with the service's key."""
    with httpx.Client(base_url=service.url, headers=service.headers, timeout=120) as opened:
        yield opened


@pytest.fixture(scope="module")
def anonymous(service: ServiceProcess) -> Iterator[httpx.Client]:
    """An HTTP client without a key."""
    with httpx.Client(base_url=service.url, timeout=60) as opened:
        yield opened


@pytest.fixture(scope="module")
def champion(env: dict[str, str]) -> tuple[str, str]:
    """(name, version) of the registered model the `champion` alias points to, from MLflow."""
    from mlflow import MlflowClient

    registry = MlflowClient(env["MLFLOW_TRACKING_URI"], env["MLFLOW_TRACKING_URI"])
    (registered,) = registry.search_registered_models()
    version = registry.get_model_version_by_alias(registered.name, "champion")
    return str(registered.name), str(version.version)


@dataclass(frozen=True)
class Stored:
    """The example resumes and the posting as stored through the API."""

    requisition: dict[str, Any]
    candidates: dict[str, dict[str, Any]]  # by file name: the CandidateStored answer

    @property
    def by_id(self) -> dict[str, str]:
        """The requisition as a request names it by id."""
        return {"id": str(self.requisition["requisition_id"])}

    def candidate_id(self, filename: str) -> str:
        return str(self.candidates[filename]["candidate_id"])


@pytest.fixture(scope="module")
def stored(client: httpx.Client) -> Stored:
    """The readable example resumes (POST /candidates) and the posting (POST /requisitions)."""
    candidates = {}
    for filename in READABLE:
        response = client.post(
            "/candidates",
            files={"document": (filename, (EXAMPLES / "resumes" / filename).read_bytes())},
            data={"external_id": f"example-{Path(filename).stem}"},
        )
        assert response.status_code == 200, response.text
        candidates[filename] = response.json()
    response = client.post("/requisitions", json={"text": POSTING, "external_id": "job-de-1"})
    assert response.status_code == 200, response.text
    return Stored(requisition=response.json(), candidates=candidates)


def _shortlist(client: httpx.Client, stored: Stored, **options: Any) -> dict[str, Any]:
    response = client.post("/shortlist", json={"requisition": stored.by_id, **options})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(results: list[dict[str, Any]]) -> list[str]:
    return [item["candidate_id"] for item in results]


# -- public routes, documents, keys ---------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC)
def test_public_routes_answer_without_a_key(anonymous: httpx.Client, path: str) -> None:
    """Health checks, metrics and the API document need no key."""
    assert anonymous.get(path).status_code == 200


def test_metrics_are_prometheus_text(anonymous: httpx.Client) -> None:
    """/metrics is Prometheus text exposition (HELP/TYPE lines)."""
    text = anonymous.get("/metrics").text
    assert "# TYPE " in text


def test_docs_list_every_route(anonymous: httpx.Client) -> None:
    """/docs.json documents each route with its method, and nothing else."""
    paths = anonymous.get("/docs.json").json()["paths"]
    listed = {
        (method, path)
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert listed == DOCUMENTED


def test_docs_declare_the_key_schemes(anonymous: httpx.Client) -> None:
    """The document declares both key headers and requires one on every protected route."""
    spec = anonymous.get("/docs.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerKey"] == {"type": "http", "scheme": "bearer"}
    for method, path in DOCUMENTED:
        operation = spec["paths"][path][method]
        if path in PUBLIC:
            assert operation["security"] == [], path
        else:
            assert operation["security"] == [{"ApiKeyHeader": []}, {"BearerKey": []}], path
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }


def test_docs_keep_nullable_response_fields(anonymous: httpx.Client) -> None:
    """A response field that may be null (next_offset) is documented as nullable."""
    spec = anonymous.get("/docs.json").json()
    media = spec["paths"]["/shortlist"]["post"]["responses"]["200"]["content"]
    ref = media["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"type": "null"} in schema["properties"]["next_offset"]["anyOf"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}, {"Authorization": "Basic x"}],
    ids=["none", "wrong-bearer", "wrong-x-api-key", "not-bearer"],
)
@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_protected_routes_need_a_valid_key(
    anonymous: httpx.Client, method: str, path: str, headers: dict[str, str]
) -> None:
    """Without a key, or with an unknown one, every other route answers 401 E601."""
    response = anonymous.request(method, path, headers=headers)
    _assert_error(response, 401, "E601")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_key_is_accepted_in_either_header(
    anonymous: httpx.Client, service: ServiceProcess, header: str
) -> None:
    """The key works as `Authorization: Bearer KEY` and as `X-API-Key: KEY`."""
    value = f"Bearer {service.key}" if header == "Authorization" else service.key
    assert anonymous.get("/model", headers={header: value}).status_code == 200


def test_model_is_the_registered_champion(client: httpx.Client, champion: tuple[str, str]) -> None:
    """GET /model names the registered model and the version the `champion` alias points to."""
    info = client.get("/model").json()
    assert (info["name"], info["version"]) == champion
    assert "champion" in info["aliases"]


@pytest.mark.parametrize(
    ("request_id", "echoed"),
    [("crm-call-42", True), ("not a sane id", False), ("x" * 65, False)],
    ids=["sane", "spaces", "too-long"],
)
def test_request_id_is_echoed_when_sane(
    client: httpx.Client, request_id: str, echoed: bool
) -> None:
    """A sane X-Request-ID comes back in the header and body; another gets a fresh id."""
    response = client.post("/requisitions", json={}, headers={"X-Request-ID": request_id})
    answered = response.headers["x-request-id"]
    assert response.json()["request_id"] == answered
    if echoed:
        assert answered == request_id
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", answered)


# -- storing ------------------------------------------------------------------------------------


def test_candidates_are_stored_under_their_external_ids(stored: Stored) -> None:
    """POST /candidates stores each example under the external id sent with it."""
    for filename, answer in stored.candidates.items():
        assert answer["outcome"] == "added"
        assert answer["external_id"] == f"example-{Path(filename).stem}"
        assert answer["profile"]["name"] == READABLE[filename][0]


def test_same_file_again_changes_nothing(client: httpx.Client, stored: Stored) -> None:
    """The same file under the same external id is `unchanged`: same candidate, no new row."""
    filename = "ada_moreau.txt"
    response = client.post(
        "/candidates",
        files={"document": (filename, (EXAMPLES / "resumes" / filename).read_bytes())},
        data={"external_id": "example-ada_moreau"},
    )
    assert response.json()["outcome"] == "unchanged"
    assert response.json()["candidate_id"] == stored.candidate_id(filename)


def test_requisition_is_parsed_from_the_posting(stored: Stored) -> None:
    """POST /requisitions reads the title, the minimum years and the place of the posting."""
    requisition = stored.requisition
    assert requisition["title"] == "Senior Data Engineer"  # its first line
    assert requisition["min_years_experience"] == 5  # "5+ years of experience"
    assert "Lyon" in requisition["location"]  # "Location: Lyon, France"
    assert requisition["external_id"] == "job-de-1"


def test_requisition_text_names_the_stored_requisition(
    client: httpx.Client, stored: Stored
) -> None:
    """Scoring with the posting's text uses the requisition stored with that text."""
    response = client.post(
        "/score",
        json={"requisition": {"text": POSTING}, "candidates": [{"text": RESUMES["dana"]}]},
    )
    assert response.json()["requisition_id"] == stored.requisition["requisition_id"]


# -- scoring ------------------------------------------------------------------------------------


def _score_mixed(client: httpx.Client, stored: Stored, **headers: str) -> dict[str, Any]:
    """Score the stored examples (by id), a resume text and a base64 document."""
    docx = (EXAMPLES / "resumes" / "maria_santos.docx").read_bytes()
    candidates = [{"id": stored.candidate_id(f), "ref": f} for f in READABLE]
    candidates += [
        {"text": RESUMES["dana"], "ref": "text"},
        {"document": {"filename": "cv.docx", "content_base64": _b64(docx)}, "ref": "document"},
    ]
    response = client.post(
        "/score",
        json={"requisition": stored.by_id, "candidates": candidates},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_score_ranks_every_candidate(client: httpx.Client, stored: Stored) -> None:
    """Stored, text and document candidates get ranks 1..n by score, each score in 0-100."""
    body = _score_mixed(client, stored)
    results = body["results"]
    assert body["errors"] == []
    assert sorted(item["ref"] for item in results) == sorted([*READABLE, "text", "document"])
    assert [item["rank"] for item in results] == list(range(1, len(results) + 1))
    scores = [item["score"] for item in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 100 for score in scores)


def test_score_names_stored_candidates_only(client: httpx.Client, stored: Stored) -> None:
    """Results of stored candidates carry their ids; texts and documents carry none."""
    by_ref = {item["ref"]: item for item in _score_mixed(client, stored)["results"]}
    for filename in READABLE:
        assert by_ref[filename]["candidate_id"] == stored.candidate_id(filename)
        assert by_ref[filename]["external_id"] == f"example-{Path(filename).stem}"
    assert by_ref["text"]["candidate_id"] is None
    assert by_ref["document"]["candidate_id"] is None


def test_score_gives_reasons(client: httpx.Client, stored: Stored) -> None:
    """Every result has a summary, the skills compared and the features' contributions."""
    for item in _score_mixed(client, stored)["results"]:
        reasons = item["reasons"]
        assert reasons["summary"]
        assert reasons["contributions"]
        for key in ("matched_skills", "missing_skills", "experience"):
            assert key in reasons


def test_score_names_the_registered_model(
    client: httpx.Client, stored: Stored, champion: tuple[str, str]
) -> None:
    """The response names the registered model and version that scored."""
    model = _score_mixed(client, stored)["model"]
    assert (model["name"], model["version"]) == champion


def test_score_puts_the_data_engineer_first(client: httpx.Client, stored: Stored) -> None:
    """For a data-engineering posting the data engineer outranks the nurses and the accountant."""
    results = _score_mixed(client, stored)["results"]
    stored_refs = [item["ref"] for item in results if item["ref"] in READABLE]
    assert stored_refs[0] == "ada_moreau.txt"


def test_score_by_external_ids_equals_score_by_ids(client: httpx.Client, stored: Stored) -> None:
    """Naming the requisition and the candidates by external id gives the same scores."""

    def scores(requisition: dict[str, str], key: str) -> dict[str, float]:
        candidates = [
            {key: stored.candidates[f][key] if key == "external_id" else stored.candidate_id(f)}
            for f in READABLE
        ]
        response = client.post(
            "/score", json={"requisition": requisition, "candidates": candidates}
        )
        return {item["candidate_id"]: item["score"] for item in response.json()["results"]}

    by_id = scores(stored.by_id, "id")
    by_external = scores({"external_id": "job-de-1"}, "external_id")
    assert by_external == by_id


def test_score_reports_unusable_candidates_beside_the_others(
    client: httpx.Client, stored: Stored
) -> None:
    """An unknown id (E603), bad base64 (E604) and an encrypted PDF (E104) are per-item errors."""
    locked = docs_factory.encrypted_pdf(docs_factory.simple_pdf(), user_password="secret")
    candidates = [
        {"id": stored.candidate_id("ada_moreau.txt"), "ref": "ada"},
        {"id": "no-such-candidate", "ref": "unknown"},
        {"document": {"filename": "cv.pdf", "content_base64": "not base64!"}, "ref": "b64"},
        {"text": RESUMES["dana"], "ref": "text"},
        {"document": {"filename": "locked.pdf", "content_base64": _b64(locked)}, "ref": "locked"},
    ]
    response = client.post(
        "/score",
        json={"requisition": stored.by_id, "candidates": candidates},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    errors = [(e["index"], e["ref"], e["code"]) for e in body["errors"]]
    assert errors == [(1, "unknown", "E603"), (2, "b64", "E604"), (4, "locked", "E104")]
    assert all(e["message"] and e["remedy"] for e in body["errors"])
    assert sorted((item["index"], item["ref"]) for item in body["results"]) == [
        (0, "ada"),
        (3, "text"),
    ]


def test_score_refuses_a_candidate_listed_twice(client: httpx.Client, stored: Stored) -> None:
    """A candidate named twice (by id, then by external id) is scored once; the repeat is E600."""
    ada = stored.candidates["ada_moreau.txt"]
    candidates = [
        {"id": ada["candidate_id"]},
        {"id": stored.candidate_id("li_wei.html")},
        {"external_id": ada["external_id"]},
    ]
    response = client.post(
        "/score",
        json={"requisition": stored.by_id, "candidates": candidates},
    )
    body = response.json()
    assert sorted(item["index"] for item in body["results"]) == [0, 1]
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(2, "E600")]


def test_score_of_an_unknown_requisition_is_404(client: httpx.Client) -> None:
    """A requisition id that is not stored answers 404 E603."""
    response = client.post(
        "/score",
        json={"requisition": {"id": "no-such-requisition"}, "candidates": [{"text": "Python"}]},
    )
    _assert_error(response, 404, "E603")


# -- shortlists ---------------------------------------------------------------------------------


def test_shortlist_pages_follow_the_whole_ranking(client: httpx.Client, stored: Stored) -> None:
    """Pages of two, followed by next_offset, give the one-page ranking in the same order."""
    whole = _shortlist(client, stored, top=100)
    assert whole["next_offset"] is None
    paged: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = _shortlist(client, stored, top=2, offset=offset)
        assert page["offset"] == offset
        assert len(page["results"]) <= 2
        paged += page["results"]
        offset = page["next_offset"]
    assert _ids(paged) == _ids(whole["results"])
    assert [item["rank"] for item in paged] == list(range(1, whole["pool_size"] + 1))


@pytest.mark.parametrize("top", [1, 3])
def test_shortlist_top_sets_the_page_size(client: httpx.Client, stored: Stored, top: int) -> None:
    """`top` is the page size: the best `top` candidates, with an offset for the next page."""
    whole = _shortlist(client, stored, top=100)
    page = _shortlist(client, stored, top=top)
    assert _ids(page["results"]) == _ids(whole["results"])[:top]
    assert page["next_offset"] == (top if whole["pool_size"] > top else None)


def test_shortlist_location_keeps_candidates_from_there(
    client: httpx.Client, stored: Stored
) -> None:
    """`location` keeps only candidates whose parsed location contains it, in any case."""
    # Of the candidates this module stores, only the example resumes name a place.
    expected = {
        answer["candidate_id"]
        for answer in stored.candidates.values()
        if "lyon" in (answer["profile"]["location"] or "").casefold()
    }
    assert expected  # Ada Moreau lives in Lyon
    found = _shortlist(client, stored, top=100, location="LYON")
    assert set(_ids(found["results"])) == expected


def test_shortlist_min_score_drops_lower_scores(client: httpx.Client, stored: Stored) -> None:
    """`min_score` keeps exactly the candidates scoring at least that much, in order."""
    whole = _shortlist(client, stored, top=100)["results"]
    threshold = statistics.median(item["score"] for item in whole)
    kept = _shortlist(client, stored, top=100, min_score=threshold)["results"]
    assert _ids(kept) == [item["candidate_id"] for item in whole if item["score"] >= threshold]


def test_shortlist_can_leave_out_the_knocked_out(client: httpx.Client, stored: Stored) -> None:
    """With the location rule, candidates elsewhere are flagged, and dropped on request."""
    flagged = _shortlist(client, stored, top=100, knockouts=["location"])["results"]
    knocked = {item["candidate_id"] for item in flagged if item["knocked_out"]}
    elsewhere = {stored.candidate_id(f) for f in ("li_wei.html", "maria_santos.docx")}
    elsewhere.add(stored.candidate_id("sam_okafor.pdf"))
    assert elsewhere <= knocked  # Toronto, Porto and Leeds are not Lyon
    assert stored.candidate_id("ada_moreau.txt") not in knocked
    kept = _shortlist(client, stored, top=100, knockouts=["location"], exclude_knocked_out=True)[
        "results"
    ]
    assert _ids(kept) == [c for c in _ids(flagged) if c not in knocked]


# -- documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", list(READABLE))
def test_parse_reads_each_example(client: httpx.Client, filename: str) -> None:
    """POST /parse reads TXT, HTML, DOCX and PDF resumes and names the uploaded file."""
    data = (EXAMPLES / "resumes" / filename).read_bytes()
    response = client.post("/parse", files={"document": (filename, data)})
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["name"] == READABLE[filename][0]
    assert profile["document"]["path"] == filename
    assert profile["document"]["media_type"] == MEDIA_TYPES[Path(filename).suffix]
    assert profile["document"]["sha256"] == hashlib.sha256(data).hexdigest()


def _scanned() -> bytes:
    return (EXAMPLES / "resumes" / "scanned_resume.pdf").read_bytes()


BAD_DOCUMENTS: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty.pdf", lambda: b"", "E101"),
    ("truncated.pdf", lambda: docs_factory.simple_pdf()[:200], "E103"),
    (
        "locked.pdf",
        lambda: docs_factory.encrypted_pdf(docs_factory.simple_pdf(), user_password="secret"),
        "E104",
    ),
    ("scanned.pdf", _scanned, "E105"),
    ("archive.docx", docs_factory.plain_zip, "E106"),
    ("blob.bin", docs_factory.random_bytes, "E100"),
    ("photo.png", lambda: docs_factory.PNG_BYTES, "E100"),
]


@pytest.mark.parametrize(
    ("filename", "build", "code"), BAD_DOCUMENTS, ids=[c[0] for c in BAD_DOCUMENTS]
)
def test_parse_refuses_unreadable_documents(
    client: httpx.Client, filename: str, build: Callable[[], bytes], code: str
) -> None:
    """An unreadable document is 422 with its E1xx code, naming the file the caller sent."""
    response = client.post("/parse", files={"document": (filename, build())})
    body = _assert_error(response, 422, code)
    assert body["message"].startswith(f"{filename}:")


def test_unreadable_document_stores_nothing(client: httpx.Client, env: dict[str, str]) -> None:
    """POST /candidates with an unreadable document is 422 and stores no candidate."""
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        before = store.count_candidates()
        response = client.post("/candidates", files={"document": ("empty.txt", b"")})
        _assert_error(response, 422, "E101")
        assert store.count_candidates() == before


def test_file_over_the_file_limit_is_413(client: httpx.Client) -> None:
    """A document over MATCHING_MAX_FILE_BYTES (10 MiB) but in a small enough body is E102."""
    data = b"Python developer\n" * (DEFAULT_MAX_FILE_BYTES // 17 + 1)
    response = client.post("/parse", files={"document": ("long.txt", data)})
    _assert_error(response, 413, "E102")


def test_declared_oversize_body_is_413(client: httpx.Client) -> None:
    """A body whose Content-Length is over MATCHING_MAX_REQUEST_BYTES is refused with E602."""
    response = client.post(
        "/score",
        content=b" " * (DEFAULT_MAX_REQUEST_BYTES + 1),
        headers={"Content-Type": "application/json"},
    )
    _assert_error(response, 413, "E602")


def test_streamed_oversize_body_is_413(client: httpx.Client) -> None:
    """A chunked body (no Content-Length) that grows over the limit is refused with E602."""

    def chunks() -> Iterator[bytes]:
        for _ in range(DEFAULT_MAX_REQUEST_BYTES // (1024 * 1024) + 1):
            yield b" " * (1024 * 1024)

    response = client.post("/score", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    _assert_error(response, 413, "E602")


# -- malformed requests -------------------------------------------------------------------------

REQUISITION = {"external_id": "job-de-1"}
MALFORMED: list[tuple[str, str, dict[str, Any], str, list[Any]]] = [
    # (id, route, httpx keyword arguments, pydantic error type, its location)
    ("invalid-json", "/score", {"content": b'{"requisition": '}, "json_invalid", []),
    ("not-an-object", "/requisitions", {"json": ["text"]}, "model_type", []),
    ("missing-field", "/score", {"json": {"requisition": REQUISITION}}, "missing", ["candidates"]),
    ("empty-body", "/requisitions", {"content": b""}, "missing", ["text"]),
    (
        "wrong-type",
        "/shortlist",
        {"json": {"requisition": REQUISITION, "top": "ten"}},
        "int_parsing",
        ["top"],
    ),
    (
        "out-of-range",
        "/shortlist",
        {"json": {"requisition": REQUISITION, "top": 0}},
        "greater_than_equal",
        ["top"],
    ),
    (
        "unknown-nested-field",
        "/shortlist",
        {"json": {"requisition": {**REQUISITION, "title": "x"}}},
        "extra_forbidden",
        ["requisition", "title"],
    ),
    (
        "unknown-top-level-field",
        "/shortlist",
        {"json": {"requisition": REQUISITION, "exclude_knockedout": True}},
        "extra_forbidden",
        ["exclude_knockedout"],
    ),
    (
        "unknown-form-field",
        "/candidates",
        {"files": {"document": ("a.txt", b"Python")}, "data": {"externalid": "x"}},
        "extra_forbidden",
        ["externalid"],
    ),
    ("missing-file", "/parse", {"data": {"other": "x"}}, "missing", ["document"]),
    (
        "two-sources",
        "/score",
        {"json": {"requisition": REQUISITION, "candidates": [{"id": "a", "text": "b"}]}},
        "value_error",
        ["candidates", 0],
    ),
]


@pytest.mark.parametrize(
    ("route", "kwargs", "error_type", "loc"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_request_is_400_with_detail(
    client: httpx.Client, route: str, kwargs: dict[str, Any], error_type: str, loc: list[Any]
) -> None:
    """Bad JSON, wrong types, unknown or missing fields: 400 E600 saying what and where."""
    if "content" in kwargs:
        kwargs = {**kwargs, "headers": {"Content-Type": "application/json"}}
    body = _assert_error(client.post(route, **kwargs), 400, "E600")
    assert {(d["type"], tuple(d["loc"])) for d in body["detail"]} >= {(error_type, tuple(loc))}
    assert all("input" not in d for d in body["detail"])  # values may be personal data


def test_request_content_stays_out_of_the_log(
    client: httpx.Client, service: ServiceProcess
) -> None:
    """A refused request is logged as one line with the fields at fault, not its content."""
    secret = "jane.secret.doe@example.org"
    response = client.post(
        "/score", json={"requisition": {"text": secret}, "candidates": [{"text": 5, "id": secret}]}
    )
    assert response.status_code == 400
    bad_id = client.post(
        "/score", json={"requisition": {"id": "nope"}, "candidates": [{"text": secret}]}
    )
    assert bad_id.status_code == 404
    log = service.log_path.read_text(encoding="utf-8", errors="replace")
    assert secret not in log
    assert "invalid input" in log


@pytest.mark.parametrize("route", ["/parse", "/score"])
def test_broken_multipart_body_is_400(client: httpx.Client, route: str) -> None:
    """A multipart body that cannot be parsed is the caller's mistake (400 E600), not a 500."""
    boundary = "b0undary"
    response = client.post(
        route,
        content=f"--{boundary}\r\nnot a header line--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    _assert_error(response, 400, "E600")


def test_unknown_route_is_404(client: httpx.Client) -> None:
    """A path that is not a route answers 404 E607."""
    _assert_error(client.get("/no-such-route"), 404, "E607")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/score"),
        ("PUT", "/requisitions"),
        ("POST", "/model"),
        ("GET", "/candidates"),
        ("POST", "/candidates/x"),
        ("PUT", "/feedback"),
    ],
)
def test_wrong_method_is_405(client: httpx.Client, method: str, path: str) -> None:
    """A route called with a method it does not have answers 405 E607."""
    _assert_error(client.request(method, path), 405, "E607")


# -- deletion -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    """A candidate stored, scored, then deleted: what was there and what the calls said."""

    candidate_id: str
    request_id: str
    rows_before: dict[str, int]
    rows_after: dict[str, int]
    linked_decisions: int
    logged_before: list[Any]
    first: dict[str, Any]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def deleted(client: httpx.Client, stored: Stored, env: dict[str, str]) -> Deleted:
    """Store Ben's resume, score and shortlist him, then DELETE him twice."""
    response = client.post(
        "/candidates",
        files={"document": ("ben.txt", RESUMES["ben"].encode())},
        data={"external_id": "to-be-deleted"},
    )
    candidate_id = response.json()["candidate_id"]
    request_id = f"delete-{uuid.uuid4().hex}"
    scored = client.post(
        "/score",
        json={
            "requisition": stored.by_id,
            "candidates": [{"id": candidate_id}],
        },
        headers={"X-Request-ID": request_id},
    )
    assert scored.status_code == 200, scored.text
    _shortlist(client, stored, top=100)
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        rows_before = row_counts(store)
        linked = _linked_decisions(env, candidate_id)
        logged_before = store.decisions(request_id=request_id)
        first = client.delete(f"/candidates/{candidate_id}")
        rows_after = row_counts(store)
    second = client.delete(f"/candidates/{candidate_id}")
    assert first.status_code == second.status_code == 200
    return Deleted(
        candidate_id=candidate_id,
        request_id=request_id,
        rows_before=rows_before,
        rows_after=rows_after,
        linked_decisions=linked,
        logged_before=logged_before,
        first=first.json(),
        second=second.json(),
    )


def test_delete_reports_the_rows_it_removed(deleted: Deleted) -> None:
    """DELETE /candidates/{id} reports, table by table, the rows that left the store."""
    tables = {
        "candidates": "candidates",
        "documents": "documents",
        "profiles": "profiles",
        "embeddings": "embeddings",
        "scores": "scores",
        "cache_entries": "embedding_cache",
    }
    removed = {
        key: deleted.rows_before[table] - deleted.rows_after[table] for key, table in tables.items()
    }
    assert deleted.first["deleted"] is True
    assert {key: deleted.first["rows"][key] for key in tables} == removed
    assert removed["candidates"] == removed["documents"] == removed["profiles"] == 1
    assert removed["embeddings"] >= 1
    assert removed["scores"] == 1  # the /score call recorded one stored pair


def test_delete_unlinks_the_decision_log(deleted: Deleted, env: dict[str, str]) -> None:
    """Decision-log entries stay, with scores and hashes, but no longer name the candidate."""
    assert deleted.first["decisions_unlinked"] == deleted.linked_decisions >= 2
    assert _linked_decisions(env, deleted.candidate_id) == 0
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        after = store.decisions(request_id=deleted.request_id)
    assert [d.candidate_id for d in deleted.logged_before] == [deleted.candidate_id]
    assert [d.candidate_id for d in after] == [None]
    keep = ("score", "rank", "candidate_sha256", "requisition_sha256", "model_version")
    assert [[getattr(d, k) for k in keep] for d in after] == [
        [getattr(d, k) for k in keep] for d in deleted.logged_before
    ]


def test_deleted_candidate_leaves_the_shortlist(
    client: httpx.Client, stored: Stored, deleted: Deleted
) -> None:
    """The next shortlist does not hold the deleted candidate."""
    assert deleted.candidate_id not in _ids(_shortlist(client, stored, top=100)["results"])


def test_deleted_candidate_cannot_be_scored(
    client: httpx.Client, stored: Stored, deleted: Deleted
) -> None:
    """Scoring the deleted id is a per-item E603."""
    response = client.post(
        "/score",
        json={
            "requisition": stored.by_id,
            "candidates": [{"id": deleted.candidate_id}, {"external_id": "to-be-deleted"}],
        },
    )
    assert response.json()["results"] == []
    assert [e["code"] for e in response.json()["errors"]] == ["E603", "E603"]


def test_deleting_again_deletes_nothing(deleted: Deleted) -> None:
    """Deleting an id that is gone is not an error: deleted is false and no rows are counted."""
    assert deleted.second["deleted"] is False
    assert set(deleted.second["rows"].values()) == {0}
    assert deleted.second["decisions_unlinked"] == 0


def test_delete_refuses_a_malformed_id(client: httpx.Client) -> None:
    """A candidate id outside the id alphabet is 400 E600 (it reaches no query)."""
    _assert_error(client.delete("/candidates/a b"), 400, "E600")


# -- the decision log ---------------------------------------------------------------------------


def test_every_score_is_in_the_decision_log(
    client: httpx.Client, stored: Stored, env: dict[str, str]
) -> None:
    """Each served score is logged under the caller's request id, with model and hashes."""
    request_id = f"score-{uuid.uuid4().hex}"
    body = _score_mixed(client, stored, **{"X-Request-ID": request_id})
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        logged = {d.rank: d for d in store.decisions(request_id=request_id)}
    assert sorted(logged) == [item["rank"] for item in body["results"]]
    for item in body["results"]:
        entry = logged[item["rank"]]
        assert entry.endpoint == "score"
        assert entry.caller == "tests"
        assert entry.score == item["score"]
        assert entry.candidate_id == item["candidate_id"]
        assert (entry.model_name, entry.model_version) == (
            body["model"]["name"],
            body["model"]["version"],
        )
        assert entry.requisition_id == stored.requisition["requisition_id"]
        assert entry.requisition_sha256 == _sha256(POSTING)
        assert re.fullmatch(r"[0-9a-f]{64}", entry.candidate_sha256)
    text_rank = next(item["rank"] for item in body["results"] if item["ref"] == "text")
    assert logged[text_rank].candidate_sha256 == _sha256(RESUMES["dana"])


def test_every_shortlisted_score_is_in_the_decision_log(
    client: httpx.Client, stored: Stored, env: dict[str, str]
) -> None:
    """Each candidate of a shortlist page is logged with its rank and score."""
    request_id = f"shortlist-{uuid.uuid4().hex}"
    response = client.post(
        "/shortlist",
        json={"requisition": stored.by_id, "top": 3},
        headers={"X-Request-ID": request_id},
    )
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        logged = store.decisions(request_id=request_id)
    expected = [(i["candidate_id"], i["rank"], i["score"]) for i in response.json()["results"]]
    assert sorted((d.candidate_id, d.rank, d.score) for d in logged) == sorted(expected)
    assert {d.endpoint for d in logged} == {"shortlist"}


def test_decision_log_holds_no_resume_text_or_contact(
    client: httpx.Client, stored: Stored, env: dict[str, str]
) -> None:
    """No column of the decision log holds a resume's text, a name or an e-mail address."""
    _score_mixed(client, stored)
    columns, rows = _decision_rows(env)
    assert rows
    assert not {c for c in columns if re.search(r"text|email|mail|phone|profile", c)}
    cells = [str(cell) for row in rows for cell in row if cell is not None]
    sensitive = [*EMAILS, *(name for name, _ in READABLE.values()), "Dana Roe"]
    sensitive += [line for line in RESUMES["dana"].splitlines() if len(line) > 12]
    for value in sensitive:
        assert not any(value in cell for cell in cells), value


# -- other processes ----------------------------------------------------------------------------


def test_candidate_added_by_another_process_is_shortlisted(
    client: httpx.Client,
    stored: Stored,
    env: dict[str, str],
    encoder: Encoder,
    tmp_path: Path,
) -> None:
    """A candidate ingested into the same store by another process is in the next shortlist."""
    before = _shortlist(client, stored, top=100)
    (tmp_path / "chris.txt").write_text(RESUMES["chris"], encoding="utf-8")
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        report = ingest_paths(
            [tmp_path], store=store, encoder=encoder, external_id=lambda _: "from-the-cli"
        )
    (candidate_id,) = report.candidate_ids.values()
    after = _shortlist(client, stored, top=100)
    assert after["pool_size"] == before["pool_size"] + 1
    assert candidate_id in _ids(after["results"])


# -- recruiters: requisitions to pick, a candidate's detail, decisions, review requests ------------


def _feedback_rows(env: dict[str, str]) -> list[dict[str, Any]]:
    """Every row of the raw ``feedback`` table, as dicts."""
    connection = sqlite3.connect(f"file:{_sqlite_path(env)}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM feedback")]
    finally:
        connection.close()


def test_stored_requisitions_are_listed_for_picking(client: httpx.Client, stored: Stored) -> None:
    """GET /requisitions lists the stored posting with its title, skills and date."""
    listed = client.get("/requisitions").json()
    by_id = {r["requisition_id"]: r for r in listed["results"]}
    mine = by_id[stored.requisition["requisition_id"]]
    assert (mine["title"], mine["external_id"]) == ("Senior Data Engineer", "job-de-1")
    assert mine["required_skills"] == stored.requisition["required_skills"]
    assert mine["created_at"]
    assert listed["total"] >= 1


def test_requisitions_are_paged(client: httpx.Client, stored: Stored) -> None:
    """`limit` and `offset` page the list; next_offset follows it to its end."""
    client.post("/requisitions", json={"text": JOBS["nurse"], "external_id": "job-nurse-1"})
    whole = client.get("/requisitions", params={"limit": 500}).json()
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get("/requisitions", params={"limit": 1, "offset": offset}).json()
        seen += [r["requisition_id"] for r in page["results"]]
        offset = page["next_offset"]
    assert seen == [r["requisition_id"] for r in whole["results"]]
    assert len(seen) == whole["total"] >= 2


def test_a_posting_file_is_stored_as_a_requisition(client: httpx.Client) -> None:
    """POST /requisitions/upload reads a posting file and stores it like POST /requisitions."""
    response = client.post(
        "/requisitions/upload",
        files={"document": ("posting.txt", JOBS["data"].encode())},
        data={"external_id": "job-upload-1"},
    )
    assert response.status_code == 200, response.text
    stored = response.json()
    assert (stored["title"], stored["external_id"]) == ("Senior Data Engineer", "job-upload-1")
    assert stored["min_years_experience"] == 5
    listed = {r["requisition_id"] for r in client.get("/requisitions").json()["results"]}
    assert stored["requisition_id"] in listed


def test_an_unreadable_posting_file_is_422(client: httpx.Client) -> None:
    """An empty posting file is refused with its E1xx code."""
    response = client.post("/requisitions/upload", files={"document": ("empty.txt", b"")})
    _assert_error(response, 422, "E101")


def test_candidate_detail_has_the_profile_evidence_and_scores(
    client: httpx.Client, stored: Stored, champion: tuple[str, str]
) -> None:
    """GET /candidates/{id}: the profile, each skill's span, the latest score and its model."""
    _shortlist(client, stored, top=100)
    ada = stored.candidate_id("ada_moreau.txt")
    response = client.get(f"/candidates/{ada}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["profile"]["name"] == "Ada Moreau"
    assert detail["document"]["filename"] == "ada_moreau.txt"
    spans = {(s["label"], s["source"]["text"]) for s in detail["profile"]["skills"]}
    assert {(e["label"], e["text"]) for e in detail["evidence"]} == spans
    python = next(e for e in detail["evidence"] if e["text"] == "Python")
    assert python["before"] or python["after"]  # quoted in its line
    (score,) = [
        s for s in detail["scores"] if s["requisition_id"] == stored.requisition["requisition_id"]
    ]
    assert (score["model_name"], score["model_version"]) == champion
    assert score["reasons"]["summary"]
    assert detail["crm_links"] == {}


def test_candidate_detail_holds_no_protected_attribute(
    client: httpx.Client, stored: Stored, env: dict[str, str]
) -> None:
    """Protected attributes stored for a candidate never appear in their detail."""
    from matching.store import ProtectedAttributes

    ada = stored.candidate_id("ada_moreau.txt")
    with Store.open(env["MATCHING_DATABASE_URL"]) as store:
        ProtectedAttributes(store).set(ada, {"sex": "value-zq-17"})
    assert "value-zq-17" not in client.get(f"/candidates/{ada}").text


def test_candidate_detail_of_an_unknown_id_is_404(client: httpx.Client) -> None:
    """An id that is not stored is 404 E603."""
    _assert_error(client.get("/candidates/no-such-candidate"), 404, "E603")


@pytest.mark.parametrize(
    "path", ["/candidates/some-id?name=Ada", "/requisitions?title=x", "/feedback?sort=1"]
)
def test_unknown_query_parameters_are_refused(client: httpx.Client, path: str) -> None:
    """A query parameter a GET route does not take is 400 E600, as unknown fields are."""
    body = _assert_error(client.get(path), 400, "E600")
    assert body["detail"][0]["type"] == "extra_forbidden"


def test_a_decision_is_stored_as_a_labelled_pair(
    client: httpx.Client, stored: Stored, env: dict[str, str], champion: tuple[str, str]
) -> None:
    """POST /feedback stores the decision with the reviewer, the score and model shown."""
    shown = client.post("/shortlist", json={"requisition": stored.by_id, "top": 100})
    ada = stored.candidate_id("ada_moreau.txt")
    score = next(i for i in shown.json()["results"] if i["candidate_id"] == ada)["score"]
    body = {
        "requisition_id": stored.requisition["requisition_id"],
        "candidate_id": ada,
        "decision": "advance",
        "reason": "Spark and Kafka in production",
        "shown_request_id": shown.headers["x-request-id"],
    }
    response = client.post("/feedback", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["label"], answer["reviewer"], answer["score"]) == (1, "tests", score)
    (row,) = [r for r in _feedback_rows(env) if r["id"] == answer["feedback_id"]]
    assert (row["decision"], row["reason"], row["reviewer"]) == (
        "advance",
        "Spark and Kafka in production",
        "tests",
    )
    assert (row["model_name"], row["model_version"], row["score"]) == (*champion, score)
    assert row["shown_request_id"] == shown.headers["x-request-id"]
    assert row["requisition_sha256"] == _sha256(POSTING)


def test_decisions_are_listed_as_labelled_pairs(client: httpx.Client, stored: Stored) -> None:
    """GET /feedback lists decisions; latest_only keeps each pair's latest."""
    requisition_id = stored.requisition["requisition_id"]
    li = stored.candidate_id("li_wei.html")
    for decision in ("advance", "reject"):
        client.post(
            "/feedback",
            json={"requisition_id": requisition_id, "candidate_id": li, "decision": decision},
        )
    every = client.get("/feedback", params={"requisition_id": requisition_id}).json()
    latest = client.get(
        "/feedback", params={"requisition_id": requisition_id, "latest_only": "true"}
    ).json()
    li_every = [r["decision"] for r in every["results"] if r["candidate_id"] == li]
    li_latest = [(r["decision"], r["label"]) for r in latest["results"] if r["candidate_id"] == li]
    assert li_every[-2:] == ["advance", "reject"]
    assert li_latest == [("reject", 0)]
    assert every["total"] == len(every["results"]) > latest["total"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"decision": "maybe"}, ["decision"]),
        ({"reason": "x" * 501}, ["reason"]),
        ({"reviewer": "someone else"}, ["reviewer"]),
        ({"candidate_id": "a b"}, ["candidate_id"]),
    ],
    ids=["decision", "long-reason", "unknown-field", "bad-id"],
)
def test_a_malformed_decision_is_400(
    client: httpx.Client, stored: Stored, change: dict[str, Any], loc: list[str]
) -> None:
    """A decision other than advance/reject, a long reason, an unknown field: 400 E600."""
    body = {
        "requisition_id": stored.requisition["requisition_id"],
        "candidate_id": stored.candidate_id("ada_moreau.txt"),
        "decision": "reject",
        **change,
    }
    detail = _assert_error(client.post("/feedback", json=body), 400, "E600")["detail"]
    assert [d["loc"] for d in detail] == [loc]


def test_a_decision_on_an_unknown_candidate_is_404(client: httpx.Client, stored: Stored) -> None:
    """Deciding on a candidate that is not stored is 404 E603."""
    body = {"requisition_id": stored.requisition["requisition_id"], "candidate_id": "nope"}
    _assert_error(client.post("/feedback", json={**body, "decision": "reject"}), 404, "E603")


def test_a_review_request_is_recorded_and_listed(client: httpx.Client, stored: Stored) -> None:
    """POST /review-requests stores the request; GET lists it first, with who recorded it."""
    maria = stored.candidate_id("maria_santos.docx")
    response = client.post(
        "/review-requests",
        json={
            "candidate_id": maria,
            "requisition_id": stored.requisition["requisition_id"],
            "note": "Asked by phone for a person to look again.",
        },
    )
    assert response.status_code == 200, response.text
    recorded = response.json()
    assert recorded["recorded_by"] == "tests"
    listed = client.get("/review-requests").json()
    assert listed["results"][0] == recorded
    detail = client.get(f"/candidates/{maria}").json()
    assert [r["review_request_id"] for r in detail["review_requests"]] == [
        recorded["review_request_id"]
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"candidate_id": "nope"}, 404, "E603"),
        ({"note": "x" * 2001}, 400, "E600"),
        ({"reason": "unknown field"}, 400, "E600"),
    ],
    ids=["unknown-candidate", "long-note", "unknown-field"],
)
def test_a_bad_review_request_is_refused(
    client: httpx.Client, stored: Stored, body: dict[str, Any], status: int, code: str
) -> None:
    """Unknown candidates are 404 E603; long notes and unknown fields 400 E600."""
    full = {"candidate_id": stored.candidate_id("sam_okafor.pdf"), **body}
    _assert_error(client.post("/review-requests", json=full), status, code)


def test_send_to_crm_without_a_crm_queues_nothing(client: httpx.Client, stored: Stored) -> None:
    """With no CRM configured, POST /crm/queue says so (no CRMs) and queues nothing."""
    ids = [stored.candidate_id(f) for f in READABLE]
    response = client.post(
        "/crm/queue",
        json={"requisition_id": stored.requisition["requisition_id"], "candidate_ids": ids},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["crms"], answer["queued"], answer["queued_candidates"]) == ([], 0, [])
    assert answer["unscored"] == []  # every example was shortlisted before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"requisition_id": "nope", "candidate_ids": ["a"]}, 404, "E603"),
        ({"candidate_ids": []}, 400, "E600"),
        ({"candidate_ids": ["a"], "crm": "keap"}, 400, "E600"),
    ],
    ids=["unknown-requisition", "no-candidates", "unknown-field"],
)
def test_a_bad_send_to_crm_is_refused(
    client: httpx.Client, stored: Stored, body: dict[str, Any], status: int, code: str
) -> None:
    """An unknown requisition is 404 E603; no candidates or an unknown field 400 E600."""
    full = {"requisition_id": stored.requisition["requisition_id"], **body}
    _assert_error(client.post("/crm/queue", json=full), status, code)


def test_deleting_a_candidate_deletes_decisions_and_review_requests(
    client: httpx.Client, stored: Stored
) -> None:
    """DELETE /candidates/{id} removes the decisions and review requests about them."""
    response = client.post(
        "/candidates",
        files={"document": ("dana.txt", RESUMES["dana"].encode())},
        data={"external_id": "to-decide-then-delete"},
    )
    dana = response.json()["candidate_id"]
    requisition_id = stored.requisition["requisition_id"]
    client.post(
        "/feedback",
        json={"requisition_id": requisition_id, "candidate_id": dana, "decision": "reject"},
    )
    client.post("/review-requests", json={"candidate_id": dana})
    rows = client.delete(f"/candidates/{dana}").json()["rows"]
    assert (rows["feedback"], rows["review_requests"]) == (1, 1)
    listed = client.get("/feedback", params={"limit": 500}).json()["results"]
    assert dana not in {r["candidate_id"] for r in listed}
