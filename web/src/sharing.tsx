import { useEffect, useState } from "preact/hooks";
import { type Share, type ShareRight, type Tier, api } from "./api";
import { sharingText } from "./sharing_text";
import { fromLocalInput, toLocalInput } from "./time";

const kTiers: Tier[] = ["village", "township", "county"];
const kRights: ShareRight[] = ["live", "playback", "export", "snapshot"];

// One row of the form per tier; a tier left off is not shared.
interface Row {
  on: boolean;
  rights: ShareRight[];
  onlyDuringAlarm: boolean;
  hours: string; // "08:00-20:00"; empty: all day
  expires: string; // datetime-local; empty: never
}

function rowsOf(shares: Share[]): Record<Tier, Row> {
  const rows = {} as Record<Tier, Row>;
  for (const tier of kTiers) {
    const s = shares.find((x) => x.tier === tier);
    rows[tier] = {
      on: !!s,
      rights: s ? s.rights : ["live"],
      onlyDuringAlarm: s?.only_during_alarm ?? false,
      hours: s?.hours ?? "",
      expires: s?.expires_at ? toLocalInput(Date.parse(s.expires_at)) : "",
    };
  }
  return rows;
}

function sharesOf(rows: Record<Tier, Row>): Share[] {
  return kTiers
    .filter((t) => rows[t].on)
    .map((tier) => {
      const r = rows[tier];
      const expires = r.expires ? fromLocalInput(r.expires) : undefined;
      return {
        tier,
        rights: r.rights,
        only_during_alarm: r.onlyDuringAlarm,
        hours: r.hours.trim() || null,
        expires_at: expires !== undefined ? new Date(expires).toISOString() : null,
      };
    });
}

// For the camera's admin: what the village, township and county may see of
// it. Nothing is shared until set here; the server checks every look.
export function Sharing({ id }: { id: string }) {
  const [rows, setRows] = useState<Record<Tier, Row>>();
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  const t = sharingText();

  useEffect(() => {
    api.shares(id).then(
      (s) => setRows(rowsOf(s)),
      (e) => setError(e.message),
    );
  }, [id]);

  const save = async (shares: Share[]) => {
    setError("");
    setMessage("");
    try {
      const stored = await api.setShares(id, shares);
      setRows(rowsOf(stored));
      setMessage(stored.length === 0 ? sharingText().sharedWithNone : sharingText().saved);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const edit = (tier: Tier, change: Partial<Row>) => rows && setRows({ ...rows, [tier]: { ...rows[tier], ...change } });

  return (
    <details class="sharing">
      <summary>{t.title}</summary>
      {rows && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save(sharesOf(rows));
          }}
        >
          {kTiers.map((tier) => {
            const r = rows[tier];
            return (
              <fieldset key={tier} class="share-row" data-tier={tier}>
                <label>
                  <input type="checkbox" name={`${tier}-on`} checked={r.on} onChange={(e) => edit(tier, { on: e.currentTarget.checked })} />
                  {t.shareWith[tier]}
                </label>
                {kRights.map((right) => (
                  <label key={right}>
                    <input
                      type="checkbox"
                      name={`${tier}-${right}`}
                      disabled={!r.on}
                      checked={r.rights.includes(right)}
                      onChange={(e) =>
                        edit(tier, {
                          rights: e.currentTarget.checked ? kRights.filter((x) => x === right || r.rights.includes(x)) : r.rights.filter((x) => x !== right),
                        })
                      }
                    />
                    {t.rights[right]}
                  </label>
                ))}
                <label>
                  <input
                    type="checkbox"
                    name={`${tier}-alarm`}
                    disabled={!r.on}
                    checked={r.onlyDuringAlarm}
                    onChange={(e) => edit(tier, { onlyDuringAlarm: e.currentTarget.checked })}
                  />
                  {t.onlyDuringAlarm}
                </label>
                <label>
                  {t.hours}
                  <input name={`${tier}-hours`} placeholder={t.allDay} disabled={!r.on} value={r.hours} onInput={(e) => edit(tier, { hours: e.currentTarget.value })} />
                </label>
                <label>
                  {t.until}
                  <input type="datetime-local" name={`${tier}-expires`} disabled={!r.on} value={r.expires} onInput={(e) => edit(tier, { expires: e.currentTarget.value })} />
                </label>
              </fieldset>
            );
          })}
          <div class="clip-row">
            <button type="submit">{t.save}</button>
            <button type="button" onClick={() => save([])}>
              {t.allOff}
            </button>
            {message !== "" && <span role="status">{message}</span>}
            {error !== "" && <span class="error">{error}</span>}
          </div>
        </form>
      )}
      {!rows && error !== "" && <p class="error">{error}</p>}
    </details>
  );
}
