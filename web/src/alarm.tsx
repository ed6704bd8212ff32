// The household's one-key alarm (issue 15): a large button, a confirm step
// (press and hold what happened for 1 s), and the alarm's state at every
// step until the desk closes it. The confirm step is a hold, not a second
// tap: a pocket, a child or a cat taps, it rarely holds one spot for a
// second; and it is still under 2 s from the first press (a tap on Alarm,
// then a 1 s hold). On the TV the flow opens with one remote key (see
// alarmKeyFromUrl) or a long press of OK, and the hold is OK held down.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type Alarm, type AlarmKind, ApiError, type Me, api } from "./api";
import { alarmText } from "./alarm_text";
import { useAlarmFeed } from "./alarm_feed";
import { DAY, SECOND, clockTime } from "./time";

export const kHoldMs = SECOND;
const kKinds: AlarmKind[] = ["medical", "fire", "intrusion", "other"];
const kDismissedKey = "vigil.alarm.dismissed"; // closed alarms this browser no longer shows
const kKeyStorage = "vigil.alarm.key";
const kDefaultKey = "ColorF0Red";
// The red key's code on webOS, Tizen and HbbTV remotes (VK_RED), for
// browsers that do not name it.
const kRedKeyCode = 403;

// The remote key that raises the alarm flow in TV mode: ?alarmkey=NAME (a
// KeyboardEvent.key, e.g. ColorF0Red, F1, or "none" for OK's long press
// only) sets it and it is remembered (localStorage "vigil.alarm.key");
// the red colour key by default.
export function alarmKeyFromUrl(): string {
  const key = new URLSearchParams(location.search).get("alarmkey");
  if (key) localStorage.setItem(kKeyStorage, key);
  return localStorage.getItem(kKeyStorage) || kDefaultKey;
}

function isAlarmKey(e: KeyboardEvent, key: string): boolean {
  if (key === "none") return false;
  return e.key === key || (key === kDefaultKey && e.keyCode === kRedKeyCode);
}

// TV mode: the configured key, or OK (Enter) held for kHoldMs, calls onAlarm.
// OK's first press still does what it does (a tile opens its camera); the
// flow then opens over that page.
export function installAlarmKeys(key: string, onAlarm: () => void): () => void {
  let okDownAt: number | undefined;
  let fired = false;
  const held = () => okDownAt !== undefined && !fired && performance.now() - okDownAt >= kHoldMs;
  const down = (e: KeyboardEvent) => {
    if (isAlarmKey(e, key)) {
      e.preventDefault();
      onAlarm();
      return;
    }
    if (e.key !== "Enter") return;
    // A held OK is one press: its repeats click nothing.
    if (e.repeat) e.preventDefault();
    if (!e.repeat) {
      // A press begun in the flow is the flow's (a kind held to send): it
      // must not open the flow again once the alarm is sent.
      const inFlow = e.target instanceof Element && e.target.closest(".alarm-flow");
      okDownAt = inFlow ? undefined : performance.now();
      fired = false;
    } else if (held()) {
      fired = true;
      onAlarm();
    }
  };
  const up = (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    // Remotes that send no repeats while a key is held: the release tells.
    if (held()) onAlarm();
    okDownAt = undefined;
  };
  window.addEventListener("keydown", down);
  window.addEventListener("keyup", up);
  return () => {
    window.removeEventListener("keydown", down);
    window.removeEventListener("keyup", up);
  };
}

// Whether this node raises alarms (a household: one without a parent is
// told so when it tries) and whether it has a duty desk for this user (a
// village, township or county, for an operator or admin): /api/v1/me says
// the node's tier.
export function alarmRoles(me: Me | null | undefined): { raises: boolean; desk: boolean } {
  if (!me) return { raises: false, desk: false };
  const household = me.tier === "household";
  return { raises: household, desk: !household && me.role !== "viewer" };
}

// The large button that opens the flow (the grid page's top).
export function AlarmButton({ onOpen }: { onOpen: () => void }) {
  const t = alarmText();
  // A click whose press began elsewhere is not this button's: a finger
  // still on a kind of the flow, lifted after the flow closed with this
  // button under it, would open the flow again. Keys click with detail 0.
  const pressed = useRef(false);
  return (
    <button
      class="alarm-button"
      onPointerDown={() => (pressed.current = true)}
      onClick={(e) => {
        if (e.detail > 0 && !pressed.current) return;
        pressed.current = false;
        onOpen();
      }}
      title={t.buttonHint}
    >
      <span class="alarm-icon" aria-hidden="true">
        !
      </span>
      {t.button}
    </button>
  );
}

// A button that acts only when held kHoldMs: pointer (mouse, touch, pen)
// down, or Enter/Space down on the focused button; released early, it
// calls onTooShort. A fill shows the hold's progress (class "holding").
function HoldButton({ onHeld, onTooShort, children, kind }: { onHeld: () => void; onTooShort: () => void; children: ComponentChildren; kind: string }) {
  const [holding, setHolding] = useState(false);
  const timer = useRef(0);
  const start = () => {
    if (timer.current) return;
    setHolding(true);
    timer.current = window.setTimeout(() => {
      timer.current = 0;
      setHolding(false);
      onHeld();
    }, kHoldMs);
  };
  const stop = () => {
    if (!timer.current) return;
    clearTimeout(timer.current);
    timer.current = 0;
    setHolding(false);
    onTooShort();
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  const isPress = (e: KeyboardEvent) => e.key === "Enter" || e.key === " ";
  return (
    <button
      class={`hold kind-${kind}${holding ? " holding" : ""}`}
      data-kind={kind}
      style={{ "--hold-ms": `${kHoldMs}ms` }}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture?.(e.pointerId);
        start();
      }}
      onPointerUp={stop}
      onPointerCancel={stop}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        if (!isPress(e)) return;
        e.preventDefault(); // no click: the hold decides
        if (!e.repeat) start();
      }}
      onKeyUp={(e) => isPress(e) && stop()}
    >
      <span class="fill" aria-hidden="true" />
      <span class="label">{children}</span>
    </button>
  );
}

// The confirm step: what happened, each a button to hold. Back, Escape
// or Cancel closes it; onRaised gets the new alarm's id.
export function AlarmFlow({ onClose, onRaised }: { onClose: () => void; onRaised: (id: string) => void }) {
  const [hint, setHint] = useState("");
  const [sending, setSending] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const t = alarmText();

  useEffect(() => {
    root.current?.querySelector<HTMLElement>("button.hold")?.focus();
    // Before the app's keys: Back closes the flow, not the page.
    const back = (e: KeyboardEvent) => {
      if (["Escape", "BrowserBack", "GoBack"].includes(e.key) || e.keyCode === 461 || e.keyCode === 10009) {
        e.preventDefault();
        e.stopImmediatePropagation();
        onClose();
      }
    };
    window.addEventListener("keydown", back, true);
    return () => window.removeEventListener("keydown", back, true);
  }, []);

  const raise = async (kind: AlarmKind) => {
    setSending(true);
    setHint(t.sending);
    try {
      const { id } = await api.raiseAlarm(kind);
      onRaised(id);
      onClose();
    } catch (e) {
      setSending(false);
      const why = e instanceof ApiError && e.status === 409 ? t.noParent : e instanceof Error ? e.message : String(e);
      setHint(t.notSent(why));
    }
  };

  return (
    <div class="alarm-flow" role="dialog" aria-modal="true" aria-labelledby="alarm-flow-title" ref={root}>
      <h2 id="alarm-flow-title">{t.title}</h2>
      <p class="how-to">{t.howTo}</p>
      <div class="kinds">
        {kKinds.map((k) => (
          <HoldButton key={k} kind={k} onHeld={() => !sending && raise(k)} onTooShort={() => !sending && setHint(t.tooShort)}>
            {t.kinds[k]}
          </HoldButton>
        ))}
      </div>
      <p class="hint" role="status">
        {hint}
      </p>
      <button class="cancel" onClick={onClose}>
        {t.cancel}
      </button>
    </div>
  );
}

function dismissed(): string[] {
  try {
    const ids = JSON.parse(localStorage.getItem(kDismissedKey) ?? "[]");
    return Array.isArray(ids) ? ids.map(String) : [];
  } catch {
    return [];
  }
}

// The alarms raised at this node, live; a closed one stays until
// dismissed, for a day. `track` shows a just-raised alarm at once.
const ownAlarms = () => api.alarms({ limit: 100 });
const shownHere = (a: Alarm) => a.origin && (a.state !== "closed" || Date.parse(a.closed_at ?? a.raised_at) > Date.now() - DAY);

export function useOwnAlarms(enabled: boolean): { alarms: Alarm[]; track: (id: string) => void; dismiss: (id: string) => void } {
  const feed = useAlarmFeed(enabled, ownAlarms, shownHere);
  const [hidden, setHidden] = useState(dismissed);
  return {
    alarms: (feed.alarms ?? []).filter((a) => !hidden.includes(a.id)),
    track: (id: string) => {
      api.alarm(id).then(feed.put, () => {});
    },
    dismiss: (id: string) => {
      const ids = [...dismissed(), id].slice(-100);
      localStorage.setItem(kDismissedKey, JSON.stringify(ids));
      setHidden(ids);
    },
  };
}

// Where the alarm is now, in one line.
export function alarmStep(a: Alarm): string {
  const t = alarmText();
  if (a.state === "closed") return t.closed(a.outcome ?? "");
  if (a.state === "acknowledged") return t.acknowledged(a.acknowledged_by ?? "");
  if (a.escalated_to) return t.escalated(a.escalated_to);
  if (a.delivery === "delivered") return t.delivered;
  if (a.delivery === "sent") return t.sent;
  return t.stored;
}

// This node's alarms and where each is, on every page until dismissed
// once closed.
export function AlarmStatus({ alarms, onDismiss }: { alarms: Alarm[]; onDismiss: (id: string) => void }) {
  if (alarms.length === 0) return null;
  const t = alarmText();
  return (
    <section class="alarm-status" aria-live="assertive">
      {alarms.map((a) => (
        <div key={a.id} class={`own-alarm state-${a.state}`} data-alarm={a.id} data-state={a.state} data-delivery={a.delivery ?? ""}>
          <p class="heading">{t.heading(t.kinds[a.kind] ?? a.kind, clockTime(Date.parse(a.raised_at)))}</p>
          <p class="step" role="status">
            {alarmStep(a)}
          </p>
          {a.state === "acknowledged" && a.assigned_to && <p class="assigned">{t.assigned(a.assigned_to)}</p>}
          {a.notes.map((n) => (
            <p key={n.at + n.by} class="note">
              {t.note(n.by, n.text)}
            </p>
          ))}
          {a.state === "closed" && <button onClick={() => onDismiss(a.id)}>{t.dismiss}</button>}
        </div>
      ))}
    </section>
  );
}
