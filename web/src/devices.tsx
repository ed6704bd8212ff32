// Device sessions for a TV (design/AUDIT.md "Device sessions for a TV";
// the API: http/device_routes.h). The TV's login page shows a code
// (PairCode) that a logged-in user enters on a phone (AddTv, from the
// account page); the TV then stays signed in as that user. DeviceList
// shows the TVs that stay signed in, one's own or (for an admin) every
// user's, each signed out with one button.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Me, type PairingCode, type Session, api } from "./api";
import { devicesText } from "./devices_text";
import { clockTime, dateTime } from "./time";

// Shown on the TV until the code is confirmed (onPaired: the TV's session
// has begun) or expires: then a button asks for a new one, so a TV left on
// this screen does not ask for codes for ever.
export function PairCode({ onPaired }: { onPaired: (me: Me) => void }) {
  const t = devicesText();
  const [code, setCode] = useState<PairingCode | null>(null);
  const [state, setState] = useState<"asking" | "shown" | "expired" | "error">("asking");
  const [error, setError] = useState("");
  const [round, setRound] = useState(0); // a new code each round
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const wait = async (c: PairingCode) => {
      if (stopped) return;
      try {
        const answer = await api.pairWait(c.pairing);
        if (stopped) return;
        if (answer.state === "paired") return onPaired(answer);
        // Bounded: the server says 410 at the code's end; the TV stops at it too.
        if (Date.now() > Date.parse(c.expires_at)) return setState("expired");
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && (e.status === 410 || e.status === 404)) return setState("expired");
        // The network comes and goes: keep asking until the code's end.
        if (Date.now() > Date.parse(c.expires_at)) return setState("expired");
      }
      timer = window.setTimeout(() => wait(c), c.poll_ms);
    };
    setState("asking");
    api.pairStart().then(
      (c) => {
        if (stopped) return;
        setCode(c);
        setState("shown");
        timer = window.setTimeout(() => wait(c), c.poll_ms);
      },
      (e) => {
        if (stopped) return;
        setError(e instanceof Error ? e.message : String(e));
        setState("error");
      },
    );
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [round]);

  // A remote has no pointer: the new-code button takes the focus.
  useEffect(() => {
    if (state === "expired" || state === "error") root.current?.querySelector<HTMLElement>("button.pair-again")?.focus();
  }, [state]);

  return (
    <div class="pair" ref={root} data-state={state}>
      <h2>{t.pairTitle}</h2>
      {state === "asking" && <p class="dim">{t.pairAsking}</p>}
      {state === "shown" && code && (
        <>
          <p class="pair-how">{t.pairHow}</p>
          <p class="pair-code" translate={false} aria-live="polite">
            {code.code}
          </p>
          <p class="dim">{t.pairUntil(clockTime(Date.parse(code.expires_at), false))}</p>
        </>
      )}
      {(state === "expired" || state === "error") && (
        <>
          <p class={state === "error" ? "error" : "notice"} role="status">
            {state === "error" ? error : t.pairExpired}
          </p>
          <button type="button" class="pair-again" onClick={() => setRound(round + 1)}>
            {t.pairAgain}
          </button>
        </>
      )}
    </div>
  );
}

// The page a phone (any logged-in browser) signs a TV in from.
export function AddTv() {
  const t = devicesText();
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [outcome, setOutcome] = useState<{ ok: string } | { error: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setOutcome(null);
    try {
      const made = await api.confirmDevice(code, name);
      setOutcome({ ok: t.added(made.device ?? name) });
      setCode("");
      setName("");
    } catch (err) {
      setOutcome({ error: refusal(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="users-page add-tv-page">
      <h2>{t.addTitle}</h2>
      <p class="hint">{t.addHow}</p>
      {outcome && "ok" in outcome && (
        <p class="notice" role="status">
          {outcome.ok}
        </p>
      )}
      {outcome && "error" in outcome && (
        <p class="error" role="alert">
          {outcome.error}
        </p>
      )}
      <form class="add-tv" onSubmit={submit}>
        <label>
          {t.code}
          <input ref={field} name="code" class="code-field" required autocomplete="off" autocapitalize="characters"
            spellcheck={false} maxLength={12} value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value.toUpperCase())} />
        </label>
        <label>
          {t.name}
          <input name="name" required maxLength={64} autocomplete="off" placeholder={t.namePlaceholder} value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          {t.add}
        </button>
      </form>
      <p>
        <a href="#/account">{t.backToAccount}</a>
      </p>
    </div>
  );
}

// What a refused code means, in the reader's language.
function refusal(err: unknown): string {
  const t = devicesText();
  if (err instanceof ApiError) {
    if (err.status === 404) return t.unknownCode;
    if (err.status === 409) return err.message.includes("expired") ? t.expiredCode : t.usedCode;
    if (err.status === 429) return t.tooManyCodes;
  }
  return err instanceof Error ? err.message : String(err);
}

// The TVs that stay signed in: the caller's, or with `all` (an admin's)
// every user's, with the user named.
export function DeviceList({ all }: { all: boolean }) {
  const t = devicesText();
  const [devices, setDevices] = useState<Session[] | null>(null);
  const [outcome, setOutcome] = useState<{ ok: string } | { error: string } | null>(null);
  const load = async () => {
    try {
      setDevices(await api.devices());
    } catch (e) {
      setOutcome({ error: e instanceof Error ? e.message : String(e) });
    }
  };
  useEffect(() => {
    load();
  }, []);
  const signOut = async (d: Session) => {
    setOutcome(null);
    try {
      await api.endSession(d.id);
      setOutcome({ ok: t.signedOut(d.device ?? "") });
    } catch (e) {
      setOutcome({ error: e instanceof Error ? e.message : String(e) });
    }
    load();
  };
  const cols = t.columns;
  return (
    <section class="devices">
      <h3>{all ? t.allTvsTitle : t.tvsTitle}</h3>
      {outcome && (
        <p class={"ok" in outcome ? "notice" : "error"} role={"ok" in outcome ? "status" : "alert"}>
          {"ok" in outcome ? outcome.ok : outcome.error}
        </p>
      )}
      {devices?.length === 0 && <p class="empty">{t.noTvs}</p>}
      {devices && devices.length > 0 && (
        <table class="audit users-table devices-table">
          <thead>
            <tr>
              <th>{cols.name}</th>
              {all && <th>{cols.user}</th>}
              <th>{cols.since}</th>
              <th>{cols.lastUsed}</th>
              <th>{cols.from}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.id} data-device={d.id} data-user={d.user}>
                <td data-label={cols.name} translate={false}>
                  {d.device}
                </td>
                {all && (
                  <td data-label={cols.user} translate={false}>
                    {d.user}
                  </td>
                )}
                <td data-label={cols.since}>{dateTime(Date.parse(d.created_at))}</td>
                <td data-label={cols.lastUsed}>{dateTime(Date.parse(d.last_seen_at))}</td>
                <td data-label={cols.from} translate={false}>
                  {d.client}
                </td>
                <td class="actions">
                  <button type="button" class="sign-out-tv danger" onClick={() => signOut(d)}>
                    {t.signOut}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
