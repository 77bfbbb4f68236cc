"""PDF → text: visible text, hidden-text removal (W101), scans, broken and protected files."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from matching.errors import InputError
from matching.parsing._documents import PDF, ExtractedText, extract_text
from matching.settings import Settings
from tests.docs_factory import (
    PdfPage,
    build_pdf,
    encrypted_pdf,
    pdf_form,
    pdf_glyphs,
    pdf_image,
    pdf_lines,
    pdf_rect,
    pdf_text,
    simple_pdf,
)

SETTINGS = Settings()
BODY = pdf_lines(["Jane Doe", "Python developer"])


def _codes(result: ExtractedText) -> list[str]:
    return [issue.code for issue in result.warnings]


def _w101(result: ExtractedText) -> str:
    messages = [issue.message for issue in result.warnings if issue.code == "W101"]
    assert len(messages) == 1, messages
    return messages[0]


def test_visible_text_is_extracted_line_by_line() -> None:
    """Ordinary black text comes out in reading order, one line per text line."""
    result = extract_text(simple_pdf("Jane Doe", "Python developer", "Berlin"), settings=SETTINGS)
    assert result.text == "Jane Doe\nPython developer\nBerlin"
    assert result.media_type == PDF
    assert result.pages == 1
    assert result.warnings == ()


def test_words_are_rebuilt_from_glyph_positions() -> None:
    """Glyphs drawn one by one without space characters still come out as separate words."""
    pdf = build_pdf([pdf_glyphs("Knowledge of Python and SQL.") + pdf_glyphs("Next line", y=706)])
    assert extract_text(pdf, settings=SETTINGS).text == "Knowledge of Python and SQL.\nNext line"


def test_wide_vertical_gap_becomes_a_paragraph_break() -> None:
    """A gap of several lines between blocks is a blank line in the text."""
    content = pdf_lines(["Summary", "Builds data tools"]) + pdf_lines(["Experience"], top=600)
    assert extract_text(build_pdf([content]), settings=SETTINGS).text == (
        "Summary\nBuilds data tools\n\nExperience"
    )


def test_wide_horizontal_gap_becomes_a_tab() -> None:
    """Text far to the right on the same line (a right-aligned date) is set off by a tab."""
    content = pdf_text("Acme Corp", 72, 700) + pdf_text("2019 - 2021", 450, 700)
    assert extract_text(build_pdf([content]), settings=SETTINGS).text == "Acme Corp\t2019 - 2021"


def test_pages_are_separated_by_a_blank_line() -> None:
    """Each page's text follows the previous page's after a blank line."""
    result = extract_text(build_pdf([pdf_lines(["Page one"]), pdf_lines(["Page two"])]))
    assert result.text == "Page one\n\nPage two"
    assert result.pages == 2


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        (pdf_text("KUBERNETES", 72, 600, render_mode=3), "invisible"),
        (pdf_text("KUBERNETES", 72, 600, render_mode=7), "invisible"),
        (pdf_text("KUBERNETES", 72, 600, rgb=(1, 1, 1)), "white"),
        (pdf_text("KUBERNETES", 72, 600, rgb=(0.93, 0.93, 0.93)), "white"),
        (pdf_text("KUBERNETES", 72, 600, rgb=(1, 1, 0.6)), "white"),
        (pdf_text("KUBERNETES", 72, 600, render_mode=1, stroke_rgb=(1, 1, 1)), "white"),
        (pdf_text("KUBERNETES", 72, 600, size=0.5), "tiny"),
        (pdf_text("KUBERNETES", 72, 600, size=11, matrix=(0.1, 0, 0, 0.1)), "tiny"),
        (pdf_text("KUBERNETES", -500, 600), "outside the page"),
        (pdf_text("KUBERNETES", 72, 900), "outside the page"),
    ],
    ids=[
        "render-mode-3",
        "render-mode-7",
        "white",
        "near-white",
        "pale-yellow",
        "white-stroke-only",
        "half-point",
        "scaled-down",
        "left-of-page",
        "above-page",
    ],
)
def test_hidden_pdf_text_is_dropped_with_w101(snippet: str, reason: str) -> None:
    """Text a reader cannot see never reaches the text, and W101 names why it was dropped."""
    result = extract_text(build_pdf([BODY + snippet]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert result.text == "Jane Doe\nPython developer"
    assert f"10 {reason}" in _w101(result)


@pytest.mark.parametrize(
    "cover",
    [pdf_rect(60, 595, 200, 25, rgb=(1, 1, 1)), pdf_image(60, 595, 200, 25, grey=255)],
    ids=["white-box", "image"],
)
def test_text_under_a_box_painted_over_it_is_dropped(cover: str) -> None:
    """Keywords hidden under an opaque box or image painted after them are dropped."""
    content = BODY + pdf_text("KUBERNETES", 72, 600) + cover
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "10 covered" in _w101(result)


def test_shapes_after_the_text_that_cover_nothing_are_harmless() -> None:
    """A rule or box painted after the text but beside it hides nothing."""
    content = BODY + pdf_rect(72, 100, 400, 2, rgb=(0, 0, 0)) + pdf_image(450, 50, 80, 80)
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert result.text == "Jane Doe\nPython developer"
    assert result.warnings == ()


def test_zero_size_text_never_reaches_the_text() -> None:
    """Text set at 0 pt is dropped (PDFium gives it no characters, so there is nothing to count)."""
    result = extract_text(build_pdf([BODY + pdf_text("KUBERNETES", 72, 600, size=0)]))
    assert result.text == "Jane Doe\nPython developer"


def test_transparent_text_is_dropped() -> None:
    """Text painted with a fill alpha of zero (ExtGState /ca 0) is hidden."""
    page = PdfPage(BODY + pdf_text("KUBERNETES", 72, 600, alpha_state="GS0"), alpha=(("GS0", 0),))
    result = extract_text(build_pdf([page]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "10 transparent" in _w101(result)


def test_text_outside_the_crop_box_is_dropped() -> None:
    """The crop box, not the media box, is the visible page."""
    page = PdfPage(BODY + pdf_text("KUBERNETES", 72, 100), crop_box=(0, 200, 612, 792))
    result = extract_text(build_pdf([page]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "10 outside the page" in _w101(result)


def test_w101_summarises_every_reason_once() -> None:
    """One W101 counts the dropped characters by reason."""
    content = (
        BODY
        + pdf_text("WHITE", 72, 600, rgb=(1, 1, 1))
        + pdf_text("OFF", -500, 580)
        + pdf_text("GONE", 72, 560, render_mode=3)
    )
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert _w101(result) == (
        "Hidden text was found and ignored: 12 characters: 5 white or pale, 4 invisible, "
        "3 outside the page."
    )


@pytest.mark.parametrize(
    "snippet",
    [
        pdf_text("Visible grey", 72, 600, rgb=(0.5, 0.5, 0.5)),
        pdf_text("Visible outline", 72, 600, render_mode=1, stroke_rgb=(0, 0, 0)),
        pdf_text("Visible small", 72, 600, size=6),
        pdf_text("Visible rotated", 300, 300, matrix=(0, 1, -1, 0)),
        pdf_text("Visible colour", 72, 600, rgb=(0.9, 0.1, 0.1)),
    ],
    ids=["grey", "black-outline", "6pt", "rotated", "red"],
)
def test_visible_styles_are_not_flagged(snippet: str) -> None:
    """Grey, outlined, small (6 pt), rotated and coloured text is kept without W101."""
    result = extract_text(build_pdf([BODY + snippet]), settings=SETTINGS)
    assert "Visible" in result.text
    assert "W101" not in _codes(result)


@pytest.mark.parametrize(
    ("band", "kept"),
    [((0.1, 0.2, 0.4), True), ((0.6, 0.6, 0.6), True), ((0.92, 0.92, 0.92), False)],
    ids=["dark-blue", "mid-grey", "light-grey"],
)
def test_white_text_on_a_band_is_kept_when_readable(
    band: tuple[float, float, float], kept: bool
) -> None:
    """White text on a filled band (a coloured header) is kept when the band is dark enough
    to read it on, and dropped when the band is nearly white itself."""
    content = (
        pdf_rect(0, 690, 612, 40, rgb=band)
        + pdf_text("JANE DOE", 72, 705, rgb=(1, 1, 1))
        + pdf_lines(["Python developer"], top=650)
    )
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert result.text.startswith("JANE DOE") is kept
    assert ("W101" in _codes(result)) is not kept


def test_white_text_on_a_white_box_over_a_dark_band_is_dropped() -> None:
    """The topmost shape under the text decides: a white box painted over a dark one hides."""
    content = (
        pdf_rect(0, 690, 612, 40, rgb=(0.1, 0.2, 0.4))
        + pdf_rect(0, 690, 612, 40, rgb=(1, 1, 1))
        + pdf_text("KUBERNETES", 72, 705, rgb=(1, 1, 1))
        + BODY
    )
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "10 white" in _w101(result)


def test_white_text_drawn_before_its_dark_band_is_dropped() -> None:
    """A dark band painted after the white text covers it rather than lying behind it."""
    content = (
        pdf_text("KUBERNETES", 72, 705, rgb=(1, 1, 1))
        + pdf_rect(0, 690, 612, 40, rgb=(0.1, 0.2, 0.4))
        + BODY
    )
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text


@pytest.mark.parametrize(("grey", "kept"), [(20, True), (255, False)], ids=["dark", "white"])
def test_white_text_on_an_image_is_judged_by_its_pixels(grey: int, kept: bool) -> None:
    """White text over a picture is kept when the picture is dark behind it, not when white."""
    content = pdf_image(0, 680, 612, 60, grey=grey) + pdf_text("KUBERNETES", 72, 705, rgb=(1, 1, 1))
    result = extract_text(build_pdf([content + BODY]), settings=SETTINGS)
    assert ("KUBERNETES" in result.text) is kept
    assert ("W101" in _codes(result)) is not kept


def test_text_in_a_scaled_down_form_is_tiny() -> None:
    """A Form XObject shrunk to a tenth makes its 11 pt text 1.1 pt: dropped as tiny."""
    page = PdfPage(
        BODY + pdf_form("Fm1", (0.1, 0, 0, 0.1, 72, 600)),
        forms=(("Fm1", pdf_text("KUBERNETES", 0, 0)),),
    )
    result = extract_text(build_pdf([page]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "10 tiny" in _w101(result)


def test_white_text_in_a_form_over_a_dark_band_is_kept() -> None:
    """Backdrops are found through Form XObjects, in page space (the form is moved here)."""
    page = PdfPage(
        pdf_rect(0, 690, 612, 40, rgb=(0.1, 0.2, 0.4))
        + pdf_form("Fm1", (1, 0, 0, 1, 72, 705))
        + pdf_lines(["Python developer"], top=650),
        forms=(("Fm1", pdf_text("JANE DOE", 0, 0, rgb=(1, 1, 1))),),
    )
    result = extract_text(build_pdf([page]), settings=SETTINGS)
    assert result.text.startswith("JANE DOE")
    assert "W101" not in _codes(result)


def test_ocr_text_layer_on_a_scanned_page_is_kept() -> None:
    """Invisible text over a page-sized image is an OCR layer: it is the page's text."""
    content = pdf_image() + pdf_text("Jane Doe, Python developer", 72, 700, render_mode=3)
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert result.text == "Jane Doe, Python developer"
    assert result.warnings == ()


def test_invisible_text_over_a_small_photo_is_dropped() -> None:
    """An image the size of a photo does not make invisible text an OCR layer."""
    content = pdf_image(450, 650, 80, 100) + pdf_text("KUBERNETES", 460, 700, render_mode=3) + BODY
    result = extract_text(build_pdf([content]), settings=SETTINGS)
    assert "KUBERNETES" not in result.text
    assert "W101" in _codes(result)


def test_image_only_pdf_is_e105_with_its_page_count() -> None:
    """A scan without a text layer is refused with E105, never returned as empty text."""
    with pytest.raises(InputError) as caught:
        extract_text(build_pdf([pdf_image(), pdf_image()]), settings=SETTINGS)
    assert caught.value.code == "E105"
    assert "2 page(s)" in caught.value.message


def test_pages_without_text_next_to_text_pages_give_w105() -> None:
    """Image-only pages in a text PDF are skipped with W105 (count of pages)."""
    result = extract_text(build_pdf([BODY, pdf_image()]), settings=SETTINGS)
    assert result.text == "Jane Doe\nPython developer"
    w105 = [issue for issue in result.warnings if issue.code == "W105"]
    assert [issue.message for issue in w105] == [
        "1 of 2 page(s) have no text layer and were skipped."
    ]


def test_blank_pdf_is_e111() -> None:
    """A PDF with empty pages has no readable text (E111)."""
    with pytest.raises(InputError) as caught:
        extract_text(build_pdf([""]), settings=SETTINGS)
    assert caught.value.code == "E111"


def test_pdf_whose_text_is_all_hidden_is_e111() -> None:
    """Only hidden text means no readable text, not an empty result."""
    with pytest.raises(InputError) as caught:
        extract_text(build_pdf([pdf_text("KUBERNETES", 72, 700, rgb=(1, 1, 1))]))
    assert caught.value.code == "E111"


@pytest.mark.parametrize(
    "cut",
    [lambda pdf: pdf[: len(pdf) // 2], lambda pdf: pdf[:-12], lambda pdf: pdf[:40]],
    ids=["half", "no-trailer", "header-only"],
)
def test_truncated_pdf_is_e103(cut: object) -> None:
    """A PDF cut short (an interrupted upload) is refused as corrupt or truncated."""
    pdf = simple_pdf()
    with pytest.raises(InputError) as caught:
        extract_text(cut(pdf), settings=SETTINGS)  # type: ignore[operator]
    assert caught.value.code == "E103"


def test_garbage_after_pdf_header_is_e103() -> None:
    """A file that starts like a PDF but holds no PDF structure is corrupt."""
    with pytest.raises(InputError) as caught:
        extract_text(b"%PDF-1.7\nthis is not a pdf at all\n%%EOF\n", settings=SETTINGS)
    assert caught.value.code == "E103"


def test_password_protected_pdf_is_e104() -> None:
    """A PDF that needs a password to open is refused with E104."""
    pdf = encrypted_pdf(simple_pdf(), user_password="secret")
    with pytest.raises(InputError) as caught:
        extract_text(pdf, settings=SETTINGS)
    assert caught.value.code == "E104"


def test_pdf_with_only_an_owner_password_is_read() -> None:
    """Encryption that only restricts permissions (empty user password) does not stop reading."""
    pdf = encrypted_pdf(simple_pdf("Jane Doe"), user_password="")
    assert extract_text(pdf, settings=SETTINGS).text == "Jane Doe"


def test_more_pages_than_the_limit_is_e110() -> None:
    """A document over ``max_pages`` is refused before its pages are read."""
    pdf = build_pdf([pdf_lines([f"Page {number}"]) for number in range(3)])
    with pytest.raises(InputError) as caught:
        extract_text(pdf, settings=Settings(max_pages=2))
    assert caught.value.code == "E110"
    assert "3 pages" in caught.value.message


def test_threads_can_share_the_reader() -> None:
    """PDFium is not thread-safe; concurrent calls are serialised and give the same text."""
    pdfs = [simple_pdf(f"Candidate {number}", "Python developer") for number in range(16)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda pdf: extract_text(pdf, settings=SETTINGS).text, pdfs))
    assert texts == [f"Candidate {number}\nPython developer" for number in range(16)]
