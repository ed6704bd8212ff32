// A camera's PTZ controls (design/ONVIF.md): shown only for a camera with
// an ONVIF address (GET .../ptz answers its presets). Arrows turn while
// held by mouse or touch; in PTZ mode the keyboard's or TV remote's
// arrows do the same, taken before the TV's focus navigation, and Back
// leaves the mode. Every press is a "move", every release a "stop".
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api } from "./api";
import { isBackKey } from "./tv";
import { ptzText } from "./ptz_text";

type Move = { pan?: number; tilt?: number; zoom?: number };
const kSpeed = 0.5;
const kKeys: Record<string, Move> = {
  ArrowLeft: { pan: -kSpeed },
  ArrowRight: { pan: kSpeed },
  ArrowUp: { tilt: kSpeed },
  ArrowDown: { tilt: -kSpeed },
  "+": { zoom: kSpeed },
  "=": { zoom: kSpeed },
  "-": { zoom: -kSpeed },
};

export function PtzControls({ camera, tv }: { camera: string; tv: boolean }) {
  const t = ptzText();
  const [presets, setPresets] = useState<{ token: string; name: string }[] | null>(null);
  const [mode, setMode] = useState(false);
  const [error, setError] = useState("");
  const [name, setName] = useState("");
  const held = useRef<string | null>(null);

  useEffect(() => {
    api.ptzPresets(camera).then((p) => setPresets(p.presets), () => setPresets(null));
  }, [camera]);

  const send = (body: Parameters<typeof api.ptz>[1]) =>
    api.ptz(camera, body).then(
      (answer) => {
        setError("");
        return answer;
      },
      (e) => {
        const reason = e instanceof ApiError && e.body && typeof e.body === "object" ? (e.body as { reason?: string }).reason : undefined;
        setError(t.failed[reason ?? "other"] ?? t.failed.other);
        return undefined;
      },
    );
  const start = (key: string, move: Move) => {
    if (held.current === key) return; // a held key repeats
    held.current = key;
    void send({ action: "move", ...move });
  };
  const stop = () => {
    if (held.current === null) return;
    held.current = null;
    void send({ action: "stop" });
  };

  useEffect(() => {
    if (!mode) return;
    // Capture: before the TV's arrow navigation (tv.ts) moves the focus.
    const down = (e: KeyboardEvent) => {
      if (isBackKey(e, tv)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        stop();
        setMode(false);
        return;
      }
      const move = kKeys[e.key];
      if (!move || e.target instanceof HTMLInputElement) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      start(e.key, move);
    };
    const up = (e: KeyboardEvent) => {
      if (kKeys[e.key] && held.current === e.key) stop();
    };
    window.addEventListener("keydown", down, true);
    window.addEventListener("keyup", up, true);
    return () => {
      window.removeEventListener("keydown", down, true);
      window.removeEventListener("keyup", up, true);
    };
  }, [mode, tv]);

  if (presets === null) return null;
  const pad = (key: string, move: Move, label: string, symbol: string) => (
    <button
      class={`ptz-${key}`}
      aria-label={label}
      title={label}
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
        start(key, move);
      }}
      onPointerUp={stop}
      onPointerCancel={stop}
      onLostPointerCapture={stop}
      onContextMenu={(e) => e.preventDefault()}
    >
      {symbol}
    </button>
  );
  return (
    <section class="ptz">
      <button class={mode ? "on" : ""} aria-pressed={mode} onClick={() => setMode(!mode)}>
        {mode ? t.stopTurning : t.turn}
      </button>
      {mode && (
        <>
          <p class="hint">{t.keysHint}</p>
          <div class="ptz-pad">
            {pad("up", kKeys.ArrowUp, t.up, "▲")}
            {pad("left", kKeys.ArrowLeft, t.left, "◀")}
            <button class="ptz-stop" aria-label={t.stop} onClick={() => void send({ action: "stop" })}>
              ■
            </button>
            {pad("right", kKeys.ArrowRight, t.right, "▶")}
            {pad("down", kKeys.ArrowDown, t.down, "▼")}
            {pad("zoom-in", kKeys["+"], t.zoomIn, "+")}
            {pad("zoom-out", kKeys["-"], t.zoomOut, "−")}
          </div>
          {presets.length > 0 && (
            <div class="ptz-presets">
              <span>{t.presets}</span>
              {presets.map((p) => (
                <button key={p.token} onClick={() => void send({ action: "goto", preset: p.token })}>
                  {t.goTo(p.name || p.token)}
                </button>
              ))}
            </div>
          )}
          <form
            class="ptz-save"
            onSubmit={(e) => {
              e.preventDefault();
              if (!name.trim()) return;
              void send({ action: "set_preset", name: name.trim() }).then((answer) => {
                if (answer?.preset) setPresets([...presets, { token: answer.preset, name: name.trim() }]);
                setName("");
              });
            }}
          >
            <input aria-label={t.presetName} placeholder={t.presetName} maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            <button type="submit">{t.savePreset}</button>
          </form>
        </>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
