import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Me, api } from "./api";

export function Login({ notice, onLogin }: { notice: string; onLogin: (me: Me) => void }) {
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
      if (err instanceof ApiError && err.status === 401) setError("Wrong user name or password.");
      else if (err instanceof ApiError && err.status === 429) setError(`Too many attempts: ${err.message}. Wait and try again.`);
      else setError(err instanceof Error ? err.message : String(err));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="login" onSubmit={submit}>
      <h1>vigil</h1>
      {notice !== "" && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <label>
        User
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
        Password
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
        Log in
      </button>
      {error !== "" && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
