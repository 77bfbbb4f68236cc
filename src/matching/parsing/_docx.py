"""DOCX → text with :mod:`zipfile` and lxml (no python-docx), with a zip-bomb guard.

The archive is checked before anything is decompressed (the declared sizes of all members,
and the compression ratio of each part read) and every part is read with a size cap, because
declared sizes can lie. XML is parsed without entity resolution, DTD loading or network.

Text comes from the body's paragraphs, runs, tabs and breaks, tables (cells joined by tabs, or
cell by cell when cells hold several paragraphs), text boxes (DrawingML, with the VML fallback
copy skipped), content controls and inserted revisions; deleted revisions and field codes are
not text. Headers come first and footers last, each distinct text once. Runs that Word would
not show on a white page — ``w:vanish``, white (or near-white) ``w:color`` without a dark
shading behind it, ``w:sz`` under 3 pt, also through styles — are dropped and counted (W101).
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from matching.errors import Errors, InputError

from ._clean import TINY, VANISHED, WHITE, RawText, is_faint

DOCUMENT = "word/document.xml"
_STYLES = "word/styles.xml"
_HEADER_FOOTER = re.compile(r"word/(header|footer)\d*\.xml")
_MAX_HEADERS_FOOTERS = 12
# A part that expands more than this many times, and to more than a megabyte, is refused: real
# WordprocessingML compresses 5-30 times; deflate cannot exceed about 1,030.
_MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024
_TINY_HALF_POINTS = 6  # w:sz is in half-points: under 3 pt is unreadable
_OFF = ("0", "false", "off")
_WHITE_THEME = ("background1", "light1")
_LIGHT_HIGHLIGHTS = ("none", "white", "yellow", "green", "cyan", "lightGray")
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_DOC_PROPERTIES = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


@dataclass(frozen=True)
class _Props:
    """Run properties that decide visibility: hidden, colour, size, a dark shading behind."""

    vanish: bool = False
    light: bool = False
    half_points: int | None = None
    dark_background: bool = False

    def reason(self) -> str | None:
        """Why a run with these properties is invisible, or None."""
        if self.vanish:
            return VANISHED
        if self.half_points is not None and self.half_points < _TINY_HALF_POINTS:
            return TINY
        if self.light and not self.dark_background:
            return WHITE
        return None


def _is_light_hex(value: str) -> bool:
    """A ``RRGGBB`` colour too pale to read on white (white, near-white, light yellow …)."""
    if len(value) != 6:
        return False
    try:
        red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return False
    return is_faint(red, green, blue)


def _dark_fill(value: str | None) -> bool | None:
    """Whether a shading fill is dark (True), light (False) or not set (None)."""
    if value is None or value.lower() == "auto":
        return None
    return not _is_light_hex(value)


class _Reader:
    """Renders WordprocessingML elements to text, counting hidden characters."""

    def __init__(self, namespace: str, styles: Any | None, hidden: Counter[str]) -> None:
        self.w = "{" + namespace + "}"
        self.hidden = hidden
        self.run_styles: dict[str, _Props] = {}
        self.paragraph_styles: dict[str, _Props] = {}
        self.default_paragraph_style: str | None = None
        self.defaults = _Props()
        if styles is not None:
            self._read_styles(styles)

    # -- properties ---------------------------------------------------------------------------

    def _attr(self, element: Any, name: str) -> str | None:
        value = element.get(self.w + name)
        return None if value is None else str(value)

    def _merge(self, props: _Props, rpr: Any | None) -> _Props:
        """``props`` updated by the run properties element ``rpr`` (``w:rPr``)."""
        if rpr is None:
            return props
        w = self.w
        changes: dict[str, Any] = {}
        for name in ("vanish", "specVanish"):
            flag = rpr.find(w + name)
            if flag is not None:
                changes["vanish"] = (self._attr(flag, "val") or "true").lower() not in _OFF
        color = rpr.find(w + "color")
        if color is not None:
            value = self._attr(color, "val") or "auto"
            theme = self._attr(color, "themeColor")
            changes["light"] = _is_light_hex(value) or theme in _WHITE_THEME
        size = rpr.find(w + "sz")
        if size is not None:
            with contextlib.suppress(ValueError):
                changes["half_points"] = int(self._attr(size, "val") or "")
        shading = rpr.find(w + "shd")
        if shading is not None:
            dark = _dark_fill(self._attr(shading, "fill"))
            if dark is not None:
                changes["dark_background"] = dark
        highlight = rpr.find(w + "highlight")
        if highlight is not None:
            changes["dark_background"] = (self._attr(highlight, "val") or "none") not in (
                _LIGHT_HIGHLIGHTS
            )
        return replace(props, **changes) if changes else props

    def _read_styles(self, styles: Any) -> None:
        """Resolve character and paragraph styles (with ``w:basedOn`` chains) to :class:`_Props`."""
        w = self.w
        default_rpr = styles.find(f"{w}docDefaults/{w}rPrDefault/{w}rPr")
        self.defaults = self._merge(_Props(), default_rpr)
        raw: dict[str, tuple[str | None, Any | None, str]] = {}
        for style in styles.iter(w + "style"):
            style_id = self._attr(style, "styleId")
            if not style_id:
                continue
            based = style.find(w + "basedOn")
            kind = self._attr(style, "type") or "paragraph"
            raw[style_id] = (
                self._attr(based, "val") if based is not None else None,
                style.find(w + "rPr"),
                kind,
            )
            if kind == "paragraph" and (self._attr(style, "default") or "") in ("1", "true"):
                self.default_paragraph_style = style_id

        def resolve(style_id: str, base: _Props) -> _Props:
            chain: list[Any | None] = []
            seen: set[str] = set()
            current: str | None = style_id
            while current is not None and current in raw and current not in seen:
                seen.add(current)  # basedOn cycles exist in the wild
                parent, rpr, _ = raw[current]
                chain.append(rpr)
                current = parent
            props = base
            for rpr in reversed(chain):
                props = self._merge(props, rpr)
            return props

        for style_id, (_, _, kind) in raw.items():
            if kind == "character":
                self.run_styles[style_id] = resolve(style_id, _Props())
            elif kind == "paragraph":
                self.paragraph_styles[style_id] = resolve(style_id, self.defaults)

    def _paragraph_props(self, paragraph: Any, inherited: _Props) -> _Props:
        w = self.w
        ppr = paragraph.find(w + "pPr")
        style_id = self.default_paragraph_style
        if ppr is not None:
            style = ppr.find(w + "pStyle")
            if style is not None:
                style_id = self._attr(style, "val") or style_id
        props = self.paragraph_styles.get(style_id or "", self.defaults)
        props = replace(props, dark_background=inherited.dark_background)
        if ppr is not None:
            shading = ppr.find(w + "shd")
            dark = _dark_fill(self._attr(shading, "fill")) if shading is not None else None
            if dark is not None:
                props = replace(props, dark_background=dark)
        return props

    # -- rendering ----------------------------------------------------------------------------

    def _local(self, element: Any) -> str:
        tag = element.tag
        if not isinstance(tag, str):
            return ""
        if tag.startswith(self.w):
            return tag[len(self.w) :]
        if tag == f"{{{_MC}}}AlternateContent":
            return "AlternateContent"
        return ""

    def _choice(self, alternate: Any) -> Any | None:
        """The first ``mc:Choice`` of an ``mc:AlternateContent`` (the fallback repeats it)."""
        return alternate.find(f"{{{_MC}}}Choice")

    def block(self, container: Any, out: list[str], props: _Props) -> None:
        """Paragraphs and tables of a body, cell, text box, header or footer."""
        for child in container:
            name = self._local(child)
            if name == "p":
                self.paragraph(child, out, props)
            elif name == "tbl":
                self.table(child, out, props)
            elif name in ("sdt", "customXml", "ins", "moveTo", "sdtContent"):
                target = child.find(self.w + "sdtContent") if name == "sdt" else child
                if target is not None:
                    self.block(target, out, props)
            elif name == "AlternateContent":
                choice = self._choice(child)
                if choice is not None:
                    self.block(choice, out, props)

    def paragraph(self, paragraph: Any, out: list[str], inherited: _Props) -> None:
        """One paragraph and then any text boxes anchored in it."""
        props = self._paragraph_props(paragraph, inherited)
        pieces: list[str] = []
        boxes: list[str] = []
        self.inline(paragraph, pieces, boxes, props)
        out.append("".join(pieces))
        out.append("\n")
        for box in boxes:
            out.append(box)
            out.append("\n")

    def inline(self, element: Any, pieces: list[str], boxes: list[str], props: _Props) -> None:
        """Runs of a paragraph, through hyperlinks, fields, content controls and insertions."""
        for child in element:
            name = self._local(child)
            if name == "r":
                self.run(child, pieces, boxes, props)
            elif name in ("hyperlink", "smartTag", "ins", "moveTo", "fldSimple", "customXml"):
                self.inline(child, pieces, boxes, props)
            elif name == "sdt":
                content = child.find(self.w + "sdtContent")
                if content is not None:
                    self.inline(content, pieces, boxes, props)
            elif name == "AlternateContent":
                choice = self._choice(child)
                if choice is not None:
                    self.inline(choice, pieces, boxes, props)
            # w:del and w:moveFrom hold deleted revisions: not part of the document's text.

    def run(self, run: Any, pieces: list[str], boxes: list[str], inherited: _Props) -> None:
        """The text of one run, or its hidden-character count."""
        w = self.w
        rpr = run.find(w + "rPr")
        props = inherited
        if rpr is not None:
            style = rpr.find(w + "rStyle")
            if style is not None:
                style_props = self.run_styles.get(self._attr(style, "val") or "")
                if style_props is not None:
                    props = self._overlay(props, style_props)
            props = self._merge(props, rpr)
        reason = props.reason()
        for child in run:
            name = self._local(child)
            text = ""
            if name == "t":
                text = child.text or ""
            elif name == "tab":
                text = "\t"
            elif name in ("br", "cr"):
                text = "\n"
            elif name == "noBreakHyphen":
                text = "-"
            elif name in ("drawing", "pict", "object", "AlternateContent"):
                self._text_boxes(child, boxes, props)
            if not text:
                continue
            if reason is None:
                pieces.append(text)
            else:
                self.hidden[reason] += len(text) - sum(char.isspace() for char in text)

    def _overlay(self, base: _Props, style: _Props) -> _Props:
        """A character style's properties over the paragraph's (set values win)."""
        return _Props(
            vanish=base.vanish or style.vanish,
            light=style.light or base.light,
            half_points=style.half_points if style.half_points is not None else base.half_points,
            dark_background=style.dark_background or base.dark_background,
        )

    def _text_boxes(self, element: Any, boxes: list[str], props: _Props) -> None:
        """Render the outermost text boxes inside a drawing, skipping VML fallback copies.

        A drawing marked hidden (``wp:docPr hidden="1"``) is not shown: its text is counted.
        """
        hidden = any(
            (properties.get("hidden") or "").lower() in ("1", "true")
            for properties in element.iter(_DOC_PROPERTIES)
        )
        for box in self._outermost(element, self.w + "txbxContent"):
            out: list[str] = []
            self.block(box, out, props)
            text = "".join(out).strip("\n")
            if hidden:
                self.hidden[VANISHED] += len(text) - sum(char.isspace() for char in text)
            else:
                boxes.append(text)

    def _outermost(self, element: Any, tag: str) -> list[Any]:
        """Descendants called ``tag`` in document order, not looking inside them or fallbacks."""
        found: list[Any] = []
        for child in element:
            if not isinstance(child.tag, str) or child.tag == f"{{{_MC}}}Fallback":
                continue
            if child.tag == tag:
                found.append(child)
            else:
                found.extend(self._outermost(child, tag))
        return found

    def _children(self, element: Any, name: str) -> list[Any]:
        """Direct children called ``name``, looking through content-control wrappers."""
        found: list[Any] = []
        for child in element:
            local = self._local(child)
            if local == name:
                found.append(child)
            elif local in ("sdt", "sdtContent", "customXml"):
                found.extend(self._children(child, name))
        return found

    def table(self, table: Any, out: list[str], props: _Props) -> None:
        """Rows of a table: single-line cells joined by tabs, longer cells one after another."""
        w = self.w
        for row in self._children(table, "tr"):
            cells: list[str] = []
            for cell in self._children(row, "tc"):
                cell_props = props
                shading = cell.find(f"{w}tcPr/{w}shd")
                dark = _dark_fill(self._attr(shading, "fill")) if shading is not None else None
                if dark is not None:
                    cell_props = replace(props, dark_background=dark)
                buffer: list[str] = []
                self.block(cell, buffer, cell_props)
                cells.append("".join(buffer).strip("\n"))
            if all("\n" not in cell for cell in cells):
                out.append("\t".join(cells) + "\n")
            else:
                out.append("\n\n".join(cell for cell in cells if cell) + "\n\n")
        out.append("\n")


def _read_part(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, *, path: str, limit: int
) -> bytes:
    """One member's bytes, refusing extreme ratios and reading at most ``budget`` bytes."""
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and ratio > _MAX_RATIO:
        raise InputError(Errors.E107, path=path, limit=_RATIO_FLOOR, ratio=f"{ratio:.0f}")
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InputError(Errors.E106, path=path, detail=f"{info.filename}: {exc}") from exc
    except (NotImplementedError, RuntimeError) as exc:  # unsupported method, encryption
        raise InputError(Errors.E106, path=path, detail=f"{info.filename}: {exc}") from exc
    if len(data) > budget:
        ratio = len(data) / max(info.compress_size, 1)
        raise InputError(Errors.E107, path=path, limit=limit, ratio=f"{ratio:.0f}")
    return data


def _parse_xml(data: bytes, name: str, *, path: str) -> Any:
    """Parse one XML part safely: no entities, no DTD, no network, no huge trees."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(Errors.E106, path=path, detail=f"{name}: {exc}") from exc


def open_archive(data: bytes, *, path: str) -> zipfile.ZipFile:
    """Open a zip archive from bytes; E106 when it is corrupt."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise InputError(Errors.E106, path=path, detail=str(exc) or type(exc).__name__) from exc


def read_docx(data: bytes, *, path: str, max_unzipped_bytes: int) -> RawText:
    """The visible text of a DOCX document (E106 corrupt, E107 possible zip bomb)."""
    with open_archive(data, path=path) as archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        if declared > max_unzipped_bytes:
            ratio = declared / max(len(data), 1)
            raise InputError(Errors.E107, path=path, limit=max_unzipped_bytes, ratio=f"{ratio:.0f}")
        by_name = {info.filename: info for info in infos}
        if DOCUMENT not in by_name:
            raise InputError(Errors.E106, path=path, detail=f"no {DOCUMENT} in the archive")
        wanted = [DOCUMENT]
        if _STYLES in by_name:
            wanted.append(_STYLES)
        extras = sorted(name for name in by_name if _HEADER_FOOTER.fullmatch(name))
        wanted += extras[:_MAX_HEADERS_FOOTERS]
        parts: dict[str, bytes] = {}
        budget = max_unzipped_bytes
        for name in wanted:
            parts[name] = _read_part(
                archive, by_name[name], budget, path=path, limit=max_unzipped_bytes
            )
            budget -= len(parts[name])

    root = _parse_xml(parts[DOCUMENT], DOCUMENT, path=path)
    namespace = root.tag[1:].split("}")[0] if str(root.tag).startswith("{") else ""
    styles = _parse_xml(parts[_STYLES], _STYLES, path=path) if _STYLES in parts else None
    hidden: Counter[str] = Counter()
    reader = _Reader(namespace, styles, hidden)
    body = root.find(reader.w + "body")
    if body is None:
        raise InputError(Errors.E106, path=path, detail=f"{DOCUMENT} has no w:body")
    text: list[str] = []
    headers: list[str] = []
    footers: list[str] = []
    try:
        reader.block(body, text, reader.defaults)
        for name in extras[:_MAX_HEADERS_FOOTERS]:
            part = _parse_xml(parts[name], name, path=path)
            out: list[str] = []
            reader.block(part, out, reader.defaults)
            rendered = "".join(out).strip()
            target = headers if "/header" in name else footers
            if rendered and rendered not in target:
                target.append(rendered)
    except RecursionError as exc:  # libxml2 caps depth at 256; Python frames are spent faster
        raise InputError(Errors.E106, path=path, detail="elements nested too deeply") from exc
    joined = "\n\n".join([*headers, "".join(text), *footers])
    return RawText(text=joined, hidden=hidden)
