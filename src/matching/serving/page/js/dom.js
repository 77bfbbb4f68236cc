// Building the page's elements. Every value from the API (resumes hold arbitrary text) goes in
// as text: a text node or textContent, never as markup.

/**
 * Create an element. `props`: `class`, `text` (textContent), `on<event>` handlers, `dataset`,
 * and other attributes (set with setAttribute; never an URL or a handler built from data).
 * Children are nodes or values (values become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = String(value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/** Append nodes or values (as text) to `element`. */
export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replace the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A number with at most `digits` decimals, or an en dash for none. */
export function number(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return Number(value).toLocaleString("en", { maximumFractionDigits: digits });
}

/** A date and time in the reader's locale, or an en dash. */
export function when(value) {
  if (!value) return "–";
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? String(value)
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
