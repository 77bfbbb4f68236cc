"""HTML → text: structure, non-text elements, hidden elements (W101), encodings, bad pages."""

from __future__ import annotations

import pytest

from matching.errors import InputError
from matching.parsing._documents import HTML, ExtractedText, extract_text
from matching.settings import Settings
from tests.docs_factory import html_page

SETTINGS = Settings()


def _w101(result: ExtractedText) -> str:
    messages = [issue.message for issue in result.warnings if issue.code == "W101"]
    assert len(messages) == 1, messages
    return messages[0]


def test_blocks_become_lines_and_paragraphs() -> None:
    """Headings and paragraphs are separated by blank lines, list items and breaks by lines."""
    body = (
        "<h1>Jane Doe</h1><p>Python <b>developer</b><br>Berlin</p><ul><li>SQL</li><li>Go</li></ul>"
    )
    result = extract_text(html_page(body), settings=SETTINGS)
    assert result.text == "Jane Doe\n\nPython developer\nBerlin\n\nSQL\nGo"
    assert result.media_type == HTML


def test_table_cells_are_separated_by_tabs() -> None:
    """Each table row is a line, its cells separated by tabs."""
    body = "<table><tr><td>Skill</td><td>Years</td></tr><tr><td>Python</td><td>5</td></tr></table>"
    assert extract_text(html_page(body), settings=SETTINGS).text == "Skill\tYears\nPython\t5"


def test_scripts_styles_head_and_comments_are_not_text() -> None:
    """Script, style, noscript and template contents, the head and comments are dropped
    without a warning (they are not text of the page)."""
    body = (
        "<script>var skills = 'KUBERNETES';</script><style>p { color: red }</style>"
        "<noscript>KUBERNETES</noscript><template><p>KUBERNETES</p></template>"
        "<p>Jane<!-- KUBERNETES --> Doe</p>"
    )
    result = extract_text(html_page(body, head="<title>KUBERNETES</title>"), settings=SETTINGS)
    assert result.text == "Jane Doe"
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        ('<span style="display:none">KUBERNETES</span>', "hidden element"),
        ('<span style="visibility: hidden">KUBERNETES</span>', "hidden element"),
        ("<span hidden>KUBERNETES</span>", "hidden element"),
        ('<span style="font-size:0">KUBERNETES</span>', "tiny"),
        ('<span style="font-size: 1px">KUBERNETES</span>', "tiny"),
        ('<span style="opacity:0">KUBERNETES</span>', "transparent"),
        ('<span style="color:#fff">KUBERNETES</span>', "white"),
        ('<span style="color: White !important">KUBERNETES</span>', "white"),
        ('<span style="color:rgb(254, 254, 254)">KUBERNETES</span>', "white"),
        ('<span style="color:lightyellow">KUBERNETES</span>', "white"),
        ('<span style="color:rgba(0,0,0,0)">KUBERNETES</span>', "transparent"),
        ('<font color="#FFFFFF">KUBERNETES</font>', "white"),
        ('<span style="position:absolute;left:-9999px">KUBERNETES</span>', "off-screen"),
        ('<span style="text-indent:-10000px">KUBERNETES</span>', "off-screen"),
        ('<span style="clip:rect(0 0 0 0);position:absolute">KUBERNETES</span>', "hidden"),
        ('<span style="height:0;overflow:hidden">KUBERNETES</span>', "hidden element"),
        ('<span class="x">KUBERNETES</span>', "hidden element"),
        ('<span id="k">KUBERNETES</span>', "white"),
    ],
    ids=[
        "display-none",
        "visibility-hidden",
        "hidden-attribute",
        "font-size-0",
        "font-size-1px",
        "opacity-0",
        "white-hex",
        "white-name",
        "near-white-rgb",
        "pale-name",
        "transparent-rgba",
        "font-color",
        "off-screen-left",
        "text-indent",
        "clip-rect",
        "zero-height",
        "stylesheet-class",
        "stylesheet-id",
    ],
)
def test_hidden_elements_are_dropped_with_w101(element: str, reason: str) -> None:
    """Elements a browser would not show on a white page never reach the text; W101 says why."""
    head = "<style>.x { display: none } #k { color: #ffffff }</style>"
    page = html_page(f"<p>Skills: {element}Python</p>", head=head)
    result = extract_text(page, settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert result.text == "Skills: Python"
    assert f"10 {reason}" in _w101(result)


def test_text_after_a_hidden_element_is_kept() -> None:
    """Only the hidden element goes: the text that follows it (its tail) stays."""
    page = html_page('<p>Jane<span style="display:none"> KUBERNETES</span> Doe</p>')
    assert extract_text(page, settings=SETTINGS).text == "Jane Doe"


@pytest.mark.parametrize(
    "body",
    [
        '<div style="visibility:hidden"><p style="visibility:visible">Python</p></div>',
        '<div style="font-size:0"><span style="font-size:14px">Python</span></div>',
        '<div style="background:#1f3864;color:#fff"><p>Python</p></div>',
        '<td bgcolor="black"><font color="white">Python</font></td>',
        '<div style="color:white"><p style="color:#333">Python</p></div>',
    ],
    ids=["visible-child", "inline-block-font-trick", "dark-background", "bgcolor", "recoloured"],
)
def test_text_made_visible_again_is_kept(body: str) -> None:
    """Inherited hiding that a child undoes, and white text on a dark background, are shown."""
    result = extract_text(html_page(body), settings=SETTINGS)
    assert result.text == "Python"
    assert result.warnings == ()


def test_html_is_detected_by_markers_not_by_name() -> None:
    """A page named ``.txt`` is still HTML when it starts with HTML markers."""
    result = extract_text(html_page("<p>Jane Doe</p>"), filename="cv.txt", settings=SETTINGS)
    assert (result.media_type, result.text) == (HTML, "Jane Doe")


def test_html_name_makes_a_fragment_html() -> None:
    """Markup without HTML markers is read as HTML when its name says so, else as text."""
    fragment = b"<p>Jane Doe</p>"
    assert extract_text(fragment, filename="cv.html", settings=SETTINGS).text == "Jane Doe"
    assert extract_text(fragment, filename="cv.txt", settings=SETTINGS).text == "<p>Jane Doe</p>"


def test_utf16_html_with_bom_is_detected_after_decoding() -> None:
    """A UTF-16 page shows its markers only once decoded; it is still HTML."""
    page = "<!DOCTYPE html><html><body><p>Zoë Doe</p></body></html>".encode("utf-16")
    result = extract_text(page, settings=SETTINGS)
    assert (result.media_type, result.text) == (HTML, "Zoë Doe")


def test_declared_meta_charset_is_used() -> None:
    """A page that is not UTF-8 is decoded with the charset its ``<meta>`` declares."""
    page = b'<html><head><meta charset="windows-1252"></head><body>Ren\xe9e M\xfcller</body></html>'
    result = extract_text(page, settings=SETTINGS)
    assert result.text == "Renée Müller"
    assert result.warnings == ()


def test_empty_html_document_is_e112() -> None:
    """A page that lxml finds empty cannot be parsed (E112)."""
    with pytest.raises(InputError) as caught:
        extract_text(b"<!DOCTYPE html>", settings=SETTINGS)
    assert caught.value.code == "E112"


def test_html_without_visible_text_is_e111() -> None:
    """A page whose body holds nothing visible has no readable text (E111)."""
    with pytest.raises(InputError) as caught:
        extract_text(html_page("<script>x()</script>"), settings=SETTINGS)
    assert caught.value.code == "E111"


def test_deeply_nested_html_is_walked_without_recursion() -> None:
    """Two hundred nested elements are read; libxml2 stops far deeper pages at its depth limit
    (no huge trees), which then have no readable text (E111) rather than crashing."""
    nested = html_page("<div>" * 200 + "Jane Doe" + "</div>" * 200)
    assert extract_text(nested, settings=SETTINGS).text == "Jane Doe"
    with pytest.raises(InputError) as caught:
        extract_text(html_page("<div>" * 5000 + "Jane Doe" + "</div>" * 5000), settings=SETTINGS)
    assert caught.value.code == "E111"
