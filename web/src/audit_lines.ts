// The audit log's rows as lines people read (design/AUDIT.md "The log
// page"): a live look's live_start and live_stop are one line with how long
// it lasted, and repeated looks of one user at one camera of one kind, each
// starting at most kGapMs after the last ended, are one line with a count
// (a player that reconnects, a playlist's requests, snapshots in a row).
import type { AuditRow } from "./api";
import { SECOND } from "./time";

export const kGapMs = 60 * SECOND;
// A live_stop belongs to the live_start this close to its own start
// (its time minus its seconds).
const kPairSlackMs = 5 * SECOND;

export type LineKind = "live" | "playback" | "export" | "snapshot" | "other";

export interface AuditLine {
  kind: LineKind;
  user: string;
  camera: string;
  start: number; // ms
  end: number;
  count: number; // rows of looks grouped here (a live look's start and stop count once)
  open: boolean; // a live look whose stop is not in the answer: still on, or ended without a row
  range?: { start: number; end: number }; // the video's, for playback and export
  row: AuditRow; // the newest row: its action, detail and client
  seqs: number[];
}

function kindOf(action: string): LineKind {
  if (action === "live_start" || action === "live_stop" || action === "live_hls") return "live";
  if (action === "playback" || action === "export" || action === "snapshot") return action;
  return "other";
}

function detailOf(row: AuditRow): Record<string, unknown> {
  return row.detail && typeof row.detail === "object" ? (row.detail as Record<string, unknown>) : {};
}

function rangeOf(row: AuditRow): { start: number; end: number } | undefined {
  const d = detailOf(row);
  const start = typeof d.start === "string" ? Date.parse(d.start) : NaN;
  const end = typeof d.end === "string" ? Date.parse(d.end) : NaN;
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : { start, end };
}

// Rows newest first (as the server answers) to lines newest first.
export function auditLines(rows: AuditRow[]): AuditLine[] {
  const looks: AuditLine[] = [];
  const openLive = new Map<string, AuditLine[]>(); // by user and camera
  for (const row of [...rows].reverse()) {
    const at = Date.parse(row.at);
    const kind = kindOf(row.action);
    const key = `${row.user}\n${row.camera}`;
    const look: AuditLine = { kind, user: row.user, camera: row.camera, start: at, end: at, count: 1, open: false, row, seqs: [row.seq] };
    if (row.action === "live_stop") {
      const seconds = Number(detailOf(row).seconds) || 0;
      look.start = at - seconds * SECOND;
      const pending = openLive.get(key) ?? [];
      let best = -1;
      pending.forEach((p, i) => {
        const off = Math.abs(p.start - look.start);
        if (off <= Math.max(kPairSlackMs, seconds * SECOND * 0.1) && (best < 0 || off < Math.abs(pending[best].start - look.start))) best = i;
      });
      if (best >= 0) {
        const started = pending.splice(best, 1)[0];
        started.end = at;
        started.open = false;
        started.row = row;
        started.seqs.push(row.seq);
        continue;
      }
    } else if (kind === "live") {
      look.open = true;
      openLive.set(key, [...(openLive.get(key) ?? []), look]);
    } else if (kind === "playback" || kind === "export") {
      look.range = rangeOf(row);
    }
    looks.push(look);
  }
  // Oldest first: each look joins the line before it of the same user,
  // camera and kind when it starts at most kGapMs after that one ended.
  looks.sort((a, b) => a.start - b.start);
  const lines: AuditLine[] = [];
  const last = new Map<string, AuditLine>();
  for (const look of looks) {
    const key = `${look.kind}\n${look.user}\n${look.camera}`;
    const line = last.get(key);
    const sameClip = look.kind !== "export" || (line?.range?.start === look.range?.start && line?.range?.end === look.range?.end);
    if (line && look.kind !== "other" && look.camera !== "" && sameClip && look.start - line.end <= kGapMs) {
      line.end = Math.max(line.end, look.end);
      line.count += 1;
      line.open = look.open;
      line.row = look.row;
      line.seqs.push(...look.seqs);
      if (line.range && look.range) {
        line.range = { start: Math.min(line.range.start, look.range.start), end: Math.max(line.range.end, look.range.end) };
      }
      continue;
    }
    lines.push(look);
    last.set(key, look);
  }
  return lines.sort((a, b) => b.end - a.end || b.start - a.start);
}
