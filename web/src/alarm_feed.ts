import { useEffect, useRef, useState } from "preact/hooks";
import { type Alarm, type AlarmPage, api } from "./api";
import { SECOND } from "./time";

const kMaxChanges = 1000;

// The alarms a page follows, live: `first` lists them and gives a cursor,
// then GET /api/v1/alarms?since=cursor brings every change after it, in
// order; an alarm that changed stays while `keep` says so. The next ask
// goes at once when one brought a full page of changes, else after
// `pollMs` (the server has no long poll: design/ALARMS.md "API"). `put`
// shows an alarm an action answered with before its change comes round.
export function useAlarmFeed(
  enabled: boolean,
  first: () => Promise<AlarmPage>,
  keep: (a: Alarm) => boolean,
  pollMs = SECOND,
): { alarms: Alarm[] | undefined; error: string; put: (a: Alarm) => void } {
  const [byId, setById] = useState<Map<string, Alarm>>();
  const [error, setError] = useState("");
  const keepRef = useRef(keep);
  keepRef.current = keep;

  const merge = (list: Alarm[], fresh: boolean) =>
    setById((old) => {
      const next = new Map(fresh ? [] : old ?? []);
      for (const a of list) {
        // Changes come in order, but an action's answer may be newer.
        if ((next.get(a.id)?.change ?? -1) > a.change) continue;
        if (keepRef.current(a)) next.set(a.id, a);
        else next.delete(a.id);
      }
      return next;
    });

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer = 0;
    let cursor: number | undefined;
    const poll = async () => {
      let again = pollMs;
      try {
        if (cursor === undefined) {
          const page = await first();
          if (!live) return;
          merge(page.alarms, true);
          cursor = page.cursor;
        } else {
          const page = await api.alarms({ since: cursor, limit: kMaxChanges });
          if (!live) return;
          merge(page.alarms, false);
          cursor = page.cursor;
          if (page.alarms.length === kMaxChanges) again = 0;
        }
        setError("");
      } catch (e) {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
      }
      timer = window.setTimeout(poll, again);
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [enabled]);

  const alarms = byId && [...byId.values()].sort((a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at));
  return { alarms, error, put: (a: Alarm) => merge([a], false) };
}
