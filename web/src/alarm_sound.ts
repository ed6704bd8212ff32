// The attention sound: a two-tone beep made with Web Audio (nothing to
// download), repeated while an alarm waits for acknowledgement at the desk
// or an urgent notice waits to be read at home. Browsers
// start an AudioContext suspended until the user interacts with the page;
// the first click or key anywhere resumes it, and until then the page says
// so. The state is also on <html data-NAME-sound> and the count of beeps
// on <html data-NAME-beeps> (tests read them): NAME is "alarm" at the desk,
// "notice" for an urgent notice (notices.tsx).
import { useEffect, useState } from "preact/hooks";

const kBeepEveryMs = 1500;
const kTones = [880, 660]; // Hz, 0.2 s each

export type SoundState = "running" | "suspended" | "unavailable";

export class AlarmSound {
  private ctx: AudioContext | undefined;
  private timer = 0;
  private readonly listeners = new Set<(s: SoundState) => void>();
  beeps = 0;

  constructor(private readonly name: "alarm" | "notice" = "alarm") {
    try {
      this.ctx = new AudioContext();
    } catch {
      this.ctx = undefined;
    }
    this.ctx?.addEventListener("statechange", () => this.changed());
    for (const type of ["pointerdown", "keydown"]) window.addEventListener(type, this.unlock, true);
    this.changed();
  }

  get state(): SoundState {
    if (!this.ctx) return "unavailable";
    return this.ctx.state === "running" ? "running" : "suspended";
  }

  onChange(listener: (s: SoundState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Beeps now and every kBeepEveryMs while `on`.
  ring(on: boolean): void {
    if (on === (this.timer !== 0)) return;
    clearInterval(this.timer);
    this.timer = 0;
    if (!on) return;
    this.beep();
    this.timer = window.setInterval(() => this.beep(), kBeepEveryMs);
  }

  close(): void {
    this.ring(false);
    for (const type of ["pointerdown", "keydown"]) window.removeEventListener(type, this.unlock, true);
    this.ctx?.close().catch(() => {});
    delete document.documentElement.dataset[`${this.name}Sound`];
  }

  private readonly unlock = () => {
    if (this.ctx?.state === "suspended") this.ctx.resume().catch(() => {});
  };

  private changed(): void {
    document.documentElement.dataset[`${this.name}Sound`] = this.state;
    for (const l of this.listeners) l(this.state);
  }

  private beep(): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== "running") return;
    const gain = ctx.createGain();
    gain.gain.value = 0.3;
    gain.connect(ctx.destination);
    kTones.forEach((hz, i) => {
      const osc = ctx.createOscillator();
      osc.frequency.value = hz;
      osc.connect(gain);
      osc.start(ctx.currentTime + i * 0.2);
      osc.stop(ctx.currentTime + (i + 1) * 0.2);
    });
    this.beeps++;
    document.documentElement.dataset[`${this.name}Beeps`] = String(this.beeps);
  }
}

// A sound for as long as the component lives, ringing while `ringing`,
// and whether the browser lets it play.
export function useAlarmSound(ringing: boolean, name: "alarm" | "notice" = "alarm"): SoundState {
  const [sound] = useState(() => new AlarmSound(name));
  const [state, setState] = useState<SoundState>(sound.state);
  useEffect(() => {
    const off = sound.onChange(setState);
    return () => {
      off();
      sound.close();
    };
  }, []);
  useEffect(() => sound.ring(ringing && state === "running"), [ringing, state]);
  return state;
}
