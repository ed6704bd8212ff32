import { useState } from "preact/hooks";
import { api } from "./api";
import { TimeRangeFields, useFilteredList, useTimeRange } from "./filters";
import { dateTime } from "./time";

const kLimit = 500;

// The audit log for admins: who looked at what, and when. Filters by user,
// camera and time; newest first as the server sends them.
export function Audit() {
  const [user, setUser] = useState("");
  const [camera, setCamera] = useState("");
  const range = useTimeRange();
  const { value: rows, error, load } = useFilteredList(() =>
    api.audit({ user: user.trim(), camera: camera.trim(), start: range.startMs(), end: range.endMs(), limit: kLimit }),
  );

  return (
    <div class="audit-page">
      <h2>Audit log</h2>
      <form class="filters" onSubmit={load}>
        <label>
          User
          <input name="user" value={user} data-arrows="horizontal" onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Camera
          <input name="camera" value={camera} data-arrows="horizontal" onInput={(e) => setCamera(e.currentTarget.value)} />
        </label>
        <TimeRangeFields range={range} from="From" to="To" />
        <button type="submit">Show</button>
      </form>
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows && rows.length === 0 && <p class="empty">No audit entries match.</p>}
      {rows && rows.length > 0 && (
        <div class="table-wrap">
          <table class="audit">
            <thead>
              <tr>
                <th>#</th>
                <th>Time</th>
                <th>User</th>
                <th>Action</th>
                <th>Camera</th>
                <th>Client</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.seq}>
                  <td>{r.seq}</td>
                  <td>{dateTime(Date.parse(r.at))}</td>
                  <td>{r.user}</td>
                  <td>{r.action}</td>
                  <td>{r.camera}</td>
                  <td>{r.client}</td>
                  <td class="detail">{detailText(r.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === kLimit && <p class="empty">Showing the newest {kLimit}; narrow the filters to see older entries.</p>}
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
