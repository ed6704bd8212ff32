import { useEffect, useState } from "preact/hooks";
import { ApiError, type PublicRegister, type RegisterCamera, type RegisterSettings, api } from "./api";
import { LangSwitch } from "./lang_switch";
import { type WatchTier, registerText } from "./register_text";

const kWatchOrder: WatchTier[] = ["owner", "village", "township", "county"];

// The node takes one register picture at a time for all who ask (design/
// REGISTER.md), so a picture asked for while another is taken is 503 for a
// moment: asked again a few times, then left out.
const kPictureTries = 5;
const kPictureRetryMs = 3000;

function RegisterPicture({ src, alt }: { src: string; alt: string }) {
  const [tries, setTries] = useState(1);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!failed || tries >= kPictureTries) return;
    const timer = setTimeout(() => {
      setFailed(false);
      setTries(tries + 1);
    }, kPictureRetryMs);
    return () => clearTimeout(timer);
  }, [failed, tries]);
  if (failed && tries >= kPictureTries) return null;
  return (
    <img
      class="register-picture"
      src={tries === 1 ? src : `${src}?try=${tries}`}
      alt={alt}
      loading="lazy"
      hidden={failed}
      onError={() => setFailed(true)}
    />
  );
}

function CameraCard({ camera }: { camera: RegisterCamera }) {
  const t = registerText();
  return (
    <li class="register-camera">
      <h2>{camera.covers}</h2>
      <dl>
        <dt>{t.runBy}</dt>
        <dd class="run-by">
          {camera.run_by}
          {camera.below && <span class="below"> ({t.saidBelow})</span>}
        </dd>
        <dt>{t.watch}</dt>
        <dd class="watch">
          {kWatchOrder
            .filter((tier) => camera.watch[tier]?.length)
            .map((tier) => `${t.tiers[tier]}: ${(camera.watch[tier] ?? []).map((w) => t.what[w]).join(", ")}`)
            .join("; ")}
        </dd>
        <dt>{t.kept}</dt>
        <dd class="kept">{camera.retention_days > 0 ? t.days(camera.retention_days) : t.notRecorded}</dd>
        <dt>{t.looks}</dt>
        <dd class="looks">{camera.looks_30d}</dd>
        <dt>{t.online}</dt>
        <dd>{camera.online ? t.online : t.offline}</dd>
      </dl>
      {camera.snapshot && <RegisterPicture src={camera.snapshot} alt={t.picture} />}
    </li>
  );
}

// The public register, at /register: read without an account, on a phone
// as on a PC. Only what the server answers once the node's admin opened it.
export function Register() {
  const [register, setRegister] = useState<PublicRegister>();
  const [error, setError] = useState<(t: ReturnType<typeof registerText>) => string>();
  const [, setLangShown] = useState("");
  useEffect(() => {
    api.publicRegister().then(setRegister, (e) =>
      setError(() => (t: ReturnType<typeof registerText>) => (e instanceof ApiError && e.status === 404 ? t.closed : e.message)),
    );
  }, []);
  const t = registerText();
  return (
    <div class="app register" data-page="register">
      <header class="bar">
        <span class="brand" translate={false}>
          vigil
        </span>
        <span class="spacer" />
        <LangSwitch onChange={setLangShown} />
      </header>
      <main>
        <h1>{register ? `${t.title}: ${register.name}` : t.title}</h1>
        <p>{t.intro}</p>
        {error && <p class="notice" role="status">{error(t)}</p>}
        {register && register.cameras.length === 0 && <p>{t.none}</p>}
        {register && (
          <ul class="register-cameras">
            {register.cameras.map((c, i) => (
              <CameraCard key={i} camera={c} />
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}

// A form's value read by `load` (again when `key` changes), edited, and
// saved by `store`, which answers what is now kept; with what to say.
function useSavedForm<T>(load: () => Promise<T>, store: (value: T) => Promise<T>, key: string) {
  const [value, edit] = useState<T>();
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    load().then(edit, (e) => setError(e.message));
  }, [key]);
  const save = async () => {
    if (value === undefined) return;
    setError("");
    setMessage("");
    try {
      edit(await store(value));
      setMessage(registerText().saved);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return { value, edit, save, message, error };
}

// On a camera's page, for its owner (the node's admins): list it in the
// public register, say what it covers, show a masked snapshot or not.
export function RegisterListingPanel({ id }: { id: string }) {
  const { value: listing, edit: setListing, save, message, error } = useSavedForm(
    () => api.registerListing(id),
    (l) => api.setRegisterListing(id, l),
    id,
  );
  const t = registerText();
  return (
    <details class="sharing register-listing">
      <summary>{t.listingTitle}</summary>
      {listing && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <label>
            <input type="checkbox" name="listed" checked={listing.listed} onChange={(e) => setListing({ ...listing, listed: e.currentTarget.checked })} />
            {t.listed}
          </label>
          <label>
            {t.coversLabel}
            <input name="covers" maxLength={512} placeholder={t.coversPlaceholder} disabled={!listing.listed} value={listing.covers} onInput={(e) => setListing({ ...listing, covers: e.currentTarget.value })} />
          </label>
          <label>
            <input type="checkbox" name="snapshot" disabled={!listing.listed} checked={listing.snapshot} onChange={(e) => setListing({ ...listing, snapshot: e.currentTarget.checked })} />
            {t.showPicture}
          </label>
          <div class="clip-row">
            <button type="submit">{t.saveListing}</button>
            {message !== "" && <span role="status">{message}</span>}
            {error !== "" && <span class="error">{error}</span>}
          </div>
        </form>
      )}
      {!listing && error !== "" && <p class="error">{error}</p>}
    </details>
  );
}

// On the Network page, for the node's admins: open the register to anyone
// (closed until then) and the name it shows as who runs the cameras.
export function RegisterSettingsPanel() {
  const { value: settings, edit: setSettings, save, message, error } = useSavedForm<RegisterSettings>(
    api.registerSettings,
    api.setRegisterSettings,
    "",
  );
  const t = registerText();
  return (
    <section class="register-settings">
      <h2>{t.settingsTitle}</h2>
      {settings && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <label>
            <input type="checkbox" name="register-open" checked={settings.open} onChange={(e) => setSettings({ ...settings, open: e.currentTarget.checked })} />
            {t.open}
          </label>
          <label>
            {t.runByLabel}
            <input name="run-by" maxLength={128} value={settings.run_by} onInput={(e) => setSettings({ ...settings, run_by: e.currentTarget.value })} />
          </label>
          <div class="clip-row">
            <button type="submit">{t.saveListing}</button>
            <a href="/register">{t.openLink}</a>
            {message !== "" && <span role="status">{message}</span>}
            {error !== "" && <span class="error">{error}</span>}
          </div>
        </form>
      )}
      {error !== "" && <p class="error">{error}</p>}
    </section>
  );
}
