"""The entry point: reading files, type detection by content, limits, the result record,
and that bad input only ever raises ``InputError`` with its own code."""

from __future__ import annotations

import hashlib
import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import InputError
from matching.parsing._documents import DOCX, HTML, PDF, TEXT, ExtractedText, extract_text
from matching.settings import Settings
from tests.docs_factory import (
    GIF_BYTES,
    JPEG_BYTES,
    PNG_BYTES,
    build_docx,
    build_pdf,
    docx_paragraph,
    encrypted_pdf,
    html_page,
    pdf_image,
    plain_zip,
    random_bytes,
    simple_pdf,
)

SETTINGS = Settings()


def _outcome(data: bytes) -> str:
    """``"ok"`` when text was extracted, else the error code."""
    try:
        extract_text(data, settings=SETTINGS)
    except InputError as error:
        return error.code
    return "ok"


def _zip_with(*names: str) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "media_type", "text"),
    [
        (simple_pdf("Jane Doe"), PDF, "Jane Doe"),
        (build_docx(docx_paragraph("Jane Doe")), DOCX, "Jane Doe"),
        (html_page("<p>Jane Doe</p>"), HTML, "Jane Doe"),
        (b"Jane Doe\n", TEXT, "Jane Doe"),
    ],
    ids=["pdf", "docx", "html", "text"],
)
def test_each_type_is_detected_by_content(data: bytes, media_type: str, text: str) -> None:
    """PDF, DOCX, HTML and text are told apart by their bytes, whatever the file is called."""
    result = extract_text(data, filename="upload.bin", settings=SETTINGS)
    assert (result.media_type, result.text) == (media_type, text)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (PNG_BYTES, "PNG image"),
        (JPEG_BYTES, "JPEG image"),
        (GIF_BYTES, "GIF image"),
        (b"II*\x00" + bytes(100), "TIFF image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy Office"),
        (b"{\\rtf1\\ansi Jane Doe}", "RTF"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "executable"),
        (random_bytes(), "binary data"),
        (plain_zip(), "not a DOCX"),
        (_zip_with("xl/workbook.xml"), "Excel"),
        (_zip_with("mimetype", "content.xml"), "OpenDocument"),
    ],
    ids=["png", "jpeg", "gif", "tiff", "doc", "rtf", "elf", "random", "zip", "xlsx", "odt"],
)
def test_unsupported_types_are_e100_naming_what_they_are(data: bytes, named: str) -> None:
    """Images, other office formats, archives and binaries are E100, and the message says what
    the file looks like."""
    with pytest.raises(InputError) as caught:
        extract_text(data, filename="upload.bin", settings=SETTINGS)
    assert caught.value.code == "E100"
    assert named in caught.value.message


@pytest.mark.parametrize(("name", "code"), [("cv.pdf", "E103"), ("cv.docx", "E106")])
def test_a_binary_file_named_like_a_document_is_a_corrupt_one(name: str, code: str) -> None:
    """The extension is a hint for what a broken binary file was meant to be."""
    with pytest.raises(InputError) as caught:
        extract_text(random_bytes(), filename=name, settings=SETTINGS)
    assert caught.value.code == code


def test_empty_bytes_are_e101() -> None:
    """An empty upload is E101."""
    with pytest.raises(InputError) as caught:
        extract_text(b"", settings=SETTINGS)
    assert caught.value.code == "E101"
    assert caught.value.message.startswith("<bytes>:")


def test_empty_file_is_e101(tmp_path: Path) -> None:
    """An empty file is E101, and the message names its path."""
    path = tmp_path / "cv.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        extract_text(path, settings=SETTINGS)
    assert caught.value.code == "E101"
    assert str(path) in caught.value.message


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_paths_are_e109(tmp_path: Path, kind: str) -> None:
    """A path that does not exist, or is not a regular file, is E109."""
    path = tmp_path / "missing.pdf"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(InputError) as caught:
        extract_text(str(path), settings=SETTINGS)
    assert caught.value.code == "E109"


def test_oversized_bytes_are_e102() -> None:
    """Bytes over ``max_file_bytes`` are refused with the size and the limit."""
    with pytest.raises(InputError) as caught:
        extract_text(simple_pdf(), filename="cv.pdf", settings=Settings(max_file_bytes=100))
    assert caught.value.code == "E102"
    assert "cv.pdf" in caught.value.message
    assert "over the limit of 100 bytes" in caught.value.message


def test_oversized_file_is_refused_from_its_size_alone(tmp_path: Path) -> None:
    """A huge file is refused from ``stat`` before it is read (a sparse 8 GB file here)."""
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(8 * 1024**3)
    with pytest.raises(InputError) as caught:
        extract_text(path, settings=SETTINGS)
    assert caught.value.code == "E102"


def test_result_describes_the_document(tmp_path: Path) -> None:
    """The result carries the media type, the raw bytes' SHA-256, the page count and path."""
    data = simple_pdf("Jane Doe")
    path = tmp_path / "cv.pdf"
    path.write_bytes(data)
    result = extract_text(os.fspath(path), settings=SETTINGS)
    assert result == ExtractedText(
        text="Jane Doe",
        media_type=PDF,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=1,
        warnings=(),
        path=str(path),
    )


def test_bytes_result_takes_its_path_from_the_filename() -> None:
    """For bytes, ``path`` is the filename given, or None."""
    assert extract_text(b"Jane", filename="cv.txt", settings=SETTINGS).path == "cv.txt"
    assert extract_text(b"Jane", settings=SETTINGS).path is None


def test_settings_are_read_from_the_environment_when_omitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ``settings``, the limits come from MATCHING_* environment variables."""
    monkeypatch.setenv("MATCHING_MAX_FILE_BYTES", "10")
    with pytest.raises(InputError) as caught:
        extract_text(b"Jane Doe, Python developer")
    assert caught.value.code == "E102"


BATCH: list[tuple[str, bytes, str]] = [
    ("good.pdf", simple_pdf("Jane Doe"), "ok"),
    ("photo.png", PNG_BYTES, "E100"),
    ("empty.txt", b"", "E101"),
    ("cut.pdf", simple_pdf()[:200], "E103"),
    ("locked.pdf", encrypted_pdf(simple_pdf(), user_password="pw"), "E104"),
    ("scan.pdf", build_pdf([pdf_image()]), "E105"),
    ("broken.docx", build_docx(docx_paragraph("x"))[:300], "E106"),
    ("good.docx", build_docx(docx_paragraph("John Roe")), "ok"),
    ("garbage.txt", bytes(range(0x80, 0x100)) * 8, "E108"),
    ("page.html", html_page("<p>Ann Poe</p>"), "ok"),
]


def test_a_batch_continues_past_bad_files() -> None:
    """Processing many uploads, each bad one gives its own code and the rest are still read."""
    outcomes = {}
    for name, data, _ in BATCH:
        try:
            outcomes[name] = extract_text(data, filename=name, settings=SETTINGS).text
        except InputError as error:
            outcomes[name] = error.code
    assert outcomes == {
        name: (expected if expected != "ok" else outcomes[name]) for name, _, expected in BATCH
    }
    assert [outcomes["good.pdf"], outcomes["good.docx"], outcomes["page.html"]] == [
        "Jane Doe",
        "John Roe",
        "Ann Poe",
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=2048))
def test_arbitrary_bytes_raise_only_input_error(data: bytes) -> None:
    """Whatever the bytes, the result is text or an ``InputError``, nothing else."""
    assert re.fullmatch(r"ok|E1\d\d", _outcome(data))


@pytest.mark.parametrize("seed", range(20))
def test_damaged_pdfs_raise_only_input_error(seed: int) -> None:
    """A valid PDF with random bytes overwritten is read or refused with an ``InputError``."""
    rng = random.Random(seed)
    data = bytearray(simple_pdf("Jane Doe", "Python developer", "Berlin"))
    for _ in range(rng.randint(1, 30)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    assert _outcome(bytes(data)) in {"ok", "E100", "E103", "E104", "E105", "E108", "E111"}


@pytest.mark.parametrize("seed", range(10))
def test_damaged_docx_raise_only_input_error(seed: int) -> None:
    """A valid DOCX with random bytes overwritten is read or refused with an ``InputError``."""
    rng = random.Random(seed)
    data = bytearray(build_docx(docx_paragraph("Jane Doe") + docx_paragraph("Berlin")))
    for _ in range(rng.randint(1, 20)):
        data[rng.randrange(30, len(data))] = rng.randrange(256)
    assert _outcome(bytes(data)) in {"ok", "E100", "E106", "E107", "E111"}
