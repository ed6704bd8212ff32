import { api } from "./api";
import { type AlertKind, alertText } from "./alert_text";
import { usePoll } from "./poll";
import { dateTime } from "./time";

// The node's open alerts (GET /api/v1/alerts), for its owner and desk
// (operators and admins): polled every 10 s, shown above every page.
export function Alerts({ enabled }: { enabled: boolean }) {
  const { value } = usePoll(enabled, api.alerts, 10_000);
  if (!enabled || !value?.length) return null;
  const t = alertText();
  return (
    <ul class="alerts" role="status">
      {value.map((a) => (
        <li key={`${a.kind}/${a.subject}`} class="notice alert" data-kind={a.kind} data-subject={a.subject}>
          {(t.kinds[a.kind as AlertKind] ?? ((s: string) => `${a.kind} ${s}`))(a.subject)} {t.since(dateTime(Date.parse(a.since)))}
          {a.detail && (
            <>
              {": "}
              <span translate={false}>{a.detail}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
