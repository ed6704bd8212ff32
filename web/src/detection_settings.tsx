import { useEffect, useState } from "preact/hooks";
import { type DetectionSettings, type ObjectLabel, type Polygon, api, urls } from "./api";
import { detectionSettingsText } from "./detection_settings_text";

const kLabels: ObjectLabel[] = ["person", "vehicle", "animal"];
type AreaKind = "include" | "ignore" | "shared" | "all";
const kKinds: AreaKind[] = ["include", "ignore", "shared", "all"];

// A zone or a mask as the panel lists and draws it.
interface Area {
  name: string;
  kind: AreaKind;
  polygon: Polygon;
}

function areasOf(s: DetectionSettings): Area[] {
  return [
    ...s.zones.map((z) => ({ name: z.name, kind: z.kind, polygon: z.polygon })),
    ...s.masks.map((m) => ({ name: m.name, kind: m.applies, polygon: m.polygon })),
  ];
}

function settingsOf(labels: ObjectLabel[], notify: ObjectLabel[], areas: Area[]): DetectionSettings {
  const isZone = (a: Area) => a.kind === "include" || a.kind === "ignore";
  return {
    labels,
    notify: notify.length === kLabels.length ? null : notify,
    zones: areas.filter(isZone).map((a) => ({ name: a.name, kind: a.kind as "include" | "ignore", polygon: a.polygon })),
    masks: areas.filter((a) => !isZone(a)).map((a) => ({ name: a.name, applies: a.kind as "shared" | "all", polygon: a.polygon })),
  };
}

const round = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;

// The camera's picture with its areas over it; while drawing, each click
// adds a corner where it lands (0..1 picture coordinates).
function Picture({ id, areas, drawing, onPoint }: { id: string; areas: Area[]; drawing?: Polygon; onPoint?: (x: number, y: number) => void }) {
  const t = detectionSettingsText();
  const [loadedAt] = useState(Date.now); // a fresh picture once, not at every click
  const points = (p: Polygon) => p.map(([x, y]) => `${x},${y}`).join(" ");
  return (
    <div class="detection-picture">
      <img src={`${urls.snapshot(id)}?t=${loadedAt}`} alt={t.picture} />
      <svg
        viewBox="0 0 1 1"
        preserveAspectRatio="none"
        class={drawing ? "drawing" : ""}
        onClick={(e) => {
          if (!onPoint) return;
          const r = e.currentTarget.getBoundingClientRect();
          onPoint(round((e.clientX - r.left) / r.width), round((e.clientY - r.top) / r.height));
        }}
      >
        {areas.map((a) => (
          <polygon key={`${a.kind}-${a.name}`} class={`area area-${a.kind}`} points={points(a.polygon)}>
            <title>{a.name}</title>
          </polygon>
        ))}
        {drawing && drawing.length > 0 && <polyline class="area area-new" points={points(drawing)} />}
      </svg>
    </div>
  );
}

// For the camera's admin (its owner): what it detects, where, what is
// masked before video leaves the house, and what the household is told
// of. The node applies a change from its next analysed picture.
export function DetectionPanel({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<DetectionSettings>();
  const [labels, setLabels] = useState<ObjectLabel[]>([]);
  const [notify, setNotify] = useState<ObjectLabel[]>([]);
  const [areas, setAreas] = useState<Area[]>([]);
  const [drawing, setDrawing] = useState<{ kind: AreaKind; name: string; polygon: Polygon }>();
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  const t = detectionSettingsText();

  const show = (s: DetectionSettings) => {
    setLoaded(s);
    setLabels(s.labels);
    setNotify(s.notify ?? kLabels);
    setAreas(areasOf(s));
  };
  useEffect(() => {
    api.detection(id).then(show, (e) => setError(e.message));
  }, [id]);

  const run = async (action: () => Promise<DetectionSettings>) => {
    setError("");
    setMessage("");
    try {
      const before = JSON.stringify(loaded?.masks ?? []);
      const stored = await action();
      show(stored);
      // New masks restart the node in place (design/DETECT.md).
      setMessage(JSON.stringify(stored.masks) === before ? detectionSettingsText().saved : detectionSettingsText().savedRestart);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const toggle = (list: ObjectLabel[], label: ObjectLabel, on: boolean) =>
    on ? kLabels.filter((l) => l === label || list.includes(l)) : list.filter((l) => l !== label);
  const finish = () => {
    if (!drawing) return;
    if (!drawing.name.trim()) return setError(t.needName);
    if (drawing.polygon.length < 3) return setError(t.needPoints);
    setError("");
    setAreas([...areas, { name: drawing.name.trim(), kind: drawing.kind, polygon: drawing.polygon }]);
    setDrawing(undefined);
  };

  return (
    <details class="detection-settings">
      <summary>{t.title}</summary>
      {loaded && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            run(() => api.setDetection(id, settingsOf(labels, notify, areas)));
          }}
        >
          <p class="detection-source">{loaded.source === "owner" ? t.fromOwner : t.fromFile}</p>
          <fieldset class="detection-labels">
            <legend>{t.detect}</legend>
            {kLabels.map((l) => (
              <label key={l}>
                <input type="checkbox" name={`detect-${l}`} checked={labels.includes(l)} onChange={(e) => setLabels(toggle(labels, l, e.currentTarget.checked))} />
                {t.labels[l]}
              </label>
            ))}
            {labels.length === 0 && <span class="muted">{t.off}</span>}
          </fieldset>
          <fieldset class="detection-notify">
            <legend>{t.notify}</legend>
            {kLabels.map((l) => (
              <label key={l}>
                <input
                  type="checkbox"
                  name={`notify-${l}`}
                  disabled={!labels.includes(l)}
                  checked={labels.includes(l) && notify.includes(l)}
                  onChange={(e) => setNotify(toggle(notify, l, e.currentTarget.checked))}
                />
                {t.labels[l]}
              </label>
            ))}
          </fieldset>
          <fieldset class="detection-areas">
            <legend>{t.areas}</legend>
            <Picture
              id={id}
              areas={areas}
              drawing={drawing?.polygon}
              onPoint={drawing ? (x, y) => setDrawing({ ...drawing, polygon: [...drawing.polygon, [x, y]] }) : undefined}
            />
            {areas.length === 0 && !drawing && <p class="muted">{t.none}</p>}
            <ul class="area-list">
              {areas.map((a, i) => (
                <li key={`${a.kind}-${a.name}`} data-area={a.name}>
                  <span class={`swatch area-${a.kind}`} /> {a.name} · {t.kinds[a.kind]}{" "}
                  <button type="button" onClick={() => setAreas(areas.filter((_, j) => j !== i))}>
                    {t.remove}
                  </button>
                </li>
              ))}
            </ul>
            {drawing ? (
              <div class="area-draw">
                <p class="muted">{t.drawHint}</p>
                <label>
                  {t.name}{" "}
                  <input name="area-name" value={drawing.name} maxLength={64} onInput={(e) => setDrawing({ ...drawing, name: e.currentTarget.value })} />
                </label>
                <button type="button" name="area-finish" onClick={finish}>
                  {t.finish}
                </button>
                <button type="button" onClick={() => setDrawing(undefined)}>
                  {t.cancel}
                </button>
              </div>
            ) : (
              <div class="area-draw">
                {kKinds.map((kind) => (
                  <button key={kind} type="button" name={`draw-${kind}`} onClick={() => setDrawing({ kind, name: "", polygon: [] })}>
                    {t.draw}: {t.kinds[kind]}
                  </button>
                ))}
              </div>
            )}
          </fieldset>
          <button type="submit" name="detection-save">
            {t.save}
          </button>{" "}
          {loaded.source === "owner" && (
            <button type="button" name="detection-reset" onClick={() => run(() => api.resetDetection(id))}>
              {t.reset}
            </button>
          )}
        </form>
      )}
      {message && <p class="muted" role="status">{message}</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </details>
  );
}
