import { useState } from "preact/hooks";
import { type DetectionEvent, type EventLabel, api } from "./api";
import { eventsText } from "./events_text";
import { TimeRangeFields, useFilteredList, useTimeRange } from "./filters";
import { useCameras } from "./grid";
import { usePoll } from "./poll";
import { SECOND, clockTime, dateTime } from "./time";

const kLimit = 200;
// An event is played from this long before it started.
export const kBeforeEvent = 5 * SECOND;
const kNotifyPollMs = 5 * SECOND;

// The camera page playing from `at` (ms).
export function eventHash(camera: string, at: number): string {
  return `#/camera/${encodeURIComponent(camera)}/${Math.round(at)}`;
}

export function playEvent(e: DetectionEvent): void {
  location.hash = eventHash(e.camera, Date.parse(e.start) - kBeforeEvent);
}

// Detection events with their snapshots, filtered by camera, label and
// time; a click plays the camera's recording from 5 s before the start.
export function Events() {
  const { cameras } = useCameras();
  const [camera, setCamera] = useState("");
  const [label, setLabel] = useState<EventLabel | "">("");
  const range = useTimeRange();
  const { value: events, error, load } = useFilteredList(() =>
    api.events({ camera: camera || undefined, label: label || undefined, start: range.startMs(), end: range.endMs(), limit: kLimit }),
  );

  const name = (id: string) => cameras?.find((c) => c.id === id)?.name ?? id;
  const t = eventsText();
  return (
    <div class="events-page">
      <h2>{t.title}</h2>
      <form class="filters" onSubmit={load}>
        <label>
          {t.camera}
          <select name="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            <option value="">{t.anyCamera}</option>
            {cameras?.map((c) => (
              <option key={c.id} value={c.id} translate={false}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.label}
          <select name="label" value={label} onChange={(e) => setLabel(e.currentTarget.value as EventLabel | "")}>
            <option value="">{t.anyLabel}</option>
            {(Object.keys(t.labels) as EventLabel[]).map((l) => (
              <option key={l} value={l}>
                {t.labels[l]}
              </option>
            ))}
          </select>
        </label>
        <TimeRangeFields range={range} from={t.from} to={t.to} />
        <button type="submit">{t.show}</button>
      </form>
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {events && events.length === 0 && <p class="empty">{t.none}</p>}
      <ul class="event-list">
        {events?.map((e) => (
          <li key={e.id} data-event={e.id}>
            <button class="event" onClick={() => playEvent(e)} title={t.play}>
              <img src={e.snapshot} alt={t.snapshotAlt(t.labels[e.label], name(e.camera))} loading="lazy" />
              <span class="event-label">{t.labels[e.label]}</span>
              <span class="event-camera" translate={false}>
                {name(e.camera)}
              </span>
              <span class="event-time">
                {dateTime(Date.parse(e.start))} – {e.end ? clockTime(Date.parse(e.end)) : t.ongoing}
              </span>
              <span class="event-score">{t.score(e.score)}</span>
              {e.zones.length > 0 && <span class="event-zones">{t.zones(e.zones)}</span>}
            </button>
          </li>
        ))}
      </ul>
      {events && events.length === kLimit && <p class="empty">{t.more(kLimit)}</p>}
    </div>
  );
}

// The events of one camera in [start, end), for its timeline's marks; refreshed with `key`.
export function useCameraEvents(camera: string, start: number, end: number, key: string): DetectionEvent[] {
  const { value } = usePoll(true, () => api.events({ camera, start, end, limit: 500 }), 30 * SECOND, `${camera} ${key}`);
  return value ?? [];
}

// The household's notification: the events of the labels its owner chose
// per camera (the server filters: notify=true) that started since the
// page opened, newest first, until dismissed.
export function useNewDetections(enabled: boolean): { latest: DetectionEvent | undefined; dismiss: () => void } {
  const [since] = useState(() => Date.now());
  const [dismissed, setDismissed] = useState<Set<string>>(new Set());
  const { value } = usePoll(enabled, () => api.events({ start: since, limit: 20, notify: true }), kNotifyPollMs);
  const fresh = (value ?? []).filter(
    (e) => Date.parse(e.start) >= since && !dismissed.has(e.id),
  );
  const latest = fresh[0];
  return { latest, dismiss: () => latest && setDismissed((d) => new Set([...d, ...fresh.map((e) => e.id)])) };
}

export function NewDetection({ event, onDismiss }: { event: DetectionEvent; onDismiss: () => void }) {
  const { cameras, error } = useCameras();
  const t = eventsText();
  // Shown once the cameras' names are known (their ids only if they cannot be).
  if (cameras === undefined && error === "") return null;
  const name = cameras?.find((c) => c.id === event.camera)?.name ?? event.camera;
  return (
    <p class="notice detection-notice" role="status" data-event={event.id}>
      <img src={event.snapshot} alt="" />
      {t.newEvent(t.labels[event.label], name, clockTime(Date.parse(event.start)))}{" "}
      <button
        onClick={() => {
          onDismiss();
          playEvent(event);
        }}
      >
        {t.view}
      </button>
      <button onClick={onDismiss}>{t.dismiss}</button>
    </p>
  );
}
