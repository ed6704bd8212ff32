// Emergency broadcasts at a village, township or county desk (应急广播,
// issue 15 item 5): send a notice (text, priority, to every household
// below or to chosen nodes, an optional voice message uploaded or recorded
// here, an optional expiry), and follow what was sent: receipts as counts
// and, per notice, each household's delivered and seen times, live.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type AudioType, type Broadcast, type LinkChild, type NoticePriority, api, kAudioTypes, kMaxAudioBytes, rfc3339 } from "./api";
import { broadcastText } from "./broadcast_text";
import { type Broadcasts, expired, when } from "./notices";
import { usePoll } from "./poll";
import { SECOND, fromLocalInput } from "./time";

const kDetailPollMs = 2 * SECOND;
const kMaxRecordSeconds = 60; // Opus at ~32 kbit/s: ~240 KB, well inside kMaxAudioBytes
// Names browsers give files for the types the API takes.
const kTypeAliases: Record<string, AudioType> = { "audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/mp3": "audio/mpeg", "audio/x-m4a": "audio/mp4" };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const kb = (bytes: number) => Math.max(1, Math.round(bytes / 1024));

// "audio/webm;codecs=opus" -> "audio/webm" when the API takes it.
function audioType(mime: string): AudioType | undefined {
  const base = mime.split(";")[0].trim().toLowerCase();
  return (kAudioTypes as readonly string[]).includes(base) ? (base as AudioType) : kTypeAliases[base];
}

async function base64(blob: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(",") + 1);
}

interface Voice {
  blob: Blob;
  type: AudioType;
  label: string;
}

// `notices`: the app's poll of this node's broadcasts (the sent ones are
// listed here); `admin`: may read the link, so the children are listed to
// choose from (an operator types ids).
export function BroadcastDesk({ notices, admin }: { notices: Broadcasts; admin: boolean }) {
  const t = broadcastText();
  return (
    <div class="audit-page broadcasts-page">
      <h2>{t.deskTitle}</h2>
      <SendForm admin={admin} />
      <section class="sent-notices">
        <h3>{t.sentTitle}</h3>
        {notices.error !== "" && (
          <p class="error" role="alert">
            {notices.error}
          </p>
        )}
        {notices.loaded && notices.sent.length === 0 && <p class="empty">{t.noneSent}</p>}
        {notices.sent.map((b) => (
          <SentNotice key={b.id} notice={b} />
        ))}
      </section>
    </div>
  );
}

function useChildren(admin: boolean): LinkChild[] | undefined {
  const [children, setChildren] = useState<LinkChild[]>();
  useEffect(() => {
    if (admin) api.link().then((l) => setChildren(l.children), () => setChildren(undefined));
  }, [admin]);
  return children;
}

function SendForm({ admin }: { admin: boolean }) {
  const t = broadcastText();
  const [text, setText] = useState("");
  const [priority, setPriority] = useState<NoticePriority>("normal");
  const [toAll, setToAll] = useState(true);
  const [chosen, setChosen] = useState<string[]>([]);
  const [others, setOthers] = useState("");
  const [expires, setExpires] = useState("");
  const [voice, setVoice] = useState<Voice>();
  const [recording, setRecording] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; error: boolean }>();
  const children = useChildren(admin);
  const fail = (why: string) => setResult({ text: why, error: true });

  const send = async () => {
    const to = [...new Set([...chosen, ...others.split(/[\s,，]+/).filter(Boolean)])];
    if (text.trim() === "") return fail(t.textNeeded);
    if (!toAll && to.length === 0) return fail(t.nobodyChosen);
    const expiresAt = expires ? fromLocalInput(expires) : undefined;
    setBusy(true);
    setResult(undefined);
    try {
      await api.sendBroadcast({
        text: text.trim(),
        priority,
        to: toAll ? "all" : to,
        ...(voice && { audio: await base64(voice.blob), audio_type: voice.type }),
        ...(expiresAt !== undefined && { expires_at: rfc3339(expiresAt) }),
      });
      setResult({ text: t.sent, error: false });
      setText("");
      setVoice(undefined);
    } catch (e) {
      fail(t.failed(message(e)));
    }
    setBusy(false);
  };

  return (
    <form
      class="send-notice"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <h3>{t.sendTitle}</h3>
      <label class="wide">
        {t.text}
        <textarea name="text" rows={4} data-arrows="horizontal" placeholder={t.textPlaceholder} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <fieldset>
        <legend>{t.priority}</legend>
        {(["normal", "urgent"] as NoticePriority[]).map((p) => (
          <label key={p} class="choice">
            <input type="radio" name="priority" value={p} checked={priority === p} onChange={() => setPriority(p)} /> {t.priorities[p]}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t.to}</legend>
        <label class="choice">
          <input type="radio" name="to" value="all" checked={toAll} onChange={() => setToAll(true)} /> {t.toAll}
        </label>
        <label class="choice">
          <input type="radio" name="to" value="chosen" checked={!toAll} onChange={() => setToAll(false)} /> {t.toChosen}
        </label>
        {!toAll && (
          <div class="targets">
            {children && children.length === 0 && <p class="empty">{t.noChildren}</p>}
            {children && children.length > 0 && (
              <div class="children" aria-label={t.children}>
                {children.map((c) => (
                  <label key={c.id} class="choice">
                    <input
                      type="checkbox"
                      name="child"
                      value={c.id}
                      checked={chosen.includes(c.id)}
                      onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, c.id] : chosen.filter((x) => x !== c.id))}
                    />{" "}
                    {c.name} ({c.id})
                  </label>
                ))}
              </div>
            )}
            <label>
              {t.otherIds}
              <input name="ids" data-arrows="horizontal" value={others} onInput={(e) => setOthers(e.currentTarget.value)} />
            </label>
          </div>
        )}
      </fieldset>
      <VoiceInput voice={voice} onVoice={setVoice} onRecording={setRecording} onError={fail} />
      <label>
        {t.expires}
        <input type="datetime-local" step="1" name="expires" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </label>
      <div class="clip-row">
        <button type="submit" class="send" disabled={busy || recording}>
          {busy ? t.sending : t.send}
        </button>
      </div>
      {result && (
        <p class={result.error ? "error" : "notice"} role={result.error ? "alert" : "status"}>
          {result.text}
        </p>
      )}
    </form>
  );
}

// The optional voice message: a file, or recorded here with the
// microphone (MediaRecorder) up to kMaxRecordSeconds; played back before
// sending. While recording, the form says so with the seconds counting
// (and cannot be sent: onRecording).
function VoiceInput({
  voice,
  onVoice,
  onRecording,
  onError,
}: {
  voice: Voice | undefined;
  onVoice: (v: Voice | undefined) => void;
  onRecording: (on: boolean) => void;
  onError: (why: string) => void;
}) {
  const t = broadcastText();
  const recording = useRef<{ recorder: MediaRecorder; timer: number } | undefined>(undefined);
  const [seconds, setSeconds] = useState<number>(); // set while recording
  useEffect(() => onRecording(seconds !== undefined), [seconds !== undefined]);
  const preview = useMemo(() => voice && URL.createObjectURL(voice.blob), [voice]);
  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);
  useEffect(() => () => stop(), []);

  const take = (blob: Blob, mime: string, label: (type: AudioType) => string) => {
    const type = audioType(mime);
    if (!type) return onError(t.audioType(mime));
    if (blob.size > kMaxAudioBytes) return onError(t.audioTooBig);
    onVoice({ blob, type, label: label(type) });
  };

  const record = async () => {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      return onError(t.noMicrophone(message(e)));
    }
    const recorder = new MediaRecorder(stream);
    const chunks: Blob[] = [];
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) / SECOND);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      for (const track of stream.getTracks()) track.stop();
      const s = elapsed();
      const blob = new Blob(chunks, { type: recorder.mimeType });
      take(blob, recorder.mimeType, () => t.recorded(s, kb(blob.size)));
    };
    const timer = window.setInterval(() => {
      setSeconds(elapsed());
      if (elapsed() >= kMaxRecordSeconds) stop();
    }, 250);
    recording.current = { recorder, timer };
    recorder.start();
    setSeconds(0);
    onVoice(undefined);
  };
  function stop() {
    const r = recording.current;
    if (!r) return;
    recording.current = undefined;
    clearInterval(r.timer);
    setSeconds(undefined);
    if (r.recorder.state !== "inactive") r.recorder.stop();
  }

  return (
    <fieldset class="voice" data-recording={seconds !== undefined ? "1" : "0"}>
      <legend>{t.audioTitle}</legend>
      {seconds !== undefined ? (
        <p class="recording" role="status">
          <span class="rec-dot" aria-hidden="true" /> {t.recording(seconds)}{" "}
          <button type="button" class="stop-recording" onClick={stop}>
            {t.stop}
          </button>
        </p>
      ) : (
        <div class="clip-row">
          <label class="button">
            {t.upload}
            <input
              type="file"
              name="audio"
              accept={kAudioTypes.join(",")}
              class="visually-hidden"
              onChange={(e) => {
                const file = e.currentTarget.files?.[0];
                e.currentTarget.value = "";
                if (file) take(file, file.type, () => t.chosenFile(file.name, kb(file.size)));
              }}
            />
          </label>
          <button type="button" class="record" onClick={record}>
            {t.record}
          </button>
        </div>
      )}
      {voice && preview && (
        <p class="voice-chosen" data-type={voice.type}>
          {voice.label} <audio controls src={preview} />{" "}
          <button type="button" onClick={() => onVoice(undefined)}>
            {t.removeAudio}
          </button>
        </p>
      )}
    </fieldset>
  );
}

// One sent notice: its receipts (from the app's poll) and, opened, each
// household's times, asked for every kDetailPollMs while open.
function SentNotice({ notice: b }: { notice: Broadcast }) {
  const t = broadcastText();
  const [open, setOpen] = useState(false);
  const { value: detail, error } = usePoll(open, () => api.broadcast(b.id), kDetailPollMs, b.id);
  const r = b.receipts ?? { targeted: 0, delivered: 0, seen: 0 };
  return (
    <article class={`sent-notice priority-${b.priority}${expired(b) ? " expired" : ""}`} data-notice={b.id}>
      <p class="notice-meta">
        {b.priority === "urgent" && <span class="badge urgent">{t.urgent}</span>} {when(b.sent_at)}
        {b.expires_at && ` · ${t.expiresAt(when(b.expires_at))}`}
        {b.has_audio && ` · ${t.audio}`}
      </p>
      <p class="notice-text">{b.text}</p>
      <p class="receipts" data-targeted={r.targeted} data-delivered={r.delivered} data-seen={r.seen}>
        {t.receipts(r)}{" "}
        <button type="button" class="households-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t.hide : t.households}
        </button>
      </p>
      {open && error !== "" && <p class="error">{error}</p>}
      {open && detail?.households?.length === 0 && <p class="empty">{t.noHouseholds}</p>}
      {open && detail?.households && detail.households.length > 0 && (
        <div class="table-wrap">
          <table class="audit households">
            <thead>
              <tr>
                <th>{t.columns.node}</th>
                <th>{t.columns.delivered}</th>
                <th>{t.columns.seen}</th>
              </tr>
            </thead>
            <tbody>
              {detail.households.map((h) => (
                <tr key={h.node} data-node={h.node} data-delivered={h.delivered_at ? "1" : "0"} data-seen={h.seen_at ? "1" : "0"}>
                  <td>{h.node}</td>
                  <td>{when(h.delivered_at) || t.notYet}</td>
                  <td>{when(h.seen_at) || t.notYet}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}
