import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Me, api } from "./api";
import { appText } from "./app_text";
import { PairCode } from "./devices";
import { devicesText } from "./devices_text";

// langSwitch: the language switch, above the form. On a TV (tv), the page
// shows a code to confirm on a phone, or on request the password form
// with "keep this TV signed in" (a device session: design/AUDIT.md
// "Device sessions for a TV").
export function Login({ notice, langSwitch, tv, onLogin }: { notice: string; langSwitch: ComponentChildren; tv: boolean; onLogin: (me: Me) => void }) {
  const d = devicesText();
  const [byCode, setByCode] = useState(tv);
  const head = (
    <>
      <div class="login-head">
        <h1 translate={false}>vigil</h1>
        {langSwitch}
      </div>
      {notice !== "" && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
    </>
  );
  if (!tv) {
    return (
      <PasswordForm tv={false} formClass="login" onLogin={onLogin}>
        {head}
      </PasswordForm>
    );
  }
  return (
    <div class={`login tv-login ${byCode ? "by-code" : "by-password"}`}>
      {head}
      {/* Kept while the password is shown: going back shows the same code. */}
      <div hidden={!byCode}>
        <PairCode onPaired={onLogin} />
      </div>
      {!byCode && <PasswordForm tv formClass="login-password" onLogin={onLogin} />}
      <button type="button" class="login-way" onClick={() => setByCode(!byCode)}>
        {byCode ? d.usePassword : d.useCode}
      </button>
    </div>
  );
}

// The user and password after `children`; on a TV with "keep this TV
// signed in" (on by default) and the TV's name.
function PasswordForm({ tv, formClass, onLogin, children }: { tv: boolean; formClass: string; onLogin: (me: Me) => void; children?: ComponentChildren }) {
  const t = appText();
  const d = devicesText();
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [keep, setKeep] = useState(tv);
  const [device, setDevice] = useState(d.defaultTvName);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const userField = useRef<HTMLInputElement>(null);

  useEffect(() => userField.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onLogin(await api.login(user, password, tv && keep ? device : undefined));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t.wrongPassword);
      else if (err instanceof ApiError && err.status === 429) setError(t.tooManyAttempts(err.message));
      else setError(err instanceof Error ? err.message : String(err));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class={formClass} onSubmit={submit}>
      {children}
      <label>
        {t.user}
        <input
          ref={userField}
          name="user"
          autocomplete="username"
          autocapitalize="none"
          required
          data-arrows="horizontal"
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
      </label>
      <label>
        {t.password}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          data-arrows="horizontal"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {tv && (
        <label class="check keep">
          <input type="checkbox" name="keep" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} />
          {d.keepSignedIn}
        </label>
      )}
      {tv && keep && (
        <label>
          {d.tvName}
          <input name="device" required maxLength={64} data-arrows="horizontal" value={device} onInput={(e) => setDevice(e.currentTarget.value)} />
        </label>
      )}
      <button type="submit" disabled={busy}>
        {t.logIn}
      </button>
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
