"""Hand-written builders of small test documents: PDF, DOCX, HTML, text and broken files.

Everything here is written byte by byte (PDF objects with a correct cross-reference table,
DOCX parts as XML strings zipped with :mod:`zipfile`), so each test states exactly what its
document holds. Only encryption uses a library (pypdf), because writing RC4/AES by hand would
test the builder rather than the reader.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

Box = tuple[float, float, float, float]
LETTER: Box = (0, 0, 612, 792)


def _pdf_string(text: str) -> str:
    """A PDF literal string; the standard Helvetica font uses WinAnsi (Latin-1 here)."""
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_text(
    text: str,
    x: float = 72,
    y: float = 720,
    *,
    size: float = 11,
    render_mode: int | None = None,
    rgb: tuple[float, float, float] | None = None,
    stroke_rgb: tuple[float, float, float] | None = None,
    alpha_state: str | None = None,
    matrix: tuple[float, float, float, float] | None = None,
) -> str:
    """One run of Helvetica text as a content-stream snippet (``BT ... ET``).

    ``render_mode`` sets ``Tr`` (3 is invisible), ``rgb`` the fill colour (``rg``),
    ``alpha_state`` names an ExtGState of the page (see :class:`PdfPage`), ``matrix`` the
    scale/rotation part of ``Tm`` (the text then starts at ``x, y`` through ``Tm``).
    """
    ops = ["q"]
    if alpha_state is not None:
        ops.append(f"/{alpha_state} gs")
    if rgb is not None:
        ops.append("{} {} {} rg".format(*rgb))
    if stroke_rgb is not None:
        ops.append("{} {} {} RG".format(*stroke_rgb))
    ops.append("BT")
    ops.append(f"/F1 {size} Tf")
    if render_mode is not None:
        ops.append(f"{render_mode} Tr")
    if matrix is not None:
        ops.append("{} {} {} {} {x} {y} Tm".format(*matrix, x=x, y=y))
    else:
        ops.append(f"{x} {y} Td")
    ops.append(f"{_pdf_string(text)} Tj")
    ops.append("ET")
    ops.append("Q")
    return "\n".join(ops) + "\n"


# Helvetica advance widths (1/1000 em) from its AFM, for the letters the tests use.
_HELVETICA = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.",
        [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556,
         333, 500, 278, 556, 500, 722, 500, 500, 500, 667, 667, 722, 722, 667, 611, 778, 722,
         278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667,
         611, 278, 278, 278],
        strict=True,
    )
)  # fmt: skip


def pdf_glyphs(text: str, x: float = 72, y: float = 720, *, size: float = 11) -> str:
    """``text`` drawn one glyph per text object, spaces left out (as wkhtmltopdf writes PDFs).

    Word breaks are then only gaps between glyph positions, which is what the reader must
    turn back into spaces.
    """
    ops = []
    for char in text:
        if char != " ":
            ops.append(f"BT /F1 {size} Tf {x:.2f} {y} Td {_pdf_string(char)} Tj ET")
        x += _HELVETICA.get(char, 556) * size / 1000
    return "\n".join(ops) + "\n"


def pdf_lines(lines: Sequence[str], *, x: float = 72, top: float = 720, leading: float = 14) -> str:
    """Several lines of ordinary black 11 pt text, one under the other."""
    return "".join(pdf_text(line, x, top - i * leading) for i, line in enumerate(lines))


def pdf_rect(x: float, y: float, width: float, height: float, *, rgb: tuple[float, ...]) -> str:
    """A filled rectangle (a coloured band or a box drawn over text)."""
    return "q {} {} {} rg {x} {y} {w} {h} re f Q\n".format(*rgb, x=x, y=y, w=width, h=height)


def pdf_form(name: str, matrix: tuple[float, float, float, float, float, float]) -> str:
    """Paint the Form XObject ``name`` (see :class:`PdfPage`) through ``matrix``."""
    return "q {} {} {} {} {} {} cm /{name} Do Q\n".format(*matrix, name=name)


def pdf_image(
    x: float = 0, y: float = 0, width: float = 612, height: float = 792, *, grey: int | None = None
) -> str:
    """An inline 2x2 grey image stretched over the given area (a 'scanned' page).

    ``grey`` (0 black .. 255 white) paints all four pixels alike; by default they are mixed.
    """
    pixels = chr(grey) * 4 if grey is not None else "\x10\x80\xf0\x40"
    return f"q {width} 0 0 {height} {x} {y} cm\nBI /W 2 /H 2 /CS /G /BPC 8 ID\n{pixels}\nEI\nQ\n"


@dataclass(frozen=True)
class PdfPage:
    """One page: its content stream and boxes; ``alpha`` maps ExtGState names to fill alpha."""

    content: str
    media_box: Box = LETTER
    crop_box: Box | None = None
    alpha: tuple[tuple[str, float], ...] = ()
    forms: tuple[tuple[str, str], ...] = ()  # (name, content) of Form XObjects; see pdf_form


def build_pdf(pages: Sequence[str | PdfPage]) -> bytes:
    """A complete PDF with one Helvetica font and a correct cross-reference table."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids: list[int] = []
    for item in pages:
        page = item if isinstance(item, PdfPage) else PdfPage(item)
        data = page.content.encode("latin-1")
        stream = add(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        states = " ".join(
            f"/{name} << /Type /ExtGState /ca {value} >>" for name, value in page.alpha
        )
        xobjects = []
        for name, form_content in page.forms:
            form_data = form_content.encode("latin-1")
            form = add(
                b"<< /Type /XObject /Subtype /Form /BBox [-1000 -1000 3000 3000] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Length %d >>\nstream\n"
                % (font, len(form_data))
                + form_data
                + b"\nendstream"
            )
            xobjects.append(f"/{name} {form} 0 R")
        boxes = "/MediaBox [{} {} {} {}]".format(*page.media_box)
        if page.crop_box is not None:
            boxes += " /CropBox [{} {} {} {}]".format(*page.crop_box)
        kids.append(
            add(
                (
                    f"<< /Type /Page /Parent {tree} 0 R {boxes} /Contents {stream} 0 R "
                    f"/Resources << /Font << /F1 {font} 0 R >> /ExtGState << {states} >> "
                    f"/XObject << {' '.join(xobjects)} >> >> >>"
                ).encode("latin-1")
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {tree} 0 R >>".encode()
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects[tree - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()

    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def simple_pdf(*lines: str) -> bytes:
    """A one-page PDF with the given lines of visible text."""
    return build_pdf([pdf_lines(lines or ("Jane Doe", "Python developer"))])


def encrypted_pdf(pdf: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    """``pdf`` encrypted with AES-128 (an empty ``user_password`` restricts permissions only)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


def docx_run(
    text: str,
    *,
    vanish: bool = False,
    color: str | None = None,
    size_half_points: int | None = None,
) -> str:
    """A ``w:r`` run; ``vanish`` hides it, ``color`` is hex RGB, size in half-points."""
    props = ""
    if vanish:
        props += "<w:vanish/>"
    if color is not None:
        props += f'<w:color w:val="{color}"/>'
    if size_half_points is not None:
        props += f'<w:sz w:val="{size_half_points}"/>'
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def docx_paragraph(*runs: str) -> str:
    """A ``w:p`` paragraph; plain strings become plain runs."""
    body = "".join(run if run.startswith("<") else docx_run(run) for run in runs)
    return f"<w:p>{body}</w:p>"


def docx_document(body: str) -> str:
    """``word/document.xml`` around the given body XML."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W_NS}" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml">'
        f"<w:body>{body}</w:body></w:document>"
    )


def build_docx(
    body: str | None = None,
    *,
    document_xml: str | None = None,
    parts: Mapping[str, bytes | str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A DOCX package: content types, relationships, ``word/document.xml`` and extra ``parts``."""
    if document_xml is None:
        document_xml = docx_document(body if body is not None else docx_paragraph("Jane Doe"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml)
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_bomb(expanded_bytes: int) -> bytes:
    """A DOCX whose ``word/document.xml`` expands to ``expanded_bytes`` of spaces."""
    document = docx_document(docx_paragraph("Jane Doe"))
    padding = " " * max(0, expanded_bytes - len(document))
    return build_docx(document_xml=document.replace("<w:body>", "<w:body>" + padding))


def lying_docx(real_bytes: int, declared_bytes: int) -> bytes:
    """A DOCX whose ``word/document.xml`` claims ``declared_bytes`` but holds ``real_bytes``.

    The size fields of the local header and the central directory are patched after
    writing, as a hostile archive would do to slip past a check of declared sizes.
    """
    data = bytearray(docx_bomb(real_bytes))
    name = b"word/document.xml"
    real = real_bytes.to_bytes(4, "little")
    # Local header: the uncompressed size sits 4 bytes before the name length field (offset
    # 22 from the signature); central directory: offset 24. Patch every occurrence of the
    # real size that precedes the member's name.
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            if data[at + name_offset : at + name_offset + len(name)] == name:
                declared = bytes(data[at + size_offset : at + size_offset + 4])
                if declared == real:
                    data[at + size_offset : at + size_offset + 4] = declared_bytes.to_bytes(
                        4, "little"
                    )
            start = at + 4
    return bytes(data)


def plain_zip() -> bytes:
    """A zip archive that is not a DOCX (no ``word/document.xml``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Other inputs
# ---------------------------------------------------------------------------------------------

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF_BYTES = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"  # noqa: E501


def random_bytes(size: int = 4096, *, seed: int = 0) -> bytes:
    """Seeded random binary data (it holds NUL bytes, so it is no text)."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[size // 2] = 0
    return bytes(data)


def html_page(body: str, *, head: str = "<title>Resume</title>") -> bytes:
    """A small HTML document around ``body``."""
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()
