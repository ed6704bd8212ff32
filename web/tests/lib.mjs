// Shared by the end-to-end test, the screenshot script and the first-frame
// benchmark: start `vigil demo`, drive Debian's Chromium. Every process started
// here is stopped by its PID and every wait is bounded.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, request } from "playwright-core";

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
  await logIn(page, url, "admin", password);
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

// Sanitized builds on a shared machine start slowly: a loose bound.
const kServeStart = 180_000;

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// One node for the tier link's tests: its config, self-signed certificate
// and data directory; its serve process; an API client holding its admin's
// session.
export class ServeNode {
  constructor(root, id, tier, port, cameras = "") {
    this.id = id;
    this.dir = join(root, id);
    mkdirSync(this.dir);
    const cert = join(this.dir, "cert.pem");
    const key = join(this.dir, "key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
    this.config = join(this.dir, "vigil.toml");
    writeFileSync(this.config, `[node]\nid = "${id}"\nname = "Node ${id}"\ntier = "${tier}"\ndata_dir = "${this.dir}/data"\n\n` +
      `[http]\nlisten = "127.0.0.1:${port}"\ntls_cert = "${cert}"\ntls_key = "${key}"\nweb_root = "${WEB_DIR}/dist"\n${cameras}`);
    this.url = `https://127.0.0.1:${port}/`;
  }
  async start() {
    this.child = new Child(vigilBinary(), ["serve", "--config", this.config]);
    // Printed on the first start only.
    this.password ??= (await this.child.waitForOutput(/admin password: (\S+)/, kServeStart))[1];
    await this.child.waitForOutput(/serve\.http .*tls=true/, kServeStart);
    this.api = await request.newContext({ baseURL: this.url, ignoreHTTPSErrors: true });
    const login = await this.api.post("/api/v1/login", { data: { user: "admin", password: this.password } });
    assert.equal(login.status(), 200, await login.text());
    this.token = (await login.json()).token;
  }
  async call(method, path, data) {
    const r = await this.api.fetch(path, { method, data, headers: { Authorization: `Bearer ${this.token}` } });
    return { status: r.status(), body: await r.json().catch(() => null) };
  }
  link(...args) {
    return execFileSync(vigilBinary(), ["link", ...args, "--config", this.config], { encoding: "utf8", timeout: 120_000 });
  }
  async stop() {
    await this.api?.dispose();
    await this.child?.stop();
    this.api = this.child = undefined;
  }
}

export async function logIn(page, url, user, password) {
  await page.goto(url);
  // A TV's login page shows a code to confirm on a phone; the password is a button away.
  await page.waitForSelector('input[name="user"], .tv-login .login-way');
  if (await page.$(".tv-login.by-code")) await page.click(".tv-login .login-way");
  await page.fill('input[name="user"]', user);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  // A password check (Argon2id) in a sanitized build on a loaded machine: a loose bound.
  await page.waitForSelector(".bar", { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`${user} not logged in at ${url}: the page says "${await page.textContent("body")}"; ${e.message}`);
  });
}

// What a test of nodes in Chromium starts, stopped (by PID) and removed
// after it: a temporary directory, the processes pushed on `started`, and
// one headless Chromium, each page in a context of its own (nodes on
// 127.0.0.1 share cookies otherwise: cookies ignore the port).
export function nodesRun(prefix) {
  const run = {
    tmp: tempDir(prefix),
    started: [],
    browser: undefined,
    async page() {
      run.browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
      return (await run.browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    },
  };
  after(async () => {
    await run.browser?.close();
    for (const p of run.started.reverse()) await p.stop();
    run.tmp.remove();
  });
  return run;
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

// Clicks the camera page's timeline as a mouse would at about the wall-clock
// moment `t` (ms), and returns the moment clicked. Clip handles and event
// marks sit on the track and take their own clicks (a handle left where the
// page opened can be exactly a minute back), so the click goes to the
// nearest spot, within ten seconds of `t`, where the track itself is on top.
export async function clickTimelineAt(page, t) {
  const track = await page.$(".tl-track");
  await track.scrollIntoViewIfNeeded();
  const box = await track.boundingBox();
  const start = Number(await track.getAttribute("data-start"));
  const end = Number(await track.getAttribute("data-end"));
  const y = box.y + box.height / 2;
  for (const offset of [0, -2, 2, -4, 4, -6, 6, -8, 8, -10, 10]) {
    const at = t + offset * 1000;
    const x = box.x + ((at - start) / (end - start)) * box.width;
    const free = await page.evaluate(([px, py]) => {
      const hit = document.elementFromPoint(px, py);
      return hit !== null && hit.closest(".tl-track") !== null && hit.closest("button") === null;
    }, [x, y]);
    if (!free) continue;
    await page.mouse.click(x, y);
    return at;
  }
  throw new Error(`no free spot on the timeline near ${new Date(t).toISOString()}`);
}
