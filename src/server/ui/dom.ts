// DOM helpers. Every value from the ledger reaches the DOM as text (text nodes, attributes), never as HTML.

/** The element matching `selector`; throws (naming it) when the page has none, instead of failing later. */
export function $<E extends Element = HTMLElement>(selector: string, root: ParentNode = document): E {
  const el = root.querySelector<E>(selector);
  if (!el) throw new Error(`dashboard page: no element matches ${selector}`);
  return el;
}

export const $$ = <E extends Element = HTMLElement>(selector: string, root: ParentNode = document): E[] => [
  ...root.querySelectorAll<E>(selector),
];

type AttrValue = string | number | boolean | null | undefined;
/** Attributes; `class`; `dataset` (undefined entries skipped); listeners as `onclick`, `onkeydown`, … */
export type Props = Record<string, AttrValue | Record<string, string | undefined> | ((event: Event) => void)>;
export type Child = Node | string | number | null | undefined | false | readonly Child[];

function append(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** document.createElement with attributes, listeners and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") {
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    } else if (typeof value === "object") {
      if (name === "dataset")
        for (const [key, data] of Object.entries(value)) if (data !== undefined) el.dataset[key] = data;
    } else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** The filled part of a bar, `percent` wide (clamped to 0–100). */
export function barFill(percent: number): HTMLSpanElement {
  const fill = h("span");
  // CSSOM, not a style attribute: allowed by the page's Content-Security-Policy.
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  return fill;
}

/** A value, or the muted placeholder a missing one shows as (`(no user)`, `—`). */
export const orNone = (value: string | null | undefined, none: string): Child =>
  value ?? h("span", { class: "none" }, none);

/** The error banner above the panels; `null` hides it. */
export function showError(error: unknown): void {
  const banner = $("#error-banner");
  banner.hidden = !error;
  banner.textContent = error
    ? `Could not load: ${error instanceof Error ? error.message : String(error)}`
    : "";
}
