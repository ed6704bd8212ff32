// Shared by the end-to-end test, the screenshot script and the first-frame
// benchmark: start `vigil demo`, drive Debian's Chromium. Every process started
// here is stopped by its PID and every wait is bounded.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(WEB_DIR, "..");

// Before a test in Chromium: exits 77 (CTest's "skipped") only when
// Debian's Chromium is missing, 1 when the built UI is.
export function exitUnlessChromiumAndUi() {
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIP: ${CHROMIUM} is missing (scripts/bootstrap installs Debian's chromium)`);
    process.exit(77);
  }
  if (!existsSync(join(WEB_DIR, "dist/index.html"))) {
    console.error("web/dist is missing: run scripts/bootstrap (or npm run build in web/)");
    process.exit(1);
  }
}

// The vigil under test: VIGIL_BIN, else the debug build.
export function vigilBinary() {
  const vigil = process.env.VIGIL_BIN ?? join(REPO, "build/debug/src/app/vigil");
  if (!existsSync(vigil)) throw new Error(`no vigil binary at ${vigil} (set VIGIL_BIN)`);
  return vigil;
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Polls `probe` until it returns something truthy; throws naming `what`
// after `timeoutMs`.
export async function waitFor(what, probe, timeoutMs = 30_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// A child process with its output kept, stopped by PID: SIGTERM, then
// SIGKILL after a bounded wait.
export class Child {
  constructor(command, args, { env = {}, cwd } = {}) {
    this.command = command;
    this.output = "";
    this.proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve(code ?? signal)));
    for (const stream of [this.proc.stdout, this.proc.stderr]) stream.on("data", (d) => (this.output += d));
  }
  async waitForOutput(regex, timeoutMs) {
    return waitFor(`${regex} from ${this.command}`, () => {
      if (this.proc.exitCode !== null) throw new Error(`exited ${this.proc.exitCode}:\n${this.output.slice(-3000)}`);
      return this.output.match(regex);
    }, timeoutMs);
  }
  async stop(timeoutMs = 20_000) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}

// `vigil demo` on a free loopback port with a fresh data directory.
export async function startDemo({ cameras = 2, startTimeoutMs = 300_000 } = {}) {
  const vigil = vigilBinary();
  const data = tempDir("vigil-web-");
  const child = new Child(vigil, ["demo", "--data", data.path, "--listen", "127.0.0.1:0", "--cameras", String(cameras)]);
  try {
    // The demo encodes its synthetic cameras first: minutes in a sanitized build.
    const url = (await child.waitForOutput(/URL:\s+(http:\/\/\S+\/)/, startTimeoutMs))[1];
    const password = (await child.waitForOutput(/admin password: (\S+)/, 10_000))[1];
    return {
      url,
      password,
      child,
      async stop() {
        const code = await child.stop();
        data.remove();
        return code;
      },
    };
  } catch (e) {
    await child.stop();
    data.remove();
    throw e;
  }
}

// Debian's Chromium headless, none of its own calls home (this machine has
// no network beyond loopback).
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--autoplay-policy=no-user-gesture-required",
];

// That Chromium with a fresh profile.
export async function launchChromium(options = {}) {
  const profile = tempDir("vigil-chromium-");
  const context = await chromium.launchPersistentContext(profile.path, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    timeout: 60_000,
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      profile.remove();
    },
  };
}

export async function login(page, url, password) {
  await page.goto(url);
  await page.fill('input[name="user"]', "admin");
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForSelector(".bar", { timeout: 30_000 });
}

// Loads the grid at `url` `loads` times (a session already open) and
// returns, sorted, the time from navigation start to the first decoded
// frame of any of its `tiles` live tiles (player.ts notes it with
// requestVideoFrameCallback), in ms.
export async function firstFrameTimes(page, url, tiles, loads) {
  const times = [];
  for (let i = 0; i < loads; i++) {
    const u = new URL(url);
    u.searchParams.set("run", String(i)); // a fresh navigation each time
    await page.goto(u.href);
    const ms = await waitFor("first frames", async () => {
      const v = await page.$$eval(".tile video", (vs) => vs.map((x) => Number(x.dataset.firstFrameMs || 0)));
      return v.length === tiles && v.every((x) => x > 0) && v;
    }, 60_000);
    times.push(Math.min(...ms));
  }
  return times.sort((a, b) => a - b);
}

// A key only a TV remote has, sent through Chromium's input pipeline.
export async function remoteKey(page, key, keyCode) {
  const cdp = await page.context().newCDPSession(page);
  try {
    for (const type of ["rawKeyDown", "keyUp"]) {
      await cdp.send("Input.dispatchKeyEvent", { type, key, code: key, windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode });
    }
  } finally {
    await cdp.detach();
  }
}
