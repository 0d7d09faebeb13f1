/**
 * Building DOM without HTML strings: every piece of data goes in as a text node or a vetted attribute,
 * never through `innerHTML` (the page's CSP requires Trusted Types with no policy, so the browser would
 * refuse an HTML sink anyway).
 */
import { ICON_SVG, ICONS, type IconName } from "../icons";

type AttrValue = string | number | boolean | null | undefined;
type Listener = (event: Event) => void;
/** Attributes by name; `class` sets the class, `on…` adds a listener; null, undefined and false are left out. */
export type Attrs = Record<string, AttrValue | Listener>;
/** A child: a node, or a string that becomes a text node (never parsed as HTML). */
export type Child = Node | string | null | undefined | false;

/** The children that are there: a part built with `cond ? el : null` for `replaceChildren`. */
export const present = (kids: Child[]) => kids.filter((kid): kid is Node | string => !!kid);

/** `h("a", { class: "x", href }, child…)` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...kids: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const kid of kids) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/** One of the shared icons (../icons.ts) as an `<svg>` element. */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries(ICON_SVG)) svg.setAttribute(key, value);
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** The element with this id, checked to be of the expected kind (a shell that drifted fails at once). */
export function byId<T extends Element>(id: string, kind: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`#${id} is missing from the page or is not a ${kind.name}`);
  return el;
}

/** A plain left click: a modified one (new tab, new window, download) is left to the browser. */
export const plainClick = (e: MouseEvent) => !(e.button || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey);
