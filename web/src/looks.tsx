import { useEffect, useState } from "preact/hooks";
import { type RemoteLookRow, type Tier, api } from "./api";
import { useCameras } from "./grid";
import { looksText } from "./looks_text";
import { DAY, SECOND, clockTime, dateTime, duration } from "./time";

const kLimit = 1000;
const kTiers: Tier[] = ["village", "township", "county"];
// The notice: looks of the last week not yet shown in this browser.
const kPollMs = 10 * SECOND;
const kNoticeWindow = 7 * DAY;
const kNoticeLimit = 200;
const kSeenKey = "vigil.looks.seen"; // the seq of the newest look this browser has shown

function seenSeq(): number {
  return Number(localStorage.getItem(kSeenKey)) || 0;
}

// A look starts with its row; a live_stop stands alone only when its
// live_start is not listed (the start carries how long).
const startsALook = (r: RemoteLookRow) => r.action !== "live_stop";
const shownAlone = (r: RemoteLookRow) => r.look.start_seq === undefined;

// For the owner (the node's admin): how many looks from other tiers are
// new to this browser, polled; `latest` is the newest look's seq, and
// `seen` records that the page showed the looks up to a seq.
export function useNewLooks(enabled: boolean): { count: number; latest: number; seen: (seq: number) => void } {
  const [rows, setRows] = useState<RemoteLookRow[]>([]);
  const [seen, setSeen] = useState(seenSeq);
  useEffect(() => {
    if (!enabled) return;
    let timer = 0;
    let live = true;
    const poll = () => {
      api.remoteLooks({ start: Date.now() - kNoticeWindow, limit: kNoticeLimit }).then(
        (r) => live && setRows(r.rows),
        () => {}, // the page says what failed; the notice waits for the next poll
      );
      timer = window.setTimeout(poll, kPollMs);
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [enabled]);
  return {
    count: enabled ? rows.filter((r) => startsALook(r) && r.seq > seen).length : 0,
    latest: rows.length > 0 ? rows[0].seq : 0,
    seen: (seq: number) => {
      if (seq <= seenSeq()) return;
      localStorage.setItem(kSeenKey, String(seq));
      setSeen(seq);
    },
  };
}

function what(r: RemoteLookRow): string {
  const t = looksText();
  const { what: right, start, end } = r.look;
  const name = t.what[right] ?? right;
  return start && end ? `${name} ${dateTime(Date.parse(start))} – ${clockTime(Date.parse(end))}` : name;
}

function howLong(r: RemoteLookRow): string {
  const t = looksText();
  if (r.look.what !== "live" || r.look.refused) return "";
  return r.look.seconds === undefined ? t.notEnded : duration(r.look.seconds * SECOND);
}

function result(r: RemoteLookRow): string {
  const t = looksText();
  if (r.look.refused) return t.refused(r.look.reason ?? "", r.look.count ?? 1);
  const ended = r.look.ended;
  return ended && ended !== "closed" ? t.allowedEnded(t.endReasons[ended] ?? ended) : t.allowed;
}

// The owner's page: every look from the village, township or county at
// this node's cameras, newest first, filtered by camera, tier and refusal.
// Reloads when `latest` (the poll's newest look) changes, and tells `onSeen`.
export function Looks({ latest, onSeen }: { latest: number; onSeen: (seq: number) => void }) {
  const t = looksText();
  const [rows, setRows] = useState<RemoteLookRow[]>();
  const [searchedFrom, setSearchedFrom] = useState<number>();
  const [camera, setCamera] = useState("");
  const [tier, setTier] = useState<Tier | "">("");
  const [refusedOnly, setRefusedOnly] = useState(false);
  const [error, setError] = useState("");

  const load = async () => {
    setError("");
    try {
      const r = await api.remoteLooks({ limit: kLimit });
      setRows(r.rows);
      setSearchedFrom(r.searchedFrom);
      if (r.rows.length > 0) onSeen(r.rows[0].seq);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  useEffect(() => {
    load();
  }, [latest]);

  // Cameras by name, as on the audit page (a camera no longer listed: its id).
  const { cameras: list } = useCameras();
  const names = new Map((list ?? []).map((c) => [c.id, c.name]));
  const cameraName = (id: string) => names.get(id) ?? id;
  const cameras = [...new Set((rows ?? []).map((r) => r.camera))].sort();
  const shown = (rows ?? []).filter(
    (r) => shownAlone(r) && (!camera || r.camera === camera) && (!tier || r.look.tier === tier) && (!refusedOnly || r.look.refused),
  );

  return (
    <div class="audit-page looks-page">
      <h2>{t.title}</h2>
      <p class="empty">{t.intro}</p>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t.camera}
          <select name="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            <option value="">{t.all}</option>
            {cameras.map((c) => (
              <option key={c} value={c} translate={false}>
                {cameraName(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.tier}
          <select name="tier" value={tier} onChange={(e) => setTier(e.currentTarget.value as Tier | "")}>
            <option value="">{t.all}</option>
            {kTiers.map((x) => (
              <option key={x} value={x}>
                {t.tiers[x]}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" name="refused" checked={refusedOnly} onChange={(e) => setRefusedOnly(e.currentTarget.checked)} />
          {t.refusedOnly}
        </label>
        <button type="button" onClick={load}>
          {t.refresh}
        </button>
      </form>
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows && shown.length === 0 && <p class="empty">{rows.length === 0 ? t.none : t.noneMatch}</p>}
      {shown.length > 0 && (
        <div class="table-wrap">
          <table class="audit looks">
            <thead>
              <tr>
                <th>{t.columns.when}</th>
                <th>{t.columns.who}</th>
                <th>{t.columns.tier}</th>
                <th>{t.columns.camera}</th>
                <th>{t.columns.what}</th>
                <th>{t.columns.howLong}</th>
                <th>{t.columns.result}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.seq} class={r.look.refused ? "refused" : ""} data-seq={r.seq} data-what={r.look.what} data-tier={r.look.tier}>
                  <td>{dateTime(Date.parse(r.at))}</td>
                  <td class="who">
                    {r.look.who}
                    {r.look.via.length > 1 && <span class="via">{t.through(r.look.via.slice(1).join(" › "))}</span>}
                  </td>
                  <td>{t.tiers[r.look.tier] ?? r.look.tier}</td>
                  <td translate={false}>{cameraName(r.camera)}</td>
                  <td>{what(r)}</td>
                  <td>{howLong(r)}</td>
                  <td class="result">{result(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows!.length === kLimit && <p class="empty">{t.moreThan(kLimit)}</p>}
        </div>
      )}
      {searchedFrom !== undefined && <p class="empty">{t.olderNotSearched(dateTime(searchedFrom))}</p>}
    </div>
  );
}
