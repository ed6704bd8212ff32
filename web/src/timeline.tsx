import { useEffect, useRef, useState } from "preact/hooks";
import type { Run } from "./api";
import { cameraText } from "./camera_text";
import { DAY, HOUR, MINUTE, clamp, clockTime, quantity } from "./time";

// The last 24 hours of one camera, opened on the last hour: recorded runs
// as bars, gaps as empty track. Click or drag to pick a moment (played when
// released); a clip's range, when given with onClip, has a handle at each
// end to drag (or to move with the arrows when focused); zoom with
// the buttons, the wheel or two fingers; pan with a horizontal wheel or
// two fingers. From the keyboard: arrows move a cursor, Enter plays from
// it, + and - zoom.

const kMinSpan = 5 * MINUTE;
// A clip handle's width on a mouse screen (style.css; 44 on touch).
const kHandlePx = 24;
// An arrow held down moves the cursor by twice as many ticks each this
// many repeats, at most kMaxStride ticks a press.
const kRepeatsPerDoubling = 4;
const kMaxStride = 16;
const kTickSteps = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR];

export interface TimelineProps {
  runs: Run[];
  now: number; // the live edge
  position: number | undefined; // the frame on screen (ms), undefined when none
  clip?: { start: number; end: number };
  onClip?: (clip: { start: number; end: number }) => void;
  onSeek: (ms: number) => void;
  // Events as marks; a click on one calls onMark with its time.
  marks?: { id: string; at: number; title: string }[];
  onMark?: (at: number) => void;
}

export function Timeline({ runs, now, position, clip, onClip, onSeek, marks = [], onMark }: TimelineProps) {
  const track = useRef<HTMLDivElement>(null);
  const [span, setSpan] = useState(HOUR);
  // The view's end; following the live edge until the user pans.
  const [viewEnd, setViewEnd] = useState<number | undefined>(undefined);
  const [cursor, setCursor] = useState<number | undefined>(undefined);
  const [width, setWidth] = useState(800);
  const pointers = useRef(new Map<number, number>());
  const pinch = useRef<{ distance: number; span: number } | undefined>(undefined);
  const dragging = useRef(false);
  // The clip's end a handle drags; "either" until the drag's direction
  // says which, for handles on top of each other.
  const handleDrag = useRef<"start" | "end" | "either" | undefined>(undefined);
  const held = useRef(0); // repeats of the arrow held down

  const earliest = now - DAY;
  const latest = now + span * 0.02; // a little room after the live edge
  const end = clamp(viewEnd ?? latest, earliest + span, latest);
  const start = end - span;
  const x = (t: number) => ((t - start) / span) * 100;

  useEffect(() => {
    const el = track.current!;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Keep the playing moment in view when zoomed in.
  useEffect(() => {
    if (position === undefined || dragging.current || span >= DAY) return;
    if (position < start || position > end) setViewEnd(position + span / 2);
  }, [position, span]);

  const timeAt = (clientX: number) => {
    const r = track.current!.getBoundingClientRect();
    return clamp(start + ((clientX - r.left) / r.width) * span, earliest, now);
  };

  const zoom = (factor: number, around = position ?? now) => {
    const next = clamp(span * factor, kMinSpan, DAY);
    const frac = (around - start) / span;
    setSpan(next);
    setViewEnd(next >= DAY ? undefined : around + (1 - frac) * next);
  };
  const pan = (ms: number) => setViewEnd(end + ms);

  const onPointerDown = (e: PointerEvent) => {
    track.current!.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, e.clientX);
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      pinch.current = { distance: Math.abs(a - b), span };
      dragging.current = false;
      setCursor(undefined);
    } else if (pointers.current.size === 1) {
      dragging.current = true;
      setCursor(timeAt(e.clientX));
    }
  };
  const onPointerMove = (e: PointerEvent) => {
    if (!pointers.current.has(e.pointerId)) return;
    pointers.current.set(e.pointerId, e.clientX);
    if (pinch.current && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const distance = Math.max(Math.abs(a - b), 10);
      const next = clamp((pinch.current.span * pinch.current.distance) / distance, kMinSpan, DAY);
      const mid = timeAt((a + b) / 2);
      const frac = (mid - start) / span;
      setSpan(next);
      setViewEnd(mid + (1 - frac) * next);
    } else if (dragging.current) {
      setCursor(timeAt(e.clientX));
    }
  };
  const onPointerUp = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
    if (pointers.current.size === 0) pinch.current = undefined;
    if (dragging.current && e.type === "pointerup") onSeek(timeAt(e.clientX));
    dragging.current = false;
    setCursor(undefined);
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.deltaX / width) * span);
    else zoom(e.deltaY > 0 ? 1.25 : 0.8, timeAt(e.clientX));
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = span / 48;
    const from = cursor ?? position ?? now;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      // A key held down (a remote's arrow) goes faster the longer it is held.
      held.current = e.repeat ? held.current + 1 : 0;
      const stride = step * Math.min(kMaxStride, 2 ** Math.floor(held.current / kRepeatsPerDoubling));
      const next = clamp(from + (e.key === "ArrowLeft" ? -stride : stride), earliest, now);
      setCursor(next);
      if (next < start || next > end) setViewEnd(next + span / 2);
    } else if (e.key === "Enter" && cursor !== undefined) {
      e.preventDefault();
      onSeek(cursor);
      setCursor(undefined);
    } else if (e.key === "+" || e.key === "=") {
      zoom(0.5, from);
    } else if (e.key === "-") {
      zoom(2, from);
    }
  };

  const step = kTickSteps.find((s) => span / s <= Math.max(3, width / 90)) ?? 6 * HOUR;
  const ticks: number[] = [];
  // Ticks on local clock boundaries (the time zone offset is whole minutes).
  const offset = new Date(start).getTimezoneOffset() * MINUTE;
  for (let tick = Math.ceil((start - offset) / step) * step + offset; tick <= end; tick += step) ticks.push(tick);

  // A clip handle: dragged (its own pointer, not the track's seek) or moved
  // by the arrows; the ends never cross. Handles on top of each other (a
  // start just marked, the end at live) move the end the drag goes to.
  const clipHandle = (edge: "start" | "end") => {
    if (!clip || !onClip) return null;
    const at = clip[edge];
    if (at < start || at > end) return null;
    const together = ((clip.end - clip.start) / span) * width < kHandlePx;
    const move = (t: number, which: "start" | "end") =>
      onClip(which === "start" ? { ...clip, start: Math.min(t, clip.end) } : { ...clip, end: Math.max(t, clip.start) });
    return (
      <button
        class={`tl-clip-handle ${edge}`}
        data-edge={edge}
        aria-label={edge === "start" ? t.clipStartHandle : t.clipEndHandle}
        title={edge === "start" ? t.clipStartHandle : t.clipEndHandle}
        style={{ left: `${x(at)}%` }}
        onPointerDown={(e) => {
          e.stopPropagation();
          e.currentTarget.setPointerCapture(e.pointerId);
          handleDrag.current = together ? "either" : edge;
        }}
        onPointerMove={(e) => {
          if (!e.currentTarget.hasPointerCapture(e.pointerId)) return;
          const t = timeAt(e.clientX);
          if (handleDrag.current === "either") {
            if (t >= clip.start && t <= clip.end) return;
            handleDrag.current = t < clip.start ? "start" : "end";
          }
          if (handleDrag.current) move(t, handleDrag.current);
        }}
        onPointerUp={(e) => {
          e.stopPropagation();
          handleDrag.current = undefined;
        }}
        onKeyDown={(e) => {
          if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
          e.preventDefault();
          e.stopPropagation();
          move(clamp(at + (e.key === "ArrowLeft" ? -1 : 1) * (span / 48), earliest, now), edge);
        }}
      />
    );
  };

  const shown = runs.filter((r) => r.end > start && r.start < end);
  const label = cursor ?? position;
  const t = cameraText();

  return (
    <div class="timeline">
      <div class="tl-controls">
        {/* A disabled button says why (its title). */}
        <button onClick={() => zoom(0.5)} disabled={span <= kMinSpan} aria-label={t.zoomIn} title={span <= kMinSpan ? t.zoomedIn : undefined}>
          +
        </button>
        <button onClick={() => zoom(2)} disabled={span >= DAY} aria-label={t.zoomOut} title={span >= DAY ? t.wholeDay : undefined}>
          −
        </button>
        <button onClick={() => pan(-span / 2)} disabled={start <= earliest} aria-label={t.earlier} title={start <= earliest ? t.dayStart : undefined}>
          ◀
        </button>
        <button onClick={() => pan(span / 2)} disabled={end >= latest} aria-label={t.later} title={end >= latest ? t.atNow : undefined}>
          ▶
        </button>
        <span class="tl-span">{span >= HOUR ? quantity(Math.round(span / HOUR), "hour") : quantity(Math.round(span / MINUTE), "minute")}</span>
        {label !== undefined && <span class="tl-label">{clockTime(label)}</span>}
      </div>
      <div
        ref={track}
        class="tl-track"
        tabindex={0}
        role="slider"
        aria-label={t.timeline}
        aria-valuemin={earliest}
        aria-valuemax={now}
        aria-valuenow={label}
        aria-valuetext={label !== undefined ? clockTime(label) : t.atLive}
        data-arrows="horizontal"
        data-start={Math.round(start)}
        data-end={Math.round(end)}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onWheel={onWheel}
        onKeyDown={onKeyDown}
        onBlur={() => setCursor(undefined)}
      >
        {shown.map((r) => (
          <div
            key={r.start}
            class="tl-run"
            style={{ left: `${x(Math.max(r.start, start))}%`, width: `${x(Math.min(r.end, end)) - x(Math.max(r.start, start))}%` }}
          />
        ))}
        {clip && clip.end > start && clip.start < end && (
          <div class="tl-clip" style={{ left: `${x(clip.start)}%`, width: `${x(clip.end) - x(clip.start)}%` }} />
        )}
        {marks
          .filter((m) => m.at >= start && m.at < end)
          .map((m) => (
            <button
              key={m.id}
              class="tl-event"
              data-event={m.id}
              title={m.title}
              aria-label={m.title}
              style={{ left: `${x(m.at)}%` }}
              // Its own click, not the track's drag to a moment.
              onPointerDown={(e) => e.stopPropagation()}
              onPointerUp={(e) => e.stopPropagation()}
              onClick={() => onMark?.(m.at)}
            />
          ))}
        {ticks.map((tick) => (
          <div key={tick} class="tl-tick" style={{ left: `${x(tick)}%` }}>
            <span>{clockTime(tick, false)}</span>
          </div>
        ))}
        {clipHandle("start")}
        {clipHandle("end")}
        <div class="tl-now" style={{ left: `${x(now)}%` }} />
        {position !== undefined && <div class="tl-head" style={{ left: `${x(position)}%` }} />}
        {cursor !== undefined && <div class="tl-cursor" style={{ left: `${x(cursor)}%` }} />}
      </div>
    </div>
  );
}
