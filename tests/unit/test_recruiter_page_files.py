"""The recruiter page's files and what the recruiter routes build (no server, no browser)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from matching.schemas import Profile, Skill, SourceSpan
from matching.serving import CONTENT_SECURITY_POLICY, PAGE_DIR, recruiter_page
from matching.serving._views import next_offset, skill_evidence

SCRIPTS = sorted((PAGE_DIR / "js").glob("*.js"))
PAGES = sorted(PAGE_DIR.glob("*.html"))


class _References(HTMLParser):
    """The local files a page refers to, and whether it has inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            value = found.get(name)
            if value and not value.startswith("#"):
                self.files.append(value)
        if tag == "style" or "style" in found or any(n.startswith("on") for n in found):
            self.inline.append(tag)
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_pages_refer_only_to_their_own_files(page: Path) -> None:
    """Every script, style and icon is a file of the page (no CDN), and none is inline."""
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.files
    for reference in parser.files:
        assert not re.match(r"^[a-z]+:|^//", reference), reference
        assert (PAGE_DIR / reference).is_file(), reference
    assert parser.inline == []


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_scripts_insert_values_as_text_only(script: Path) -> None:
    """No script writes markup (innerHTML and kin) or reaches another origin."""
    code = script.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code, sink
    assert not re.search(r"https?://", code)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_the_key_stays_in_session_storage(script: Path) -> None:
    """The key is never kept in localStorage or a cookie."""
    code = script.read_text(encoding="utf-8")
    assert not re.search(r"localStorage\s*[.\[]", code)
    assert "document.cookie" not in code


def test_module_imports_resolve() -> None:
    """Every relative import of a script names a file that exists."""
    for script in SCRIPTS:
        for target in re.findall(r'from "(\.[^"]+)"', script.read_text(encoding="utf-8")):
            assert (script.parent / target).resolve().is_file(), (script.name, target)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "kind"),
    [("/", "text/html"), ("/login.html", "text/html"), ("/js/app.js", "javascript")],
)
async def test_files_are_served_with_a_strict_policy(path: str, kind: str) -> None:
    """The page's files come with the Content-Security-Policy and no-sniff headers."""
    transport = httpx.ASGITransport(app=recruiter_page())
    async with httpx.AsyncClient(transport=transport, base_url="http://page") as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def _profile(text: str, *spans: tuple[str, int, int]) -> Profile:
    skills = [
        Skill(
            label=label,
            concept_id=f"onet:tech:{label.lower()}",
            source=SourceSpan(start=start, end=end, text=text[start:end], section="skills"),
            taxonomy="onet",
        )
        for label, start, end in spans
    ]
    return Profile(skills=skills)


def test_evidence_quotes_the_span_with_its_line() -> None:
    """Each skill comes with its span and the words beside it on the same line."""
    text = "Summary\nBuilt pipelines in Python and SQL daily.\nSkills"
    start = text.index("Python")
    (evidence,) = skill_evidence(_profile(text, ("Python", start, start + 6)), text)
    assert (evidence.text, evidence.section) == ("Python", "skills")
    assert evidence.before == "Built pipelines in "
    assert evidence.after == " and SQL daily."


def test_evidence_without_matching_text_keeps_only_the_span() -> None:
    """When the stored text no longer holds the span there, no context is made up."""
    text = "Python developer"
    profile = _profile(text, ("Python", 0, 6))
    (evidence,) = skill_evidence(profile, "Another text altogether")
    assert (evidence.text, evidence.before, evidence.after) == ("Python", "", "")


@pytest.mark.parametrize(
    ("offset", "shown", "total", "expected"),
    [(0, 10, 25, 10), (20, 5, 25, None), (0, 0, 0, None), (10, 10, 20, None)],
)
def test_next_offset(offset: int, shown: int, total: int, expected: int | None) -> None:
    """The next page starts after this one, and there is none past the end."""
    assert next_offset(offset, shown, total) == expected
