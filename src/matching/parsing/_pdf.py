"""PDF → text with PDFium (pypdfium2's raw API), keeping only text a reader can see.

PDFium builds each page's character list (content order, one entry per glyph, with its text
object and box). Everything else is decided here, per character, because a resume must not
raise its score with keywords nobody can see:

* invisible render modes (``3 Tr``, ``7 Tr``), white or near-white fill (or stroke, for
  stroked text) and near-zero fill alpha — per text object, one PDFium call each; white text
  is kept when the topmost filled shape painted before it is dark, or when an image or
  shading lies behind it and a small rendering of the page shows it dark there;
* glyphs smaller than 3 pt (the char matrix and font size, checked only for glyphs whose box
  is already small) and glyphs whose box lies entirely outside the visible page (crop box
  clipped to the media box);
* glyphs under an opaque fill or image painted after the page's last text (a box drawn over
  keywords);
* a page whose only text is invisible and lies on a page-sized image is an OCR text layer
  (a scanned page run through OCR): that text is kept.

Word spaces and line breaks are rebuilt from the glyph boxes, not taken from PDFium's own
guesses, which glue words together in PDFs that position every glyph on its own (wkhtmltopdf,
Qt: the livecareer resumes). A glyph whose ink overhangs its advance (the "f" of serif fonts)
would hide the space after it, so each glyph's advance is learned from the page itself.

Speed: besides PDFium's own parsing (about a third of the time on the livecareer PDFs), this
makes two calls per glyph and two per text object, through ``ctypes`` prototypes that take
handles as plain integers and are mapped over whole pages, and a few Python passes over the
glyphs; PDFs that draw one glyph per text object (wkhtmltopdf) are the slowest case.
"""

from __future__ import annotations

import ctypes
import functools
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count, pairwise, repeat
from operator import sub
from typing import Any

from matching.errors import Errors, InputError, Warnings
from matching.schemas import Issue

from ._clean import (
    COVERED,
    INVISIBLE,
    OUTSIDE,
    TINY,
    TRANSPARENT,
    WHITE,
    RawText,
    is_faint,
)

# PDFium is not thread-safe: one call into it at a time per process.
_LOCK = threading.Lock()

_ERR_PASSWORD = 4  # FPDF_ERR_PASSWORD
_ERR_SECURITY = 5  # FPDF_ERR_SECURITY
_LOAD_ERRORS = {
    1: "unknown error",
    2: "file not found or cannot be opened",
    3: "not a PDF or corrupted",
    6: "page not found or content error",
}
_TEXT, _PATH, _IMAGE, _SHADING, _FORM = 1, 2, 3, 4, 5  # FPDF_PAGEOBJ_*
_INVISIBLE_MODES = (3, 7)  # Tr 3: neither fill nor stroke; Tr 7: clip only
_STROKE_ONLY_MODES = (1, 5)
_FILL_AND_STROKE_MODES = (2, 6)

# A faint colour (see is_faint) has a green channel of at least this: a page whose text never
# reaches it has no faint text, which settles the usual page without a loop over its objects.
_FAINT_GREEN = 200
_MIN_ALPHA = 26  # fill alpha under ~10 % is not readable
_MIN_POINTS = 3.0  # glyphs under 3 pt are not readable
# A glyph's loose box is about 0.8-1.2 em tall; under this many points it may be tiny and the
# exact size is checked (one more call for those glyphs only).
_SMALL_BOX = 4.5
_OCR_IMAGE_COVER = 0.5  # an image over half the page under invisible-only text: OCR layer
_MAX_COVERS = 50  # fills and images after the last text checked as covers, at most
_SCENE_WORK_LIMIT = 2_000_000  # white objects x shapes compared before giving up on backdrops
_RENDER_SCALE = 0.25  # pixels per point when rendering a page to judge an image backdrop
_BITMAP_GREY = 1  # FPDFBitmap_Gray
_DARK_SHARE = 0.25  # white text is readable when this share of its box is dark behind it
_DARK_PIXEL = 200  # grey level (0-255) under which white text on it has a 1.5:1 contrast

# Layout, in units of the taller glyph box of the two being compared.
_SAME_LINE_OVERLAP = 0.5  # vertical overlap of two glyphs on one line
_BACKSTEP = 0.5  # a glyph this far left of the previous one's end starts a new line
_WORD_GAP = 0.1  # a horizontal gap wider than this is a space
_COLUMN_GAP = 2.0  # and wider than this a tab (columns, right-aligned dates)
_MAX_OVERHANG = 0.15  # ink beyond a glyph's advance, at most (see _advances)


@dataclass(frozen=True)
class _Api:
    """PDFium functions as ctypes prototypes that take and return handles as integers."""

    load_document: Callable[..., Any]
    last_error: Callable[..., Any]
    close_document: Callable[..., Any]
    page_count: Callable[..., Any]
    load_page: Callable[..., Any]
    close_page: Callable[..., Any]
    page_box: Callable[..., Any]
    count_objects: Callable[..., Any]
    get_object: Callable[..., Any]
    object_type: Callable[..., Any]
    object_bounds: Callable[..., Any]
    object_matrix: Callable[..., Any]
    fill_colour: Callable[..., Any]
    stroke_colour: Callable[..., Any]
    render_mode: Callable[..., Any]
    set_render_mode: Callable[..., Any]
    form_count: Callable[..., Any]
    form_object: Callable[..., Any]
    path_draw_mode: Callable[..., Any]
    text_load: Callable[..., Any]
    text_close: Callable[..., Any]
    count_chars: Callable[..., Any]
    get_text: Callable[..., Any]
    char_object: Callable[..., Any]
    loose_box: Callable[..., Any]
    char_font_size: Callable[..., Any]
    char_matrix: Callable[..., Any]
    char_unicode: Callable[..., Any]
    page_width: Callable[..., Any]
    page_height: Callable[..., Any]
    page_to_device: Callable[..., Any]
    bitmap_create: Callable[..., Any]
    bitmap_fill: Callable[..., Any]
    bitmap_buffer: Callable[..., Any]
    bitmap_stride: Callable[..., Any]
    bitmap_destroy: Callable[..., Any]
    render: Callable[..., Any]


def _prototype(function: Any) -> Callable[..., Any]:
    """A copy of a pypdfium2 raw function whose pointer arguments and result are plain ints.

    pypdfium2's own prototypes type-check every handle and wrap every returned pointer in an
    object; over ~10,000 glyphs a page that costs more than PDFium's own work.
    """

    def plain(kind: Any) -> Any:
        if kind is not None and issubclass(kind, ctypes._Pointer):
            return ctypes.c_void_p
        return kind

    address = ctypes.cast(function, ctypes.c_void_p).value
    if address is None:
        raise RuntimeError(f"PDFium function {function!r} has no address")  # a broken install
    prototype = ctypes.CFUNCTYPE(plain(function.restype), *map(plain, function.argtypes))
    return prototype(address)


@functools.cache
def _api() -> _Api:
    """Load PDFium (importing pypdfium2 initialises it) and build the prototypes once."""
    import pypdfium2.raw as raw

    names = {
        "load_document": "FPDF_LoadMemDocument64",
        "last_error": "FPDF_GetLastError",
        "close_document": "FPDF_CloseDocument",
        "page_count": "FPDF_GetPageCount",
        "load_page": "FPDF_LoadPage",
        "close_page": "FPDF_ClosePage",
        "page_box": "FPDF_GetPageBoundingBox",
        "count_objects": "FPDFPage_CountObjects",
        "get_object": "FPDFPage_GetObject",
        "object_type": "FPDFPageObj_GetType",
        "object_bounds": "FPDFPageObj_GetBounds",
        "object_matrix": "FPDFPageObj_GetMatrix",
        "fill_colour": "FPDFPageObj_GetFillColor",
        "stroke_colour": "FPDFPageObj_GetStrokeColor",
        "render_mode": "FPDFTextObj_GetTextRenderMode",
        "set_render_mode": "FPDFTextObj_SetTextRenderMode",
        "form_count": "FPDFFormObj_CountObjects",
        "form_object": "FPDFFormObj_GetObject",
        "path_draw_mode": "FPDFPath_GetDrawMode",
        "text_load": "FPDFText_LoadPage",
        "text_close": "FPDFText_ClosePage",
        "count_chars": "FPDFText_CountChars",
        "get_text": "FPDFText_GetText",
        "char_object": "FPDFText_GetTextObject",
        "loose_box": "FPDFText_GetLooseCharBox",
        "char_font_size": "FPDFText_GetFontSize",
        "char_matrix": "FPDFText_GetMatrix",
        "char_unicode": "FPDFText_GetUnicode",
        "page_width": "FPDF_GetPageWidthF",
        "page_height": "FPDF_GetPageHeightF",
        "page_to_device": "FPDF_PageToDevice",
        "bitmap_create": "FPDFBitmap_CreateEx",
        "bitmap_fill": "FPDFBitmap_FillRect",
        "bitmap_buffer": "FPDFBitmap_GetBuffer",
        "bitmap_stride": "FPDFBitmap_GetStride",
        "bitmap_destroy": "FPDFBitmap_Destroy",
        "render": "FPDF_RenderPageBitmap",
    }
    return _Api(**{field: _prototype(getattr(raw, name)) for field, name in names.items()})


@dataclass
class _Page:
    """One page's visible text, how many glyphs it has, and what was dropped."""

    text: str
    glyphs: int
    hidden: Counter[str]
    has_content: bool


@dataclass(frozen=True)
class _Line:
    """A run of glyphs on one baseline."""

    text: str
    top: float
    bottom: float
    height: float


def read_pdf(data: bytes, *, path: str, max_pages: int) -> RawText:
    """The visible text of a PDF.

    Raises ``InputError``: E103 corrupt or truncated, E104 encrypted, E105 no text layer,
    E110 too many pages, E111 blank. Pages without a text layer next to pages with text give
    W105.
    """
    if b"%%EOF" not in data:
        raise InputError(Errors.E103, path=path, detail="the file ends before its %%EOF marker")
    api = _api()
    with _LOCK:
        document = api.load_document(data, len(data), None)
        if not document:
            code = api.last_error()
            if code in (_ERR_PASSWORD, _ERR_SECURITY):
                raise InputError(Errors.E104, path=path)
            detail = _LOAD_ERRORS.get(code, f"PDFium error {code}")
            raise InputError(Errors.E103, path=path, detail=detail)
        try:
            return _read_document(api, document, path=path, max_pages=max_pages)
        finally:
            api.close_document(document)


def _read_document(api: _Api, document: int, *, path: str, max_pages: int) -> RawText:
    pages = api.page_count(document)
    if pages > max_pages:
        raise InputError(Errors.E110, path=path, pages=pages, limit=max_pages)
    if pages <= 0:
        raise InputError(Errors.E103, path=path, detail="the document has no pages")
    texts: list[str] = []
    hidden: Counter[str] = Counter()
    without_text = 0
    for index in range(pages):
        page = api.load_page(document, index)
        if not page:
            raise InputError(Errors.E103, path=path, detail=f"page {index + 1} cannot be read")
        try:
            result = _read_page(api, page)
        finally:
            api.close_page(page)
        if result is None:
            raise InputError(Errors.E103, path=path, detail=f"page {index + 1} has no text index")
        hidden.update(result.hidden)
        if result.glyphs:
            texts.append(result.text)
        elif result.has_content:
            without_text += 1
    if not texts:
        if without_text:
            raise InputError(Errors.E105, path=path, pages=pages)
        raise InputError(Errors.E111, path=path)
    warnings = [Issue.of(Warnings.W105, count=without_text, pages=pages)] if without_text else []
    return RawText(text="\n\n".join(texts), pages=pages, hidden=hidden, warnings=warnings)


def _visible_area(api: _Api, page: int) -> tuple[float, float, float, float]:
    """The page's crop box clipped to its media box, as ``(x0, y0, x1, y1)``."""
    rect = (ctypes.c_float * 4)()  # FS_RECTF: left, top, right, bottom
    if not api.page_box(page, ctypes.addressof(rect)):
        return (-math.inf, -math.inf, math.inf, math.inf)
    left, top, right, bottom = rect
    return (min(left, right), min(top, bottom), max(left, right), max(top, bottom))


def _characters(api: _Api, textpage: int, n: int) -> str:
    """The page's characters, one per character index."""
    buffer = ctypes.create_string_buffer(2 * (n + 1))
    written = api.get_text(textpage, 0, n, ctypes.addressof(buffer))
    text = buffer.raw[: 2 * max(0, written - 1)].decode("utf-16-le", errors="replace")
    if len(text) == n:
        return text
    # PDFium leaves some characters out of its text (control characters, unmapped glyphs) and
    # writes astral ones as surrogate pairs; then the text no longer lines up with the
    # character list, and each character is asked for on its own.
    codes = map(api.char_unicode, repeat(textpage, n), range(n))
    return "".join(chr(code) if 0 < code < 0x110000 else "\ufffd" for code in codes)


def _colour_reason(red: int, green: int, blue: int, alpha: int) -> str | None:
    """TRANSPARENT or WHITE for an unreadable colour on a white page, else None."""
    if alpha < _MIN_ALPHA:
        return TRANSPARENT
    if green >= _FAINT_GREEN and is_faint(red, green, blue):
        return WHITE
    return None


def _object_states(api: _Api, objects: list[int]) -> dict[int, str]:
    """Hidden reason of each text object that is invisible, white or transparent."""
    unique = [obj for obj in dict.fromkeys(objects) if obj]
    if not unique:
        return {}
    size = len(unique)
    modes = list(map(api.render_mode, unique))
    colours = (ctypes.c_uint * (4 * size))()
    base = ctypes.addressof(colours)
    # One call per object, mapped: r, g, b, a of object j land in colours[4j : 4j + 4].
    end = base + 16 * size
    found = list(
        map(
            api.fill_colour,
            unique,
            range(base, end, 16),
            range(base + 4, end, 16),
            range(base + 8, end, 16),
            range(base + 12, end, 16),
        )
    )
    fills = colours[:]
    reds, greens, blues, alphas = fills[0::4], fills[1::4], fills[2::4], fills[3::4]
    # The usual page (filled text, opaque, never pale) is settled in bulk.
    if not any(modes) and all(found) and min(alphas) >= _MIN_ALPHA and max(greens) < _FAINT_GREEN:
        return {}
    states: dict[int, str] = {}
    for obj, mode, ok, red, green, blue, alpha in zip(
        unique, modes, found, reds, greens, blues, alphas, strict=True
    ):
        if mode in _INVISIBLE_MODES:
            states[obj] = INVISIBLE
            continue
        # No plain fill colour (a pattern or shading fill): nothing to judge it by, kept.
        reason = _colour_reason(red, green, blue, alpha) if ok else None
        if mode in _STROKE_ONLY_MODES or (mode in _FILL_AND_STROKE_MODES and reason is not None):
            stroke = (ctypes.c_uint * 4)()
            at = ctypes.addressof(stroke)
            if api.stroke_colour(obj, at, at + 4, at + 8, at + 12):
                stroke_reason = _colour_reason(*stroke)
                # Stroked only: the stroke decides. Filled and stroked: visible if either is.
                if mode in _STROKE_ONLY_MODES:
                    reason = stroke_reason
                elif stroke_reason is None:
                    reason = None
        if reason is not None:
            states[obj] = reason
    return states


@dataclass
class _Scene:
    """The page's objects in paint order: filled shapes and images, and each text object's z."""

    # paint order, box (left, bottom, right, top), opaque (a fill or an image), image
    shapes: list[tuple[int, float, float, float, float, bool, bool]]
    text_z: dict[int, tuple[int, tuple[float, float, float, float]]]

    def image_cover(self, area: tuple[float, float, float, float]) -> float:
        """The largest share of ``area`` a single image covers."""
        x0, y0, x1, y1 = area
        total = max((x1 - x0) * (y1 - y0), 1e-6)
        best = 0.0
        for _, left, bottom, right, top, _, image in self.shapes:
            if image:
                width = max(0.0, min(right, x1) - max(left, x0))
                height = max(0.0, min(top, y1) - max(bottom, y0))
                best = max(best, width * height / total)
        return best

    def painted_under(self, z: int, box: tuple[float, float, float, float]) -> bool:
        """Whether any shape painted before paint order ``z`` lies under the box's centre."""
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return any(
            shape[0] < z and shape[1] <= x <= shape[3] and shape[2] <= y <= shape[4]
            for shape in self.shapes
        )

    def covered(self, z: int, box: tuple[float, float, float, float]) -> bool:
        """Whether an opaque shape painted after paint order ``z`` covers the box's centre."""
        x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return any(
            shape[0] > z and shape[5] and shape[1] <= x <= shape[3] and shape[2] <= y <= shape[4]
            for shape in self.shapes
        )


def _transform(
    matrix: tuple[float, ...], box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The bounding box of ``box`` after the affine ``matrix`` (a, b, c, d, e, f)."""
    a, b, c, d, e, f = matrix
    left, bottom, right, top = box
    xs, ys = [], []
    for x, y in ((left, bottom), (left, top), (right, bottom), (right, top)):
        xs.append(a * x + c * y + e)
        ys.append(b * x + d * y + f)
    return (min(xs), min(ys), max(xs), max(ys))


def _compose(outer: tuple[float, ...], inner: tuple[float, ...]) -> tuple[float, ...]:
    """``inner`` followed by ``outer`` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _scene(api: _Api, page: int, wanted: set[int]) -> _Scene:
    """Walk the page's objects (into forms) in paint order; bounds for ``wanted`` text objects."""
    shapes: list[tuple[int, float, float, float, float, bool, bool]] = []
    text_z: dict[int, tuple[int, tuple[float, float, float, float]]] = {}
    bounds = (ctypes.c_float * 4)()
    at = ctypes.addressof(bounds)
    colour = (ctypes.c_uint * 4)()
    c_at = ctypes.addressof(colour)
    fill_mode = ctypes.c_int()
    stroke = ctypes.c_int()
    matrix = (ctypes.c_float * 6)()
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    z = count()

    def box_of(obj: int, transform: tuple[float, ...]) -> tuple[float, float, float, float] | None:
        if not api.object_bounds(obj, at, at + 4, at + 8, at + 12):
            return None
        left, bottom, right, top = bounds
        if transform is identity:
            return (left, bottom, right, top)
        return _transform(transform, (left, bottom, right, top))

    # Explicit stack of (objects to visit, transform into page space); forms nest.
    top_level = [api.get_object(page, i) for i in range(api.count_objects(page))]
    stack: list[tuple[list[int], tuple[float, ...]]] = [(top_level[::-1], identity)]
    while stack:
        pending, transform = stack[-1]
        if not pending:
            stack.pop()
            continue
        obj = pending.pop()
        kind = api.object_type(obj)
        order = next(z)
        if kind == _TEXT:
            if obj in wanted:
                box = box_of(obj, transform)
                if box is not None:
                    text_z[obj] = (order, box)
        elif kind == _PATH:
            if api.path_draw_mode(obj, ctypes.addressof(fill_mode), ctypes.addressof(stroke)):
                filled = bool(fill_mode.value)
                if filled and api.fill_colour(obj, c_at, c_at + 4, c_at + 8, c_at + 12):
                    filled = colour[3] >= _MIN_ALPHA
                box = box_of(obj, transform)
                if box is not None and (filled or stroke.value):
                    shapes.append((order, *box, filled, False))
        elif kind in (_IMAGE, _SHADING):
            box = box_of(obj, transform)
            if box is not None:
                shapes.append((order, *box, kind == _IMAGE, kind == _IMAGE))
        elif kind == _FORM and len(stack) < 32:
            children = [api.form_object(obj, i) for i in range(max(0, api.form_count(obj)))]
            inner = transform
            if api.object_matrix(obj, ctypes.addressof(matrix)):
                inner = _compose(transform, tuple(matrix))
            stack.append((children[::-1], inner))
    return _Scene(shapes, text_z)


def _is_tiny(api: _Api, textpage: int, index: int) -> bool:
    """Whether glyph ``index`` is drawn under 3 pt (font size times the char matrix's scale)."""
    size = api.char_font_size(textpage, index)
    matrix = (ctypes.c_float * 6)()
    if not api.char_matrix(textpage, index, ctypes.addressof(matrix)):
        return False
    a, b, c, d = matrix[0], matrix[1], matrix[2], matrix[3]
    scale = min(math.hypot(a, b), math.hypot(c, d))
    return bool(size * scale < _MIN_POINTS)


def _read_page(api: _Api, page: int) -> _Page | None:
    """The visible text of one page, or None when PDFium cannot index its text."""
    area = _visible_area(api, page)
    textpage = api.text_load(page)
    if not textpage:
        return None
    try:
        n = api.count_chars(textpage)
        if n < 0:
            return None
        if n == 0:
            return _Page("", 0, Counter(), api.count_objects(page) > 0)
        chars = _characters(api, textpage, n)
        objects = list(map(api.char_object, repeat(textpage, n), range(n)))
        boxes = (ctypes.c_float * (4 * n))()  # FS_RECTF per glyph: left, top, right, bottom
        base = ctypes.addressof(boxes)
        list(map(api.loose_box, repeat(textpage, n), range(n), range(base, base + 16 * n, 16)))
        states = _object_states(api, objects)
        if states:
            _forgive(api, page, area, objects, states)
        covers = _late_covers(api, page)
        return _layout(api, textpage, chars, objects, boxes[:], states, area, covers)
    finally:
        api.text_close(textpage)


def _late_covers(api: _Api, page: int) -> list[tuple[float, float, float, float]]:
    """Opaque fills and images painted after the page's last text: boxes that may cover text.

    Found by walking the page's objects backwards until the first text object (or form), so
    the usual page, which ends with text, costs two calls. A box drawn over a keyword is the
    classic way to hide it; one painted between two runs of text is not looked for.
    """
    covers: list[tuple[float, float, float, float]] = []
    bounds = (ctypes.c_float * 4)()
    at = ctypes.addressof(bounds)
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    colour = (ctypes.c_uint * 4)()
    c_at = ctypes.addressof(colour)
    for index in range(api.count_objects(page) - 1, -1, -1):
        obj = api.get_object(page, index)
        kind = api.object_type(obj)
        if kind in (_TEXT, _FORM) or len(covers) >= _MAX_COVERS:
            break
        opaque = kind == _IMAGE
        if kind == _PATH and api.path_draw_mode(
            obj, ctypes.addressof(fill_mode), ctypes.addressof(stroke)
        ):
            opaque = bool(fill_mode.value) and bool(
                api.fill_colour(obj, c_at, c_at + 4, c_at + 8, c_at + 12)
                and colour[3] >= _MIN_ALPHA
            )
        if opaque and api.object_bounds(obj, at, at + 4, at + 8, at + 12):
            covers.append((bounds[0], bounds[1], bounds[2], bounds[3]))
    return covers


def _forgive(
    api: _Api,
    page: int,
    area: tuple[float, float, float, float],
    objects: list[int],
    states: dict[int, str],
) -> None:
    """Clear the hidden state of white text on a dark backdrop and of OCR text layers."""
    white = {obj for obj, reason in states.items() if reason == WHITE}
    text_objects = {obj for obj in objects if obj}
    invisible_only = all(states.get(obj) == INVISIBLE for obj in text_objects)
    if not white and not invisible_only:
        return
    scene = _scene(api, page, white)
    if invisible_only and scene.image_cover(area) >= _OCR_IMAGE_COVER:
        states.clear()
        return
    if not white or len(white) * max(1, len(scene.shapes)) > _SCENE_WORK_LIMIT:
        return
    picture: _Picture | None = None
    for obj in white:
        found = scene.text_z.get(obj)
        if found is None:
            continue
        z, box = found
        if not scene.painted_under(z, box) or scene.covered(z, box):
            continue  # white on the white page, or under something painted over it
        # Something lies behind: its pixels tell whether it is dark enough to read white on.
        picture = picture or _Picture.render(api, page, text_objects)
        if picture is not None and picture.dark_share(api, page, box) >= _DARK_SHARE:
            del states[obj]


@dataclass(frozen=True)
class _Picture:
    """A small greyscale rendering of a page, to judge what lies behind white text."""

    pixels: bytes
    width: int
    height: int
    stride: int

    @classmethod
    def render(cls, api: _Api, page: int, text_objects: set[int]) -> _Picture | None:
        """Render what ``page`` paints behind its text, at a quarter of 72 dpi.

        The text is made invisible first, so that only backgrounds are judged (black text
        next to white text must not count as a dark background). The page is read once and
        then closed, so the change is never undone. None when PDFium cannot render.
        """
        for obj in text_objects:
            api.set_render_mode(obj, 3)
        width = max(1, min(2000, int(api.page_width(page) * _RENDER_SCALE)))
        height = max(1, min(2000, int(api.page_height(page) * _RENDER_SCALE)))
        bitmap = api.bitmap_create(width, height, _BITMAP_GREY, None, 0)
        if not bitmap:
            return None
        try:
            api.bitmap_fill(bitmap, 0, 0, width, height, 0xFFFFFFFF)
            api.render(bitmap, page, 0, 0, width, height, 0, 0)
            stride = api.bitmap_stride(bitmap)
            pixels = ctypes.string_at(api.bitmap_buffer(bitmap), stride * height)
        finally:
            api.bitmap_destroy(bitmap)
        return cls(pixels, width, height, stride)

    def dark_share(self, api: _Api, page: int, box: tuple[float, float, float, float]) -> float:
        """The share of pixels in ``box`` (page space) dark enough to read white text on."""
        x_out, y_out = ctypes.c_int(), ctypes.c_int()
        xs, ys = [], []
        for x, y in ((box[0], box[1]), (box[2], box[3])):
            api.page_to_device(
                page, 0, 0, self.width, self.height, 0, x, y,
                ctypes.addressof(x_out), ctypes.addressof(y_out),
            )  # fmt: skip
            xs.append(x_out.value)
            ys.append(y_out.value)
        x0, x1 = max(0, min(xs)), min(self.width, max(xs) + 1)
        y0, y1 = max(0, min(ys)), min(self.height, max(ys) + 1)
        total = dark = 0
        for row in range(y0, y1):
            line = self.pixels[row * self.stride + x0 : row * self.stride + x1]
            total += len(line)
            dark += sum(value < _DARK_PIXEL for value in line)
        return dark / total if total else 0.0


def _layout(
    api: _Api,
    textpage: int,
    chars: str,
    objects: list[int],
    flat: list[float],
    states: dict[int, str],
    area: tuple[float, float, float, float],
    covers: list[tuple[float, float, float, float]],
) -> _Page:
    """Drop hidden glyphs, then rebuild words and lines from the visible glyphs' boxes."""
    hidden: Counter[str] = Counter()
    # Real glyphs only: PDFium's generated spaces and line breaks have no text object.
    kept = [index for index, obj in enumerate(objects) if obj]
    total = len(kept)
    if states:
        kept = _drop(kept, lambda index: states.get(objects[index]), chars, hidden)
    lefts, tops, rights, bottoms = flat[0::4], flat[1::4], flat[2::4], flat[3::4]
    # Whole-page tests in C first (min/max over mapped lists); glyph by glyph only if needed.
    x0, y0, x1, y1 = area
    if kept and (
        min(map(rights.__getitem__, kept)) <= x0
        or max(map(lefts.__getitem__, kept)) >= x1
        or min(map(tops.__getitem__, kept)) <= y0
        or max(map(bottoms.__getitem__, kept)) >= y1
    ):

        def outside(index: int) -> str | None:
            if rights[index] <= x0 or lefts[index] >= x1:
                return OUTSIDE
            return OUTSIDE if tops[index] <= y0 or bottoms[index] >= y1 else None

        kept = _drop(kept, outside, chars, hidden)
    heights = map(sub, map(tops.__getitem__, kept), map(bottoms.__getitem__, kept))
    widths = map(sub, map(rights.__getitem__, kept), map(lefts.__getitem__, kept))
    sizes = list(map(max, heights, widths))
    # Small boxes are spaces (empty boxes) or glyphs that may be drawn under 3 pt: those get
    # the exact test (font size times the char matrix), one more PDFium call each.
    tiny = {
        kept[position]
        for position, size in enumerate(sizes)
        if size < _SMALL_BOX
        and not chars[kept[position]].isspace()
        and _is_tiny(api, textpage, kept[position])
    }
    if tiny:
        kept = _drop(kept, lambda index: TINY if index in tiny else None, chars, hidden)
    if covers:

        def covered(index: int) -> str | None:
            x = (lefts[index] + rights[index]) / 2
            y = (tops[index] + bottoms[index]) / 2
            for c_left, c_bottom, c_right, c_top in covers:
                if c_left <= x <= c_right and c_bottom <= y <= c_top:
                    return COVERED
            return None

        kept = _drop(kept, covered, chars, hidden)
    glyphs = [(chars[i], lefts[i], tops[i], rights[i], bottoms[i]) for i in kept]
    return _Page(_join_lines(_lines(glyphs, _advances(glyphs))), total, hidden, True)


def _drop(
    kept: list[int], why: Callable[[int], str | None], chars: str, hidden: Counter[str]
) -> list[int]:
    """``kept`` without the glyphs ``why`` gives a reason for; count those that are not blank."""
    remaining = []
    for index in kept:
        reason = why(index)
        if reason is None:
            remaining.append(index)
        elif not chars[index].isspace():
            hidden[reason] += 1
    return remaining


def _advances(glyphs: list[tuple[str, float, float, float, float]]) -> dict[Any, float]:
    """Each glyph's advance, learned as its commonest step to the next glyph on the line.

    Keyed by character and box width (which tells fonts and sizes apart). A loose box
    also covers ink that overhangs the advance (the "f" of many serif fonts), which would
    hide the space after "of"; within words the step from one glyph to the next is the advance.
    """
    counted = Counter(
        (char, int((right - left) * 8), int((n_left - left) * 10))
        for (char, left, top, right, bottom), (_, n_left, _, _, n_bottom) in pairwise(glyphs)
        if n_left > left and -0.25 * (top - bottom) < n_bottom - bottom < 0.25 * (top - bottom)
    )
    best: dict[Any, tuple[int, int]] = {}
    for (char, width, step), seen in counted.items():
        key = (char, width)
        known = best.get(key)
        if known is None or seen > known[0] or (seen == known[0] and step < known[1]):
            best[key] = (seen, step)
    return {key: step / 10 for key, (_, step) in best.items()}


def _lines(
    glyphs: list[tuple[str, float, float, float, float]],
    advances: dict[Any, float],
) -> list[_Line]:
    """Group glyphs into lines (vertical overlap, no step back) and words (horizontal gaps)."""
    lines: list[_Line] = []
    pieces: list[str] = []
    line_top = line_bottom = 0.0
    spaced = False
    previous: tuple[str, float, float, float, float] | None = None
    for glyph in glyphs:
        char, left, top, right, bottom = glyph
        if char.isspace():
            spaced = True  # a space glyph in the content; its box says little
            continue
        if previous is None:
            line_top, line_bottom = top, bottom
            pieces.append(char)
            previous = glyph
            spaced = False
            continue
        p_char, p_left, p_top, p_right, p_bottom = previous
        height = top - bottom
        p_height = p_top - p_bottom
        taller = height if height > p_height else p_height
        shorter = height if height < p_height else p_height
        overlap = (top if top < p_top else p_top) - (bottom if bottom > p_bottom else p_bottom)
        if overlap > _SAME_LINE_OVERLAP * shorter and left > p_right - _BACKSTEP * taller:
            end = p_right
            advance = advances.get((p_char, int((p_right - p_left) * 8)))
            if advance is not None and p_left + advance < p_right:
                # Trust a learned advance for at most an overhang's worth of the box: a glyph
                # seen mostly before spaces would otherwise swallow them.
                end = max(p_left + advance, p_right - _MAX_OVERHANG * p_height)
            gap = left - end
            if gap > _COLUMN_GAP * taller:
                pieces.append("\t")
            elif spaced or gap > _WORD_GAP * taller:
                pieces.append(" ")
            if top > line_top:
                line_top = top
            if bottom < line_bottom:
                line_bottom = bottom
        elif (vertical := _vertical_gap(glyph, previous)) is not None:
            # Rotated text runs up or down the page, one glyph above the other.
            if spaced or vertical > _WORD_GAP * (right - left):
                pieces.append(" ")
            line_top = max(line_top, top)
            line_bottom = min(line_bottom, bottom)
        else:
            lines.append(_Line("".join(pieces), line_top, line_bottom, line_top - line_bottom))
            pieces = []
            line_top, line_bottom = top, bottom
        pieces.append(char)
        previous = glyph
        spaced = False
    if pieces:
        lines.append(_Line("".join(pieces), line_top, line_bottom, line_top - line_bottom))
    return lines


def _vertical_gap(
    glyph: tuple[str, float, float, float, float],
    previous: tuple[str, float, float, float, float],
) -> float | None:
    """The gap between two glyphs stacked in a rotated line, or None if they are not."""
    _, left, top, right, bottom = glyph
    _, p_left, p_top, p_right, p_bottom = previous
    width, p_width = right - left, p_right - p_left
    # Boxes of rotated glyphs share their horizontal extent (the font's height).
    shared = min(right, p_right) - max(left, p_left)
    if width <= 0 or shared < _SAME_LINE_OVERLAP * max(width, p_width):
        return None
    gap = max(bottom - p_top, p_bottom - top)
    return gap if -_BACKSTEP * width < gap < _COLUMN_GAP * width else None


def _join_lines(lines: list[_Line]) -> str:
    """Lines joined by newlines, with a blank line where the vertical gap is unusually wide."""
    if not lines:
        return ""
    gaps = sorted(previous.bottom - line.top for previous, line in pairwise(lines))
    # The lower quartile, not the median: on short pages paragraph gaps can be half of all gaps.
    usual = max(gaps[len(gaps) // 4], 0.0) if gaps else 0.0
    out = [lines[0].text]
    for previous, line in pairwise(lines):
        gap = previous.bottom - line.top
        taller = max(previous.height, line.height)
        # A wide gap is a paragraph; so is a jump upwards (the next column, a sidebar).
        if gap > usual + 0.5 * taller or gap < -1.5 * taller:
            out.append("\n\n")
        else:
            out.append("\n")
        out.append(line.text)
    return "".join(out)
