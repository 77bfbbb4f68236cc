"""DOCX → text: structure, hidden runs (W101), corrupt archives and zip bombs."""

from __future__ import annotations

import time

import pytest

from matching.errors import InputError
from matching.parsing._documents import DOCX, ExtractedText, extract_text
from matching.settings import Settings
from tests.docs_factory import (
    build_docx,
    docx_bomb,
    docx_document,
    docx_paragraph,
    docx_run,
    lying_docx,
)

SETTINGS = Settings()
NAME = docx_paragraph("Jane Doe")
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="character" w:styleId="AlsoSecret"><w:basedOn w:val="Secret"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Ghost"><w:rPr><w:color w:val="FFFFFF"/></w:rPr>'
    "</w:style></w:styles>"
)


def _text(body: str, **parts: str) -> str:
    files = {f"word/{name}.xml": xml for name, xml in parts.items()}
    return extract_text(build_docx(body, parts=files), settings=SETTINGS).text


def _w101(result: ExtractedText) -> str:
    messages = [issue.message for issue in result.warnings if issue.code == "W101"]
    assert len(messages) == 1, messages
    return messages[0]


def test_paragraphs_are_lines() -> None:
    """Each paragraph is a line; an empty paragraph is a blank line."""
    body = docx_paragraph("Jane Doe") + docx_paragraph() + docx_paragraph("Experience")
    result = extract_text(build_docx(body), settings=SETTINGS)
    assert result.text == "Jane Doe\n\nExperience"
    assert result.media_type == DOCX
    assert result.pages is None


def test_runs_tabs_and_breaks_are_kept() -> None:
    """Runs join without spaces; ``w:tab`` is a tab and ``w:br`` a line break."""
    body = (
        "<w:p><w:r><w:t>Acme</w:t></w:r><w:r><w:tab/><w:t>2019</w:t></w:r>"
        "<w:r><w:br/><w:t>Engi</w:t></w:r><w:r><w:t>neer</w:t></w:r></w:p>"
    )
    assert _text(body) == "Acme\t2019\nEngineer"


def test_table_cells_are_joined_by_tabs() -> None:
    """A table of one-line cells keeps one row per line, cells separated by tabs."""
    row = "<w:tr><w:tc>{}</w:tc><w:tc>{}</w:tc></w:tr>"
    body = (
        "<w:tbl>"
        + row.format(docx_paragraph("Skill"), docx_paragraph("Years"))
        + row.format(docx_paragraph("Python"), docx_paragraph("5"))
        + "</w:tbl>"
    )
    assert _text(NAME + body) == "Jane Doe\nSkill\tYears\nPython\t5"


def test_layout_table_cells_are_read_one_after_another() -> None:
    """Cells holding several paragraphs (a two-column layout) are read cell by cell."""
    left = docx_paragraph("Skills") + docx_paragraph("Python")
    right = docx_paragraph("Experience") + docx_paragraph("Acme, 2019")
    body = f"<w:tbl><w:tr><w:tc>{left}</w:tc><w:tc>{right}</w:tc></w:tr></w:tbl>"
    assert _text(body) == "Skills\nPython\n\nExperience\nAcme, 2019"


def test_text_box_content_is_read_once() -> None:
    """A text box's DrawingML copy is read; its VML fallback copy is not read again."""
    box = docx_paragraph("jane@example.com")
    run = (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx><w:txbxContent>{box}</w:txbxContent></wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{box}</w:txbxContent>"
        "</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    assert _text(docx_paragraph("Jane Doe", run)) == "Jane Doe\njane@example.com"


def test_text_box_in_a_hidden_drawing_is_dropped() -> None:
    """A drawing marked hidden (``wp:docPr hidden``) does not show its text box."""
    run = (
        '<w:r><w:drawing><wp:anchor><wp:docPr id="1" name="Box" hidden="1"/>'
        "<a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>"
        f"{docx_paragraph('KUBERNETES')}</w:txbxContent></wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
    )
    result = extract_text(build_docx(docx_paragraph("Jane Doe", run)), settings=SETTINGS)
    assert result.text == "Jane Doe"
    assert "10 marked hidden" in _w101(result)


def test_headers_come_first_and_footers_last() -> None:
    """Header text (contact details) leads the text and footer text ends it, once each."""
    header = docx_document(docx_paragraph("jane@example.com")).replace("w:document", "w:hdr")
    header = header.replace("<w:body>", "").replace("</w:body>", "")
    footer = header.replace("w:hdr", "w:ftr").replace("jane@example.com", "Page 1")
    text = _text(NAME, header1=header, header2=header, footer1=footer)
    assert text == "jane@example.com\n\nJane Doe\n\nPage 1"


def test_deleted_revisions_and_field_codes_are_not_text() -> None:
    """``w:del`` (tracked deletions) and ``w:instrText`` (field codes) are not shown text."""
    body = (
        '<w:p><w:del w:id="1"><w:r><w:delText>Old title</w:delText></w:r></w:del>'
        '<w:ins w:id="2"><w:r><w:t>Engineer</w:t></w:r></w:ins>'
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "x" </w:instrText></w:r>'
        '<w:hyperlink><w:r><w:t xml:space="preserve"> at Acme</w:t></w:r></w:hyperlink></w:p>'
    )
    assert _text(body) == "Engineer at Acme"


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        (docx_run("KUBERNETES", vanish=True), "marked hidden"),
        (docx_run("KUBERNETES", color="FFFFFF"), "white"),
        (docx_run("KUBERNETES", color="FAFAFA"), "white"),
        (docx_run("KUBERNETES", color="FFFF99"), "white"),
        (docx_run("KUBERNETES", size_half_points=2), "tiny"),
        (
            '<w:r><w:rPr><w:color w:val="auto" w:themeColor="background1"/></w:rPr>'
            "<w:t>KUBERNETES</w:t></w:r>",
            "white",
        ),
        ('<w:r><w:rPr><w:rStyle w:val="AlsoSecret"/></w:rPr><w:t>KUBERNETES</w:t></w:r>', "marked"),
    ],
    ids=["vanish", "white", "near-white", "pale-yellow", "1pt", "theme-background", "style-chain"],
)
def test_hidden_runs_are_dropped_with_w101(run: str, reason: str) -> None:
    """Runs Word would not show on a white page never reach the text; W101 says why."""
    docx = build_docx(
        NAME + docx_paragraph("Skills: ", run, "Python"), parts={"word/styles.xml": STYLES}
    )
    result = extract_text(docx, settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert result.text == "Jane Doe\nSkills: Python"
    assert f"10 {reason}" in _w101(result)


def test_paragraph_style_colour_hides_its_runs() -> None:
    """A paragraph style that makes text white hides the paragraph's runs."""
    body = (
        NAME + '<w:p><w:pPr><w:pStyle w:val="Ghost"/></w:pPr>' + docx_run("KUBERNETES") + "</w:p>"
    )
    result = extract_text(build_docx(body, parts={"word/styles.xml": STYLES}), settings=SETTINGS)
    assert result.text == "Jane Doe"
    assert "10 white" in _w101(result)


def test_white_text_on_dark_shading_is_kept() -> None:
    """White text in a dark-shaded paragraph or cell (a coloured header) is visible."""
    shaded = (
        '<w:p><w:pPr><w:shd w:val="clear" w:fill="1F3864"/></w:pPr>'
        + docx_run("JANE DOE", color="FFFFFF")
        + "</w:p>"
    )
    cell = (
        '<w:tbl><w:tr><w:tc><w:tcPr><w:shd w:val="clear" w:fill="000000"/></w:tcPr>'
        + docx_paragraph(docx_run("Engineer", color="FFFFFF"))
        + "</w:tc></w:tr></w:tbl>"
    )
    result = extract_text(build_docx(shaded + cell), settings=SETTINGS)
    assert result.text == "JANE DOE\nEngineer"
    assert result.warnings == ()


def test_visible_small_and_coloured_runs_are_kept() -> None:
    """Eight-point grey text and a vanish switched off are ordinary visible text."""
    body = docx_paragraph(
        docx_run("Small", size_half_points=16, color="808080"),
        '<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t xml:space="preserve"> shown</w:t></w:r>',
    )
    result = extract_text(build_docx(body), settings=SETTINGS)
    assert result.text == "Small shown"
    assert result.warnings == ()


def test_corrupt_docx_archive_is_e106() -> None:
    """A DOCX cut short (its central directory lost) is refused as corrupt."""
    docx = build_docx(NAME)
    with pytest.raises(InputError) as caught:
        extract_text(docx[: len(docx) // 2], filename="cv.docx", settings=SETTINGS)
    assert caught.value.code == "E106"


def test_docx_without_document_part_is_e106() -> None:
    """A Word package without ``word/document.xml`` is a corrupt DOCX."""
    docx = build_docx(NAME).replace(b"word/document.xml", b"word/documenX.xml")
    with pytest.raises(InputError) as caught:
        extract_text(docx, filename="cv.docx", settings=SETTINGS)
    assert caught.value.code == "E106"


def test_malformed_document_xml_is_e106() -> None:
    """XML that does not parse is a corrupt DOCX."""
    with pytest.raises(InputError) as caught:
        extract_text(build_docx(document_xml="<w:document><w:body>"), settings=SETTINGS)
    assert caught.value.code == "E106"


def test_entities_are_never_expanded() -> None:
    """A 'billion laughs' DTD is not expanded: the reader refuses or ignores it, quickly."""
    laughs = '<!ENTITY a "hahahahahahahahaha">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    document = docx_document(docx_paragraph("Jane Doe") + "<w:p><w:r><w:t>&i;</w:t></w:r></w:p>")
    document = document.replace("?>", f"?><!DOCTYPE w:document [{laughs}]>", 1)
    start = time.perf_counter()
    try:
        outcome = extract_text(build_docx(document_xml=document), settings=SETTINGS).text
    except InputError as error:
        outcome = error.code
    assert outcome == "E106" or "haha" not in outcome
    assert time.perf_counter() - start < 2


def test_declared_size_over_the_limit_is_e107() -> None:
    """A package whose members declare more than ``max_unzipped_bytes`` is refused unread."""
    with pytest.raises(InputError) as caught:
        extract_text(docx_bomb(200_000), settings=Settings(max_unzipped_bytes=100_000))
    assert caught.value.code == "E107"
    assert "100000 bytes" in caught.value.message


def test_extreme_compression_ratio_is_e107() -> None:
    """A part that expands a thousand times (megabytes of one repeated byte) is refused."""
    with pytest.raises(InputError) as caught:
        extract_text(docx_bomb(3_000_000), settings=SETTINGS)
    assert caught.value.code == "E107"


def test_lying_declared_size_is_never_expanded_past_it() -> None:
    """A part that declares fewer bytes than it holds is read only up to its claim, then
    refused (its checksum fails) instead of expanding."""
    docx = lying_docx(real_bytes=300_000, declared_bytes=2_000)
    with pytest.raises(InputError) as caught:
        extract_text(docx, settings=Settings(max_unzipped_bytes=100_000))
    assert caught.value.code in ("E106", "E107")
