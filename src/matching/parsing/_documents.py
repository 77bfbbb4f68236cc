"""Document → text: the public entry :func:`extract_text` for PDF, DOCX, HTML and plain text.

The type is read from the content (magic bytes, a zip's member names, HTML markers near the
start); the file name's extension is only a hint for inputs the content leaves open. Every
bad input raises :class:`matching.errors.InputError` with its own code; nothing else escapes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from matching.errors import Errors, InputError, Warnings
from matching.schemas import Issue
from matching.settings import Settings, get_settings

from ._clean import ZERO_WIDTH, RawText, clean_text, cut_text, hidden_text_detail
from ._docx import DOCUMENT, read_docx
from ._html import read_html
from ._pdf import read_pdf
from ._text import bom_encoding, declared_charset, decode_bytes, utf16_without_bom

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
HTML = "text/html"

_SNIFF = 4096
_HTML_MARKERS = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_HTML_TEXT_MARKERS = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
# Signatures of files people send instead of a resume, so the error can say what they sent.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a BMP image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls/.ppt)"),
    (b"{\\rtf", "an RTF document"),
    (b"%!PS", "a PostScript file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)
_ZIP_KINDS = (
    ("xl/workbook.xml", "an Excel workbook (XLSX)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (PPTX)"),
    ("content.xml", "an OpenDocument file (ODT/ODS)"),
)


@dataclass(frozen=True)
class ExtractedText:
    """A document's cleaned text and where it came from.

    Attributes
    ----------
    text : str
        The visible text: lines separated by ``"\\n"``, paragraphs by a blank line.
    media_type : str
        ``application/pdf``, the DOCX media type, ``text/plain`` or ``text/html``.
    sha256 : str
        Hex digest of the raw bytes.
    pages : int or None
        Page count of a PDF; None for other types.
    warnings : tuple of Issue
        Non-fatal findings (W101 hidden text, W102/W103 encoding, W105, W106).
    path : str or None
        The file path, else the ``filename`` given, else None.
    """

    text: str
    media_type: str
    sha256: str
    pages: int | None
    warnings: tuple[Issue, ...]
    path: str | None


def extract_text(
    source: str | os.PathLike[str] | bytes,
    *,
    filename: str | None = None,
    settings: Settings | None = None,
) -> ExtractedText:
    """Extract the visible text of a PDF, DOCX, HTML or plain-text document.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A file path, or the document's bytes.
    filename : str, optional
        The document's name, used in messages and as a type hint when ``source`` is bytes.
    settings : Settings, optional
        Limits (``max_file_bytes``, ``max_pages``, ``max_text_chars``, ``max_unzipped_bytes``);
        read from the environment when omitted.

    Returns
    -------
    ExtractedText
        The cleaned text with its media type, hash, page count and warnings.

    Raises
    ------
    matching.errors.InputError
        E100 unsupported type, E101 empty, E102 too large, E103 corrupt PDF, E104 encrypted
        PDF, E105 scanned PDF, E106 corrupt DOCX, E107 zip bomb, E108 undecodable text,
        E109 unreadable file, E110 too many pages, E111 no text, E112 unparseable HTML.

    Examples
    --------
    >>> result = extract_text(b"Jane Doe\\nPython developer\\n", filename="cv.txt")
    >>> result.media_type, result.text
    ('text/plain', 'Jane Doe\\nPython developer')
    """
    settings = settings if settings is not None else get_settings()
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = filename or "<bytes>"
        shown_path = filename
        if len(data) > settings.max_file_bytes:
            raise InputError(Errors.E102, path=label, size=len(data), limit=settings.max_file_bytes)
    else:
        shown_path = os.fspath(source)
        label = shown_path
        data = _read_file(Path(shown_path), label=label, limit=settings.max_file_bytes)
        filename = filename or shown_path
    if not data:
        raise InputError(Errors.E101, path=label)

    media_type, raw = _read(data, label=label, hint=_extension(filename), settings=settings)
    text, zero_width = clean_text(raw.text)
    hidden = raw.hidden.copy()
    if zero_width:
        hidden[ZERO_WIDTH] += zero_width
    if not text.strip():
        raise InputError(Errors.E111, path=label)
    warnings = list(raw.warnings)
    if sum(hidden.values()):
        warnings.insert(0, Issue.of(Warnings.W101, detail=hidden_text_detail(hidden)))
    if len(text) > settings.max_text_chars:
        text = cut_text(text, settings.max_text_chars)
        warnings.append(Issue.of(Warnings.W106, limit=settings.max_text_chars))
    return ExtractedText(
        text=text,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        pages=raw.pages,
        warnings=tuple(warnings),
        path=shown_path,
    )


def _extension(filename: str | None) -> str:
    """The lower-case extension of ``filename`` without the dot, or ``""``."""
    return Path(filename).suffix.lower().lstrip(".") if filename else ""


def _read_file(path: Path, *, label: str, limit: int) -> bytes:
    """Read a regular file, checking its size before reading (E109, E102)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(Errors.E109, path=label, detail=exc.strerror or str(exc)) from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError(Errors.E109, path=label, detail="not a regular file")
    if info.st_size > limit:
        raise InputError(Errors.E102, path=label, size=info.st_size, limit=limit)
    try:
        with path.open("rb") as handle:
            # One byte past the limit tells a file that grew since stat() from one that fits.
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(Errors.E109, path=label, detail=exc.strerror or str(exc)) from exc
    if len(data) > limit:
        raise InputError(Errors.E102, path=label, size=len(data), limit=limit)
    return data


def _read(data: bytes, *, label: str, hint: str, settings: Settings) -> tuple[str, RawText]:
    """Detect the type of ``data`` and run its reader."""
    head = data[:_SNIFF]
    if b"%PDF-" in data[:1024]:
        return PDF, read_pdf(data, path=label, max_pages=settings.max_pages)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return DOCX, _read_zip(data, label=label, hint=hint, settings=settings)

    if bom_encoding(head) is None and utf16_without_bom(head) is None:
        for signature, what in _SIGNATURES:
            if head.startswith(signature):
                raise InputError(Errors.E100, path=label, detail=what)
        if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
            raise InputError(Errors.E100, path=label, detail="a WebP image")
        if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
            raise InputError(Errors.E100, path=label, detail="a HEIC image")
        if b"\x00" in head:
            if hint == "pdf":
                raise InputError(Errors.E103, path=label, detail="no %PDF header")
            if hint == "docx":
                raise InputError(Errors.E106, path=label, detail="not a zip archive")
            raise InputError(Errors.E100, path=label, detail="binary data (NUL bytes)")

    if _looks_like_html(head.lstrip(), hint):
        text, warnings = decode_bytes(data, path=label, declared=declared_charset(head))
        raw = read_html(text, path=label)
        raw.warnings[:0] = warnings
        return HTML, raw
    text, warnings = decode_bytes(data, path=label)
    # UTF-16 and UTF-32 pages only show their markers once decoded.
    if _HTML_TEXT_MARKERS.search(text.lstrip()[:_SNIFF]) and text.lstrip().startswith("<"):
        raw = read_html(text, path=label)
        raw.warnings[:0] = warnings
        return HTML, raw
    return TEXT, RawText(text=text, warnings=warnings)


def _looks_like_html(head: bytes, hint: str) -> bool:
    """HTML markers near the start of a document that begins with markup."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if not head.startswith(b"<"):
        return False
    return bool(_HTML_MARKERS.search(head)) or hint in ("html", "htm", "xhtml")


def _read_zip(data: bytes, *, label: str, hint: str, settings: Settings) -> RawText:
    """A DOCX, or E100 naming what other kind of zip archive it is."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if hint == "docx" or b"word/" in data[:_SNIFF]:
            raise InputError(Errors.E106, path=label, detail=str(exc) or "bad zip") from exc
        raise InputError(Errors.E100, path=label, detail="a damaged zip archive") from exc
    if DOCUMENT not in names:
        if hint == "docx" or any(name.startswith("word/") for name in names):
            raise InputError(Errors.E106, path=label, detail=f"no {DOCUMENT} in the archive")
        for member, what in _ZIP_KINDS:
            if member in names:
                raise InputError(Errors.E100, path=label, detail=what)
        raise InputError(Errors.E100, path=label, detail="a zip archive that is not a DOCX")
    return read_docx(data, path=label, max_unzipped_bytes=settings.max_unzipped_bytes)
