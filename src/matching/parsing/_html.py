"""HTML → text with lxml, keeping only what a browser would show on a white page.

Scripts, styles, templates, the head and comments are dropped silently (they are not text of
the page). Elements hidden by the ``hidden`` attribute or by CSS — inline ``style`` and simple
rules (``tag``, ``.class``, ``#id``) of the page's own ``<style>`` blocks — are dropped and
counted for W101: ``display:none``, ``visibility:hidden``, ``opacity:0``, tiny ``font-size``,
white or transparent ``color`` (unless a dark background is set around it), off-screen
positions and zero-size clipping. Block elements become line breaks, table cells tabs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from matching.errors import Errors, InputError

from ._clean import HIDDEN_ELEMENT, OFF_SCREEN, TINY, TRANSPARENT, WHITE, RawText, is_faint

# Dropped without a warning: not page text.
_NOT_TEXT = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe",
     "object", "embed", "svg", "math", "canvas", "select", "option", "textarea", "button"}
)  # fmt: skip
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote", "pre",
     "section", "article", "header", "footer", "main", "aside", "nav", "figure", "form",
     "fieldset", "address", "hr"}
)  # fmt: skip
_LINES = frozenset(
    {"div", "li", "tr", "br", "dt", "dd", "caption", "figcaption", "legend", "details",
     "summary", "center", "tbody", "thead", "tfoot", "body", "html"}
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
# CSS colour names (a subset: the pale ones a page could hide text with, and common dark
# backgrounds), as RGB; the others are not understood and change nothing.
_NAMED: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255), "snow": (255, 250, 250), "ivory": (255, 255, 240),
    "ghostwhite": (248, 248, 255), "whitesmoke": (245, 245, 245), "floralwhite": (255, 250, 240),
    "seashell": (255, 245, 238), "mintcream": (245, 255, 250), "azure": (240, 255, 255),
    "aliceblue": (240, 248, 255), "honeydew": (240, 255, 240), "lavenderblush": (255, 240, 245),
    "linen": (250, 240, 230), "oldlace": (253, 245, 230), "yellow": (255, 255, 0),
    "lightyellow": (255, 255, 224), "beige": (245, 245, 220), "cornsilk": (255, 248, 220),
    "lightcyan": (224, 255, 255), "lemonchiffon": (255, 250, 205), "gainsboro": (220, 220, 220),
    "black": (0, 0, 0), "navy": (0, 0, 128), "darkblue": (0, 0, 139), "blue": (0, 0, 255),
    "darkgreen": (0, 100, 0), "green": (0, 128, 0), "maroon": (128, 0, 0),
    "purple": (128, 0, 128), "teal": (0, 128, 128), "gray": (128, 128, 128),
    "grey": (128, 128, 128), "dimgray": (105, 105, 105), "darkslategray": (47, 79, 79),
    "midnightblue": (25, 25, 112), "darkred": (139, 0, 0), "red": (255, 0, 0),
    "indigo": (75, 0, 130), "steelblue": (70, 130, 180), "royalblue": (65, 105, 225),
}  # fmt: skip
_NUMBER = r"([-+]?\d*\.?\d+)"
_LENGTH = re.compile(_NUMBER + r"\s*(px|pt|em|rem|%|vw|vh|ex|ch|cm|mm|in|pc)?\s*(?:!important)?$")
_RGB = re.compile(
    r"rgba?\(\s*" + r"[\s,/]*".join([_NUMBER + r"(%?)"] * 3) + r"(?:[\s,/]+([\d.]+)(%?))?\s*\)"
)
_HSL = re.compile(
    r"hsla?\(\s*[\d.]+(?:deg)?[\s,]+[\d.]+%[\s,]+([\d.]+)%(?:[\s,/]+([\d.]+)(%?))?\s*\)"
)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}@;]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)?((?:[.#][-\w]+)*)$")
_WHITESPACE = re.compile(r"\s+")
_ZERO_CLIP = re.compile(r"rect\(\s*0[a-z]*[\s,]+0[a-z]*[\s,]+0[a-z]*[\s,]+0|inset\(\s*50%")
# Properties that can hide text or change its colour or background; other rules are ignored.
_RELEVANT = (
    "display", "visibility", "opacity", "font-size", "color", "background", "text-indent",
    "left", "top", "margin-left", "clip", "clip-path", "height", "width", "max-height",
)  # fmt: skip


@dataclass(frozen=True)
class _State:
    """What an element passes to its content: inherited CSS that can hide text, and ``<pre>``.

    ``color``, ``visibility`` and ``font-size`` are inherited and a child may set them back,
    so they are decided per text node; ``display:none`` and the like hide a whole subtree.
    """

    light: bool = False
    transparent: bool = False
    dark_background: bool = False
    tiny: bool = False
    invisible: bool = False
    pre: bool = False

    def reason(self) -> str | None:
        """Why text with this state is hidden, or None when it is visible."""
        if self.invisible:
            return HIDDEN_ELEMENT
        if self.tiny:
            return TINY
        if self.transparent:
            return TRANSPARENT
        if self.light and not self.dark_background:
            return WHITE
        return None


@dataclass(frozen=True)
class _Rule:
    """A simple stylesheet rule: tag, classes and id it needs, and its declarations."""

    tag: str | None
    classes: frozenset[str]
    element_id: str | None
    declarations: tuple[tuple[str, str], ...]


def _colour(value: str) -> tuple[float, float, float, float] | None:
    """``(r, g, b, alpha)`` with r, g, b in 0..255, or None for values not understood."""
    value = value.strip().lower().removesuffix("!important").strip()
    if value == "transparent":
        return (0, 0, 0, 0)
    if value in _NAMED:
        return (*_NAMED[value], 1.0)
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4):
            digits = "".join(char * 2 for char in digits)
        if len(digits) in (6, 8) and all(char in "0123456789abcdef" for char in digits):
            alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
            return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)
        return None
    match = _RGB.match(value)
    if match:
        channels = []
        for number, percent in zip(match.groups()[0:6:2], match.groups()[1:6:2], strict=True):
            channel = float(number) * (2.55 if percent else 1.0)
            channels.append(channel)
        alpha = _alpha(match.group(7), match.group(8))
        return (channels[0], channels[1], channels[2], alpha)
    match = _HSL.match(value)
    if match:
        lightness = float(match.group(1)) * 2.55
        return (lightness, lightness, lightness, _alpha(match.group(2), match.group(3)))
    return None


def _alpha(number: str | None, percent: str | None) -> float:
    """An alpha component, 1.0 when absent."""
    if number is None:
        return 1.0
    return float(number) / 100 if percent else float(number)


def _is_light(colour: tuple[float, float, float, float]) -> bool:
    """Too pale to read on white: white, near-white, light yellow and the like."""
    return is_faint(*colour[:3])


def _length(value: str) -> tuple[float, str] | None:
    """A CSS length as ``(number, unit)``; unit ``""`` for unitless numbers."""
    match = _LENGTH.match(value.strip().lower())
    if match is None:
        return None
    return float(match.group(1)), match.group(2) or ""


def _tiny_font(value: str) -> bool:
    """A font size under about 3 pt (4 px), or zero in any unit."""
    parsed = _length(value)
    if parsed is None:
        return False
    number, unit = parsed
    limits = {"px": 4.0, "pt": 3.0, "em": 0.3, "rem": 0.3, "%": 30.0, "": 4.0, "ex": 0.6}
    return number <= 0 or number < limits.get(unit, 0.0)


def _far_negative(value: str) -> bool:
    """An offset that puts content off screen (``-9999px``, ``-100em`` …)."""
    parsed = _length(value)
    if parsed is None:
        return False
    number, unit = parsed
    limits = {"px": -999.0, "pt": -750.0, "em": -60.0, "rem": -60.0, "%": -99.0, "vw": -99.0}
    return number <= limits.get(unit, -999.0)


def _declarations(style: str) -> dict[str, str]:
    """``{"property": "value"}`` of a CSS declaration block, properties in lower case."""
    found: dict[str, str] = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        name = name.strip().lower()
        if name and value.strip():
            found[name] = value.strip().lower()
    return found


def _apply(declarations: dict[str, str], state: _State, *, pre: bool) -> tuple[str | None, _State]:
    """The reason these declarations hide a whole subtree (or None) and the content's state."""
    display = declarations.get("display", "")
    if display.startswith("none"):
        return HIDDEN_ELEMENT, state
    if "opacity" in declarations:
        parsed = _length(declarations["opacity"])
        if parsed is not None:
            number, unit = parsed
            if (number / 100 if unit == "%" else number) <= 0.05:
                return TRANSPARENT, state
    for name in ("text-indent", "left", "top", "margin-left"):
        if name in declarations and _far_negative(declarations[name]):
            return OFF_SCREEN, state
    clip = declarations.get("clip", "") + " " + declarations.get("clip-path", "")
    if _ZERO_CLIP.search(clip):
        return HIDDEN_ELEMENT, state
    if declarations.get("overflow", "").startswith("hidden"):
        for name in ("height", "width", "max-height"):
            parsed = _length(declarations.get(name, ""))
            if parsed is not None and parsed[0] <= 0:
                return HIDDEN_ELEMENT, state

    changes: dict[str, bool] = {}
    if pre:
        changes["pre"] = True
    for name in ("background-color", "background"):
        value = declarations.get(name, "").split()
        colour = _colour(value[0]) if value else None
        if colour is not None:
            changes["dark_background"] = colour[3] > 0.5 and not _is_light(colour)
    visibility = declarations.get("visibility", "")
    if visibility:
        changes["invisible"] = visibility.startswith(("hidden", "collapse"))
    if "font-size" in declarations:
        size = declarations["font-size"]
        parsed = _length(size)
        relative = parsed is not None and parsed[1] in ("em", "%", "ex", "")
        # A relative size scales the parent's: tiny stays tiny, and a normal size can shrink.
        changes["tiny"] = _tiny_font(size) or (relative and state.tiny)
    if "color" in declarations:
        colour = _colour(declarations["color"])
        if colour is not None:
            changes["transparent"] = colour[3] <= 0.1
            changes["light"] = _is_light(colour)
    return None, replace(state, **changes) if changes else state


def _stylesheet_rules(root: Any) -> list[_Rule]:
    """Simple rules (``tag``, ``.class``, ``#id``, combined) of the page's ``<style>`` blocks."""
    rules: list[_Rule] = []
    for style in root.iter("style"):
        css = _COMMENT.sub("", style.text or "")
        for selectors, body in _RULE.findall(css):
            declarations = _declarations(body)
            relevant = tuple(
                (name, value)
                for name, value in declarations.items()
                if name.startswith(_RELEVANT) or name == "overflow"
            )
            if not relevant:
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR.match(selector.strip())
                if match is None or not selector.strip():
                    continue
                parts = re.findall(r"[.#][-\w]+", match.group(2))
                classes = frozenset(part[1:] for part in parts if part[0] == ".")
                ids = [part[1:] for part in parts if part[0] == "#"]
                tag = match.group(1).lower() if match.group(1) else None
                rules.append(_Rule(tag, classes, ids[0] if ids else None, relevant))
    return rules


def _element_declarations(element: Any, tag: str, rules: list[_Rule]) -> dict[str, str]:
    """The declarations that apply to ``element``: matching rules, then its inline style."""
    found: dict[str, str] = {}
    if rules:
        classes = set((element.get("class") or "").split())
        element_id = element.get("id")
        for rule in rules:
            if rule.tag is not None and rule.tag != tag:
                continue
            if rule.element_id is not None and rule.element_id != element_id:
                continue
            if not rule.classes <= classes:
                continue
            found.update(rule.declarations)
    style = element.get("style")
    if style:
        found.update(_declarations(style))
    for name, css in (("bgcolor", "background-color"), ("color", "color")):
        value = element.get(name)
        if value and (tag != "font" or name == "color") and css not in found:
            found[css] = value.lower()
    return found


def _visible_characters(element: Any) -> int:
    """Non-whitespace characters of an element's text (scripts and styles not counted)."""
    count = 0
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag.lower() in _NOT_TEXT:
            if node is not element and node.tail:
                count += len(_WHITESPACE.sub("", node.tail))
            continue
        if node.text:
            count += len(_WHITESPACE.sub("", node.text))
        if node is not element and node.tail:
            count += len(_WHITESPACE.sub("", node.tail))
    return count


def _walk(root: Any, rules: list[_Rule], hidden: Counter[str]) -> Iterator[str]:
    """Yield the visible text of ``root`` in document order, with line and cell breaks."""
    # An explicit stack instead of recursion: hostile pages nest thousands of elements deep.
    # Items are ("open", element, inherited state), ("text", text node, state) or
    # ("break", separator, state); a popped text node is checked against its state.
    stack: list[tuple[str, Any, _State]] = [("open", root, _State())]
    while stack:
        kind, item, state = stack.pop()
        if kind == "break":
            yield item
            continue
        if kind == "text":
            reason = state.reason()
            if reason is None:
                yield item if state.pre else _WHITESPACE.sub(" ", item)
            else:
                hidden[reason] += len(_WHITESPACE.sub("", item))
            continue
        element = item
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if element.tail:
            stack.append(("text", element.tail, state))
        if not tag or tag in _NOT_TEXT:
            continue
        declarations = _element_declarations(element, tag, rules)
        reason, inner = _apply(declarations, state, pre=tag == "pre")
        if reason is None and element.get("hidden") is not None:
            reason = HIDDEN_ELEMENT
        if reason is not None:
            hidden[reason] += _visible_characters(element)
            continue
        closer = "\n\n" if tag in _PARAGRAPHS else "\n" if tag in _LINES else ""
        if tag in _CELLS:
            closer = "\t"
        if closer:
            stack.append(("break", closer, state))
        for child in reversed(element):
            stack.append(("open", child, inner))
        if element.text:
            stack.append(("text", element.text, inner))
        if closer == "\n\n":
            stack.append(("break", "\n\n", state))


def read_html(text: str, *, path: str) -> RawText:
    """The visible text of an HTML document; E112 if lxml cannot parse it."""
    import lxml.etree
    import lxml.html

    # The HTML parser never resolves external entities; no_network and no huge_tree keep
    # libxml2 from fetching anything or building unbounded trees.
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=False
    )
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        raise InputError(Errors.E112, path=path, detail=str(exc) or type(exc).__name__) from exc
    if root is None:
        raise InputError(Errors.E112, path=path, detail="no document element")
    hidden: Counter[str] = Counter()
    rules = _stylesheet_rules(root)
    body = root.find("body")
    parts = list(_walk(body if body is not None else root, rules, hidden))
    return RawText(text="".join(parts), hidden=hidden)
