// Building elements without innerHTML: every value from the API becomes text, never markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// A labelled form control: the label names the control it is for.
let counter = 0;
export function field(labelText, control) {
  control.id ||= `field-${++counter}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control);
}

export function select(name, options, attributes = {}) {
  return h(
    "select",
    { name, ...attributes },
    options.map(([value, text]) => h("option", { value }, text)),
  );
}

// A record as a definition list of its plain fields (nested records shown by name).
export function recordList(record) {
  const rows = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined || key === "__typename") continue;
    let shown = value;
    if (Array.isArray(value)) shown = value.length && typeof value[0] !== "object" ? value.join(", ") : `[${value.length}]`;
    else if (typeof value === "object") shown = value.name ?? value.status ?? JSON.stringify(value);
    rows.push(h("dt", {}, key), h("dd", {}, String(shown)));
  }
  return h("dl", { class: "record" }, rows);
}
