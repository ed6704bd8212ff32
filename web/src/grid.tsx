import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { type Camera, api } from "./api";
import { NotifyOfflineButton, offlineLine, useOfflineNotifications } from "./camera_state";
import { cameraText } from "./camera_text";
import { LiveVideo, videoResumed } from "./live";
import { stateText } from "./state_text";
import { focusFirst } from "./tv";

const kLayouts = [1, 4, 6, 9, 16] as const;
type Layout = (typeof kLayouts)[number];
const kRefreshMs = 5000;

function savedLayout(tv: boolean): Layout {
  const saved = Number(localStorage.getItem(tv ? "vigil.layout.tv" : "vigil.layout"));
  return (kLayouts as readonly number[]).includes(saved) ? (saved as Layout) : tv ? 6 : 4;
}

// The camera list, refreshed every few seconds for the online badges.
export function useCameras(): { cameras: Camera[] | undefined; error: string } {
  const [cameras, setCameras] = useState<Camera[]>();
  const [error, setError] = useState("");
  useEffect(() => {
    let timer = 0;
    let live = true;
    const load = () =>
      api.cameras().then(
        (list) => {
          if (!live) return;
          setCameras(list);
          setError("");
          timer = window.setTimeout(load, kRefreshMs);
        },
        (e) => {
          if (!live) return;
          setError(e.message);
          timer = window.setTimeout(load, kRefreshMs);
        },
      );
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  return { cameras, error };
}

// The camera whose tile was opened last: back on the grid, its page is
// shown and, in TV mode, its tile has the focus again.
let lastOpened: string | undefined;

// action: a control at the toolbar's end (a household's Alarm button).
export function Grid({ tv, action }: { tv: boolean; action?: ComponentChildren }) {
  const { cameras, error } = useCameras();
  useOfflineNotifications(cameras);
  const [layout, setLayout] = useState<Layout>(() => savedLayout(tv));
  const [page, setPage] = useState<number | undefined>(undefined); // undefined: lastOpened's
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => setLayout(savedLayout(tv)), [tv]);
  useEffect(() => {
    if (!tv || !cameras?.length) return;
    const opened = lastOpened !== undefined && cameras.some((c) => c.id === lastOpened);
    focusFirst(root.current!, opened ? `.tile[data-camera="${CSS.escape(lastOpened!)}"]` : ".tile");
  }, [tv, cameras !== undefined]);

  const choose = (n: Layout) => {
    localStorage.setItem(tv ? "vigil.layout.tv" : "vigil.layout", String(n));
    setLayout(n);
    setPage(0);
  };

  const pages = cameras ? Math.max(1, Math.ceil(cameras.length / layout)) : 1;
  const openedIndex = cameras?.findIndex((c) => c.id === lastOpened) ?? -1;
  const current = Math.min(page ?? Math.max(0, Math.floor(openedIndex / layout)), pages - 1);
  const shown = cameras?.slice(current * layout, current * layout + layout) ?? [];
  const t = cameraText();

  return (
    <div class="grid-page" ref={root}>
      <div class="toolbar">
        <span class="label">{t.layout}</span>
        {kLayouts.map((n) => (
          <button key={n} class={n === layout ? "on" : ""} aria-pressed={n === layout} onClick={() => choose(n)}>
            {n}
          </button>
        ))}
        {pages > 1 && (
          <span class="pager">
            <button disabled={current === 0} onClick={() => setPage(current - 1)} aria-label={t.previousPage}>
              ‹
            </button>
            <span>
              {current + 1} / {pages}
            </span>
            <button disabled={current === pages - 1} onClick={() => setPage(current + 1)} aria-label={t.nextPage}>
              ›
            </button>
          </span>
        )}
        <NotifyOfflineButton />
        {action}
      </div>
      {error !== "" && <p class="error">{error}</p>}
      {cameras && cameras.length === 0 && <p class="empty">{t.noCameras}</p>}
      <div class={`grid layout-${layout}`}>
        {shown.map((c) => (
          <Tile key={c.id} camera={c} />
        ))}
      </div>
    </div>
  );
}

function Tile({ camera }: { camera: Camera }) {
  const [resumed, setResumed] = useState(false);
  return (
    <button
      class="tile"
      data-camera={camera.id}
      onClick={() => {
        lastOpened = camera.id;
        location.hash = `#/camera/${camera.id}`;
      }}
    >
      {camera.reason_code === "disabled" ? (
        <span class="disabled-tile">{stateText().disabled}</span>
      ) : (
        <LiveVideo
          camera={camera.id}
          status={camera}
          stream={camera.sub ? "sub" : "main"}
          onState={(s) => setResumed(videoResumed(s))}
        />
      )}
      <span class="caption">
        <span class="name" translate={false}>
          {camera.name}
        </span>
        <Badge camera={camera} resumed={resumed} />
      </span>
    </button>
  );
}

// resumed: its live video came back here, which the camera list (polled)
// may not know yet.
export function Badge({ camera, resumed = false }: { camera: Camera; resumed?: boolean }) {
  const t = cameraText();
  if (camera.reason_code === "disabled") return <span class="badge disabled">{stateText().disabled}</span>;
  if (!camera.online && !resumed) {
    return (
      <span class="badge offline" title={offlineLine(camera) ?? ""}>
        {t.offline}
      </span>
    );
  }
  return (
    <>
      <span class="badge online">{t.online}</span>
      {camera.reason_code === "storage_full" && <span class="badge disk-full">{stateText().diskFull}</span>}
    </>
  );
}
