import { useState } from "preact/hooks";
import { api } from "./api";
import { auditText } from "./audit_text";
import { TimeRangeFields, useFilteredList, useTimeRange } from "./filters";
import { dateTime } from "./time";

const kLimit = 500;

// The audit log for admins: who looked at what, and when. Filters by user,
// camera and time; newest first as the server sends them.
export function Audit() {
  const [user, setUser] = useState("");
  const [camera, setCamera] = useState("");
  const range = useTimeRange();
  const t = auditText();
  const { value: rows, error, load } = useFilteredList(() =>
    api.audit({ user: user.trim(), camera: camera.trim(), start: range.startMs(), end: range.endMs(), limit: kLimit }),
  );

  return (
    <div class="audit-page">
      <h2>{t.title}</h2>
      <form class="filters" onSubmit={load}>
        <label>
          {t.user}
          <input name="user" value={user} data-arrows="horizontal" onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          {t.camera}
          <input name="camera" value={camera} data-arrows="horizontal" onInput={(e) => setCamera(e.currentTarget.value)} />
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
      {rows && rows.length > 0 && (
        <div class="table-wrap">
          <table class="audit">
            <thead>
              <tr>
                {Object.values(t.columns).map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.seq} data-action={r.action}>
                  <td>{r.seq}</td>
                  <td>{dateTime(Date.parse(r.at))}</td>
                  <td translate={false}>{r.user}</td>
                  <td>{t.actions[r.action] ?? r.action}</td>
                  <td translate={false}>{r.camera}</td>
                  <td translate={false}>{r.client}</td>
                  <td class="detail" translate={false}>
                    {detailText(r.detail)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === kLimit && <p class="empty">{t.more(kLimit)}</p>}
        </div>
      )}
    </div>
  );
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined || detail === "") return "";
  if (typeof detail === "string") return detail;
  if (typeof detail === "object" && Object.keys(detail as object).length === 0) return "";
  return JSON.stringify(detail);
}
