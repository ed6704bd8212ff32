// Times on screen are the viewer's local time, written by Intl in the UI's
// language (i18n.ts); the API speaks UTC.
import { locale } from "./i18n";

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const pad = (n: number) => String(n).padStart(2, "0");

// Intl's formatters are slow to make: one per locale and options.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.ListFormat>();
function cached<F extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.ListFormat>(key: string, make: (locale: string) => F): F {
  const k = `${locale()} ${key}`;
  let f = formatters.get(k);
  if (!f) formatters.set(k, (f = make(locale())));
  return f as F;
}

// A 24-hour clock in both languages (as cameras and DVRs show time).
const kClock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } as const;

export function clockTime(ms: number, withSeconds = true): string {
  const f = cached(withSeconds ? "clock-s" : "clock", (l) => new Intl.DateTimeFormat(l, withSeconds ? { ...kClock, second: "2-digit" } : kClock));
  return f.format(ms);
}

// "Dec 7, 2026, 06:18:53"; "2026年12月7日 06:18:53".
export function dateTime(ms: number): string {
  const f = cached("date-time", (l) => new Intl.DateTimeFormat(l, { year: "numeric", month: "short", day: "numeric", ...kClock, second: "2-digit" }));
  return f.format(ms);
}

// The value of an <input type="datetime-local" step="1">, and back (the
// browser shows it in its own way; the value is always this form).
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fromLocalInput(value: string): number | undefined {
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

// A number with its unit, short: "45 sec", "45秒"; "12 ms", "12毫秒".
type Unit = "millisecond" | "second" | "minute" | "hour";
export function quantity(n: number, unit: Unit): string {
  return cached(`unit-${unit}`, (l) => new Intl.NumberFormat(l, { style: "unit", unit, unitDisplay: "short" })).format(n);
}

// How long, to the second under a minute, to the minute above an hour:
// "1 min 5 sec", "1分钟5秒"; "2 hr 5 min", "2小时5分钟".
export function duration(ms: number): string {
  const s = Math.round(ms / SECOND);
  const parts =
    s < 60
      ? [quantity(s, "second")]
      : s < 3600
        ? [quantity(Math.floor(s / 60), "minute"), quantity(s % 60, "second")]
        : [quantity(Math.floor(s / 3600), "hour"), quantity(Math.floor((s % 3600) / 60), "minute")];
  return cached("list", (l) => new Intl.ListFormat(l, { type: "unit", style: "narrow" })).format(parts);
}

export const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
