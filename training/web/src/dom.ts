// A tiny element builder: h("button", { type: "button", onclick: go }, "Go").
// Keys starting with "on" become listeners, `aria-*`/`data-*`/others become attributes, and the few
// DOM properties that are not attributes (value, checked, disabled) are set as properties.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

const PROPS = new Set(["value", "checked", "disabled", "selected", "hidden", "indeterminate"]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      if (PROPS.has(key)) (el as unknown as Record<string, unknown>)[key] = value ?? false;
      continue;
    }
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (PROPS.has(key)) {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's content. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let noticeTimer: number | undefined;

/** A short message in the page's live region (screen readers announce it). */
export function notify(message: string, kind: "info" | "error" = "info"): void {
  const box = document.getElementById("notice");
  if (!box) return;
  box.textContent = message;
  box.className = kind;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => (box.textContent = ""), 8000);
}

export function minutes(value: number): string {
  return `${value.toFixed(1)} min`;
}

export function seconds(value: number): string {
  return `${value.toFixed(2)} s`;
}
