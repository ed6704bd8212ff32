// The "Users" page (an admin's: add users, change roles, reset passwords,
// grant and revoke cameras, disable and delete, each confirmed where it
// cannot be undone) and the "Account" page (everyone's: change one's own
// password, see one's sessions and end them). The API: http/access_routes.h.
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Me, type Role, type Session, type User, api } from "./api";
import { DeviceList } from "./devices";
import { devicesText } from "./devices_text";
import { dateTime } from "./time";
import { usersText } from "./users_text";
import "./users.css";

const kRoles: Role[] = ["viewer", "operator", "admin"];
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const when = (iso: string | null) => (iso ? dateTime(Date.parse(iso)) : usersText().never);

// A page's outcome line: what was done, or what went wrong (also the
// Cameras page's, cameras_admin.tsx).
export type Outcome = { ok: string } | { error: string } | null;
export function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  return "ok" in outcome ? (
    <p class="notice" role="status">
      {outcome.ok}
    </p>
  ) : (
    <p class="error" role="alert">
      {outcome.error}
    </p>
  );
}

// Runs a change, says how it went, reloads.
export function useAct(reload: () => void) {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const act = async (what: () => Promise<unknown>, done: string) => {
    setOutcome(null);
    try {
      await what();
      setOutcome({ ok: done });
    } catch (e) {
      setOutcome({ error: message(e) });
    }
    reload();
  };
  return { outcome, setOutcome, act };
}

export function Users({ me }: { me: Me }) {
  const t = usersText();
  const [users, setUsers] = useState<User[]>([]);
  const [cameras, setCameras] = useState<string[]>([]);
  const load = async () => {
    try {
      setUsers(await api.users());
      setCameras((await api.cameras()).map((c) => c.id));
    } catch (e) {
      setOutcome({ error: message(e) });
    }
  };
  const { outcome, setOutcome, act } = useAct(load);
  useEffect(() => {
    load();
  }, []);

  return (
    <div class="users-page">
      <h2>{t.title}</h2>
      <OutcomeLine outcome={outcome} />
      <p class="hint">{t.roleHelp}</p>
      <table class="audit users-table">
        <thead>
          <tr>
            {Object.values(t.columns).map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <UserRow key={u.id} user={u} self={u.id === me.user} cameras={cameras} act={act} />
          ))}
        </tbody>
      </table>
      <AddUser cameras={cameras} act={act} />
      <DeviceList all />
    </div>
  );
}

type Act = (what: () => Promise<unknown>, done: string) => Promise<void>;

function UserRow({ user: u, self, cameras, act }: { user: User; self: boolean; cameras: string[]; act: Act }) {
  const t = usersText();
  const cols = t.columns;
  // What is open under the row: a password form or a confirmation.
  const [open, setOpen] = useState<"" | "password" | "disable" | "remove">("");
  const [password, setPassword] = useState("");
  const ungranted = cameras.filter((c) => !u.cameras.includes(c));
  const [pick, setPick] = useState("");
  const close = () => {
    setOpen("");
    setPassword("");
  };
  return (
    <tr data-user={u.id} data-role={u.role} data-disabled={u.disabled ? "true" : "false"}>
      <td data-label={cols.id}>
        <span translate={false}>{u.id}</span> {self && t.you}
      </td>
      <td data-label={cols.role}>
        <select
          class="role"
          aria-label={cols.role}
          value={u.role}
          onChange={(e) => {
            const role = (e.target as HTMLSelectElement).value as Role;
            act(() => api.changeUser(u.id, { role }), t.roleChanged(u.id, role));
          }}
        >
          {kRoles.map((r) => (
            <option key={r} value={r}>
              {t.role(r)}
            </option>
          ))}
        </select>
      </td>
      <td data-label={cols.cameras} class="grants">
        {u.role !== "viewer" ? (
          t.allCameras
        ) : (
          <>
            {u.cameras.length === 0 && <span class="dim">{t.noCameras}</span>}
            {u.cameras.map((c) => (
              <span class="grant" key={c} data-camera={c}>
                <span translate={false}>{c}</span>
                <button type="button" class="revoke" aria-label={t.revokeLabel(c)} title={t.revokeLabel(c)}
                  onClick={() => act(() => api.setGrants(u.id, u.cameras.filter((x) => x !== c)), t.revoked(u.id, c))}>
                  ×
                </button>
              </span>
            ))}
            {ungranted.length > 0 && (
              <span class="grant-new">
                <select aria-label={t.grantPick} value={pick} onChange={(e) => setPick((e.target as HTMLSelectElement).value)}>
                  <option value="">{t.grantPick}</option>
                  {ungranted.map((c) => (
                    <option key={c} value={c} translate={false}>
                      {c}
                    </option>
                  ))}
                </select>
                <button type="button" class="grant-add" disabled={pick === ""}
                  onClick={() => {
                    const c = pick;
                    setPick("");
                    act(() => api.setGrants(u.id, [...u.cameras, c]), t.granted(u.id, c));
                  }}>
                  {t.grant}
                </button>
              </span>
            )}
          </>
        )}
      </td>
      <td data-label={cols.lastLogin}>{when(u.last_login_at)}</td>
      <td data-label={cols.state} class="state">
        {u.disabled ? t.disabled : t.enabled}
      </td>
      <td class="actions">
        {open === "" && (
          <>
            {/* One's own password: the account page, with the current one. */}
            {!self && (
              <button type="button" class="reset" onClick={() => setOpen("password")}>
                {t.resetPassword}
              </button>
            )}
            {u.disabled ? (
              <button type="button" class="enable" onClick={() => act(() => api.changeUser(u.id, { disabled: false }), t.enabledDone(u.id))}>
                {t.enable}
              </button>
            ) : (
              <button type="button" class="disable" onClick={() => setOpen("disable")}>
                {t.disable}
              </button>
            )}
            <button type="button" class="remove danger" onClick={() => setOpen("remove")}>
              {t.remove}
            </button>
          </>
        )}
        {open === "password" && (
          <form
            class="reset-form"
            onSubmit={(e) => {
              e.preventDefault();
              const p = password;
              close();
              act(() => api.resetPassword(u.id, p), t.passwordReset(u.id));
            }}
          >
            <input type="password" autocomplete="new-password" required minLength={12} aria-label={t.newPasswordFor(u.id)}
              placeholder={t.newPasswordFor(u.id)} value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
            <button type="submit">{t.save}</button>
            <button type="button" onClick={close}>
              {t.cancel}
            </button>
          </form>
        )}
        {(open === "disable" || open === "remove") && (
          <span class="confirm">
            {open === "disable" ? t.disableConfirm(u.id) : t.removeConfirm(u.id)}{" "}
            <button
              type="button"
              class="danger confirm-yes"
              onClick={() => {
                close();
                if (open === "disable") act(() => api.changeUser(u.id, { disabled: true }), t.disabledDone(u.id));
                else act(() => api.removeUser(u.id), t.removed(u.id));
              }}
            >
              {open === "disable" ? t.disableYes : t.removeYes}
            </button>{" "}
            <button type="button" onClick={close}>
              {t.cancel}
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}

function AddUser({ cameras, act }: { cameras: string[]; act: Act }) {
  const t = usersText();
  const [id, setId] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [password, setPassword] = useState("");
  const [granted, setGranted] = useState<string[]>([]);
  const submit = (e: Event) => {
    e.preventDefault();
    const user = { id, role, password, cameras: role === "viewer" ? granted : [] };
    act(async () => {
      await api.addUser(user);
      setId("");
      setPassword("");
      setGranted([]);
    }, t.added(id));
  };
  return (
    <form class="add-user" onSubmit={submit}>
      <h3>{t.addTitle}</h3>
      <label>
        {t.userName}
        <input name="id" required pattern="[a-z0-9_\-]{1,64}" autocomplete="off" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        {t.columns.role}
        <select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
          {kRoles.map((r) => (
            <option key={r} value={r}>
              {t.role(r)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.password}
        <input name="password" type="password" required minLength={12} autocomplete="new-password" value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </label>
      {role === "viewer" && cameras.length > 0 && (
        <fieldset class="grant-pick">
          <legend>{t.camerasToGrant}</legend>
          {cameras.map((c) => (
            <label key={c} class="check">
              <input type="checkbox" name="camera" value={c} checked={granted.includes(c)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  setGranted(on ? [...granted, c] : granted.filter((x) => x !== c));
                }} />
              <span translate={false}>{c}</span>
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit">{t.add}</button>
    </form>
  );
}

// onPasswordChanged: every session of the user ended with the change, this
// one too; the app goes back to the login page.
export function Account({ me, onPasswordChanged }: { me: Me; onPasswordChanged: () => void }) {
  const t = usersText();
  const [sessions, setSessions] = useState<Session[]>([]);
  const load = async () => {
    try {
      setSessions(await api.sessions());
    } catch (e) {
      setOutcome({ error: message(e) });
    }
  };
  const { outcome, setOutcome, act } = useAct(load);
  useEffect(() => {
    load();
  }, []);
  // TVs are listed apart (they stay signed in): "end the others" spares them.
  const browsers = sessions.filter((s) => !s.device);
  const others = browsers.filter((s) => !s.current);
  const cols = t.sessionColumns;
  return (
    <div class="users-page account-page">
      <h2>{t.accountTitle}</h2>
      <p>{t.signedInAs(me.user, me.role)}</p>
      <OutcomeLine outcome={outcome} />
      <ChangePassword onChanged={onPasswordChanged} onError={(error) => setOutcome({ error })} />
      <h3>{t.sessionsTitle}</h3>
      <table class="audit users-table sessions">
        <thead>
          <tr>
            {Object.values(cols).map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {browsers.map((s) => (
            <tr key={s.id} data-session={s.id} data-current={s.current ? "true" : "false"}>
              <td data-label={cols.started}>{when(s.created_at)}</td>
              <td data-label={cols.lastUsed}>{when(s.last_seen_at)}</td>
              <td data-label={cols.from} translate={false}>
                {s.client}
              </td>
              <td data-label={cols.browser} class="agent" translate={false}>
                {s.user_agent}
              </td>
              <td class="actions">
                {s.current ? (
                  <strong>{t.thisSession}</strong>
                ) : (
                  <button type="button" class="end" onClick={() => act(() => api.endSession(s.id), t.ended)}>
                    {t.end}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others.length === 0 ? (
        <p class="empty">{t.noOthers}</p>
      ) : (
        <button
          type="button"
          class="end-others danger"
          onClick={() => act(() => Promise.all(others.map((s) => api.endSession(s.id))), t.endedOthers(others.length))}
        >
          {t.endOthers}
        </button>
      )}
      <DeviceList all={false} />
      <p>
        <a class="add-tv-link button" href="#/add-tv">
          {devicesText().addNav}
        </a>
      </p>
    </div>
  );
}

function ChangePassword({ onChanged, onError }: { onChanged: () => void; onError: (e: string) => void }) {
  const t = usersText();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (next !== again) return onError(t.mismatch);
    try {
      await api.changePassword(current, next);
      onChanged();
    } catch (err) {
      onError(err instanceof ApiError && err.status === 403 ? t.wrongCurrent : message(err));
      setCurrent("");
    }
  };
  const field = (label: string, name: string, value: string, set: (v: string) => void, auto: string) => (
    <label>
      {label}
      <input name={name} type="password" required autocomplete={auto} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </label>
  );
  return (
    <form class="change-password" onSubmit={submit}>
      <h3>{t.changePasswordTitle}</h3>
      {field(t.currentPassword, "current", current, setCurrent, "current-password")}
      {field(t.newPassword, "new", next, setNext, "new-password")}
      {field(t.repeatPassword, "again", again, setAgain, "new-password")}
      <button type="submit">{t.change}</button>
    </form>
  );
}
