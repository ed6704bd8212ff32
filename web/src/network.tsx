import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Invite, type LinkChild, type LinkParent, type LinkState, type NodeTier, api } from "./api";
import { RegisterSettingsPanel } from "./register";
import { networkText } from "./network_text";
import { overviewText } from "./overview_text";
import { QrCode, joinText, parseJoinText } from "./qr";
import { SECOND, dateTime, quantity } from "./time";

const kPollMs = 5 * SECOND;
// How long errors of a node restarting after a join are not shown.
const kRestartMs = 60 * SECOND;
const kTierOrder: NodeTier[] = ["household", "village", "township", "county"];
const below = (tier: NodeTier): NodeTier | undefined => kTierOrder[kTierOrder.indexOf(tier) - 1];

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const when = (iso: string | null) => (iso ? dateTime(Date.parse(iso)) : networkText().never);

// The owner's switch: this node's totals go to the tiers above, or not
// (design/UPTIME.md, "Overview").
function TotalsSwitch({ shared, onChange }: { shared: boolean; onChange: (shared: boolean) => void }) {
  const t = overviewText();
  return (
    <div class="totals-switch">
      <h4>{t.totalsTitle}</h4>
      <p>{shared ? t.totalsOn : t.totalsOff}</p>
      <button class="totals-toggle" onClick={() => onChange(!shared)}>
        {shared ? t.totalsTurnOff : t.totalsTurnOn}
      </button>
    </div>
  );
}

// For a node's admin: its place in the network of tiers. A parent (a
// village, township, county) sees its children and invitations and makes
// new ones, with a QR code; a node without a parent joins one here.
export function Network() {
  const t = networkText();
  const [state, setState] = useState<LinkState | null>(); // null: no tier link on this node
  const [invites, setInvites] = useState<Invite[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const restartingUntil = useRef(0);

  const load = async () => {
    try {
      const s = await api.link();
      setState(s);
      if (s.node.tier !== "household") setInvites(await api.invites());
      setError("");
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setState(null);
      // A node restarting after a join does not answer for a moment (status 0).
      else if (!(e instanceof ApiError && e.status === 0 && Date.now() < restartingUntil.current)) setError(message(e));
    }
  };
  useEffect(() => {
    load();
    const timer = window.setInterval(load, kPollMs);
    return () => clearInterval(timer);
  }, []);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setNotice("");
    setError("");
    try {
      await what();
      setNotice(done);
    } catch (e) {
      setError(message(e));
    }
    load();
  };

  return (
    <div class="audit-page network-page">
      <h2>{t.title}</h2>
      <Alert text={error} />
      {notice !== "" && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {state === null && <p class="empty">{t.noLink}</p>}
      {state && (
        <>
          <p class="self">
            {t.self(state.node.name, state.node.id, state.node.tier)}{" "}
            <span class="empty">
              {t.fingerprint} <code>{state.node.fingerprint}</code>
            </span>
          </p>
          <section class="link-parent">
            <h3>{t.parentTitle}</h3>
            {state.parent && <ParentState parent={state.parent} />}
            {state.parent && (
              <TotalsSwitch
                shared={state.node.shares_totals}
                onChange={(shared) => act(() => api.setSharesTotals(shared), shared ? overviewText().totalsOn : overviewText().totalsOff)}
              />
            )}
            {!state.parent && state.node.tier === "county" && <p class="empty">{t.root(state.node.tier)}</p>}
            {!state.parent && state.node.tier !== "county" && (
              <JoinForm
                onJoined={(done, restarting) => {
                  if (restarting) restartingUntil.current = Date.now() + kRestartMs;
                  setNotice(done);
                  load();
                }}
              />
            )}
          </section>
          {state.node.tier === "household" ? (
            <p class="empty">{t.householdHasNone}</p>
          ) : (
            <>
              <section class="link-children">
                <h3>{t.childrenTitle}</h3>
                <Children children={state.children} onRemove={(id) => act(() => api.removeChild(id), t.removed(id))} />
              </section>
              <section class="link-invites">
                <h3>{t.invitesTitle}</h3>
                <Invites
                  invites={invites.filter((i) => i.state === "pending")}
                  onRevoke={(i) => act(() => api.revokeInvite(i.id), t.revoked(i.name))}
                />
              </section>
              <InviteForm childTier={below(state.node.tier)} onMade={load} />
            </>
          )}
        </>
      )}
      <RegisterSettingsPanel />
    </div>
  );
}

function ParentState({ parent }: { parent: LinkParent }) {
  const t = networkText();
  return (
    <dl class="link-state" data-state={parent.state}>
      <dt>{t.parentLine(parent)}</dt>
      <dd class="state">
        <span class={`dot ${parent.state === "connected" ? "ok" : "bad"}`} /> {t.parentStates[parent.state] ?? parent.state}
        {parent.state === "connected" && parent.connected_since && ` ${t.since(when(parent.connected_since))}`}
        {parent.state !== "connected" && parent.reason && (
          <>
            {t.colon}
            {/* the server's own words */}
            <span class="reason" translate={false}>
              {parent.reason}
            </span>
          </>
        )}
      </dd>
      {parent.state !== "restart_needed" && (
        <dd>
          {t.lastSeen(when(parent.last_seen))}
          {parent.rtt_ms !== null && t.roundTrip(quantity(parent.rtt_ms, "millisecond"))}
        </dd>
      )}
    </dl>
  );
}

// The child's side: the parent's address and code, typed, or pasted as the
// text of the parent's QR code (which fills both).
function JoinForm({ onJoined }: { onJoined: (done: string, restarting: boolean) => void }) {
  const t = networkText();
  const [pasted, setPasted] = useState("");
  const [parent, setParent] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const paste = (text: string) => {
    setPasted(text);
    if (text.trim() === "") return setError("");
    const parsed = parseJoinText(text);
    if (!parsed) return setError(t.pasteNotInvitation);
    setError("");
    setParent(parsed.parent);
    setCode(parsed.code);
  };
  const join = async () => {
    setBusy(true);
    setError("");
    try {
      const r = await api.joinParent(parent.trim(), code.trim());
      onJoined(t.joined(r.parent.tier, r.parent.name, r.restarting === true), r.restarting === true);
    } catch (e) {
      setError(message(e));
    }
    setBusy(false);
  };

  return (
    <form
      class="join-form"
      onSubmit={(e) => {
        e.preventDefault();
        join();
      }}
    >
      <h4>{t.joinTitle}</h4>
      <p class="empty">{t.joinIntro}</p>
      <label>
        {t.paste}
        <textarea name="pasted" data-arrows="horizontal" rows={2} placeholder={t.pastePlaceholder} value={pasted} onInput={(e) => paste(e.currentTarget.value)} />
      </label>
      <label>
        {t.parentUrl}
        <input name="parent" data-arrows="horizontal" placeholder={t.urlPlaceholder} value={parent} onInput={(e) => setParent(e.currentTarget.value)} />
      </label>
      <label>
        {t.code}
        <input name="code" data-arrows="horizontal" placeholder={t.codePlaceholder} value={code} onInput={(e) => setCode(e.currentTarget.value)} />
      </label>
      <div class="clip-row">
        <button type="submit" disabled={busy || parent.trim() === "" || code.trim() === ""}>
          {busy ? t.joining : t.join}
        </button>
      </div>
      <Alert text={error} />
    </form>
  );
}

const Alert = ({ text }: { text: string }) =>
  text === "" ? null : (
    <p class="error" role="alert">
      {text}
    </p>
  );

const Head = ({ cells }: { cells: string[] }) => (
  <thead>
    <tr>
      {cells.map((c, i) => (
        <th key={i}>{c}</th>
      ))}
    </tr>
  </thead>
);

function Children({ children, onRemove }: { children: LinkChild[]; onRemove: (id: string) => void }) {
  const t = networkText();
  const [confirming, setConfirming] = useState("");
  if (children.length === 0) return <p class="empty">{t.noChildren}</p>;
  return (
    <div class="table-wrap">
      <table class="audit children">
        <Head cells={Object.values(t.columns)} />
        <tbody>
          {children.map((c) => (
            <tr key={c.id} data-child={c.id} data-state={c.state}>
              <td>{c.id}</td>
              <td>{c.name}</td>
              <td>{t.tier(c.tier)}</td>
              <td class="state">
                <span class={`dot ${c.state === "connected" ? "ok" : "bad"}`} /> {t.childStates[c.state] ?? c.state}
                {c.state === "connected" && c.connected_since && ` ${t.since(when(c.connected_since))}`}
              </td>
              <td>{when(c.last_seen)}</td>
              <td>{c.rtt_ms === null ? "" : quantity(c.rtt_ms, "millisecond")}</td>
              <td>
                {confirming === c.id ? (
                  <span class="confirm">
                    {t.removeConfirm(c.id)}{" "}
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setConfirming("");
                        onRemove(c.id);
                      }}
                    >
                      {t.removeYes}
                    </button>{" "}
                    <button type="button" onClick={() => setConfirming("")}>
                      {t.cancel}
                    </button>
                  </span>
                ) : (
                  <button type="button" onClick={() => setConfirming(c.id)}>
                    {t.remove}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Invites({ invites, onRevoke }: { invites: Invite[]; onRevoke: (i: Invite) => void }) {
  const t = networkText();
  if (invites.length === 0) return <p class="empty">{t.noInvites}</p>;
  return (
    <div class="table-wrap">
      <table class="audit invites">
        <Head cells={Object.values(t.inviteColumns)} />
        <tbody>
          {invites.map((i) => (
            <tr key={i.id} data-invite={i.id}>
              <td>{i.name}</td>
              <td>{i.tier ? t.tier(i.tier) : ""}</td>
              <td>{when(i.expires_at)}</td>
              <td>
                <button type="button" onClick={() => onRevoke(i)}>
                  {t.revoke}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// The parent's address as children reach it: by default this page's
// origin when it is HTTPS (the link is TLS only), else to be typed.
const defaultUrl = () => (location.protocol === "https:" ? location.origin : "");

// The parent's side: a new invitation, its code in large type and, with
// the parent's address, a QR code a phone or the child's page can read.
function InviteForm({ childTier, onMade }: { childTier: NodeTier | undefined; onMade: () => void }) {
  const t = networkText();
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("24h");
  const [url, setUrl] = useState(defaultUrl);
  const [made, setMade] = useState<Invite>();
  const [error, setError] = useState("");

  const create = async () => {
    setError("");
    setMade(undefined);
    try {
      const invite = await api.createInvite(name.trim(), expires);
      setMade(invite);
      setName("");
      onMade();
    } catch (e) {
      setError(message(e));
    }
  };
  // Follows the address field: the admin may correct it after the code is made.
  const text = made?.code && url.trim() !== "" ? joinText(url.trim(), made.code) : "";

  return (
    <section class="link-invite">
      <h3>{t.inviteTitle(childTier)}</h3>
      <form
        class="filters invite-form"
        onSubmit={(e) => {
          e.preventDefault();
          create();
        }}
      >
        <label>
          {t.inviteName}
          <input name="name" data-arrows="horizontal" required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t.expires}
          <select name="expires" value={expires} onChange={(e) => setExpires(e.currentTarget.value)}>
            {Object.entries(t.lifetimes).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label class="wide">
          {t.myUrl}
          <input name="url" data-arrows="horizontal" placeholder={t.urlPlaceholder} title={t.myUrlHint} value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={name.trim() === ""}>
          {t.create}
        </button>
      </form>
      <Alert text={error} />
      {made && (
        <div class="invitation" data-invite={made.id}>
          <p role="status">{t.inviteMade(made.name, when(made.expires_at))}</p>
          <p class="invite-code" translate={false}>
            {made.code}
          </p>
          {text !== "" && (
            <>
              <QrCode text={text} label={t.qrLabel} />
              <p class="empty">{t.inviteHowTo}</p>
              <label class="qr-text">
                {t.qrText}
                <input readOnly name="qr-text" data-arrows="horizontal" value={text} onFocus={(e) => e.currentTarget.select()} />
              </label>
            </>
          )}
          {text === "" && <p class="empty">{t.myUrlHint}</p>}
        </div>
      )}
    </section>
  );
}
