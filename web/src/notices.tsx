// Emergency broadcasts and notices at home (应急广播, issue 15 item 5): the
// notices this node received from the tiers above, polled on every page.
// An urgent one not yet seen takes the whole screen (TV mode included)
// with its text, sender and time, its voice message and a repeating
// attention sound until dismissed (a button, or Back on a remote); normal
// ones wait in the list (#/notices) and are seen once shown there. Seen is
// told to the node (POST .../seen), which sends the receipt up.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { type Broadcast, api, broadcastPath } from "./api";
import { useAlarmSound } from "./alarm_sound";
import { broadcastText } from "./broadcast_text";
import { usePoll } from "./poll";
import { isBackKey } from "./tv";
import { SECOND, dateTime } from "./time";

const kPollMs = 2 * SECOND;

export const when = (rfc3339: string | null | undefined) => (rfc3339 ? dateTime(Date.parse(rfc3339)) : "");
export const expired = (b: Broadcast) => b.expires_at !== null && Date.parse(b.expires_at) <= Date.now();

export type Broadcasts = ReturnType<typeof useBroadcasts>;

// GET /api/v1/broadcasts every kPollMs while `enabled`: what this node
// received and what it sent, newest first. `seen` marks a received notice
// seen here at once and tells the node; a call that failed is made again
// at each poll until the node lists it seen.
export function useBroadcasts(enabled: boolean) {
  const { value: list, error } = usePoll(enabled, api.broadcasts, kPollMs);
  const seenHere = useRef(new Set<string>());
  const [, setSeenCount] = useState(0);
  useEffect(() => {
    for (const b of list ?? []) if (b.direction === "received" && !b.seen_at && seenHere.current.has(b.id)) api.seeBroadcast(b.id).catch(() => {});
  }, [list]);

  const received = (list ?? [])
    .filter((b) => b.direction === "received")
    .map((b) => (!b.seen_at && seenHere.current.has(b.id) ? { ...b, seen_at: new Date().toISOString() } : b));
  // The oldest urgent one not seen (one at a time, in the order sent).
  const urgent = received
    .filter((b) => b.priority === "urgent" && !b.seen_at && !expired(b))
    .sort((a, b) => Date.parse(a.sent_at) - Date.parse(b.sent_at))[0];
  return {
    loaded: list !== undefined,
    received,
    sent: (list ?? []).filter((b) => b.direction === "sent"),
    unseen: received.filter((b) => !b.seen_at && !expired(b)).length,
    urgent,
    error,
    seen: (id: string) => {
      if (seenHere.current.has(id)) return;
      seenHere.current.add(id);
      setSeenCount(seenHere.current.size);
      api.seeBroadcast(id).catch(() => {});
    },
  };
}

// A notice's voice message, played once at once; "blocked" while the
// browser refuses to play before an interaction (the caller says so and
// calls play() on the first key or tap). The state is on <audio
// data-state> too (tests read it).
type VoiceState = "idle" | "playing" | "paused" | "ended" | "blocked";
function useVoice(notice: Broadcast) {
  const audio = useRef<HTMLAudioElement>(null);
  const [state, setState] = useState<VoiceState>("idle");
  const play = () => {
    const a = audio.current;
    if (!a) return;
    a.currentTime = 0;
    a.play().catch((e) => {
      if (e instanceof DOMException && e.name === "NotAllowedError") setState("blocked");
    });
  };
  // In the task that made the element, before it asks for the audio: what
  // the browser decides is known by the time anyone sees that request.
  useLayoutEffect(play, [notice.id]);
  const element = notice.has_audio ? (
    <audio
      ref={audio}
      src={`${broadcastPath(notice.id)}/audio`}
      preload="auto"
      data-state={state}
      onPlaying={() => setState("playing")}
      onPause={() => setState((s) => (s === "playing" ? "paused" : s))}
      onEnded={() => setState("ended")}
    />
  ) : null;
  return { element, playing: state === "playing", blocked: state === "blocked", play };
}

// The urgent notice over everything: the page behind is inert (main.tsx).
// Back (Escape, a remote's Back) or the button dismisses it; until the
// browser lets sound play, the first other key only turns the sound on
// (a remote's OK must not dismiss unread what the user could not hear).
export function NoticeTakeover({ notice, tv, onDismiss }: { notice: Broadcast; tv: boolean; onDismiss: () => void }) {
  const t = broadcastText();
  const root = useRef<HTMLDivElement>(null);
  const voice = useVoice(notice);
  const sound = useAlarmSound(!voice.playing, "notice");
  const locked = sound === "suspended" || voice.blocked;
  const state = useRef({ locked, voice, onDismiss });
  state.current = { locked, voice, onDismiss };

  useEffect(() => {
    root.current?.querySelector<HTMLElement>("button.dismiss")?.focus();
    // Before the app's keys (capture), so Back dismisses this, not the page.
    const key = (e: KeyboardEvent) => {
      const s = state.current;
      if (isBackKey(e, tv)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        s.onDismiss();
      } else if (s.locked) {
        e.preventDefault();
        e.stopImmediatePropagation();
        s.voice.play();
      }
    };
    const tap = () => state.current.locked && state.current.voice.play();
    window.addEventListener("keydown", key, true);
    window.addEventListener("pointerdown", tap, true);
    return () => {
      window.removeEventListener("keydown", key, true);
      window.removeEventListener("pointerdown", tap, true);
    };
  }, [notice.id, tv]);

  return (
    <div class="notice-takeover" role="alertdialog" aria-modal="true" aria-labelledby="notice-takeover-title" data-notice={notice.id} ref={root}>
      <h2 id="notice-takeover-title">{t.urgentTitle}</h2>
      <p class="notice-text">{notice.text}</p>
      <p class="notice-from">{t.from(notice.from, when(notice.sent_at))}</p>
      {voice.element}
      {locked && (
        <p class="enable-sound" role="status">
          {t.enableSound}
        </p>
      )}
      {sound === "unavailable" && <p class="enable-sound">{t.noSound}</p>}
      {!locked && voice.playing && <p class="playing">{t.playing}</p>}
      <div class="takeover-actions">
        <button class="dismiss" onClick={onDismiss}>
          {t.dismiss}
        </button>
        {notice.has_audio && !locked && (
          <button class="play-again" onClick={voice.play} disabled={voice.playing}>
            {t.playAgain}
          </button>
        )}
      </div>
      <p class="hint">{t.dismissHint}</p>
    </div>
  );
}

// The notices received, newest first; the normal ones not seen are seen
// once shown here (still marked new while the page stays open). Urgent
// ones are seen only by dismissing them over the screen.
export function Notices({ notices }: { notices: Broadcasts }) {
  const t = broadcastText();
  const [fresh] = useState(() => new Set<string>());
  const shown = notices.received;
  useEffect(() => {
    for (const b of shown) {
      if (b.seen_at || b.priority === "urgent" || expired(b)) continue;
      fresh.add(b.id);
      notices.seen(b.id);
    }
  }, [shown.map((b) => b.id + (b.seen_at ? "s" : "")).join()]);

  return (
    <div class="audit-page notices-page">
      <h2>{t.title}</h2>
      {notices.error !== "" && (
        <p class="error" role="alert">
          {notices.error}
        </p>
      )}
      {notices.loaded && shown.length === 0 && <p class="empty">{t.none}</p>}
      <ul class="notice-list">
        {shown.map((b) => (
          <li
            key={b.id}
            class={`notice-item priority-${b.priority}${fresh.has(b.id) ? " new" : ""}${expired(b) ? " expired" : ""}`}
            data-notice={b.id}
            data-seen={b.seen_at ? "1" : "0"}
          >
            <p class="notice-meta">
              {fresh.has(b.id) && <span class="badge new-notice">{t.isNew}</span>}
              {b.priority === "urgent" && <span class="badge urgent">{t.urgent}</span>}
              {expired(b) && <span class="badge">{t.expired}</span>} {t.from(b.from, when(b.sent_at))}
            </p>
            <p class="notice-text">{b.text}</p>
            {b.has_audio && (
              <label class="notice-audio">
                {t.audio}
                <audio controls preload="none" src={`${broadcastPath(b.id)}/audio`} />
              </label>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
