// The "Cameras" settings page (an admin's; design/CAMERAS.md): the node's
// cameras with their state and who manages them, adding one found on the
// network (ONVIF discovery, then its stream URIs read with its user and
// password; the device's address and that login are kept with the camera,
// so that it turns from its page at once), by IP address (the usual RTSP
// paths are tried) or by RTSP URL,
// with a probe and a preview before saving, editing, disabling and deleting (confirmed, with
// or without its recordings). Cameras of the config file are shown, not
// changed. The API: http/camera_admin_routes.h, http/onvif_routes.h.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Camera, type CameraChange, type CameraProbe, type CameraTable, type OnvifFound, api } from "./api";
import { type OnvifReason, type ProbeReason, type RecordMode, camerasText } from "./cameras_text";
import { OutcomeLine, useAct } from "./users";
import "./users.css";
import "./cameras_admin.css";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const kRecordModes: RecordMode[] = ["continuous", "events", "off"];

// "Front gate" -> "front-gate": a suggestion for the id.
function idFrom(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}

// "http://192.168.1.64/onvif/device_service" -> "192.168.1.64".
function hostOf(address: string): string {
  try {
    return new URL(address).host;
  } catch {
    return address;
  }
}

// A form's error, said as the page says it.
function ErrorLine({ error }: { error: string }) {
  return error === "" ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

// A camera's ONVIF device, for turning it (PTZ): its device service URL
// and its login.
interface Onvif {
  address: string;
  username: string;
  password: string;
}
const kNoOnvif: Onvif = { address: "", username: "", password: "" };

// What a camera read by ONVIF fills the add form with: its streams, the
// login it was read with, and its device.
interface Found {
  name: string;
  url: string;
  subUrl: string;
  username: string;
  password: string;
  onvif: Onvif;
}

// The table's keys for its ONVIF device: none without an address (its
// login goes with it on the server too); empty fields left out, so a
// password not typed again is kept.
function onvifKeys(o: Onvif): CameraChange {
  if (o.address === "") return {};
  return { onvif: o.address, ...(o.username ? { onvif_username: o.username } : {}), ...(o.password ? { onvif_password: o.password } : {}) };
}

// A table as GET answered it, to be sent back: without what the server
// says of it (has_password, has_onvif_password, managed_by).
function sendable(table: CameraTable): CameraChange {
  return Object.fromEntries(Object.entries(table).filter(([k]) => !k.startsWith("has_") && k !== "managed_by"));
}

export function CamerasAdmin() {
  const t = camerasText();
  const [cameras, setCameras] = useState<Camera[]>([]);
  // What is open: discovery, the add form, or one camera's edit form.
  const [editing, setEditing] = useState<string | "discover" | "new" | null>(null);
  const [found, setFound] = useState<Found | null>(null);
  const load = async () => {
    try {
      setCameras((await api.cameras()).filter((c) => !c.remote));
    } catch (e) {
      setOutcome({ error: message(e) });
    }
  };
  const { outcome, setOutcome, act } = useAct(load);
  useEffect(() => {
    load();
  }, []);
  return (
    <div class="users-page cameras-admin">
      <h2>{t.title}</h2>
      <OutcomeLine outcome={outcome} />
      <table class="audit users-table cameras-table">
        <thead>
          <tr>
            {Object.values(t.columns).map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cameras.map((c) => (
            <CameraRow key={c.id} camera={c} act={act} onEdit={() => setEditing(c.id)} />
          ))}
        </tbody>
      </table>
      {cameras.some((c) => c.managed_by === "file") && <p class="hint">{t.fileHint}</p>}
      {editing === null && (
        <p>
          <button type="button" class="discover" onClick={() => setEditing("discover")}>
            {t.discover}
          </button>
          <button type="button" class="add-camera" onClick={() => { setFound(null); setEditing("new"); }}>
            {t.add}
          </button>
        </p>
      )}
      {editing === "discover" && (
        <Discover
          onCancel={() => setEditing(null)}
          onRead={(f) => {
            setFound(f);
            setEditing("new");
          }}
        />
      )}
      {editing === "new" && (
        <AddCamera
          found={found}
          onCancel={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            setOutcome({ ok: t.added(name) });
            load();
          }}
        />
      )}
      {editing !== null && editing !== "new" && editing !== "discover" && (
        <EditCamera
          key={editing}
          id={editing}
          onCancel={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            setOutcome({ ok: t.saved(name) });
            load();
          }}
        />
      )}
    </div>
  );
}

type Act = (what: () => Promise<unknown>, done: string) => Promise<void>;

function CameraRow({ camera: c, act, onEdit }: { camera: Camera; act: Act; onEdit: () => void }) {
  const t = camerasText();
  const [confirm, setConfirm] = useState<"" | "disable" | "remove">("");
  const disabled = c.reason_code === "disabled";
  const state = disabled ? "disabled" : c.online ? "online" : "offline";
  const cols = t.columns;
  const fromUi = c.managed_by === "ui";
  return (
    <tr data-camera={c.id} data-state={state} data-managed-by={c.managed_by ?? ""}>
      <td data-label={cols.name}>
        <span translate={false}>{c.name}</span>
      </td>
      <td data-label={cols.state} class="state">
        {t.states[state]}
      </td>
      <td data-label={cols.managedBy}>{t.managedBy[c.managed_by ?? "file"] ?? c.managed_by}</td>
      <td class="actions">
        {fromUi && confirm === "" && (
          <>
            <button type="button" class="edit" onClick={onEdit}>
              {t.edit}
            </button>
            {disabled ? (
              <button type="button" class="enable" onClick={() => act(() => setEnabled(c.id, true), t.enabledDone(c.name))}>
                {t.enable}
              </button>
            ) : (
              <button type="button" class="disable" onClick={() => setConfirm("disable")}>
                {t.disable}
              </button>
            )}
            <button type="button" class="remove danger" onClick={() => setConfirm("remove")}>
              {t.remove}
            </button>
          </>
        )}
        {confirm === "disable" && (
          <div class="confirm" role="alertdialog">
            <p>{t.disableConfirm(c.name)}</p>
            <button type="button" class="disable-yes" onClick={() => act(() => setEnabled(c.id, false), t.disabledDone(c.name))}>
              {t.disableYes}
            </button>
            <button type="button" onClick={() => setConfirm("")}>
              {t.cancel}
            </button>
          </div>
        )}
        {confirm === "remove" && (
          <div class="confirm" role="alertdialog">
            <p>{t.removeConfirm(c.name)}</p>
            <button type="button" class="remove-keep" onClick={() => act(() => api.removeCamera(c.id, "keep"), t.removedDone(c.name))}>
              {t.removeKeep}
            </button>
            <button type="button" class="remove-all danger" onClick={() => act(() => api.removeCamera(c.id, "delete"), t.removedDone(c.name))}>
              {t.removeAll}
            </button>
            <button type="button" onClick={() => setConfirm("")}>
              {t.cancel}
            </button>
          </div>
        )}
      </td>
    </tr>
  );
}

// The table as it is, with only `enabled` changed (a password left out is kept).
async function setEnabled(id: string, enabled: boolean) {
  return api.changeCamera(id, { ...sendable(await api.camera(id)), enabled });
}

function Field({ label, value, onInput, type = "text", cls, required = false }: {
  label: string; value: string; onInput: (v: string) => void; type?: "text" | "password" | "number"; cls: string; required?: boolean;
}) {
  return (
    <label class={`field ${cls}`}>
      {label}
      {type === "password" ? (
        <input type="password" value={value} required={required} autocomplete="new-password"
          onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      ) : type === "number" ? (
        <input type="number" min={1} max={3650} value={value} required={required}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      ) : (
        <input type="text" value={value} required={required} autocomplete="off"
          onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      )}
    </label>
  );
}

// What the camera sends, and its picture.
function ProbeResult({ probe }: { probe: CameraProbe }) {
  const t = camerasText();
  if (!probe.ok) {
    return (
      <p class="error probe-error" role="alert">
        {t.probeFailed[probe.reason_code as ProbeReason] ?? t.probeFailed.refused}
      </p>
    );
  }
  const line = (s: { codec: string; width: number; height: number; fps: number; audio: boolean }) =>
    `${t.streamLine(s.codec, s.width, s.height, s.fps)} · ${s.audio ? t.withAudio : t.noAudio}`;
  return (
    <div class="probe-result">
      {probe.preview && <img class="preview" alt={t.preview} src={probe.preview} />}
      <p class="main-stream">
        {t.mainStream}: {line(probe.main)}
      </p>
      <p class="sub-stream">
        {probe.sub === null
          ? t.noSubStream
          : "ok" in probe.sub
            ? `${t.subStream}: ${t.probeFailed[probe.sub.reason_code as ProbeReason] ?? t.probeFailed.refused}`
            : `${t.subStream}: ${line(probe.sub)}`}
      </p>
    </div>
  );
}

// The settings both forms end with: name, recording, retention.
interface Settings {
  id: string;
  name: string;
  record: RecordMode;
  retain: string;
}
function SettingsFields({ s, set, newId }: { s: Settings; set: (s: Settings) => void; newId: boolean }) {
  const t = camerasText();
  return (
    <>
      <Field cls="name" label={t.name} value={s.name} required
        onInput={(name) => set({ ...s, name, id: newId && (s.id === "" || s.id === idFrom(s.name)) ? idFrom(name) : s.id })} />
      {newId && <Field cls="id" label={t.id} value={s.id} required onInput={(id) => set({ ...s, id })} />}
      <label class="field record">
        {t.record}
        <select value={s.record} onChange={(e) => set({ ...s, record: (e.target as HTMLSelectElement).value as RecordMode })}>
          {kRecordModes.map((m) => (
            <option key={m} value={m}>
              {t.recordModes[m]}
            </option>
          ))}
        </select>
      </label>
      <Field cls="retain" type="number" label={t.retainDays} value={s.retain} onInput={(retain) => set({ ...s, retain })} />
    </>
  );
}

// The camera's ONVIF device: the add form's when found by discovery, and
// the edit form's. `passwordSet`: one is kept, left empty.
function OnvifFields({ o, set, passwordSet }: { o: Onvif; set: (o: Onvif) => void; passwordSet: boolean }) {
  const t = camerasText();
  return (
    <fieldset class="onvif">
      <legend>{t.onvifDevice}</legend>
      <p class="hint">{t.onvifHint}</p>
      <Field cls="onvif-address" label={t.onvifAddress} value={o.address} onInput={(address) => set({ ...o, address })} />
      <Field cls="onvif-username" label={t.username} value={o.username} onInput={(username) => set({ ...o, username })} />
      <Field cls="onvif-password" type="password" label={passwordSet ? t.passwordKept : t.password} value={o.password}
        onInput={(password) => set({ ...o, password })} />
    </fieldset>
  );
}

// The row each form ends with: its own buttons, then Cancel.
function FormButtons({ onCancel, children }: { onCancel: () => void; children?: ComponentChildren }) {
  const t = camerasText();
  return (
    <p class="form-buttons">
      {children}
      <button type="button" class="cancel" onClick={onCancel}>
        {t.cancel}
      </button>
    </p>
  );
}

// The network's ONVIF cameras (one WS-Discovery Probe, a few seconds), one
// picked, and its stream URIs read with its user and password.
function Discover({ onCancel, onRead }: { onCancel: () => void; onRead: (found: Found) => void }) {
  const t = camerasText();
  const [devices, setDevices] = useState<OnvifFound[] | null>(null); // null: looking
  const [picked, setPicked] = useState<OnvifFound | null>(null);
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const look = async () => {
    setDevices(null);
    setPicked(null);
    setError("");
    try {
      setDevices((await api.discoverOnvif()).devices);
    } catch (e) {
      setDevices([]);
      setError(message(e));
    }
  };
  useEffect(() => {
    look();
  }, []);
  const read = async () => {
    if (!picked) return;
    setBusy(true);
    setError("");
    try {
      const d = await api.probeOnvif({ address: picked.address, user: username, password });
      onRead({ name: picked.name || d.model, url: d.main_url, subUrl: d.sub_url ?? "", username, password,
        onvif: { address: picked.address, username, password } });
      return;
    } catch (e) {
      const reason = e instanceof ApiError && e.body && typeof e.body === "object" ? (e.body as { reason?: string }).reason : undefined;
      setError(t.onvifFailed[reason as OnvifReason] ?? message(e));
    }
    setBusy(false);
  };
  return (
    <form class="camera-form discover-form" onSubmit={(e) => { e.preventDefault(); read(); }}>
      <h3>{t.discover}</h3>
      {devices === null && (
        <p class="discovering" role="status">
          <span class="spinner" aria-hidden="true" /> {t.discovering}
        </p>
      )}
      {devices?.length === 0 && error === "" && (
        <p class="nothing-found" role="status">
          {t.nothingFound}
        </p>
      )}
      {devices && devices.length > 0 && (
        <>
          <h4>{t.found}</h4>
          <ul class="found">
            {devices.map((d) => (
              <li key={d.address} data-address={d.address} class={picked === d ? "picked" : ""}>
                <span class="found-name" translate={false}>{d.name || d.hardware}</span>{" "}
                <span class="found-hardware" translate={false}>{d.name ? d.hardware : ""}</span>{" "}
                <span class="found-address" translate={false}>{hostOf(d.address)}</span>{" "}
                {picked !== d && (
                  <button type="button" class="pick" onClick={() => { setPicked(d); setError(""); }}>
                    {t.pick}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {picked && (
        <>
          <p class="credentials-of">{t.credentialsOf(picked.name || hostOf(picked.address))}</p>
          <Field cls="username" label={t.username} value={username} onInput={setUsername} />
          <Field cls="password" type="password" label={t.password} value={password} onInput={setPassword} />
          <button type="submit" class="read" disabled={busy}>
            {busy ? t.reading : t.readIt}
          </button>
        </>
      )}
      <ErrorLine error={error} />
      <FormButtons onCancel={onCancel}>
        {devices !== null && (
          <button type="button" class="search-again" onClick={look}>
            {t.searchAgain}
          </button>
        )}
      </FormButtons>
    </form>
  );
}

// `found`: a camera read by discovery, given by its URLs and tried at once.
function AddCamera({ found, onCancel, onSaved }: { found: Found | null; onCancel: () => void; onSaved: (name: string) => void }) {
  const t = camerasText();
  const [by, setBy] = useState<"address" | "url">(found ? "url" : "address");
  const [address, setAddress] = useState("");
  const [url, setUrl] = useState(found?.url ?? "");
  const [subUrl, setSubUrl] = useState(found?.subUrl ?? "");
  const [username, setUsername] = useState(found?.username ?? "");
  const [password, setPassword] = useState(found?.password ?? "");
  const [onvif, setOnvif] = useState<Onvif>(found?.onvif ?? kNoOnvif);
  const [probe, setProbe] = useState<CameraProbe | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [s, setS] = useState<Settings>({ id: found ? idFrom(found.name) : "", name: found?.name ?? "", record: "continuous", retain: "30" });
  const tryIt = async () => {
    setBusy(true);
    setError("");
    setProbe(null);
    try {
      // Empty fields left out: the API takes none empty.
      const given = Object.fromEntries(
        Object.entries(by === "url" ? { url, sub_url: subUrl, username, password } : { address, username, password }).filter(([, v]) => v !== ""),
      );
      setProbe(await api.probeCamera(given));
    } catch (e) {
      setError(message(e));
    }
    setBusy(false);
  };
  useEffect(() => {
    if (found) tryIt();
  }, []);
  const save = async () => {
    if (!probe?.ok) return;
    setError("");
    try {
      await api.addCamera({
        id: s.id,
        name: s.name,
        // A URL typed with its credentials keeps them (the server moves them out of it).
        url: by === "url" ? url : probe.url,
        // The sub stream only when it answered the probe; typed, as typed (like the URL).
        ...(probe.sub_url ? { sub_url: by === "url" ? subUrl : probe.sub_url } : {}),
        ...(username ? { username } : {}),
        ...(password ? { password } : {}),
        ...onvifKeys(onvif),
        record: s.record,
        retain_days: Number(s.retain),
      });
      onSaved(s.name);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <form class="camera-form add-form" onSubmit={(e) => { e.preventDefault(); save(); }}>
      <h3>{t.add}</h3>
      <div class="by" role="radiogroup">
        {(["address", "url"] as const).map((b) => (
          <label class="check" key={b}>
            <input type="radio" name="by" value={b} checked={by === b} onChange={() => { setBy(b); setProbe(null); }} />
            {b === "address" ? t.byAddress : t.byUrl}
          </label>
        ))}
      </div>
      {by === "address" ? (
        <Field cls="address" label={t.address} value={address} onInput={setAddress} />
      ) : (
        <>
          <Field cls="url" label={t.url} value={url} onInput={setUrl} />
          <Field cls="sub-url" label={t.subUrl} value={subUrl} onInput={(v) => { setSubUrl(v); setProbe(null); }} />
        </>
      )}
      <Field cls="username" label={t.username} value={username} onInput={setUsername} />
      <Field cls="password" type="password" label={t.password} value={password} onInput={setPassword} />
      <p>
        <button type="button" class="probe" disabled={busy || (by === "url" ? url === "" : address === "")} onClick={tryIt}>
          {busy ? t.trying : t.tryIt}
        </button>
      </p>
      {probe && <ProbeResult probe={probe} />}
      {probe?.ok && <SettingsFields s={s} set={setS} newId />}
      {probe?.ok && found && <OnvifFields o={onvif} set={setOnvif} passwordSet={false} />}
      <ErrorLine error={error} />
      <FormButtons onCancel={onCancel}>
        {probe?.ok && (
          <button type="submit" class="save">
            {t.save}
          </button>
        )}
      </FormButtons>
    </form>
  );
}

function EditCamera({ id, onCancel, onSaved }: { id: string; onCancel: () => void; onSaved: (name: string) => void }) {
  const t = camerasText();
  const [table, setTable] = useState<CameraTable | null>(null);
  const [url, setUrl] = useState("");
  const [subUrl, setSubUrl] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [onvif, setOnvif] = useState<Onvif>(kNoOnvif);
  const [s, setS] = useState<Settings>({ id, name: "", record: "continuous", retain: "30" });
  const [error, setError] = useState("");
  useEffect(() => {
    api.camera(id).then(
      (c) => {
        setTable(c);
        setUrl(c.url);
        setSubUrl(c.sub_url ?? "");
        setUsername(c.username ?? "");
        setOnvif({ address: c.onvif ?? "", username: c.onvif_username ?? "", password: "" });
        setS({ id, name: c.name ?? id, record: c.record ?? "continuous", retain: String(c.retain_days ?? 30) });
      },
      (e) => setError(message(e)),
    );
  }, [id]);
  const save = async () => {
    if (!table) return;
    setError("");
    // The keys this form does not show (zones, detection...) are sent back as they were.
    const { sub_url: _s, username: _u, onvif: _o, onvif_username: _ou, ...rest } = sendable(table);
    try {
      await api.changeCamera(id, {
        ...rest,
        name: s.name,
        url,
        ...(subUrl ? { sub_url: subUrl } : {}),
        ...(username ? { username } : {}),
        ...(password ? { password } : {}),
        ...onvifKeys(onvif),
        record: s.record,
        retain_days: Number(s.retain),
      });
      onSaved(s.name);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <form class="camera-form edit-form" data-camera={id} onSubmit={(e) => { e.preventDefault(); save(); }}>
      <h3>
        {t.edit}: <span translate={false}>{table?.name ?? id}</span>
      </h3>
      {table && (
        <>
          <SettingsFields s={s} set={setS} newId={false} />
          <Field cls="url" label={t.url} value={url} onInput={setUrl} required />
          <Field cls="sub-url" label={t.subUrl} value={subUrl} onInput={setSubUrl} />
          <Field cls="username" label={t.username} value={username} onInput={setUsername} />
          <Field cls="password" type="password" label={table.has_password ? t.passwordKept : t.password} value={password}
            onInput={setPassword} />
          <OnvifFields o={onvif} set={setOnvif} passwordSet={table.has_onvif_password === true} />
        </>
      )}
      <ErrorLine error={error} />
      <FormButtons onCancel={onCancel}>
        <button type="submit" class="save" disabled={!table}>
          {t.save}
        </button>
      </FormButtons>
    </form>
  );
}
