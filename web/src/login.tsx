import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Me, api } from "./api";
import { appText } from "./app_text";

// langSwitch: the language switch, above the form.
export function Login({ notice, langSwitch, onLogin }: { notice: string; langSwitch: ComponentChildren; onLogin: (me: Me) => void }) {
  const t = appText();
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const userField = useRef<HTMLInputElement>(null);

  useEffect(() => userField.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      onLogin(await api.login(user, password));
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
    <form class="login" onSubmit={submit}>
      <div class="login-head">
        <h1 translate={false}>vigil</h1>
        {langSwitch}
      </div>
      {notice !== "" && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
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
