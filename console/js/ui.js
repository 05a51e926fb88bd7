// Small DOM helpers. Text always goes in through textContent (never innerHTML), so nothing an
// API answer or a platform sends can become markup.

import { describe } from "./api.js";

export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function card(title, ...children) {
  const id = `card-${Math.random().toString(36).slice(2, 9)}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

export function badge(text, kind = "neutral") {
  return h("span", { class: `badge badge-${kind}`, text });
}

export function note(text, kind = "info") {
  return h("p", { class: `note note-${kind}`, role: kind === "success" ? "status" : null, text });
}

// An API error (or any failure) in words: a headline, the API's message, every field problem.
export function errorPanel(error, ...actions) {
  const { title, lines, code } = describe(error);
  return h(
    "div",
    { class: "error-panel", role: "alert" },
    h("strong", { class: "error-title", text: title }),
    lines.map((line) => h("p", { text: line })),
    code ? h("p", { class: "error-code", text: code }) : null,
    actions.length ? h("div", { class: "actions" }, actions) : null,
  );
}

// A progress indicator for a long call: a bar, what is happening and the seconds elapsed.
export function progress(label) {
  const started = performance.now();
  const seconds = h("span", { class: "elapsed", text: "0 s" });
  const text = h("span", { text: label });
  const node = h(
    "div",
    { class: "progress", role: "status", "aria-live": "polite", "aria-busy": "true" },
    h("progress", { "aria-label": label }),
    text,
    seconds,
  );
  const timer = setInterval(() => {
    seconds.textContent = `${Math.round((performance.now() - started) / 1000)} s`;
  }, 500);
  return {
    node,
    update(label) {
      text.textContent = label;
    },
    done() {
      clearInterval(timer);
      node.remove();
    },
  };
}

// Runs `work` with a progress indicator in `slot` and the button disabled; shows the error in
// words when it fails. Answers what `work` answers, or undefined after a failure.
export async function withProgress(slot, button, label, work) {
  const indicator = progress(label);
  replace(slot, indicator.node);
  if (button) button.disabled = true;
  try {
    const result = await work(indicator);
    indicator.done();
    return result;
  } catch (error) {
    indicator.done();
    replace(slot, errorPanel(error));
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function copyButton(label, getText) {
  const button = h("button", { type: "button", class: "secondary", text: label });
  button.addEventListener("click", async () => {
    const text = getText();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API refused (permissions, http): select the text for Ctrl-C instead.
      const field = button.parentElement && button.parentElement.querySelector("input");
      if (field) field.select();
      button.textContent = "Press Ctrl-C to copy";
      return;
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1500);
  });
  return button;
}

export function field(labelText, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const hintNode = hint ? h("small", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  if (hintNode) input.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id, text: labelText }), input, hintNode);
}

export function checkboxField(labelText, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h(
    "div",
    { class: "field field-check" },
    input,
    h("label", { for: id, text: labelText }),
    hint ? h("small", { class: "hint", text: hint }) : null,
  );
}

export function facts(rows) {
  return h(
    "dl",
    { class: "facts" },
    rows
      .filter((row) => row)
      .map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value === null || value === undefined || value === "" ? "—" : value)]),
  );
}

export function when(iso) {
  if (!iso) return "never";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const ago =
    Math.abs(seconds) < 60
      ? `${Math.abs(seconds)} s`
      : Math.abs(seconds) < 3600
        ? `${Math.round(Math.abs(seconds) / 60)} min`
        : Math.abs(seconds) < 172800
          ? `${Math.round(Math.abs(seconds) / 3600)} h`
          : `${Math.round(Math.abs(seconds) / 86400)} days`;
  return `${date.toLocaleString()} (${seconds >= 0 ? `${ago} ago` : `in ${ago}`})`;
}

// Client-side pagination of a list the API answers whole: renders one page into `body` with
// `renderRow`, and Previous / Next / page size controls into the returned node.
export class Paginator {
  constructor({ pageSize = 25, label = "items", onChange }) {
    this.pageSize = pageSize;
    this.page = 0;
    this.items = [];
    this.label = label;
    this.onChange = onChange;
    this.status = h("span", { class: "pager-status", "aria-live": "polite" });
    this.previous = h("button", { type: "button", class: "secondary", text: "Previous", onclick: () => this.go(this.page - 1) });
    this.next = h("button", { type: "button", class: "secondary", text: "Next", onclick: () => this.go(this.page + 1) });
    this.size = h(
      "select",
      { "aria-label": `${label} per page`, onchange: () => this.setPageSize(Number(this.size.value)) },
      [10, 25, 50, 100].map((n) => h("option", { value: String(n), text: `${n} per page`, selected: n === pageSize })),
    );
    this.node = h("nav", { class: "pager", "aria-label": `Pages of ${label}` }, this.previous, this.status, this.next, this.size);
  }

  get pages() {
    return Math.max(1, Math.ceil(this.items.length / this.pageSize));
  }

  setItems(items, { keepPage = false } = {}) {
    this.items = items;
    if (!keepPage) this.page = 0;
    this.page = Math.min(this.page, this.pages - 1);
    this.render();
  }

  setPageSize(size) {
    this.pageSize = size;
    this.page = 0;
    this.render();
  }

  go(page) {
    this.page = Math.max(0, Math.min(page, this.pages - 1));
    this.render();
  }

  visible() {
    return this.items.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize);
  }

  render() {
    const first = this.items.length ? this.page * this.pageSize + 1 : 0;
    const last = Math.min(this.items.length, (this.page + 1) * this.pageSize);
    this.status.textContent = `Page ${this.page + 1} of ${this.pages} · ${first}-${last} of ${this.items.length} ${this.label}`;
    this.previous.disabled = this.page === 0;
    this.next.disabled = this.page >= this.pages - 1;
    this.node.hidden = this.items.length <= 10;
    this.onChange(this.visible());
  }
}

export function table(headers, rows, { caption } = {}) {
  return h(
    "table",
    {},
    caption ? h("caption", { text: caption }) : null,
    h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col", text: title })))),
    h("tbody", {}, rows),
  );
}

// Server-side pagination of a list the API pages with a cursor (`next_cursor` / `next`):
// `fetchPage(cursor)` answers {items, next}; Previous goes back through the cursors seen.
export class CursorPager {
  constructor({ label = "items", fetchPage, onPage }) {
    this.label = label;
    this.fetchPage = fetchPage;
    this.onPage = onPage;
    this.cursors = [null];
    this.next = null;
    this.status = h("span", { class: "pager-status", "aria-live": "polite" });
    this.previousButton = h("button", { type: "button", class: "secondary", text: "Previous page", onclick: () => this.go(this.cursors.length - 2) });
    this.nextButton = h("button", { type: "button", class: "secondary", text: "Next page", onclick: () => this.go(this.cursors.length, this.next) });
    // Hidden until a page was read.
    this.node = h("nav", { class: "pager", "aria-label": `Pages of ${label}`, hidden: true }, this.previousButton, this.status, this.nextButton);
  }

  // The first page again (after a filter changed).
  async reset() {
    this.cursors = [null];
    return this.load(null);
  }

  async go(index, cursor) {
    if (index < 0) return;
    if (cursor !== undefined) this.cursors.push(cursor);
    else this.cursors = this.cursors.slice(0, index + 1);
    return this.load(this.cursors[this.cursors.length - 1]);
  }

  async load(cursor) {
    this.previousButton.disabled = true;
    this.nextButton.disabled = true;
    const page = await this.fetchPage(cursor);
    if (!page) return;
    this.next = page.next || null;
    this.status.textContent = `Page ${this.cursors.length} · ${page.items.length} ${this.label} on this page${this.next ? "" : " · the last page"}`;
    this.previousButton.disabled = this.cursors.length <= 1;
    this.nextButton.disabled = !this.next;
    this.node.hidden = false;
    this.onPage(page.items);
  }
}

// An ISO 8601 instant with its offset from a datetime-local input (empty: null).
export function isoFromLocal(input) {
  if (!input.value) return null;
  const date = new Date(input.value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
