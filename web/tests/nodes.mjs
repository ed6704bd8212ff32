// Shared by the web tests that run several `vigil serve` nodes (a household
// linked to a village over TLS on loopback): each node's config,
// certificate and process, an API client holding its admin's session, and
// a login in a page. Every process is stopped by its PID.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after } from "node:test";
import { request } from "playwright-core";
import { Child, WEB_DIR, tempDir, vigilBinary, waitFor } from "./lib.mjs";

// Sanitized builds on a shared machine start slowly: loose bounds.
export const START = 180_000;
export const LINK_UP = 60_000;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// One node: its config, self-signed certificate and data directory; its
// serve process; an API client holding its admin's session.
export class Node {
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
    this.password = (await this.child.waitForOutput(/admin password: (\S+)/, START))[1];
    await this.child.waitForOutput(/serve\.http .*tls=true/, START);
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
  }
}

export async function logIn(page, url, user, password) {
  await page.goto(url);
  await page.fill('input[name="user"]', user);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  // A password check (Argon2id) in a sanitized build on a loaded machine: a loose bound.
  await page.waitForSelector(".bar", { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`${user} not logged in at ${url}: the page says "${await page.textContent("body")}"; ${e.message}`);
  });
}

// testcam, then a village and a household (camera "door", testcam's
// stream) joined to it and connected, in `nodes` (testNodes) to be
// stopped. Returns { village, house }.
export async function linkedHousehold({ tmp, started }) {
  const root = tmp.path;
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0"]);
  started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";

  const village = new Node(root, "village1", "village", await freePort());
  const house = new Node(root, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}"\nrecord = "off"\n`);
  started.push(village);
  await village.start();
  const code = village.link("invite", "--name", "House 1").trim().split("\n").at(-1);
  house.link("join", "--parent", village.url.replace(/\/$/, ""), "--code", code);
  started.push(house);
  await house.start();
  await waitFor("the village's link to house1", async () => {
    const { body } = await village.call("GET", "/api/v1/link");
    return body?.children?.some((c) => c.id === "house1" && c.state === "connected");
  }, LINK_UP);
  return { village, house };
}

// A test's nodes and browser, all stopped after it: `started` takes what
// linkedHousehold starts, `browser` the browser it launches.
export function testNodes(prefix) {
  const nodes = { tmp: tempDir(prefix), started: [], browser: undefined };
  after(async () => {
    await nodes.browser?.close();
    for (const p of nodes.started.reverse()) await p.stop();
    nodes.tmp.remove();
  });
  return nodes;
}
