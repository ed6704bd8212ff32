// A camera's state in words people understand (design/ARCHITECTURE.md
// "Camera states"): "Offline since 14:02 · the camera does not answer",
// "Never connected · wrong password", from the camera list's since,
// ever_streamed and reason_code, never the raw network error.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Camera } from "./api";
import { type ReasonCode, stateText } from "./state_text";
import { DAY, clockTime, dateTime } from "./time";

// "14:02" today, the date with it before.
function sinceText(ms: number): string {
  return Date.now() - ms < DAY && new Date(ms).getDate() === new Date().getDate() ? clockTime(ms, false) : dateTime(ms);
}

function reasonText(code: string | undefined): string | undefined {
  if (!code || code === "storage_full") return undefined;
  return stateText().reasons[code as ReasonCode] ?? stateText().reasons.refused;
}

// Undefined while it streams, and while a camera that never streamed makes
// its first attempt (the player says "Connecting…" then).
export function offlineLine(camera: Camera): string | undefined {
  if (camera.online) return undefined;
  const t = stateText();
  const reason = reasonText(camera.reason_code);
  let head: string;
  if (camera.ever_streamed === false) {
    if (!reason) return undefined;
    head = t.neverConnected;
  } else {
    // A camera of a node below carries no since.
    head = camera.since ? t.offlineSince(sinceText(Date.parse(camera.since))) : t.offline;
  }
  return reason ? `${head} · ${reason}` : head;
}

// The optional browser notification when a camera goes offline: turned on
// by a button (the browser asks for permission then, never on load) and
// remembered in this browser.
const kNotifyKey = "vigil.notify.offline";
const notifications = () => ("Notification" in window ? Notification : undefined);

export function useOfflineNotifications(cameras: Camera[] | undefined): void {
  const wasOnline = useRef(new Map<string, boolean>());
  useEffect(() => {
    if (!cameras) return;
    const on = localStorage.getItem(kNotifyKey) === "1" && notifications()?.permission === "granted";
    for (const c of cameras) {
      if (on && wasOnline.current.get(c.id) === true && !c.online) {
        new Notification(stateText().notifyTitle(c.name), { body: offlineLine(c) ?? "", tag: `vigil-offline-${c.id}` });
      }
      wasOnline.current.set(c.id, c.online);
    }
  }, [cameras]);
}

export function NotifyOfflineButton() {
  const N = notifications();
  const [on, setOn] = useState(() => localStorage.getItem(kNotifyKey) === "1" && N?.permission === "granted");
  if (!N) return null;
  const t = stateText();
  if (N.permission === "denied") return <span class="notify-offline blocked">{t.notifyBlocked}</span>;
  return (
    <button
      class={`notify-offline${on ? " on" : ""}`}
      aria-pressed={on}
      onClick={async () => {
        if (on) {
          localStorage.removeItem(kNotifyKey);
          setOn(false);
          return;
        }
        if ((await N.requestPermission()) !== "granted") return setOn(false);
        localStorage.setItem(kNotifyKey, "1");
        setOn(true);
      }}
    >
      {on ? t.notifyOn : t.notifyAsk}
    </button>
  );
}
