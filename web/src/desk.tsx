// The duty desk (issue 15) at a village, township or county: the open
// alarms from the households below, live, with a sound and a flash until
// someone acknowledges each; acknowledge, assign, notes, close with an
// outcome; the household's shared cameras beside its alarm; the history
// with filters.
import { useEffect, useState } from "preact/hooks";
import { useAlarmFeed } from "./alarm_feed";
import { type Alarm, type AlarmKind, type AlarmPage, type AlarmState, ApiError, type Camera, api } from "./api";
import { useAlarmSound } from "./alarm_sound";
import { deskText } from "./desk_text";
import { useCameras } from "./grid";
import { LiveVideo } from "./live";
import { dateTime, fromLocalInput, SECOND } from "./time";

const kMaxActive = 1000;
const kHistoryLimit = 1000;
const kKinds: AlarmKind[] = ["medical", "fire", "intrusion", "other"];
const kStates: AlarmState[] = ["open", "acknowledged", "closed"];
const kMaxCameras = 4; // live tiles beside one alarm

const when = (rfc3339: string | null) => (rfc3339 ? dateTime(Date.parse(rfc3339)) : "");
const fromPath = (a: Alarm) => (a.node_path.length > 0 ? a.node_path.join(" › ") : a.node);

// The alarms not yet closed, oldest first, live.
async function notClosed(): Promise<AlarmPage> {
  const [open, acked] = await Promise.all([api.alarms({ state: "open", limit: kMaxActive }), api.alarms({ state: "acknowledged", limit: kMaxActive })]);
  // The older cursor: changes between the two lists come again, none is lost.
  return { alarms: [...open.alarms, ...acked.alarms], cursor: Math.min(open.cursor, acked.cursor) };
}
const isActive = (a: Alarm) => a.state !== "closed";
// A desk asks four times a second, so an alarm shows within a quarter of a
// second of reaching this node (bench/alarm.py); a desk is a few operators,
// and each ask is one indexed read.
const kDeskPollMs = SECOND / 4;
export type ActiveAlarms = ReturnType<typeof useActiveAlarms>;
export function useActiveAlarms(enabled: boolean) {
  return useAlarmFeed(enabled, notClosed, isActive, kDeskPollMs);
}

// The household's cameras visible here: `<path>.<camera>` ids, the path
// ending at the alarm's node; only those the alarm names when it names any.
function alarmCameras(a: Alarm, cameras: Camera[]): Camera[] {
  return cameras
    .filter((c) => {
      const dot = c.id.lastIndexOf(".");
      if (dot < 0) return false;
      const path = c.id.slice(0, dot).split(".");
      return path[path.length - 1] === a.node && (a.cameras.length === 0 || a.cameras.includes(c.id.slice(dot + 1)));
    })
    .slice(0, kMaxCameras);
}

// `active`: the app's poll of the alarms not closed (it counts the open
// ones in the menu too).
export function Desk({ active }: { active: ActiveAlarms }) {
  const t = deskText();
  const { alarms, error, put } = active;
  const { cameras } = useCameras();
  const ringing = alarms?.some((a) => a.state === "open") ?? false;
  // The sound while any alarm is open.
  const sound = useAlarmSound(ringing);

  return (
    <div class={`desk-page${ringing ? " ringing" : ""}`}>
      <h2>{t.title}</h2>
      {sound === "suspended" && (
        <p class="notice enable-sound" role="alert">
          {t.enableSound}
        </p>
      )}
      {sound === "unavailable" && <p class="notice">{t.noSound}</p>}
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h3>{t.active}</h3>
      {alarms && alarms.length === 0 && <p class="empty">{t.noneActive}</p>}
      <div class="desk-alarms">
        {alarms?.map((a) => (
          <DeskAlarm key={a.id} alarm={a} cameras={alarmCameras(a, cameras ?? [])} onChanged={put} />
        ))}
      </div>
      <History />
    </div>
  );
}

// One alarm at the desk; onChanged gets the alarm as an action left it.
function DeskAlarm({ alarm: a, cameras, onChanged }: { alarm: Alarm; cameras: Camera[]; onChanged: (a: Alarm) => void }) {
  const t = deskText();
  const [assignee, setAssignee] = useState("");
  const [note, setNote] = useState("");
  const [outcome, setOutcome] = useState("");
  const [message, setMessage] = useState("");

  const act = async (action: () => Promise<Alarm>, after?: () => void) => {
    setMessage("");
    try {
      onChanged(await action());
      after?.();
    } catch (e) {
      const lost = e instanceof ApiError && e.status === 409 && (e.body as { acknowledged_by?: string } | null)?.acknowledged_by;
      setMessage(lost ? t.alreadyAcked(lost) : t.failed(e instanceof Error ? e.message : String(e)));
    }
  };

  return (
    <article class={`desk-alarm state-${a.state}${a.state === "open" ? " flash" : ""}`} data-alarm={a.id} data-state={a.state}>
      <div class="facts">
        <p class="headline">
          <span class={`kind kind-${a.kind}`}>{t.kinds[a.kind] ?? a.kind}</span> <span class="from">{t.from(fromPath(a))}</span>
        </p>
        <p class="when">
          {t.raisedAt(when(a.raised_at))}
          {a.escalated_to && <span class="escalated"> · {t.escalatedTo(a.escalated_to)}</span>}
        </p>
        {a.acknowledged_by && <p class="acked">{t.acknowledgedBy(a.acknowledged_by, when(a.acknowledged_at))}</p>}
        {a.assigned_to && <p class="assigned">{t.assignedTo(a.assigned_to)}</p>}
        {a.notes.length > 0 && (
          <ul class="notes">
            {a.notes.map((n) => (
              <li key={n.at + n.by}>
                <span class="by">{n.by}</span> {n.text}
              </li>
            ))}
          </ul>
        )}
        {message !== "" && (
          <p class="notice act-message" role="alert">
            {message}
          </p>
        )}
        <div class="actions">
          {a.state === "open" && (
            <button class="ack" onClick={() => act(() => api.ackAlarm(a.id))}>
              {t.ack}
            </button>
          )}
          <form class="inline" onSubmit={(e) => (e.preventDefault(), assignee.trim() && act(() => api.assignAlarm(a.id, assignee.trim()), () => setAssignee("")))}>
            <input name="assign" placeholder={t.assignTo} value={assignee} data-arrows="horizontal" onInput={(e) => setAssignee(e.currentTarget.value)} />
            <button type="submit">{t.assign}</button>
          </form>
          <form class="inline" onSubmit={(e) => (e.preventDefault(), note.trim() && act(() => api.noteAlarm(a.id, note.trim()), () => setNote("")))}>
            <input name="note" placeholder={t.note} value={note} data-arrows="horizontal" onInput={(e) => setNote(e.currentTarget.value)} />
            <button type="submit">{t.addNote}</button>
          </form>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              if (!outcome.trim()) return setMessage(t.outcomeNeeded);
              act(() => api.closeAlarm(a.id, outcome.trim()));
            }}
          >
            <input name="outcome" placeholder={t.outcome} value={outcome} data-arrows="horizontal" onInput={(e) => setOutcome(e.currentTarget.value)} />
            <button type="submit">{t.close}</button>
          </form>
        </div>
      </div>
      <div class="alarm-cameras" aria-label={t.cameras}>
        {cameras.length === 0 && <p class="empty">{t.noCameras}</p>}
        {cameras.map((c) => (
          <div key={c.id} class="alarm-camera">
            <LiveVideo camera={c.id} />
            <span class="caption">{c.name}</span>
          </div>
        ))}
      </div>
    </article>
  );
}

// Past alarms (any state), filtered by state, kind, household and date.
function History() {
  const t = deskText();
  const [state, setState] = useState<AlarmState | "">("closed");
  const [kind, setKind] = useState<AlarmKind | "">("");
  const [node, setNode] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [rows, setRows] = useState<Alarm[]>();
  const [error, setError] = useState("");

  const load = async (e?: Event) => {
    e?.preventDefault();
    setError("");
    try {
      setRows((await api.alarms({ state: state || undefined, limit: kHistoryLimit })).alarms);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  useEffect(() => {
    load();
  }, [state]);

  const start = from ? fromLocalInput(from) : undefined;
  const end = to ? fromLocalInput(to) : undefined;
  const shown = (rows ?? [])
    .filter((a) => {
      const at = Date.parse(a.raised_at);
      return (
        (!kind || a.kind === kind) &&
        (!node.trim() || fromPath(a).includes(node.trim())) &&
        (start === undefined || at >= start) &&
        (end === undefined || at < end)
      );
    })
    .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));

  return (
    <section class="desk-history">
      <h3>{t.history}</h3>
      <form class="filters" onSubmit={load}>
        <label>
          {t.filters.state}
          <select name="state" value={state} onChange={(e) => setState(e.currentTarget.value as AlarmState | "")}>
            <option value="">{t.filters.all}</option>
            {kStates.map((s) => (
              <option key={s} value={s}>
                {t.states[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.filters.kind}
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as AlarmKind | "")}>
            <option value="">{t.filters.all}</option>
            {kKinds.map((k) => (
              <option key={k} value={k}>
                {t.kinds[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.filters.node}
          <input name="node" value={node} data-arrows="horizontal" onInput={(e) => setNode(e.currentTarget.value)} />
        </label>
        <label>
          {t.filters.from}
          <input type="datetime-local" step="1" name="from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          {t.filters.to}
          <input type="datetime-local" step="1" name="to" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit">{t.filters.show}</button>
      </form>
      {error !== "" && <p class="error">{error}</p>}
      {rows && shown.length === 0 && <p class="empty">{t.noneMatch}</p>}
      {shown.length > 0 && (
        <div class="table-wrap">
          <table class="audit alarms">
            <thead>
              <tr>
                <th>{t.columns.raised}</th>
                <th>{t.columns.node}</th>
                <th>{t.columns.kind}</th>
                <th>{t.columns.state}</th>
                <th>{t.columns.by}</th>
                <th>{t.columns.outcome}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => (
                <tr key={a.id} data-alarm={a.id} data-kind={a.kind} data-state={a.state}>
                  <td>{when(a.raised_at)}</td>
                  <td>{fromPath(a)}</td>
                  <td>{t.kinds[a.kind] ?? a.kind}</td>
                  <td>{t.states[a.state] ?? a.state}</td>
                  <td>{a.acknowledged_by ?? ""}</td>
                  <td>{a.outcome ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
