import { useEffect, useRef, useState } from "preact/hooks";
import { type Run, api, urls } from "./api";
import { cameraText } from "./camera_text";
import { kBeforeEvent, useCameraEvents } from "./events";
import { eventsText } from "./events_text";
import { Badge, useCameras } from "./grid";
import { StateOverlay, videoResumed } from "./live";
import { type HlsPlayer, type Player, type PlayerState, playHls, playLive } from "./player";
import { DetectionPanel } from "./detection_settings";
import { PtzControls } from "./ptz";
import { RegisterListingPanel } from "./register";
import { Sharing } from "./sharing";
import { Timeline } from "./timeline";
import { DAY, HOUR, MINUTE, SECOND, clockTime, dateTime, duration, fromLocalInput, toLocalInput } from "./time";
import { focusFirst } from "./tv";

const kSpeeds = [1, 2, 4, 8];
const kJump = 10 * SECOND;
// The bigger steps back, largest first, beside "go to a time".
const kJumpsBack = [10 * MINUTE, MINUTE];
// A playback asks for at most this much at a time, then the next window.
const kPlaybackWindow = HOUR;
const kRunsRefreshMs = 30 * SECOND;
// The longest clip the server exports.
const kMaxClip = DAY;
// The list of recordings is as old as its last poll; the run under way
// then ended at most this long before it (the store commits every second).
const kUnderWay = 5 * SECOND;
// A horizontal swipe this long (CSS px) on the picture opens the next camera.
const kSwipe = 60;
// Two taps this close (ms, CSS px) are a double tap.
const kDoubleTapMs = 350;
const kDoubleTapPx = 30;

// Live paused: the player stopped, its last frame held on a canvas.
type Mode = { kind: "live"; pausedAt?: number } | { kind: "playback"; start: number; end: number };

// The runs as the timeline and the clip see them: while the camera is
// online and was recording when the list was fetched, its newest run
// reaches now (the list lags by up to a poll).
function reachingNow(runs: Run[], fetchedAt: number, now: number, online: boolean): Run[] {
  const last = runs[runs.length - 1];
  if (!online || !last || last.end < fetchedAt - kUnderWay || last.end >= now) return runs;
  return [...runs.slice(0, -1), { ...last, end: now }];
}

// Downloads href (same origin) as a file named name.
function download(href: string, name: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

// "20261207T140203": a moment in a file name.
function fileTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

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
  const [muted, setMuted] = useState(true);
  const [state, setState] = useState<PlayerState>({ kind: "connecting" });
  const [fetched, setFetched] = useState<{ runs: Run[]; at: number }>({ runs: [], at: 0 });
  const [runsError, setRunsError] = useState("");
  const [now, setNow] = useState(Date.now());
  const [position, setPosition] = useState<number | undefined>(undefined);
  const [speed, setSpeed] = useState(1);
  const [message, setMessage] = useState("");
  const [paused, setPaused] = useState(false);
  // end undefined: the clip runs to the live edge (its start marked while
  // watching live).
  const [clip, setClip] = useState<{ start: number; end?: number }>(() => ({ start: Date.now() - MINUTE, end: Date.now() }));
  // On a phone the clip form starts closed (it would fill half the page).
  const [clipOpen, setClipOpen] = useState(() => !tv && !matchMedia("(max-width: 640px)").matches);
  const [jumpOpen, setJumpOpen] = useState(false);
  const [fullscreen, setFullscreen] = useState(false);
  const [pip, setPip] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const frozen = useRef<HTMLCanvasElement>(null);
  const lastPointer = useRef("");
  const lastTap = useRef<{ at: number; x: number; y: number } | undefined>(undefined);
  const touchStart = useRef<{ id: number; x: number; y: number } | undefined>(undefined);
  const [loadedAt] = useState(() => Date.now());
  const online = camera?.online ?? false;
  const runs = reachingNow(fetched.runs, fetched.at, now, online);
  const events = useCameraEvents(id, loadedAt - DAY, loadedAt + DAY, String(fetched.runs.length));
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
          setFetched({ runs: list, at: t });
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
    if (mode.kind === "live" && mode.pausedAt !== undefined) {
      player.current = undefined;
      return;
    }
    if (mode.kind === "live") {
      player.current = playLive(v, id, setState, "main", true);
      v.muted = muted;
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
    if (video.current) video.current.muted = muted;
  }, [muted]);

  useEffect(() => {
    const v = video.current;
    if (!v) return;
    // The default too: a media element that loads a new source falls back
    // to its default rate.
    v.defaultPlaybackRate = v.playbackRate = mode.kind === "live" ? 1 : speed;
  }, [speed, mode, state.kind]);

  // The playhead: the wall-clock time of the frame on screen. Its timer
  // reads the latest render's mode, not its closure's: the timer of the
  // mode before can fire between a switch's render and its effects.
  const latest = useRef({ mode, runs, state });
  latest.current = { mode, runs, state };
  useEffect(() => {
    const tick = () => {
      const t = Date.now();
      setNow(t);
      const { mode, runs, state } = latest.current;
      const v = video.current;
      if (mode.kind === "live" && mode.pausedAt !== undefined) return setPosition(mode.pausedAt);
      if (!v || state.kind !== "playing") return setPosition(undefined);
      if (mode.kind === "live") return setPosition(t);
      const dated = (player.current as HlsPlayer).playingDate?.();
      setPosition(dated ?? wallClockOf(runs, mode.start, mode.end, v.currentTime));
    };
    tick();
    const timer = window.setInterval(tick, 250);
    return () => clearInterval(timer);
  }, [mode, state.kind]);

  // A remote needs a focused control from the start, and again when the
  // focused one goes disabled (Live once live).
  useEffect(() => {
    if (tv) focusFirst(root.current!, ".controls button:not(:disabled)");
  }, [tv, mode.kind]);

  useEffect(() => {
    const v = video.current!;
    const onFullscreen = () => setFullscreen(document.fullscreenElement === box.current);
    const onPip = () => setPip(document.pictureInPictureElement === v);
    document.addEventListener("fullscreenchange", onFullscreen);
    v.addEventListener("enterpictureinpicture", onPip);
    v.addEventListener("leavepictureinpicture", onPip);
    return () => {
      document.removeEventListener("fullscreenchange", onFullscreen);
      v.removeEventListener("enterpictureinpicture", onPip);
      v.removeEventListener("leavepictureinpicture", onPip);
    };
  }, []);

  // On a TV the focus is always somewhere a remote can see: in full screen
  // the rest of the page is inert (its buttons lose the focus), so the
  // picture takes it; out of it, the button that changes it again.
  useEffect(() => {
    if (!tv) return;
    if (fullscreen) box.current?.focus();
    else if (document.activeElement === box.current || document.activeElement === document.body) {
      root.current?.querySelector<HTMLButtonElement>("button.fullscreen")?.focus();
    }
  }, [tv, fullscreen]);

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
        const asked = Date.now();
        api.recordings(id, t - DAY, asked).then(
          (list) => {
            setFetched({ runs: list, at: asked });
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

  const offline = camera && !camera.online;
  const livePaused = mode.kind === "live" && mode.pausedAt !== undefined;
  const togglePause = () => {
    const v = video.current!;
    if (livePaused) return goLive(); // resumed at live, not where it stopped
    if (mode.kind === "live") {
      // The picture stays, held on a canvas; the stream stops.
      const c = frozen.current!;
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      c.getContext("2d")?.drawImage(v, 0, 0);
      setMode({ kind: "live", pausedAt: position ?? Date.now() });
      return;
    }
    if (v.paused) v.play().catch(() => {});
    else v.pause();
  };

  const toggleFullscreen = () => {
    const v = video.current as HTMLVideoElement & { webkitEnterFullscreen?: () => void };
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (document.fullscreenEnabled) box.current!.requestFullscreen().catch(() => {});
    else v.webkitEnterFullscreen?.(); // iPhone Safari: the video element alone
  };
  const canFullscreen = document.fullscreenEnabled || "webkitEnterFullscreen" in HTMLVideoElement.prototype;
  const togglePip = () => {
    if (document.pictureInPictureElement) document.exitPictureInPicture().catch(() => {});
    else video.current!.requestPictureInPicture().catch(() => {});
  };

  // Live: the server's JPEG of the camera's newest keyframe (audited as a
  // snapshot); a recording or paused live: the frame on screen (its look
  // was audited when it was played).
  const snapshotProblem =
    mode.kind === "live" && !livePaused && offline ? text.snapshotOffline : !livePaused && state.kind !== "playing" ? text.snapshotNoPicture : "";
  const saveSnapshot = () => {
    const name = `${id}_${fileTime(position ?? Date.now())}.jpg`;
    if (mode.kind === "live" && !livePaused) return download(urls.snapshot(id), name);
    const v = video.current!;
    const c = livePaused ? frozen.current! : document.createElement("canvas");
    if (!livePaused) {
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      c.getContext("2d")?.drawImage(v, 0, 0);
    }
    c.toBlob(
      (blob) => {
        if (!blob) return;
        const href = URL.createObjectURL(blob);
        download(href, name);
        setTimeout(() => URL.revokeObjectURL(href), MINUTE);
      },
      "image/jpeg",
      0.92,
    );
  };

  // The minute before the click, not before the page opened.
  const recentRuns = runs.filter((r) => r.end > now - MINUTE);
  const downloadLastMinute = () => {
    const end = Date.now();
    download(urls.export(id, end - MINUTE, end), `${id}_${fileTime(end - MINUTE)}.mp4`);
  };

  // The picture: double-click or double-tap for full screen; on a touch
  // screen a horizontal swipe opens the next (left) or previous camera.
  const neighbour = (step: number) => {
    const i = cameras?.findIndex((c) => c.id === id) ?? -1;
    return i < 0 ? undefined : cameras?.[i + step];
  };
  const onBoxPointerDown = (e: PointerEvent) => {
    lastPointer.current = e.pointerType;
    if (e.pointerType === "touch" && e.isPrimary) touchStart.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
  };
  const onBoxPointerUp = (e: PointerEvent) => {
    const from = touchStart.current;
    if (e.pointerType !== "touch" || !from || from.id !== e.pointerId) return;
    touchStart.current = undefined;
    const dx = e.clientX - from.x;
    const dy = e.clientY - from.y;
    if (Math.abs(dx) >= kSwipe && Math.abs(dx) > 2 * Math.abs(dy)) {
      const next = neighbour(dx < 0 ? 1 : -1);
      if (next) location.hash = `#/camera/${encodeURIComponent(next.id)}`;
      return;
    }
    const tap = lastTap.current;
    const t = e.timeStamp; // when the finger lifted, however late the page handles it
    if (tap && t - tap.at < kDoubleTapMs && Math.hypot(e.clientX - tap.x, e.clientY - tap.y) < kDoubleTapPx) {
      lastTap.current = undefined;
      toggleFullscreen();
    } else {
      lastTap.current = { at: t, x: e.clientX, y: e.clientY };
    }
  };

  const clipEnd = clip.end ?? now;
  const clipRuns = runs.filter((r) => r.end > clip.start && r.start < clipEnd);
  const clipProblem =
    clipEnd <= clip.start
      ? text.clipBackwards
      : clipEnd - clip.start > kMaxClip
        ? text.clipTooLong(duration(kMaxClip))
        : clipRuns.length === 0
          ? text.clipEmpty
          : "";
  // A start marked while watching live runs the clip to the live edge,
  // until an end is marked; either can then be dragged on the timeline.
  const mark = (which: "start" | "end") => {
    const t = position ?? Date.now();
    if (which === "start" && mode.kind === "live" && !livePaused) setClip({ start: t });
    else setClip((c) => ({ ...c, [which]: t }));
  };

  const clipShown = { start: clip.start, end: clipEnd };
  return (
    <div
      class="camera-page"
      ref={root}
      data-mode={mode.kind}
      data-paused={livePaused ? "live" : undefined}
      data-position={position !== undefined ? Math.round(position) : undefined}
    >
      <div class="camera-head">
        <a class="back" href="#/">
          {text.back}
        </a>
        <h2 translate={false}>{camera?.name ?? id}</h2>
        {camera && <Badge camera={camera} resumed={mode.kind === "live" && videoResumed(state)} />}
        <span class="mode">
          {livePaused
            ? text.pausedLive(clockTime(mode.pausedAt!))
            : mode.kind === "live"
              ? text.live
              : text.playback(position !== undefined ? dateTime(position) : "")}
        </span>
      </div>
      <div
        class={`video-box main${fullscreen ? " fullscreen" : ""}`}
        key="video"
        ref={box}
        tabIndex={fullscreen ? -1 : undefined}
        // A touch's double tap is ours (onBoxPointerUp): not every phone
        // browser makes it a dblclick, and the one that does would toggle twice.
        onDblClick={() => lastPointer.current !== "touch" && toggleFullscreen()}
        onPointerDown={onBoxPointerDown}
        onPointerUp={onBoxPointerUp}
        onPointerCancel={() => (touchStart.current = undefined)}
      >
        <video
          ref={video}
          muted={muted}
          playsInline
          autoplay
          data-camera={id}
          onPlay={() => setPaused(false)}
          onPause={() => setPaused(true)}
        />
        <canvas ref={frozen} class="frozen" hidden={!livePaused} />
        {!livePaused && <StateOverlay state={state} camera={mode.kind === "live" ? camera : undefined} />}
      </div>
      {/* A disabled control says why in its title. */}
      <div class="controls">
        <button
          class={mode.kind === "live" && !livePaused ? "on" : ""}
          onClick={goLive}
          disabled={mode.kind === "live" && !livePaused}
          title={mode.kind === "live" && !livePaused ? text.alreadyLive : undefined}
        >
          {text.live}
        </button>
        <button onClick={() => jump(-kJump)} aria-label={text.back10Label}>
          {text.back10}
        </button>
        <button
          onClick={togglePause}
          disabled={mode.kind === "live" && !livePaused && state.kind !== "playing"}
          title={mode.kind === "live" && !livePaused && state.kind !== "playing" ? text.noLivePicture : undefined}
        >
          {livePaused ? text.resumeLive : paused && mode.kind === "playback" ? text.play : text.pause}
        </button>
        <button
          onClick={() => jump(kJump)}
          disabled={mode.kind === "live"}
          aria-label={text.forward10Label}
          title={mode.kind === "live" ? text.nothingLater : undefined}
        >
          {text.forward10}
        </button>
        <span class="speeds">
          {kSpeeds.map((s) => (
            <button
              key={s}
              class={s === speed ? "on" : ""}
              aria-pressed={s === speed}
              disabled={mode.kind === "live"}
              title={mode.kind === "live" ? text.speedsRecorded : undefined}
              onClick={() => setSpeed(s)}
            >
              {text.speed(s)}
            </button>
          ))}
        </span>
      </div>
      <div class="video-tools">
        {kJumpsBack.map((d) => (
          <button key={d} onClick={() => jump(-d)} aria-label={d === MINUTE ? text.back1mLabel : text.back10mLabel}>
            {d === MINUTE ? text.back1m : text.back10m}
          </button>
        ))}
        <button class="go-to-time" aria-expanded={jumpOpen} onClick={() => setJumpOpen(!jumpOpen)}>
          {text.goToTime}
        </button>
        {canExport && (
          <button
            class="last-minute"
            onClick={downloadLastMinute}
            disabled={recentRuns.length === 0}
            title={recentRuns.length === 0 ? text.noRecentVideo : undefined}
          >
            {text.lastMinute}
          </button>
        )}
        <button class="snapshot" onClick={saveSnapshot} disabled={snapshotProblem !== ""} title={snapshotProblem || undefined}>
          {text.snapshot}
        </button>
        {/* Muted until asked: a page never starts making sound by itself. */}
        {camera?.audio && (
          <button class="sound" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
            {muted ? text.unmute : text.mute}
          </button>
        )}
        {canFullscreen && (
          <button class="fullscreen" onClick={toggleFullscreen}>
            {fullscreen ? text.exitFullscreen : text.fullscreen}
          </button>
        )}
        {/* Hidden where the browser has no picture-in-picture. */}
        {document.pictureInPictureEnabled && (
          <button
            class="pip"
            onClick={togglePip}
            disabled={livePaused || state.kind !== "playing"}
            title={livePaused || state.kind !== "playing" ? text.snapshotNoPicture : undefined}
          >
            {pip ? text.exitPip : text.pip}
          </button>
        )}
      </div>
      {jumpOpen && (
        <JumpToTime
          label={text.goToTimeLabel}
          button={text.play}
          onJump={(t) => {
            setJumpOpen(false);
            playFrom(t);
          }}
        />
      )}
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
        clip={canExport && clipOpen ? clipShown : undefined}
        onClip={(c) => setClip(clip.end === undefined && c.end === clipEnd ? { start: c.start } : c)}
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
        <details class="clip" open={clipOpen} onToggle={(e) => setClipOpen(e.currentTarget.open)}>
          <summary>{text.downloadClip}</summary>
          <div class="clip-row">
            <TimeField label={text.from} value={clip.start} onChange={(ms) => setClip((c) => ({ ...c, start: ms }))} />
            <button onClick={() => mark("start")}>{text.markStart}</button>
            <TimeField
              label={text.to}
              value={clipEnd}
              live={clip.end === undefined ? text.toLive : undefined}
              onChange={(ms) => setClip((c) => ({ ...c, end: ms }))}
            />
            <button onClick={() => mark("end")}>{text.markEnd}</button>
            {clipProblem ? (
              <span class="error">{clipProblem}</span>
            ) : (
              <a class="button" href={urls.export(id, clip.start, clipEnd)} download>
                {text.download(duration(clipEnd - clip.start))}
              </a>
            )}
          </div>
        </details>
      )}
      {!id.includes(".") && <PtzControls camera={id} tv={tv} />}
      {canShare && !tv && <Sharing id={id} />}
      {canShare && !tv && !id.includes(".") && <RegisterListingPanel id={id} />}
      {canShare && !tv && !id.includes(".") && <DetectionPanel id={id} />}
    </div>
  );
}

// A moment of the last 24 hours by its time of day (the timeline holds no
// more): an <input type="time">, which phones open as their own picker and
// a keyboard or a remote types digits into; a time later than now is
// yesterday's.
function JumpToTime({ label, button, onJump }: { label: string; button: string; onJump: (ms: number) => void }) {
  const [value, setValue] = useState(() => toLocalInput(Date.now()).slice(11));
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <form
      class="jump-to"
      onSubmit={(e) => {
        e.preventDefault();
        const [h, m, s = 0] = value.split(":").map(Number);
        if (!Number.isFinite(h) || !Number.isFinite(m)) return;
        const d = new Date();
        d.setHours(h, m, s, 0);
        const t = d.getTime() > Date.now() ? d.getTime() - DAY : d.getTime();
        onJump(t);
      }}
    >
      <label>
        {label}
        <input
          ref={input}
          type="time"
          step="1"
          name="jump-time"
          required
          value={value}
          data-arrows="horizontal"
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </label>
      <button type="submit">{button}</button>
    </form>
  );
}

// A moment to the second, in the viewer's local time.
// live: said beside it while the moment follows the live edge.
function TimeField({ label, value, live, onChange }: { label: string; value: number; live?: string; onChange: (ms: number) => void }) {
  return (
    <label>
      {live ? `${label} · ${live}` : label}
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
