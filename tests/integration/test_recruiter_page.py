"""The recruiter page in a real browser against the real service.

A `bentoml serve` process over a temporary home (the tiny ranker as champion, write-back to a
signed webhook configured) holds a handful of resumes stored through the API; headless Chromium
(Debian's `chromium`, driven by Playwright with the system browser's executable) signs in,
picks the requisition, reads the shortlist and its reasons, filters, opens a candidate, records
a decision and a review request, exports CSV and sends to the CRM; the store's SQLite file is
read to check what was recorded. Screenshots go to `$MATCHING_TEST_ARTIFACTS/recruiter-page/`
(default `tests/artifacts/`); with `MATCHING_UPDATE_SCREENSHOT=1` the desktop shortlist also
replaces `docs/recruiter-page.png`, the one README shows.

The tests run in order on one signed-in page, as a recruiter would. Without a `chromium`
executable (`apt-get install -y chromium`) or the `playwright` package they are skipped.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.ranking import CandidateRanker
from tests.service_process import ROOT, ServiceProcess, prepare_home, start_service
from tests.tiny_ranking import JOBS, RESUMES

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.server,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no `chromium` executable on PATH (Debian: apt-get install -y chromium)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)

EXAMPLES = ROOT / "src" / "matching" / "examples"
POSTING = (EXAMPLES / "jobs" / "data_engineer.txt").read_text(encoding="utf-8")
EXAMPLE_RESUMES = ("ada_moreau.txt", "li_wei.html", "maria_santos.docx", "sam_okafor.pdf")
# A resume with markup in its text: the page must show it as text, never run or render it.
MARKUP = (
    "Eve Marchand\nStaff Accountant\nParis, France\nSkills\n"
    'Bookkeeping, Microsoft Excel, <img src=x onerror="window.__pwned=1">, payroll\n'
    "Experience\nStaff Accountant, Acme, 2019 - Present\n"
)
WEBHOOK_CONTACT = "contact-ada-7"
ARTIFACTS = (
    Path(os.environ.get("MATCHING_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    / "recruiter-page"
)
DOCS_SCREENSHOT = ROOT / "docs" / "recruiter-page.png"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 60_000


@dataclass
class Seen:
    """What the browser did: every URL it requested, and errors the page raised."""

    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pool:
    """The stored requisition and candidates (file name or tiny resume name -> id)."""

    requisition_id: str
    candidates: dict[str, str]
    names: tuple[str, ...]


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, tiny_ranker: CandidateRanker) -> dict[str, str]:
    """A service home: the tiny ranker as champion, an empty store, one API key."""
    return prepare_home(tmp_path_factory.mktemp("page-home"), tiny_ranker)


@pytest.fixture(scope="module")
def service(env: dict[str, str]) -> Iterator[ServiceProcess]:
    """The running service, writing scores back to a (never called) signed webhook."""
    started = start_service(
        env,
        extra={
            "MATCHING_CRM": "webhook",
            "MATCHING_WEBHOOK_URL": "http://127.0.0.1:9/matching-scores",
            "MATCHING_WEBHOOK_SECRET": "test-secret",
        },
    )
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def pool(service: ServiceProcess) -> Pool:
    """The example resumes, three hand-written ones and one with markup, and the posting."""
    candidates: dict[str, str] = {}
    with httpx.Client(base_url=service.url, headers=service.headers, timeout=120) as client:
        for filename in EXAMPLE_RESUMES:
            data = {"external_id": f"example-{Path(filename).stem}"}
            if filename == "ada_moreau.txt":
                data |= {"crm": "webhook", "crm_contact_id": WEBHOOK_CONTACT}
            response = client.post(
                "/candidates",
                files={"document": (filename, (EXAMPLES / "resumes" / filename).read_bytes())},
                data=data,
            )
            assert response.status_code == 200, response.text
            candidates[filename] = response.json()["candidate_id"]
        texts = {name: RESUMES[name] for name in ("ben", "chris", "dana")} | {"eve": MARKUP}
        for name, text in texts.items():
            response = client.post(
                "/candidates",
                files={"document": (f"{name}.txt", text.encode())},
                data={"external_id": f"hand-{name}"},
            )
            assert response.status_code == 200, response.text
            candidates[name] = response.json()["candidate_id"]
        response = client.post("/requisitions", json={"text": POSTING, "external_id": "job-de-1"})
        assert response.status_code == 200, response.text
    names = ("Ada Moreau", "Li Wei", "Maria Santos", "Sam Okafor", "Ben Li", "Chris Doe")
    return Pool(response.json()["requisition_id"], candidates, names)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system (Playwright drives it; it downloads nothing)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def seen() -> Seen:
    """URLs requested and page errors, over every page of the module."""
    return Seen()


def _new_page(browser: Any, seen: Seen, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", lambda request: seen.urls.append(request.url))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    return page


def _sign_in(page: Any, service: ServiceProcess, key: str) -> None:
    page.goto(f"{service.url}/ui/")
    page.wait_for_url("**/ui/login.html")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _show_shortlist(page: Any, pool: Pool) -> None:
    page.get_by_label("Stored requisition", exact=True).select_option(pool.requisition_id)
    page.get_by_role("button", name="Show the shortlist").click()
    page.locator("#shortlist-body tr").first.wait_for()


@pytest.fixture(scope="module")
def page(browser: Any, service: ServiceProcess, pool: Pool, seen: Seen) -> Iterator[Any]:
    """A desktop page, signed in with the service's key."""
    opened = _new_page(browser, seen, DESKTOP)
    _sign_in(opened, service, service.key)
    opened.wait_for_url("**/ui/")
    opened.locator(f"#requisition-select option[value='{pool.requisition_id}']").wait_for(
        state="attached"
    )
    yield opened
    opened.context.close()


def _rows(page: Any) -> Any:
    return page.locator("#shortlist-body tr")


def _sqlite(env: dict[str, str], query: str, *args: Any) -> list[sqlite3.Row]:
    path = env["MATCHING_DATABASE_URL"].removeprefix("sqlite:///")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(query, args))
    finally:
        connection.close()


def _status(page: Any) -> Any:
    return page.locator("#panel-status" if page.locator("dialog[open]").count() else "#status")


# -- signing in ---------------------------------------------------------------------------------


def test_a_wrong_key_is_refused(browser: Any, service: ServiceProcess, seen: Seen) -> None:
    """A wrong key stays on the sign-in page with the refusal, and shows no candidate."""
    wrong = _new_page(browser, seen, DESKTOP)
    try:
        _sign_in(wrong, service, "mk_not-a-key")
        alert = wrong.get_by_role("alert")
        sync_api.expect(alert).to_contain_text("refused (E601)")
        assert wrong.url.endswith("/ui/login.html")
        assert wrong.evaluate("sessionStorage.length") == 0
        wrong.screenshot(path=ARTIFACTS / "wrong-key.png")
    finally:
        wrong.context.close()


def test_the_page_says_a_person_decides(page: Any) -> None:
    """The statement that scores are decision support and a human decides is visible."""
    notice = page.locator("#decision-support")
    sync_api.expect(notice).to_be_visible()
    sync_api.expect(notice).to_contain_text("Scores are decision support; a person decides.")


# -- the shortlist ------------------------------------------------------------------------------


def test_the_shortlist_shows_ranks_scores_and_reasons(
    page: Any, pool: Pool, service: ServiceProcess
) -> None:
    """Picking the requisition shows every candidate ranked, with score, skills and experience."""
    _show_shortlist(page, pool)
    rows = _rows(page)
    sync_api.expect(rows).to_have_count(len(pool.candidates))
    first = rows.first
    sync_api.expect(first.locator(".candidate-link")).to_have_text("Ada Moreau")
    sync_api.expect(first.locator(".rank")).to_have_text("#1")
    sync_api.expect(first.locator(".chip.matched").first).to_be_visible()
    sync_api.expect(first.locator(".chip.matched", has_text="Apache Spark")).to_have_count(1)
    sync_api.expect(first).to_contain_text("needs 5 y")
    sync_api.expect(first.locator(".bar-fill")).to_have_count(1)
    ranks = [int(text.lstrip("#")) for text in rows.locator(".rank").all_inner_texts()]
    assert ranks == list(range(1, len(pool.candidates) + 1))
    scores = [float(text) for text in rows.locator(".score-value").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    shown = set(rows.locator(".candidate-link").all_inner_texts())
    assert set(pool.names) <= shown
    page.screenshot(path=ARTIFACTS / "desktop-shortlist.png", full_page=True)


def test_knockouts_are_marked_apart_from_the_score(page: Any) -> None:
    """Every row has its own knock-out column; the default rule (minimum years) is checked."""
    cells = _rows(page).locator("td[data-label='Knock-outs']")
    assert cells.count() == _rows(page).count()
    assert all(text.strip() for text in cells.all_inner_texts())


def test_a_location_filter_keeps_candidates_from_there(page: Any, pool: Pool) -> None:
    """`Location contains Lyon` leaves Ada Moreau alone; clearing it brings everyone back."""
    page.get_by_label("Location contains").fill("Lyon")
    page.get_by_role("button", name="Apply filters").click()
    sync_api.expect(_rows(page)).to_have_count(1)
    sync_api.expect(_rows(page).first.locator(".candidate-link")).to_have_text("Ada Moreau")
    page.get_by_label("Location contains").fill("")
    page.get_by_role("button", name="Apply filters").click()
    sync_api.expect(_rows(page)).to_have_count(len(pool.candidates))


def test_sorting_reorders_the_page(page: Any) -> None:
    """Ordering by name puts the page in alphabetical order; model rank restores it."""
    page.get_by_label("Order this page by").select_option("name")
    names = _rows(page).locator(".candidate-link").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    page.get_by_label("Order this page by").select_option("rank")
    sync_api.expect(_rows(page).first.locator(".rank")).to_have_text("#1")


def test_pages_follow_the_ranking(page: Any, pool: Pool) -> None:
    """Five per page: the next page continues the ranking, the previous one comes back."""
    page.get_by_label("Per page").select_option("5")
    page.get_by_role("button", name="Apply filters").click()
    sync_api.expect(_rows(page)).to_have_count(5)
    page.get_by_role("button", name="Next page").click()
    sync_api.expect(_rows(page)).to_have_count(len(pool.candidates) - 5)
    sync_api.expect(_rows(page).first.locator(".rank")).to_have_text("#6")
    sync_api.expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.get_by_role("button", name="Previous page").click()
    sync_api.expect(_rows(page).first.locator(".rank")).to_have_text("#1")
    page.get_by_label("Per page").select_option("25")
    page.get_by_role("button", name="Apply filters").click()
    sync_api.expect(_rows(page)).to_have_count(len(pool.candidates))


# -- a candidate --------------------------------------------------------------------------------


def test_a_candidate_shows_evidence_reasons_and_model(page: Any, service: ServiceProcess) -> None:
    """Opening Ada shows the span each skill was read from, the reasons and the model version."""
    model = httpx.get(f"{service.url}/model", headers=service.headers).json()
    page.get_by_role("button", name="Ada Moreau").first.click()
    dialog = page.get_by_role("dialog")
    sync_api.expect(dialog).to_be_visible()
    sync_api.expect(dialog.get_by_role("heading", name="Ada Moreau")).to_be_visible()
    evidence = dialog.locator(".evidence")
    spark = evidence.filter(has=page.locator(".evidence-skill", has_text="Apache Spark"))
    sync_api.expect(spark.locator("mark")).to_have_text("Apache Spark")
    assert evidence.count() >= 5
    sync_api.expect(dialog.locator(".model-line")).to_contain_text(
        f"model {model['name']} version {model['version']}"
    )
    sync_api.expect(dialog).to_contain_text("Knock-outs (apart from the score)")
    dialog.screenshot(path=ARTIFACTS / "candidate-panel.png")
    assert _unlabelled(page) == []


def _unlabelled(page: Any) -> list[str]:
    """Form controls (of the page and the open panel) without a label."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label"))
            .map((c) => c.id || c.name || c.outerHTML.slice(0, 60))"""
    )
    return found


def test_a_decision_is_recorded_as_a_labelled_pair(
    page: Any, env: dict[str, str], pool: Pool, service: ServiceProcess
) -> None:
    """ "Advance" with a reason is stored with the reviewer, the score and the model shown."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Advance", exact=True).check()
    dialog.get_by_label("Reason (optional)").fill("Runs Spark and Kafka in production.")
    dialog.get_by_role("button", name="Record decision").click()
    sync_api.expect(_status(page)).to_contain_text("Decision recorded: advance")
    sync_api.expect(dialog.locator("#latest-decision")).to_contain_text("advance by tests")
    ada = pool.candidates["ada_moreau.txt"]
    (row,) = _sqlite(env, "SELECT * FROM feedback WHERE candidate_id = ?", ada)
    assert (row["decision"], row["reason"], row["reviewer"]) == (
        "advance",
        "Runs Spark and Kafka in production.",
        "tests",
    )
    assert row["requisition_id"] == pool.requisition_id
    (score,) = _sqlite(
        env,
        "SELECT score, model_version FROM scores WHERE candidate_id = ? AND requisition_id = ?",
        ada,
        pool.requisition_id,
    )
    assert (row["score"], row["model_version"]) == (score["score"], score["model_version"])
    assert row["shown_request_id"]  # the shortlist the recruiter was reading


def test_a_request_for_human_review_is_recorded(page: Any, env: dict[str, str], pool: Pool) -> None:
    """The candidate's request for a human review is stored and listed for recruiters."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("What the candidate asked (optional)").fill("Asked by e-mail on Monday.")
    dialog.get_by_role("button", name="Record a request for human review").click()
    sync_api.expect(_status(page)).to_contain_text("Request for human review recorded")
    (row,) = _sqlite(env, "SELECT * FROM review_requests")
    assert (row["candidate_id"], row["requisition_id"]) == (
        pool.candidates["ada_moreau.txt"],
        pool.requisition_id,
    )
    assert (row["note"], row["recorded_by"]) == ("Asked by e-mail on Monday.", "tests")
    dialog.get_by_role("button", name="Close the candidate panel").click()
    sync_api.expect(dialog).to_be_hidden()
    sync_api.expect(page.locator("#review-list")).to_contain_text("Asked by e-mail on Monday.")
    sync_api.expect(_rows(page).first.locator(".decision-cell")).to_have_text("Advanced")
    sync_api.expect(page.locator("#status")).to_be_empty(timeout=15_000)  # the message fades
    page.screenshot(path=ARTIFACTS / "desktop-decided.png", full_page=True)
    if os.environ.get("MATCHING_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "desktop-decided.png", DOCS_SCREENSHOT)


def test_markup_in_a_resume_stays_text(page: Any) -> None:
    """Markup in a resume (quoted as a skill's evidence) shows as its characters, never runs."""
    _rows(page).filter(has_text="Eve Marchand").get_by_role("button", name="Eve Marchand").click()
    dialog = page.get_by_role("dialog")
    evidence = dialog.locator(".evidence").filter(has_text="Microsoft Excel")
    sync_api.expect(evidence).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert dialog.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    dialog.get_by_role("button", name="Close the candidate panel").click()


# -- export, CRM --------------------------------------------------------------------------------


def test_the_shown_shortlist_exports_as_csv(page: Any, pool: Pool) -> None:
    """Export CSV downloads the rows shown, in the order shown, with reasons and the model."""
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Export CSV").click()
    download = waiting.value
    assert download.suggested_filename.startswith("shortlist-")
    target = ARTIFACTS / "shortlist.csv"
    download.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(pool.candidates)
    assert [row["rank"] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]
    assert (rows[0]["name"], rows[0]["decision"]) == ("Ada Moreau", "advance")
    assert "Apache Spark" in rows[0]["matched_required"]
    assert {row["requisition_id"] for row in rows} == {pool.requisition_id}


def test_send_to_crm_queues_the_linked_candidates(
    page: Any, env: dict[str, str], pool: Pool
) -> None:
    """Send to CRM queues the linked candidate's latest score and names the unlinked ones."""
    before = _sqlite(env, "SELECT id FROM crm_outbox WHERE status = 'pending'")
    page.get_by_role("button", name="Send to CRM").click()
    sync_api.expect(_status(page)).to_contain_text("Queued 1 write(s) to webhook")
    sync_api.expect(_status(page)).to_contain_text("No CRM contact for:")
    pending = _sqlite(env, "SELECT * FROM crm_outbox WHERE status = 'pending'")
    assert len(pending) == 1  # the new write superseded the one the shortlist queued
    (row,) = pending
    assert {r["id"] for r in before} != {row["id"]}
    assert (row["crm"], row["contact_id"], row["candidate_id"], row["requisition_id"]) == (
        "webhook",
        WEBHOOK_CONTACT,
        pool.candidates["ada_moreau.txt"],
        pool.requisition_id,
    )


# -- other ways to give the requisition ----------------------------------------------------------


def test_a_pasted_posting_gets_its_shortlist(page: Any, pool: Pool) -> None:
    """Pasted text is stored as a requisition, ranked against the pool and offered for picking."""
    page.get_by_label("pasted text").check()
    page.get_by_label("Posting text").fill(JOBS["nurse"])
    page.get_by_role("button", name="Show the shortlist").click()
    sync_api.expect(page.locator("#requisition-summary h3")).to_have_text("Registered Nurse")
    sync_api.expect(page.locator("#shortlist-meta")).to_contain_text("Registered Nurse: ranks 1–")
    sync_api.expect(_rows(page)).to_have_count(len(pool.candidates))
    options = page.locator("#requisition-select option").all_inner_texts()
    assert any(text.startswith("Registered Nurse") for text in options)


def test_an_uploaded_posting_gets_its_shortlist(page: Any, pool: Pool) -> None:
    """A posting file is read by the service, stored, and its shortlist shown."""
    page.get_by_label("a posting file").check()
    page.get_by_label("Posting file (PDF, DOCX, TXT or HTML)").set_input_files(
        files=[{"name": "posting.txt", "mimeType": "text/plain", "buffer": JOBS["data"].encode()}]
    )
    page.get_by_label("Your id for it (optional)", exact=True).fill("ats-upload-9")
    page.get_by_role("button", name="Show the shortlist").click()
    sync_api.expect(page.locator("#requisition-summary h3")).to_have_text("Senior Data Engineer")
    sync_api.expect(page.locator("#requisition-select")).to_contain_text("ats-upload-9")
    sync_api.expect(_rows(page)).to_have_count(len(pool.candidates))


# -- a narrow screen, URLs, errors --------------------------------------------------------------


def test_a_phone_width_screen_shows_one_card_per_candidate(
    browser: Any, service: ServiceProcess, pool: Pool, seen: Seen
) -> None:
    """At 375 px the shortlist fits the width (no sideways scrolling), one card per candidate."""
    phone = _new_page(browser, seen, PHONE)
    try:
        _sign_in(phone, service, service.key)
        phone.wait_for_url("**/ui/")
        phone.locator(f"#requisition-select option[value='{pool.requisition_id}']").wait_for(
            state="attached"
        )
        _show_shortlist(phone, pool)
        sync_api.expect(_rows(phone)).to_have_count(len(pool.candidates))
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = _rows(phone).first.bounding_box()
        assert box is not None
        assert box["width"] <= PHONE["width"]
        phone.screenshot(path=ARTIFACTS / "phone-shortlist.png", full_page=True)
    finally:
        phone.context.close()


def test_no_key_or_personal_data_in_urls(seen: Seen, service: ServiceProcess) -> None:
    """No URL the browser requested holds the key, a name, an e-mail address or a place."""
    assert seen.urls
    for url in seen.urls:
        for secret in (service.key, "Moreau", "Marchand", "example.org", "Lyon"):
            assert secret not in url, url


def test_the_page_raised_no_error(seen: Seen) -> None:
    """No script error happened on any page."""
    assert seen.errors == []
