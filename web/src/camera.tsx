import { useEffect, useRef, useState } from "preact/hooks";
import { type Run, api, urls } from "./api";
import { cameraText } from "./camera_text";
import { kBeforeEvent, useCameraEvents } from "./events";
import { eventsText } from "./events_text";
import { Badge, useCameras } from "./grid";
import { StateOverlay } from "./live";
import { type HlsPlayer, type Player, type PlayerState, playHls, playLive } from "./player";
import { DetectionPanel } from "./detection_settings";
import { Sharing } from "./sharing";
import { Timeline } from "./timeline";
import { DAY, HOUR, MINUTE, SECOND, clockTime, dateTime, duration, fromLocalInput, toLocalInput } from "./time";
import { focusFirst } from "./tv";

const kSpeeds = [1, 2, 4, 8];
const kJump = 10 * SECOND;
// A playback asks for at most this much at a time, then the next window.
const kPlaybackWindow = HOUR;
const kRunsRefreshMs = 30 * SECOND;
// The longest clip the server exports.
const kMaxClip = DAY;

type Mode = { kind: "live" } | { kind: "playback"; start: number; end: number };

// The run holding t, or else the first one after it.
function runFrom(runs: Run[], t: number): Run | undefined {
  return runs.find((r) => r.end > t);
}

// Where media time `seconds` of a playback of [start, end) falls on the
// wall clock, when the playlist has no dates: the recorded runs laid end to
// end.
function wallClockOf(runs: Run[], start: number, end: number, seconds: number): number {
  let left = seconds * 1000;
  for (const r of runs) {
    const a = Math.max(r.start, start);
    const b = Math.min(r.end, end);
    if (b <= a) continue;
    if (left < b - a) return a + left;
    left -= b - a;
  }
  return end;
}

// canExport: the user's role may download clips (operators and admins);
// canShare: may set what the tiers above see of it (admins); from: a
// moment to play from (an event's) instead of live.
export function CameraView({ id, from, tv, canExport, canShare }: { id: string; from?: number; tv: boolean; canExport: boolean; canShare: boolean }) {
  const { cameras } = useCameras();
  const camera = cameras?.find((c) => c.id === id);
  const video = useRef<HTMLVideoElement>(null);
  const player = useRef<Player | HlsPlayer | undefined>(undefined);
  const root = useRef<HTMLDivElement>(null);
  const [mode, setMode] = useState<Mode>({ kind: "live" });
  const [state, setState] = useState<PlayerState>({ kind: "connecting" });
  const [runs, setRuns] = useState<Run[]>([]);
  const [runsError, setRunsError] = useState("");
  const [now, setNow] = useState(Date.now());
  const [position, setPosition] = useState<number | undefined>(undefined);
  const [speed, setSpeed] = useState(1);
  const [message, setMessage] = useState("");
  const [paused, setPaused] = useState(false);
  const [clip, setClip] = useState(() => ({ start: Date.now() - MINUTE, end: Date.now() }));
  const [loadedAt] = useState(() => Date.now());
  const events = useCameraEvents(id, loadedAt - DAY, loadedAt + DAY, String(runs.length));
  const startedFrom = useRef(false);
  const text = cameraText();

  // Recordings of the last 24 hours.
  useEffect(() => {
    let timer = 0;
    let live = true;
    const load = () => {
      const t = Date.now();
      api.recordings(id, t - DAY, t).then(
        (list) => {
          if (!live) return;
          setRuns(list);
          setRunsError("");
        },
        (e) => live && setRunsError(cameraText().recordingsUnavailable(e.message)),
      );
      timer = window.setTimeout(load, kRunsRefreshMs);
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);

  // Opened to play a moment (an event's): once the recordings are known.
  useEffect(() => {
    if (from === undefined || startedFrom.current || runs.length === 0) return;
    startedFrom.current = true;
    playFrom(from);
  }, [from, runs]);

  // The player for the current mode.
  useEffect(() => {
    const v = video.current!;
    if (mode.kind === "live") {
      player.current = playLive(v, id, setState);
    } else {
      const p = playHls(v, urls.playback(id, mode.start, mode.end), { live: false, preferNative: false }, setState);
      player.current = p;
      const onEnded = () => {
        if (mode.end >= Date.now() - kJump) goLive();
        else playFrom(mode.end, false);
      };
      v.addEventListener("ended", onEnded);
      const stop = p.stop;
      p.stop = () => {
        v.removeEventListener("ended", onEnded);
        stop();
      };
    }
    return () => player.current?.stop();
  }, [id, mode]);

  useEffect(() => {
    const v = video.current;
    if (!v) return;
    // The default too: a media element that loads a new source falls back
    // to its default rate.
    v.defaultPlaybackRate = v.playbackRate = mode.kind === "live" ? 1 : speed;
  }, [speed, mode, state.kind]);

  // The playhead: the wall-clock time of the frame on screen.
  useEffect(() => {
    const tick = () => {
      const t = Date.now();
      setNow(t);
      const v = video.current;
      if (!v || state.kind !== "playing") return setPosition(undefined);
      if (mode.kind === "live") return setPosition(t);
      const dated = (player.current as HlsPlayer).playingDate?.();
      setPosition(dated ?? wallClockOf(runs, mode.start, mode.end, v.currentTime));
    };
    tick();
    const timer = window.setInterval(tick, 250);
    return () => clearInterval(timer);
  }, [mode, runs, state.kind]);

  // A remote needs a focused control from the start, and again when the
  // focused one goes disabled (Live once live).
  useEffect(() => {
    if (tv) focusFirst(root.current!, ".controls button:not(:disabled)");
  }, [tv, mode.kind]);

  function goLive() {
    setMessage("");
    setSpeed(1);
    switchTo({ kind: "live" });
  }

  // Plays recorded video from t; a moment without video plays from the
  // next recording, and says so.
  function playFrom(t: number, explain = true, recorded = runs) {
    const run = runFrom(recorded, t);
    if (!run) {
      setMessage(cameraText().noVideoAt(clockTime(t)));
      if (mode.kind === "playback") goLive();
      return;
    }
    const from = Math.max(t, run.start);
    setMessage(
      explain && from > t + SECOND ? cameraText().playingNext(clockTime(t), clockTime(from)) : "",
    );
    switchTo({ kind: "playback", start: from, end: Math.min(from + kPlaybackWindow, Date.now()) });
  }

  // The player's state and the playhead go with the mode in one render: the
  // new mode must not show the old one's position (live's is now).
  function switchTo(next: Mode) {
    setState({ kind: "connecting" });
    setPosition(undefined);
    setMode(next);
  }

  const jump = (delta: number) => {
    const v = video.current!;
    if (mode.kind === "live") {
      if (delta < 0) {
        // The list of recordings can be up to kRunsRefreshMs old, older than
        // the moment asked for: the recording under way has grown since.
        const t = Date.now() + delta;
        api.recordings(id, t - DAY, Date.now()).then(
          (list) => {
            setRuns(list);
            playFrom(t, true, list);
          },
          () => playFrom(t),
        );
      }
      return;
    }
    const target = v.currentTime + delta / 1000;
    if (target >= 0 && target < (v.duration || 0)) {
      v.currentTime = target;
    } else if (position !== undefined) {
      const t = position + delta;
      if (t >= Date.now() - kJump) goLive();
      else playFrom(t);
    }
  };

  const togglePause = () => {
    const v = video.current!;
    if (v.paused) v.play().catch(() => {});
    else v.pause();
  };

  const clipRuns = runs.filter((r) => r.end > clip.start && r.start < clip.end);
  const clipProblem =
    clip.end <= clip.start
      ? text.clipBackwards
      : clip.end - clip.start > kMaxClip
        ? text.clipTooLong(duration(kMaxClip))
        : clipRuns.length === 0
          ? text.clipEmpty
          : "";
  const mark = (which: "start" | "end") => {
    const t = position ?? Date.now();
    setClip((c) => ({ ...c, [which]: t }));
  };

  const offline = camera && !camera.online;
  return (
    <div class="camera-page" ref={root} data-mode={mode.kind} data-position={position !== undefined ? Math.round(position) : undefined}>
      <div class="camera-head">
        <a class="back" href="#/">
          {text.back}
        </a>
        <h2 translate={false}>{camera?.name ?? id}</h2>
        {camera && <Badge camera={camera} />}
        <span class="mode">
          {mode.kind === "live" ? text.live : text.playback(position !== undefined ? dateTime(position) : "")}
        </span>
      </div>
      <div class="video-box main" key="video">
        <video
          ref={video}
          muted
          playsInline
          autoplay
          data-camera={id}
          onPlay={() => setPaused(false)}
          onPause={() => setPaused(true)}
        />
        <StateOverlay state={state} />
        {offline && mode.kind === "live" && (
          <div class="overlay offline">{text.viewOffline(camera.reason)}</div>
        )}
      </div>
      <div class="controls">
        <button class={mode.kind === "live" ? "on" : ""} onClick={goLive} disabled={mode.kind === "live"}>
          {text.live}
        </button>
        <button onClick={() => jump(-kJump)} aria-label={text.back10Label}>
          {text.back10}
        </button>
        <button onClick={togglePause} disabled={mode.kind === "live"}>
          {paused && mode.kind === "playback" ? text.play : text.pause}
        </button>
        <button onClick={() => jump(kJump)} disabled={mode.kind === "live"} aria-label={text.forward10Label}>
          {text.forward10}
        </button>
        <span class="speeds">
          {kSpeeds.map((s) => (
            <button
              key={s}
              class={s === speed ? "on" : ""}
              aria-pressed={s === speed}
              disabled={mode.kind === "live"}
              onClick={() => setSpeed(s)}
            >
              {text.speed(s)}
            </button>
          ))}
        </span>
      </div>
      {message !== "" && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      {runsError !== "" && <p class="error">{runsError}</p>}
      <Timeline
        key="timeline"
        runs={runs}
        now={now}
        position={position}
        clip={clip}
        onSeek={playFrom}
        marks={events.map((e) => ({
          id: e.id,
          at: Date.parse(e.start),
          title: eventsText().markTitle(eventsText().labels[e.label], clockTime(Date.parse(e.start))),
        }))}
        onMark={(at) => playFrom(at - kBeforeEvent)}
      />
      {runs.length === 0 && !runsError && <p class="empty">{text.noRecordings}</p>}
      {canExport && (
        <details class="clip" open={!tv}>
          <summary>{text.downloadClip}</summary>
          <div class="clip-row">
            <TimeField label={text.from} value={clip.start} onChange={(ms) => setClip((c) => ({ ...c, start: ms }))} />
            <button onClick={() => mark("start")}>{text.markStart}</button>
            <TimeField label={text.to} value={clip.end} onChange={(ms) => setClip((c) => ({ ...c, end: ms }))} />
            <button onClick={() => mark("end")}>{text.markEnd}</button>
            {clipProblem ? (
              <span class="error">{clipProblem}</span>
            ) : (
              <a class="button" href={urls.export(id, clip.start, clip.end)} download>
                {text.download(duration(clip.end - clip.start))}
              </a>
            )}
          </div>
        </details>
      )}
      {canShare && !tv && <Sharing id={id} />}
      {canShare && !tv && !id.includes(".") && <DetectionPanel id={id} />}
    </div>
  );
}

// A moment to the second, in the viewer's local time.
function TimeField({ label, value, onChange }: { label: string; value: number; onChange: (ms: number) => void }) {
  return (
    <label>
      {label}
      <input
        type="datetime-local"
        step="1"
        value={toLocalInput(value)}
        onChange={(e) => {
          const t = fromLocalInput(e.currentTarget.value);
          if (t !== undefined) onChange(t);
        }}
      />
    </label>
  );
}
