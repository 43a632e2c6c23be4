// Builds DOM from data. Strings only ever become text nodes or attribute
// values, never markup: a child that prints `<script>` is shown as text.

/** `el('td', { class: 'x', dataset: { ref } }, 'text', childNode)` */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  for (const child of children) append(node, child);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** As `el`, in the SVG namespace. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attributes);
  for (const child of children) append(node, child);
  return node;
}

function setAttributes(node, attributes) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
}

function append(node, child) {
  if (child === undefined || child === null || child === false) return;
  node.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** Replaces every child of `node`. */
export function replaceChildren(node, children) {
  node.replaceChildren(...children);
}
