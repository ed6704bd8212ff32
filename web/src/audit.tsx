import { useState } from "preact/hooks";
import { type AuditRow, api } from "./api";
import { type AuditLine, auditLines } from "./audit_lines";
import { auditText } from "./audit_text";
import { TimeRangeFields, useFilteredList, useTimeRange } from "./filters";
import { useCameras } from "./grid";
import { DAY, clockTime, dateTime, duration } from "./time";

const kLimit = 500;

// The audit log in sentences (design/AUDIT.md "The log page"): names, not
// ids; looks in words, repeated ones grouped into one line. Filters by
// user, camera (picked by name) and time; newest first. For an admin,
// every row; for anyone else (`mine`), the server answers only the looks
// at the cameras they may see: "who looked at my cameras".
export function Audit({ mine }: { mine: boolean }) {
  const [user, setUser] = useState("");
  const [camera, setCamera] = useState("");
  const range = useTimeRange();
  const { cameras } = useCameras();
  const t = auditText();
  const { value: rows, error, load } = useFilteredList(() =>
    api.audit({ user: user.trim(), camera, start: range.startMs(), end: range.endMs(), limit: kLimit }),
  );
  const names = new Map((cameras ?? []).map((c) => [c.id, c.name]));
  const cameraName = (id: string) => names.get(id) ?? id;
  const lines = rows ? auditLines(rows) : [];

  return (
    <div class="audit-page">
      <h2>{mine ? t.mineTitle : t.title}</h2>
      {mine && <p class="empty">{t.mineIntro}</p>}
      <form class="filters" onSubmit={load}>
        <label>
          {t.user}
          <input name="user" value={user} data-arrows="horizontal" onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          {t.camera}
          <select name="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            <option value="">{t.allCameras}</option>
            {(cameras ?? []).map((c) => (
              <option key={c.id} value={c.id} translate={false}>
                {c.name}
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
      {rows && rows.length === 0 && <p class="empty">{t.none}</p>}
      {lines.length > 0 && (
        <div class="table-wrap">
          <table class="audit">
            <thead>
              <tr>
                <th>{t.columns.at}</th>
                <th>{t.columns.user}</th>
                <th>{t.columns.camera}</th>
                <th>{t.columns.action}</th>
                {!mine && <th>{t.columns.client}</th>}
                {!mine && <th>{t.columns.detail}</th>}
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <tr key={l.seqs[0]} data-action={l.row.action} data-kind={l.kind} data-count={l.count}>
                  <td>{dateTime(l.start)}</td>
                  <td translate={false}>{l.user || t.node}</td>
                  <td translate={false}>{l.camera && cameraName(l.camera)}</td>
                  <td class="what">{words(l)}</td>
                  {!mine && <td translate={false}>{l.row.client}</td>}
                  {!mine && (
                    <td class="detail" translate={false}>
                      {l.kind === "other" ? detailText(l.row.detail) : ""}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {rows!.length === kLimit && <p class="empty">{t.more(kLimit)}</p>}
        </div>
      )}
    </div>
  );
}

// "14:02–14:03", the date before the start when it is not today.
function rangeText(r: { start: number; end: number } | undefined): string {
  if (!r) return "";
  const today = Date.now() - r.start < DAY && new Date(r.start).getDate() === new Date().getDate();
  return `${today ? clockTime(r.start, false) : dateTime(r.start)}–${clockTime(r.end, false)}`;
}

function words(l: AuditLine): string {
  const t = auditText();
  switch (l.kind) {
    case "live":
      return l.open && l.count === 1 ? t.startedLive : t.watchedLive(duration(l.end - l.start), l.count);
    case "playback":
      return t.playedBack(rangeText(l.range));
    case "export":
      return t.downloaded(rangeText(l.range), l.count);
    case "snapshot":
      return t.snapshots(l.count);
    default:
      if (l.row.action === "refused") return t.refusedLook(String((l.row.detail as { reason?: unknown })?.reason ?? ""));
      return t.actions[l.row.action] ?? l.row.action;
  }
}

function detailText(detail: AuditRow["detail"]): string {
  if (detail === null || detail === undefined || detail === "") return "";
  if (typeof detail === "string") return detail;
  if (typeof detail === "object" && Object.keys(detail as object).length === 0) return "";
  return JSON.stringify(detail);
}
