// The HTTP API of vigil (BRIEF §3). The session travels in the HttpOnly
// cookie the login sets; any 401 means it ended, and the app goes back to
// the login page with a message (see onSessionExpired).
import { appText } from "./app_text";
import type { WatchTier, WatchWhat } from "./register_text";

export interface Me {
  user: string;
  role: "admin" | "operator" | "viewer";
  cameras: string[];
  node: string | null; // this node's id; null until it has one
  tier: NodeTier;
  device?: string | null; // a TV's device session: its name
}

export type Role = Me["role"];

// A user as an admin sees it (GET /api/v1/users).
export interface User {
  id: string;
  role: Role;
  cameras: string[]; // a viewer's granted cameras
  disabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

// A session (GET /api/v1/sessions): id names it, it is not the token.
export interface Session {
  id: string;
  user: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  client: string;
  user_agent: string;
  device: string | null; // a TV's device session: its name (GET /api/v1/devices lists these)
  current: boolean; // the session of this request
}

// A code a TV shows until a logged-in user confirms it (POST /api/v1/devices/pair).
export interface PairingCode {
  code: string; // "KXTR-MPWD"
  pairing: string; // the TV's secret: it alone fetches the session
  expires_at: string;
  poll_ms: number;
}
export type PairingState = { state: "waiting"; expires_at: string } | (Me & { state: "paired" });
// What asked for a code (POST /api/v1/devices/lookup): shown before the user confirms it.
export interface PairingRequest {
  code: string;
  client: string; // the TV's address
  user_agent: string;
  expires_at: string;
}

export interface Camera {
  id: string;
  name: string;
  online: boolean;
  state: string;
  codec: string | null;
  width: number;
  height: number;
  fps: number;
  bitrate_kbps: number;
  last_frame_at: string | null;
  reason?: string; // the server's words (logs); camera_state.tsx says it in plain words
  reason_code?: string; // no_answer, wrong_password, no_video, refused, storage_full, disabled
  since?: string | null; // when it last started or stopped streaming
  ever_streamed?: boolean;
  // The sub stream (`sub_url`), when the camera has one: its own state
  // (it never makes the camera offline). Grid tiles ask for it.
  sub?: { state: string; codec: string | null; width: number; height: number; fps: number; reason?: string };
  managed_by?: "file" | "ui"; // a camera of this node: who manages it (design/CAMERAS.md)
  remote?: boolean; // a camera of a node below
  audio?: string | null; // its sound's codec ("aac", "alaw", "ulaw") while streaming with sound
}

// Which of a camera's streams a live view asks for: the server serves the
// sub stream while it streams, else the main one.
export type LiveStreamChoice = "main" | "sub";
const streamQuery = (stream: LiveStreamChoice) => (stream === "sub" ? "?stream=sub" : "");

// A camera's [[camera]] keys as GET /api/v1/cameras/{id} shows them
// (design/CAMERAS.md): never a password, only whether there is one.
export interface CameraTable {
  id: string;
  name?: string;
  url: string;
  sub_url?: string;
  username?: string;
  record?: "continuous" | "events" | "off";
  record_sub?: "continuous" | "off";
  retain_days?: number;
  has_password?: boolean;
  // Its ONVIF device (PTZ): the device service URL and its login, the
  // password only said to be set.
  onvif?: string;
  onvif_username?: string;
  has_onvif_password?: boolean;
  managed_by?: "file" | "ui";
  enabled?: boolean;
  [key: string]: unknown;
}
// What POST and PUT /api/v1/cameras take: the table, with its passwords.
export type CameraChange = Partial<CameraTable> & { password?: string; onvif_password?: string };

// POST /api/v1/cameras/probe's answer.
export interface ProbedStream {
  codec: string;
  width: number;
  height: number;
  fps: number;
  audio: boolean;
}
export interface ProbeFailure {
  ok: false;
  reason_code: string;
  error: string;
}
// `sub`: null when none was found, a failure when a sub_url given does not answer.
export type CameraProbe =
  | { ok: true; url: string; sub_url?: string; main: ProbedStream; sub: ProbedStream | ProbeFailure | null; preview: string | null }
  | ProbeFailure;

// POST /api/v1/onvif/discover's devices (without credentials: what the Probe's answer says).
export interface OnvifFound {
  address: string; // its device service URL
  name: string;
  hardware: string;
}
// POST /api/v1/onvif/probe: the device read with its credentials, its main
// and sub stream URIs (the sub stream's empty or absent when it has one profile).
export interface OnvifDevice {
  manufacturer: string;
  model: string;
  main_url: string;
  sub_url?: string;
}

// A detection event (GET /api/v1/events; design/DETECT.md "Events"):
// times RFC 3339, end null while it lasts, box [x, y, w, h] in 0..1 of
// its snapshot, clip: the camera's pre-roll before, post-roll after.
export type EventLabel = "person" | "vehicle" | "animal" | "motion";
export interface DetectionEvent {
  id: string;
  camera: string;
  label: EventLabel;
  score: number;
  start: string;
  end: string | null;
  zones: string[];
  box: number[];
  snapshot: string;
  clip: { start: string; end: string };
}

// A contiguous run of recorded video, times in ms since the epoch.
export interface Run {
  start: number;
  end: number;
  bytes: number;
}

export interface AuditRow {
  seq: number;
  at: string;
  user: string;
  action: string;
  camera: string;
  client: string;
  detail: unknown;
  hash: string;
}

// What the owner's node says of a look from another tier
// (GET /api/v1/audit?remote=true; design/AUDIT.md "Looks from other tiers").
export interface RemoteLook {
  who: string; // "desk@village1"
  via: string[]; // the node path, from the node that asked down
  tier: Tier;
  what: ShareRight;
  refused: boolean;
  reason?: string; // why it was refused
  count?: number; // how many refusals a refused row stands for (one row a minute per asker)
  start?: string; // a playback or export's range
  end?: string;
  seconds?: number; // how long a live look lasted, once it ended
  ended?: string; // why it ended
  stop_seq?: number; // a live_start's live_stop
  start_seq?: number; // a live_stop's live_start
}
export type RemoteLookRow = AuditRow & { look: RemoteLook };

export type Tier = "village" | "township" | "county";
export type ShareRight = "live" | "playback" | "export" | "snapshot";
// What a camera shares with one tier above (GET/PUT .../shares).
export interface Share {
  tier: Tier;
  rights: ShareRight[];
  only_during_alarm: boolean;
  hours: string | null;
  expires_at: string | null;
}

// A camera's detection settings (GET/PUT/DELETE .../detection; design/DETECT.md
// "Settings from the UI"). Polygons in 0..1 picture coordinates.
export type ObjectLabel = "person" | "vehicle" | "animal";
export type Polygon = [number, number][];
export interface DetectionZone {
  name: string;
  kind: "include" | "ignore";
  polygon: Polygon;
}
export interface DetectionMask {
  name: string;
  applies: "shared" | "all";
  polygon: Polygon;
}
export interface DetectionSettings {
  labels: ObjectLabel[];
  notify: ObjectLabel[] | null; // null: every label detected
  zones: DetectionZone[];
  masks: DetectionMask[];
  source?: "file" | "owner"; // answers only
}

// The tier link (GET /api/v1/link and its routes; design/LINK.md).
export type NodeTier = "household" | Tier;
interface LinkTraffic {
  last_seen: string | null;
  rtt_ms: number | null;
  bytes_in: number;
  bytes_out: number;
}
export interface LinkParent extends LinkTraffic {
  url: string;
  id: string;
  name?: string;
  tier?: NodeTier;
  // restart_needed: joined since this node started; it dials once restarted
  state: "connecting" | "connected" | "retrying" | "stopped" | "restart_needed";
  reason: string;
  connected_since: string | null;
  attempts: number;
}
export interface LinkChild extends LinkTraffic {
  id: string;
  name: string;
  tier: NodeTier;
  state: "connected" | "offline";
  reason: string;
  address: string;
  connected_since: string | null;
}
export interface LinkState {
  node: { id: string; name: string; tier: NodeTier; fingerprint: string; shares_totals: boolean };
  parent: LinkParent | null;
  children: LinkChild[];
}
// GET /api/v1/overview (design/UPTIME.md, "Overview"): null figures are
// those the node's owner does not share.
export interface OverviewNode {
  id: string; // dotted path from this node's child; "" for this node
  path: string[];
  name: string;
  tier: NodeTier;
  link: "self" | "connected" | "offline";
  last_seen: string | null;
  totals_shared: boolean;
  cameras_named: number;
  cameras_total: number | null;
  cameras_online: number | null;
  cameras_recording: number | null;
  online_rate_7d: number | null;
  online_rate_30d: number | null;
  storage_used_bytes: number | null;
  storage_bytes_per_day: number | null;
  storage_capacity_bytes: number | null;
  days_kept: number | null;
  days_forecast: number | null;
  alarms_open: number | null;
}
export interface OverviewCamera {
  id: string;
  node: string;
  name: string;
  online: boolean;
  recording: boolean;
  online_rate_7d: number | null;
  online_rate_30d: number | null;
}
export interface Overview {
  node: { id: string; name: string; tier: NodeTier };
  at: string;
  under: string | null;
  totals: {
    nodes: number;
    nodes_offline: number;
    cameras_total: number;
    cameras_online: number;
    cameras_recording: number;
    online_rate_7d: number | null;
    online_rate_30d: number | null;
    storage_used_bytes: number;
    alarms_open: number;
  };
  daily: { day: string; online_rate: number | null }[];
  nodes: OverviewNode[];
  cameras: OverviewCamera[];
  worst_cameras: OverviewCamera[];
  worst_nodes: OverviewNode[];
}
export interface Invite {
  id: number;
  name: string;
  tier: NodeTier | null;
  state: "pending" | "used" | "revoked" | "expired";
  created_at: string;
  expires_at: string;
  code?: string; // only in the answer to its creation
}

// An alarm (issue 15), the same id on every node it reached; times RFC 3339.
export type AlarmKind = "intrusion" | "fire" | "medical" | "other";
export type AlarmState = "open" | "acknowledged" | "closed";
export interface Alarm {
  id: string;
  node: string; // the household that raised it
  node_path: string[]; // from this node down to that household
  origin: boolean; // raised at this node
  kind: AlarmKind;
  note: string;
  state: AlarmState;
  raised_at: string;
  delivery: "stored" | "sent" | "delivered" | null; // at the origin only
  acknowledged_by: string | null; // "user@node"
  acknowledged_at: string | null;
  assigned_to: string | null;
  notes: { by: string; at: string; text: string }[];
  closed_at: string | null;
  outcome: string | null;
  escalated_to: string | null;
  cameras: string[]; // the origin's camera ids
  change: number; // this node's change counter (the cursor's unit)
}
// A page of alarms and the cursor to ask for the changes after it.
export interface AlarmPage {
  alarms: Alarm[];
  cursor: number;
}

// An emergency broadcast or notice (issue 15 item 5; design/ALARMS.md),
// received here from a tier above or sent from here; times RFC 3339.
export type NoticePriority = "normal" | "urgent";
export const kAudioTypes = ["audio/webm", "audio/ogg", "audio/mpeg", "audio/wav", "audio/mp4"] as const;
export type AudioType = (typeof kAudioTypes)[number];
export interface HouseholdReceipt {
  node: string;
  delivered_at: string | null;
  seen_at: string | null;
}
export interface Broadcast {
  id: string;
  from: string; // the sender node's id
  direction: "received" | "sent";
  text: string;
  priority: NoticePriority;
  sent_at: string;
  expires_at: string | null;
  has_audio: boolean;
  audio_type?: AudioType;
  delivered_at?: string | null; // received
  seen_at?: string | null; // received
  receipts?: { targeted: number; delivered: number; seen: number }; // sent
  households?: HouseholdReceipt[]; // sent, GET /api/v1/broadcasts/{id} only
}
export interface NewBroadcast {
  text: string;
  priority: NoticePriority;
  to: "all" | string[];
  audio?: string; // base64, at most kMaxAudioBytes decoded
  audio_type?: AudioType;
  expires_at?: string;
}
export const kMaxAudioBytes = 1 << 20;

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown = null) {
    super(message);
  }
}

let expiredHandler: () => void = () => {};
export function onSessionExpired(handler: () => void): void {
  expiredHandler = handler;
}
// Live sockets cannot see a 401; they report a refused upgrade here and the
// app checks the session.
export function sessionExpired(): void {
  expiredHandler();
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await exchange<T>(method, path, body)).json;
}

async function exchange<T>(method: string, path: string, body?: unknown): Promise<{ json: T; headers: Headers }> {
  const init: RequestInit = { method, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let r: Response;
  try {
    r = await fetch(path, init);
  } catch {
    throw new ApiError(0, appText().unreachable);
  }
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    const message =
      json && typeof json === "object" && "error" in json ? String((json as { error: unknown }).error) : r.statusText;
    // A failed login is a 401 too, but not an expired session; pairing a TV
    // needs none.
    if (r.status === 401 && path !== "/api/v1/login" && !path.startsWith("/api/v1/devices/pair")) expiredHandler();
    throw new ApiError(r.status, message, json);
  }
  return { json: json as T, headers: r.headers };
}

// An open alert (GET /api/v1/alerts): a camera offline too long, a disk filling...
export interface Alert {
  kind: string;
  subject: string;
  detail: string;
  since: string;
}

// The public register (GET /api/v1/register): readable without an account once opened.
export interface RegisterCamera {
  covers: string;
  run_by: string; // as the camera's owner says
  below: boolean; // a camera of a node below: run_by is what its owner says of itself
  watch: Partial<Record<WatchTier, WatchWhat[]>>;
  retention_days: number; // 0: not recorded
  looks_30d: number;
  online: boolean;
  snapshot: string | null;
}
export interface PublicRegister {
  name: string;
  tier: NodeTier;
  cameras: RegisterCamera[];
}
export interface RegisterSettings {
  open: boolean;
  run_by: string;
}
export interface RegisterListing {
  listed: boolean;
  covers: string;
  snapshot: boolean;
}

export const overviewPath = (under: string) => (under ? `?under=${encodeURIComponent(under)}` : "");
export const api = {
  overview: (under = "") => request<Overview>("GET", `/api/v1/overview${overviewPath(under)}`),
  setSharesTotals: (shared: boolean) => request<{ shares_totals: boolean }>("PUT", "/api/v1/link/totals", { shared }),
  // device: a TV's name, for a device session (it stays signed in).
  login: (user: string, password: string, device?: string) =>
    request<Me & { token: string }>("POST", "/api/v1/login", device ? { user, password, device } : { user, password }),
  pairStart: () => request<PairingCode>("POST", "/api/v1/devices/pair"),
  pairWait: (pairing: string) => request<PairingState>("POST", "/api/v1/devices/pair/wait", { pairing }),
  lookupDevice: (code: string) => request<PairingRequest>("POST", "/api/v1/devices/lookup", { code }),
  confirmDevice: (code: string, name: string, password: string) =>
    request<PairingRequest & { name: string }>("POST", "/api/v1/devices", { code, name, password }),
  devices: () => request<Session[]>("GET", "/api/v1/devices"),
  logout: () => request<unknown>("POST", "/api/v1/logout"),
  me: () => request<Me>("GET", "/api/v1/me"),
  cameras: () => request<Camera[]>("GET", "/api/v1/cameras"),
  camera: (id: string) => request<CameraTable>("GET", cameraPath(id)),
  addCamera: (table: CameraChange) => request<CameraTable>("POST", "/api/v1/cameras", table),
  changeCamera: (id: string, table: CameraChange) =>
    request<CameraTable>("PUT", cameraPath(id), table),
  removeCamera: (id: string, recordings: "keep" | "delete") =>
    request<unknown>("DELETE", `${cameraPath(id)}?recordings=${recordings}`),
  probeCamera: (p: { url?: string; sub_url?: string; address?: string; username?: string; password?: string }) =>
    request<CameraProbe>("POST", "/api/v1/cameras/probe", p),
  discoverOnvif: () => request<{ devices: OnvifFound[] }>("POST", "/api/v1/onvif/discover", {}),
  probeOnvif: (p: { address: string; user: string; password: string }) => request<OnvifDevice>("POST", "/api/v1/onvif/probe", p),
  users: () => request<User[]>("GET", "/api/v1/users"),
  addUser: (u: { id: string; role: Role; password: string; cameras: string[] }) => request<unknown>("POST", "/api/v1/users", u),
  changeUser: (id: string, change: { role?: Role; disabled?: boolean }) => request<User>("PUT", userPath(id), change),
  removeUser: (id: string) => request<unknown>("DELETE", userPath(id)),
  resetPassword: (id: string, password: string) => request<unknown>("POST", `${userPath(id)}/password`, { password }),
  setGrants: (id: string, cameras: string[]) => request<unknown>("POST", "/api/v1/users/cameras", { id, cameras }),
  changePassword: (current: string, next: string) => request<unknown>("POST", "/api/v1/password", { current, new: next }),
  sessions: () => request<Session[]>("GET", "/api/v1/sessions"),
  endSession: (id: string) => request<unknown>("DELETE", `/api/v1/sessions/${encodeURIComponent(id)}`),
  async recordings(camera: string, start: number, end: number): Promise<Run[]> {
    const rows = await request<{ start: string; end: string; bytes: number }[]>(
      "GET",
      `${cameraPath(camera)}/recordings?${range(start, end)}`,
    );
    return rows.map((r) => ({ start: Date.parse(r.start), end: Date.parse(r.end), bytes: r.bytes }));
  },
  shares: (camera: string) => request<Share[]>("GET", `${cameraPath(camera)}/shares`),
  // A camera with an ONVIF address (design/ONVIF.md); 409 for one without.
  ptzPresets: (camera: string) => request<{ presets: { token: string; name: string }[] }>("GET", `${cameraPath(camera)}/ptz`),
  ptz: (
    camera: string,
    body: { action: "move" | "stop" | "goto" | "set_preset"; pan?: number; tilt?: number; zoom?: number; preset?: string; name?: string },
  ) => request<{ preset?: string }>("POST", `${cameraPath(camera)}/ptz`, body),
  setShares: (camera: string, shares: Share[]) => request<Share[]>("PUT", `${cameraPath(camera)}/shares`, shares),
  detection: (camera: string) => request<DetectionSettings>("GET", `${cameraPath(camera)}/detection`),
  setDetection: (camera: string, settings: DetectionSettings) =>
    request<DetectionSettings>("PUT", `${cameraPath(camera)}/detection`, settings),
  resetDetection: (camera: string) => request<DetectionSettings>("DELETE", `${cameraPath(camera)}/detection`),
  audit: (filter: { start?: number; end?: number; user?: string; camera?: string; limit?: number }) => {
    const q = new URLSearchParams();
    if (filter.start !== undefined) q.set("start", rfc3339(filter.start));
    if (filter.end !== undefined) q.set("end", rfc3339(filter.end));
    if (filter.user) q.set("user", filter.user);
    if (filter.camera) q.set("camera", filter.camera);
    if (filter.limit) q.set("limit", String(filter.limit));
    return request<AuditRow[]>("GET", `/api/v1/audit?${q}`);
  },
  // Newest first, overlapping [start, end); notify: only those the household is told of.
  events: (filter: { camera?: string; label?: EventLabel; start?: number; end?: number; limit?: number; notify?: boolean }) => {
    const q = new URLSearchParams();
    if (filter.camera) q.set("camera", filter.camera);
    if (filter.notify) q.set("notify", "true");
    if (filter.label) q.set("label", filter.label);
    if (filter.start !== undefined) q.set("start", rfc3339(filter.start));
    if (filter.end !== undefined) q.set("end", rfc3339(filter.end));
    if (filter.limit) q.set("limit", String(filter.limit));
    return request<DetectionEvent[]>("GET", `/api/v1/events?${q}`);
  },
  link: () => request<LinkState>("GET", "/api/v1/link"),
  invites: () => request<Invite[]>("GET", "/api/v1/link/invites"),
  createInvite: (name: string, expires: string) => request<Invite>("POST", "/api/v1/link/invites", { name, expires }),
  revokeInvite: (id: number) => request<unknown>("DELETE", `/api/v1/link/invites/${id}`),
  removeChild: (id: string) => request<unknown>("DELETE", `/api/v1/link/children/${encodeURIComponent(id)}`),
  joinParent: (parent: string, code: string) =>
    request<{ parent: { url: string; id: string; name: string; tier: NodeTier }; restarting?: boolean; restart_needed?: boolean }>("POST", "/api/v1/link/parent", {
      parent,
      code,
    }),
  // Looks from other tiers, newest first. searchedFrom: set when the server
  // searched only the log's rows from then on (older looks need an earlier end).
  async remoteLooks(filter: { start?: number; limit: number }): Promise<{ rows: RemoteLookRow[]; searchedFrom?: number }> {
    const q = new URLSearchParams({ remote: "true", limit: String(filter.limit) });
    if (filter.start !== undefined) q.set("start", rfc3339(filter.start));
    const { json, headers } = await exchange<RemoteLookRow[]>("GET", `/api/v1/audit?${q}`);
    const from = headers.get("Vigil-Searched-From");
    return { rows: json, searchedFrom: from ? Date.parse(from) : undefined };
  },
  raiseAlarm: (kind: AlarmKind, note?: string) => request<{ id: string }>("POST", "/api/v1/alarms", note ? { kind, note } : { kind }),
  // Newest first; or, with `since`, the changes after that cursor in order.
  alarms: (q: { state?: AlarmState; since?: number; limit?: number } = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    return request<AlarmPage>("GET", `/api/v1/alarms?${p}`);
  },
  alarm: (id: string) => request<Alarm>("GET", alarmPath(id)),
  ackAlarm: (id: string) => request<Alarm>("POST", `${alarmPath(id)}/ack`, {}),
  assignAlarm: (id: string, to: string) => request<Alarm>("POST", `${alarmPath(id)}/assign`, { to }),
  noteAlarm: (id: string, text: string) => request<Alarm>("POST", `${alarmPath(id)}/notes`, { text }),
  closeAlarm: (id: string, outcome: string) => request<Alarm>("POST", `${alarmPath(id)}/close`, { outcome }),
  broadcasts: () => request<Broadcast[]>("GET", "/api/v1/broadcasts"),
  broadcast: (id: string) => request<Broadcast>("GET", broadcastPath(id)),
  sendBroadcast: (b: NewBroadcast) => request<{ id: string }>("POST", "/api/v1/broadcasts", b),
  seeBroadcast: (id: string) => request<unknown>("POST", `${broadcastPath(id)}/seen`, {}),
  alerts: () => request<Alert[]>("GET", "/api/v1/alerts"),
  publicRegister: () => request<PublicRegister>("GET", "/api/v1/register"),
  registerSettings: () => request<RegisterSettings>("GET", "/api/v1/register/settings"),
  setRegisterSettings: (s: RegisterSettings) => request<RegisterSettings>("PUT", "/api/v1/register/settings", s),
  registerListing: (camera: string) => request<RegisterListing>("GET", `${cameraPath(camera)}/register`),
  setRegisterListing: (camera: string, l: RegisterListing) => request<RegisterListing>("PUT", `${cameraPath(camera)}/register`, l),
};

export function broadcastPath(id: string): string {
  return `/api/v1/broadcasts/${encodeURIComponent(id)}`;
}

function userPath(id: string): string {
  return `/api/v1/users/${encodeURIComponent(id)}`;
}

function alarmPath(id: string): string {
  return `/api/v1/alarms/${encodeURIComponent(id)}`;
}

export function cameraPath(id: string): string {
  return `/api/v1/cameras/${encodeURIComponent(id)}`;
}

export function rfc3339(ms: number): string {
  // Whole milliseconds are enough; the server reads RFC 3339 UTC.
  return new Date(ms).toISOString();
}

export function range(start: number, end: number): string {
  return new URLSearchParams({ start: rfc3339(start), end: rfc3339(end) }).toString();
}

export const urls = {
  // stream: the main or the sub stream; audio: the camera's sound too (its
  // page; the grid never asks); h264: for a browser that cannot play the
  // camera's own codec (the server sends H.264: an H.264 sub stream, or a
  // transcode).
  live: (id: string, options: { stream?: LiveStreamChoice; audio?: boolean; h264?: boolean } = {}) => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams();
    if (options.stream === "sub") query.set("stream", "sub");
    if (options.audio) query.set("audio", "1");
    if (options.h264) query.set("codec", "h264");
    const q = query.toString();
    return `${scheme}//${location.host}${cameraPath(id)}/live${q ? `?${q}` : ""}`;
  },
  // audio: with the camera's sound (design/DECISIONS.md 96).
  liveHls: (id: string, stream: LiveStreamChoice = "main", audio = false) => {
    const query = new URLSearchParams();
    if (stream === "sub") query.set("stream", "sub");
    if (audio) query.set("audio", "1");
    const q = query.toString();
    return `${cameraPath(id)}/live.m3u8${q ? `?${q}` : ""}`;
  },
  playback: (id: string, start: number, end: number) => `${cameraPath(id)}/playback.m3u8?${range(start, end)}`,
  export: (id: string, start: number, end: number) => `${cameraPath(id)}/export.mp4?${range(start, end)}`,
  snapshot: (id: string, stream: LiveStreamChoice = "main") => `${cameraPath(id)}/snapshot.jpg${streamQuery(stream)}`,
};
