// TV mode: a remote control has arrows, OK (Enter) and Back. Arrows move
// the focus to the nearest focusable element in that direction (spatial
// navigation); an element marked data-arrows="horizontal" keeps left and
// right for itself (the timeline, text fields). Back, Escape (and in TV
// mode Backspace) go back.

const kStorageKey = "vigil.tv";

// ?tv=1 turns TV mode on and ?tv=0 off; the choice is remembered.
export function tvModeFromUrl(): boolean {
  const flag = new URLSearchParams(location.search).get("tv");
  if (flag === "1") localStorage.setItem(kStorageKey, "1");
  if (flag === "0") localStorage.removeItem(kStorageKey);
  return localStorage.getItem(kStorageKey) === "1";
}

export function setTvMode(on: boolean): void {
  if (on) localStorage.setItem(kStorageKey, "1");
  else localStorage.removeItem(kStorageKey);
  const url = new URL(location.href);
  url.searchParams.delete("tv");
  if (on) url.searchParams.set("tv", "1");
  history.replaceState(null, "", url);
}

const kFocusable = 'button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), [tabindex="0"]';

// Back keys of TV remotes: webOS sends 461, Tizen 10009; browsers name it
// BrowserBack or GoBack, and some boxes send Backspace, which counts in TV
// mode only and never in a text field (where it deletes).
export function isBackKey(e: KeyboardEvent, tv: boolean): boolean {
  if (e.key === "Backspace") return tv && !isEditable(e.target);
  return e.key === "Escape" || e.key === "BrowserBack" || e.key === "GoBack" || e.keyCode === 461 || e.keyCode === 10009;
}

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

type Direction = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown";

// Chromium lays out a closed <details>'s content (content-visibility:
// hidden), so it has boxes but cannot take the focus; nor can what is
// under an inert element (the page behind the alarm flow).
function visible(el: Element): boolean {
  const r = el.getBoundingClientRect();
  return (
    r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden" && !el.closest("details:not([open]), [inert]")
  );
}

// How far off to the side b is from a, across the direction of travel:
// the gap between their spans (none when they overlap: a timeline as wide
// as the screen is straight below a button at its left end), and a little
// of the distance between their centres to choose among overlapping ones.
function apart(aFrom: number, aTo: number, bFrom: number, bTo: number, aCentre: number, bCentre: number): number {
  return Math.max(0, bFrom - aTo, aFrom - bTo) + 0.05 * Math.abs(bCentre - aCentre);
}

// The nearest candidate in the direction, favouring ones straight ahead
// over ones off to the side, and any in the same row (or column) over all
// others: along a menu bar, Right goes to the next item however far.
function nearest(from: Element, dir: Direction): HTMLElement | undefined {
  const a = from.getBoundingClientRect();
  const ax = a.left + a.width / 2;
  const ay = a.top + a.height / 2;
  let best: HTMLElement | undefined;
  let bestScore = Infinity;
  for (const el of document.querySelectorAll<HTMLElement>(kFocusable)) {
    if (el === from || !visible(el)) continue;
    const b = el.getBoundingClientRect();
    const bx = b.left + b.width / 2;
    const by = b.top + b.height / 2;
    let along: number;
    let across: number;
    switch (dir) {
      case "ArrowLeft":
        along = a.left - b.right;
        across = apart(a.top, a.bottom, b.top, b.bottom, ay, by);
        if (bx >= ax) continue;
        break;
      case "ArrowRight":
        along = b.left - a.right;
        across = apart(a.top, a.bottom, b.top, b.bottom, ay, by);
        if (bx <= ax) continue;
        break;
      case "ArrowUp":
        along = a.top - b.bottom;
        across = apart(a.left, a.right, b.left, b.right, ax, bx);
        if (by >= ay) continue;
        break;
      case "ArrowDown":
        along = b.top - a.bottom;
        across = apart(a.left, a.right, b.left, b.right, ax, bx);
        if (by <= ay) continue;
        break;
    }
    const horizontal = dir === "ArrowLeft" || dir === "ArrowRight";
    const inLine = horizontal ? b.top < a.bottom && b.bottom > a.top : b.left < a.right && b.right > a.left;
    const score = Math.max(along, 0) + 2 * across + (inLine ? 0 : 1e6);
    if (score < bestScore) {
      bestScore = score;
      best = el;
    }
  }
  return best;
}

// Back/Escape call onBack everywhere; arrows navigate in TV mode only.
export function installKeys(spatial: boolean, onBack: () => void): () => void {
  const handler = (e: KeyboardEvent) => {
    if (isBackKey(e, spatial)) {
      e.preventDefault();
      onBack();
      return;
    }
    if (!spatial || !["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(e.key)) return;
    const dir = e.key as Direction;
    const active = document.activeElement as HTMLElement | null;
    const horizontal = dir === "ArrowLeft" || dir === "ArrowRight";
    if (active?.closest("[data-arrows=horizontal]") && horizontal) return;
    if (active instanceof HTMLSelectElement) return;
    const from = active && active !== document.body ? active : undefined;
    const target = from ? nearest(from, dir) : document.querySelector<HTMLElement>(kFocusable);
    if (target) {
      e.preventDefault();
      target.focus();
      target.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  };
  window.addEventListener("keydown", handler);
  return () => window.removeEventListener("keydown", handler);
}

// Puts the focus on the first element matching selector (or the first
// focusable one) when nothing usable has it: nothing yet, or a control
// that was just disabled under it (a remote has no pointer to recover).
export function focusFirst(root: ParentNode, selector = kFocusable): void {
  const active = document.activeElement;
  if (active && active !== document.body && !active.matches(":disabled")) return;
  root.querySelector<HTMLElement>(selector)?.focus();
}
