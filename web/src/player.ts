// Video into a <video> element: live over a WebSocket into Media Source
// Extensions (the fast path), HLS natively or with hls.js (browsers without
// MSE, such as iOS Safari, and recorded video).
import type Hls from "hls.js";
import { ApiError, type LiveStreamChoice, api, sessionExpired, urls } from "./api";
import { offlineLine } from "./camera_state";
import type { CameraText } from "./camera_text";
import { stateText } from "./state_text";

// What went wrong, said in the language of the moment when shown (a
// switch of language rewrites a message already on screen).
export type Say = (t: CameraText) => string;
const verbatim = (text: string): Say => () => text;

export type PlayerState =
  | { kind: "connecting" }
  // resumed: frames came again on this connection after a pause, so they
  // are the camera's new ones (a new connection starts with the cached
  // GOP, which an offline camera's viewer is sent too).
  | { kind: "playing"; resumed?: boolean }
  | { kind: "offline"; message: Say }
  | { kind: "error"; message: Say };

export interface Player {
  stop(): void;
}

// Stay this close to the newest frame: a live tile that falls further
// behind (a background tab, a slow decoder) jumps forward.
const kMaxLiveLagSeconds = 1.5;
const kJumpTargetLagSeconds = 0.3;
// Buffer kept behind the playhead; older media is removed.
const kKeepBehindSeconds = 10;
// No media for this long: "waiting for video" (the camera list says why).
const kQuietMs = 3_000;
// Media after a pause this long on one connection is the camera's own,
// new video (a tile then clears before the camera list says so), and so is
// a new connection's first media that came this long after it opened: the
// server keeps no cached GOP of a session that ended (design/REGISTER.md,
// invariant 12), so that media is of the camera's session now, back after
// an outage. A camera under 4 fps pauses this long between frames:
// harmless, its video is new too.
const kResumeGapMs = 250;
// No media for this long: the connection is presumed dead and reopened,
// unless the server says the camera is offline. Then the socket is kept:
// the camera's first frames come on it the moment it is back, where a
// reconnect would wait out a backoff (the 12 s a returning tile took).
const kStallMs = 10_000;
const kMaxRetryMs = 10_000;

type MediaSourceClass = typeof MediaSource;

function mediaSourceClass(): MediaSourceClass | undefined {
  const w = window as unknown as { MediaSource?: MediaSourceClass; ManagedMediaSource?: MediaSourceClass };
  return w.MediaSource ?? w.ManagedMediaSource;
}

function canPlayNativeHls(video: HTMLVideoElement): boolean {
  return video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

// Records when the element showed its first decoded frame, in ms since
// navigation start (data-first-frame-ms): the "first frame shown" figure.
function markFirstFrame(video: HTMLVideoElement): void {
  delete video.dataset.firstFrameMs;
  const v = video as HTMLVideoElement & {
    requestVideoFrameCallback?: (cb: (now: number) => void) => number;
  };
  if (v.requestVideoFrameCallback) {
    v.requestVideoFrameCallback((now) => (video.dataset.firstFrameMs = String(Math.round(now))));
  } else {
    video.addEventListener("playing", () => (video.dataset.firstFrameMs = String(Math.round(performance.now()))), {
      once: true,
    });
  }
}

function resetVideo(video: HTMLVideoElement): void {
  video.pause();
  video.removeAttribute("src");
  video.load();
}

// Live video of one camera. MSE over WebSocket where the browser has MSE;
// otherwise (or with ?transport=hls in the page's URL) live.m3u8, natively
// where the browser plays HLS, else with hls.js. stream "sub": the
// camera's sub stream while it streams (the server falls back to the main
// one; a view whose sub stream stops stalls and reconnects to the main).
// audio: with the camera's sound, the element muted until the page
// unmutes it.
export function playLive(
  video: HTMLVideoElement,
  camera: string,
  onState: (s: PlayerState) => void,
  stream: LiveStreamChoice = "main",
  audio = false,
): Player {
  const forceHls = new URLSearchParams(location.search).get("transport") === "hls";
  const MS = mediaSourceClass();
  if (MS && !forceHls) return new WebSocketPlayer(video, camera, MS, onState, stream, audio);
  return playHls(video, urls.liveHls(camera, stream, audio), { live: true, preferNative: true }, onState);
}

type Op = { kind: "append"; data: ArrayBuffer } | { kind: "changeType"; mime: string } | { kind: "remove"; end: number };

class WebSocketPlayer implements Player {
  private ws?: WebSocket;
  private ms?: MediaSource;
  private sb?: SourceBuffer;
  private objectUrl?: string;
  private mime?: string;
  private queue: Op[] = [];
  private expectInit = false;
  private stopped = false;
  private retryMs = 1000;
  private retryTimer?: number;
  private stallTimer?: number;
  private quietTimer?: number;
  private gotMedia = false;
  private lastMediaAt = 0; // performance.now() of the last fragment on this connection
  private openedAt = 0; // performance.now() when this connection opened
  private resumed = false;
  private jumpOnResume = false; // media came after a gap: jump into it
  private lastState = "";
  // This browser cannot play the camera's own codec (H.265 in Chromium on
  // Linux): ask for H.264, which the server transcodes if need be.
  private h264 = false;
  // Why the server refused the view (too many transcodes), said until it
  // is let in.
  private refused?: Say;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly camera: string,
    private readonly MS: MediaSourceClass,
    private readonly report: (s: PlayerState) => void,
    private readonly stream: LiveStreamChoice,
    private readonly audio: boolean,
  ) {
    video.muted = true;
    video.playsInline = true;
    this.connect();
  }

  // Reports changes only: keepNearLiveEdge runs at every fragment.
  private onState(s: PlayerState): void {
    const key = JSON.stringify(s);
    if (key === this.lastState) return;
    this.lastState = key;
    this.report(s);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    clearTimeout(this.quietTimer);
    this.closeSocket();
    this.teardownMedia();
  }

  private connect(): void {
    this.onState({ kind: "connecting" });
    this.gotMedia = false;
    this.lastMediaAt = this.openedAt = 0;
    this.resumed = this.jumpOnResume = false;
    const ws = new WebSocket(urls.live(this.camera, { stream: this.stream, audio: this.audio, h264: this.h264 }));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.openedAt = performance.now();
      this.armStallTimer();
    };
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = undefined;
      this.retry(opened, e.reason);
    };
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      ws.close();
    }
  }

  // The socket closed or stalled: find out why (a refused upgrade may be an
  // expired session or a camera that went offline) and try again later.
  // reason: the socket's close reason (the server's words) or ours.
  private async retry(opened: boolean, reason: string | Say): Promise<void> {
    clearTimeout(this.stallTimer);
    clearTimeout(this.quietTimer);
    this.teardownMedia();
    let message: Say = typeof reason === "function" ? reason : reason ? verbatim(reason) : (t) => t.noVideo;
    if (this.refused) message = this.refused;
    this.refused = undefined;
    if (!opened) {
      try {
        const cameras = await api.cameras(); // a 401 here ends the session
        const c = cameras.find((x) => x.id === this.camera);
        if (!c) message = (t) => t.notFound;
        else if (!c.online) message = (t) => offlineLine(c) ?? t.cameraOffline("");
        else message = (t) => t.liveUnavailable;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return;
        message = verbatim(e instanceof Error ? e.message : String(e));
      }
    }
    if (this.stopped) return;
    this.onState({ kind: "offline", message });
    this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, kMaxRetryMs);
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    clearTimeout(this.quietTimer);
    this.quietTimer = window.setTimeout(() => this.onState({ kind: "offline", message: () => stateText().waitingForVideo }), kQuietMs);
    this.stallTimer = window.setTimeout(() => void this.onStall(), kStallMs);
  }

  private async onStall(): Promise<void> {
    const ws = this.ws;
    try {
      const c = (await api.cameras()).find((x) => x.id === this.camera);
      if (this.ws !== ws || this.stopped) return;
      if (c && !c.online) {
        this.onState({ kind: "offline", message: (t) => offlineLine(c) ?? t.cameraOffline("") });
        this.armStallTimer();
        return;
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
    }
    if (this.ws !== ws || this.stopped) return;
    this.closeSocket();
    this.retry(true, (t) => t.stalled);
  }

  private onMessage(data: unknown): void {
    if (typeof data === "string") {
      let msg: { type?: string; codec?: string; error?: string; code?: string };
      try {
        msg = JSON.parse(data);
      } catch {
        return;
      }
      if (msg.type === "init" && msg.codec) {
        this.expectInit = true;
        this.setCodec(msg.codec);
      } else if (msg.type === "error" && msg.code === "transcode_busy") {
        this.refused = (t) => t.transcodeBusy;
        this.onState({ kind: "offline", message: this.refused });
      } else if (msg.type === "error") {
        this.onState({ kind: "error", message: msg.error ? verbatim(msg.error) : (t) => t.streamError });
      }
      return;
    }
    if (!(data instanceof ArrayBuffer)) return;
    // The cached GOP comes at once on a new connection; media after a gap
    // is the camera's own, new.
    const now = performance.now();
    if (this.lastMediaAt > 0 && now - this.lastMediaAt > kResumeGapMs) {
      this.resumed = true;
      // Chromium's decoder, stalled at the old media's end, does not
      // always go on into the new by itself; a seek into it restarts it.
      this.jumpOnResume = true;
    } else if (this.lastMediaAt === 0 && this.openedAt > 0 && now - this.openedAt > kResumeGapMs) {
      this.resumed = true; // opened while the camera was away: nothing old to jump from
    }
    this.lastMediaAt = now;
    this.armStallTimer();
    if (this.expectInit) {
      this.expectInit = false;
    } else if (!this.mime) {
      return; // media before any init segment cannot be decoded
    } else if (!this.gotMedia) {
      this.gotMedia = true;
      this.retryMs = 1000;
    }
    this.queue.push({ kind: "append", data });
    this.pump();
  }

  private setCodec(codec: string): void {
    const mime = `video/mp4; codecs="${codec}"`;
    if (mime === this.mime) return; // same codec, new parameters: the init segment is enough
    if (!this.MS.isTypeSupported(mime) && !this.h264) {
      // Connect again asking for H.264, which every MSE plays (the server
      // transcodes the camera's video if need be).
      this.h264 = true;
      this.closeSocket();
      this.teardownMedia();
      this.connect();
      return;
    }
    if (!this.MS.isTypeSupported(mime)) {
      this.onState({ kind: "error", message: (t) => t.cannotDecode(codec) });
      this.stop();
      return;
    }
    const previous = this.mime;
    this.mime = mime;
    if (!this.ms) {
      this.openMediaSource();
    } else if (previous && this.sb && "changeType" in this.sb) {
      this.queue.push({ kind: "changeType", mime });
    } else {
      // No changeType: a fresh MediaSource for the new codec.
      this.teardownMedia();
      this.mime = mime;
      this.openMediaSource();
    }
  }

  private openMediaSource(): void {
    const ms = new this.MS();
    this.ms = ms;
    this.objectUrl = URL.createObjectURL(ms);
    // Safari's ManagedMediaSource plays only with remote playback off.
    (this.video as HTMLVideoElement & { disableRemotePlayback: boolean }).disableRemotePlayback = true;
    markFirstFrame(this.video);
    this.video.src = this.objectUrl;
    ms.addEventListener(
      "sourceopen",
      () => {
        if (this.ms !== ms || !this.mime) return;
        const sb = ms.addSourceBuffer(this.mime);
        // Fragments are placed one after the other whatever their
        // timestamps say, so a camera's clock jump or a skipped GOP never
        // leaves the playhead in a gap.
        sb.mode = "sequence";
        sb.addEventListener("updateend", () => {
          this.keepNearLiveEdge();
          this.pump();
        });
        this.sb = sb;
        this.pump();
      },
      { once: true },
    );
  }

  private teardownMedia(): void {
    this.queue = [];
    this.sb = undefined;
    this.ms = undefined;
    this.mime = undefined;
    this.expectInit = false;
    if (this.objectUrl) {
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = undefined;
      resetVideo(this.video);
    }
  }

  private pump(): void {
    const sb = this.sb;
    if (!sb || sb.updating || this.ms?.readyState !== "open") return;
    const op = this.queue.shift();
    if (!op) return;
    try {
      if (op.kind === "append") sb.appendBuffer(op.data);
      else if (op.kind === "remove") sb.remove(0, op.end);
      else {
        (sb as SourceBuffer & { changeType(t: string): void }).changeType(op.mime);
        this.pump();
      }
    } catch (e) {
      // QuotaExceeded or a decode error: start over from a fresh keyframe.
      this.closeSocket();
      this.retry(true, (t) => t.liveError(e instanceof Error ? e.message : String(e)));
    }
  }

  private keepNearLiveEdge(): void {
    const v = this.video;
    const b = v.buffered;
    if (!b.length) return;
    const start = b.start(b.length - 1);
    const end = b.end(b.length - 1);
    // Stalled at the splice (HAVE_CURRENT_DATA or less with media ahead).
    const stalled = this.jumpOnResume && v.readyState < HTMLMediaElement.HAVE_FUTURE_DATA;
    if (v.currentTime < start || end - v.currentTime > (stalled ? kJumpTargetLagSeconds : kMaxLiveLagSeconds)) {
      v.currentTime = Math.max(start, end - kJumpTargetLagSeconds);
      this.jumpOnResume = false;
    }
    if (v.paused) {
      v.play().then(
        () => this.onState({ kind: "playing", resumed: this.resumed }),
        () => {},
      );
    } else if (this.gotMedia) {
      this.onState({ kind: "playing", resumed: this.resumed });
    }
    if (v.currentTime - b.start(0) > 2 * kKeepBehindSeconds && !this.queue.some((op) => op.kind === "remove")) {
      this.queue.push({ kind: "remove", end: v.currentTime - kKeepBehindSeconds });
    }
  }
}

// HLS into the element: natively when preferred and possible, else with
// hls.js (loaded only when needed), else natively anyway.
export interface HlsPlayer extends Player {
  // The wall-clock time (ms) of the frame on screen, when the playlist
  // carries EXT-X-PROGRAM-DATE-TIME; undefined otherwise.
  playingDate(): number | undefined;
}

export function playHls(
  video: HTMLVideoElement,
  url: string,
  options: { live: boolean; preferNative: boolean },
  onState: (s: PlayerState) => void,
): HlsPlayer {
  let stopped = false;
  let hls: Hls | undefined;
  onState({ kind: "connecting" });
  markFirstFrame(video);
  video.playsInline = true;
  const onPlaying = () => onState({ kind: "playing" });
  video.addEventListener("playing", onPlaying);

  const native = () => {
    video.src = url;
    video.play().catch(() => {});
  };
  if (options.preferNative && canPlayNativeHls(video)) {
    native();
  } else {
    const fail = (e: unknown) => onState({ kind: "error", message: (t) => t.cannotPlay(e instanceof Error ? e.message : String(e)) });
    import("hls.js/light").then(({ default: HlsClass }) => {
      if (stopped) return;
      if (!HlsClass.isSupported()) {
        if (canPlayNativeHls(video)) native();
        else onState({ kind: "error", message: (t) => t.cannotPlayHere });
        return;
      }
      hls = new HlsClass(
        options.live
          ? { lowLatencyMode: true, backBufferLength: kKeepBehindSeconds, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5 }
          : { backBufferLength: 60 },
      );
      hls.on(HlsClass.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        const code = data.response?.code;
        if (code === 401) {
          sessionExpired();
          return;
        }
        const network = data.type === HlsClass.ErrorTypes.NETWORK_ERROR;
        const message: Say = (t) => (code === 404 ? t.noVideoInRange : network ? t.videoUnavailable(code) : t.cannotPlay(data.details));
        onState({ kind: "error", message });
        hls?.destroy();
        hls = undefined;
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.play().catch(() => {});
    }).catch(fail);
  }
  return {
    stop() {
      stopped = true;
      video.removeEventListener("playing", onPlaying);
      hls?.destroy();
      hls = undefined;
      resetVideo(video);
    },
    playingDate() {
      const d = hls?.playingDate;
      if (d) return d.getTime();
      const start = (video as HTMLVideoElement & { getStartDate?: () => Date }).getStartDate?.();
      const t = start?.getTime();
      return t !== undefined && !Number.isNaN(t) ? t + video.currentTime * 1000 : undefined;
    },
  };
}
