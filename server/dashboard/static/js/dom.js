/**
 * Building DOM from data without ever parsing markup: every text goes through
 * `textContent` (or an attribute), so a host name or a log line is shown as text, whatever
 * it contains. Never use innerHTML with data.
 */

/**
 * Creates an element: `el("td", { class: "num", "data-label": "CPU" }, "12 %")`.
 * Children are strings (text nodes) or nodes; null and undefined are skipped. Attributes
 * with value false, null or undefined are left out; true sets an empty attribute.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Creates an SVG element (no children from text).
 * @param {string} tag
 * @param {Record<string, string | number | null | undefined>} [attrs]
 * @returns {SVGElement}
 */
export function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  return node;
}

/**
 * @param {Element} node
 * @param {Record<string, string | number | boolean | null | undefined>} attrs
 */
function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
}

/**
 * @param {Node} node
 * @param {(Node | string | number | null | undefined)[]} children
 */
function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/**
 * Replaces the children of `node`.
 * @param {Node} node
 * @param {...(Node | string | number | null | undefined)} children
 */
export function replaceChildren(node, ...children) {
  while (node.firstChild) node.removeChild(node.firstChild);
  append(node, children);
}

/**
 * Sets the text of `node` only when it differs (no needless layout work).
 * @param {Node | null} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

/**
 * The element with `id`, or an error naming it.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`no element #${id}`);
  return node;
}
