// End to end, issue 17 item 6: the UI in Chinese (DECISIONS.md 73). A
// household (camera "door" from testcam, recorded) linked to a village,
// each a real `vigil serve`, with something on every page (an event, two
// alarms, notices, a look from the village, an invitation), and Chromium
// with `locale: "zh-CN"`. First, every entry of the tables must differ
// between English and Chinese (an entry left in English is named; codes
// and placeholders excepted, strings.mjs). Then the test walks every page of both nodes (login,
// grid, the alarm flow, the camera with its timeline, clip and sharing,
// events, audit, who looked, network, notices, the duty desk, broadcasts,
// the TV mode's grid, camera and urgent notice, and the village's public
// register, read without a login) and fails on any
// visible text, placeholder, title, aria-label or alt that
// - holds a string of an English table (web/src/*_text.ts, read from the
//   source: every table, and any table added later) that the Chinese
//   tables do not use themselves, or
// - holds any Latin word the Chinese tables do not use (a string never put
//   in a table), once the data is taken out: names and ids of cameras,
//   nodes and users, zones, URLs, and what is marked translate="no" or in
//   another language (the switch's "English").
// Then the switch: English at once, without a reload, and still English
// after one; a browser in English gets English.
// Run by CTest (web_i18n_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/i18n_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, exitUnlessChromiumAndUi, waitFor } from "./lib.mjs";
import { LINK_UP, START, linkedHousehold, logIn, testNodes } from "./nodes.mjs";
import { englishChecks, shownText, untranslated } from "./strings.mjs";

exitUnlessChromiumAndUi();
const nodes = testNodes("vigil-i18n-e2e-");
const SHOWN = 30_000; // a page's content, from a sanitized build on a loaded machine

// Data, not UI: names and ids of cameras, nodes, users and zones.
const DATA = ["Node village1", "Node house1", "house1.door", "The door", "village1", "house1", "door", "porch", "admin"];

let checks;
let walked = 0;
const seen = new Set();
// The page as it is now: nothing English on it.
async function noEnglish(page, name) {
  const items = await page.evaluate(shownText);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN", name);
  const problems = untranslated(items, checks, DATA);
  assert.deepEqual(problems, [], `English left on ${name}`);
  walked++;
  items.forEach((i) => seen.add(i.text));
}

test("every page of a household and a village in zh-CN shows no English; the switch turns English on and it stays", { timeout: 580_000 }, async () => {
  checks = await englishChecks();
  // The checker itself: an English string and a stray word are caught.
  assert.equal(untranslated([{ where: "x", text: "等待 Acknowledge" }], checks).length, 1);
  assert.equal(untranslated([{ where: "x", text: "摄像头 Frobnicate" }], checks).length, 1);
  assert.deepEqual(untranslated([{ where: "x", text: "The door 实时预览 https://127.0.0.1:1/ vigil" }], checks, DATA), []);

  const { village, house } = await linkedHousehold(nodes, { record: "continuous" });
  // The door shared with the village (live and snapshots), which takes a snapshot: a look.
  const shared = await house.call("PUT", "/api/v1/cameras/door/shares",
    [{ tier: "village", rights: ["live", "snapshot"], only_during_alarm: false, hours: null, expires_at: null }]);
  assert.equal(shared.status, 200, JSON.stringify(shared.body));
  await waitFor("the village lists the door", async () => (await village.call("GET", "/api/v1/cameras")).body?.some((c) => c.id === "house1.door"), LINK_UP);
  const snap = await waitFor("a snapshot of the door", async () => {
    const r = await house.api.get("/api/v1/cameras/door/snapshot.jpg", { headers: { Authorization: `Bearer ${house.token}` } });
    return r.status() === 200 && r.body();
  }, START, 1000);
  const jpeg = join(nodes.tmp.path, "snapshot.jpg");
  writeFileSync(jpeg, snap);
  await waitFor("the village's snapshot of the door", async () => (await village.call("GET", "/api/v1/cameras/house1.door/snapshot.jpg")).status === 200, LINK_UP, 1000);
  // A person at the door a minute ago (events.db as detect::EventStore writes it, as events_e2e does).
  const db = join(house.dir, "data", "events.db");
  const insertEvent = (id, label, startMs) => {
    const us = (ms) => Math.round(ms * 1000);
    execFileSync("sqlite3", ["-cmd", ".timeout 5000", db, "INSERT INTO event (id, camera, label, score_milli, start_us, end_us, " +
      "last_seen_us, zones, box_x, box_y, box_w, box_h, picture_w, picture_h, snapshot) VALUES " +
      `('${id}', 'door', '${label}', 870, ${us(startMs)}, ${us(startMs + 3000)}, ${us(startMs + 3000)}, '["porch"]', 64, 36, 128, 200, ` +
      `640, 360, readfile('${jpeg}'));`]);
  };
  insertEvent("1-person", "person", Date.now() - 60_000);
  // Two alarms: one acknowledged at the desk with a note, one open.
  const raise = async (kind) => {
    const r = await house.call("POST", "/api/v1/alarms", { kind });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await waitFor(`alarm ${r.body.id} at the village`, async () => (await village.call("GET", `/api/v1/alarms/${r.body.id}`)).status === 200, LINK_UP);
    return r.body.id;
  };
  const acked = await raise("medical");
  assert.equal((await village.call("POST", `/api/v1/alarms/${acked}/ack`, {})).status, 200);
  assert.equal((await village.call("POST", `/api/v1/alarms/${acked}/notes`, { text: "马上到" })).status, 200);
  await raise("fire");
  // A normal notice to every household, and an open invitation.
  const notice = await village.call("POST", "/api/v1/broadcasts", { text: "明天上午停水", priority: "normal", to: "all" });
  assert.equal(notice.status, 201, JSON.stringify(notice.body));
  assert.equal((await village.call("POST", "/api/v1/link/invites", { name: "李家", expires: "24h" })).status, 201);

  const browser = (nodes.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 }));
  const newPage = async (options = {}) => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, locale: "zh-CN", viewport: { width: 1280, height: 900 }, ...options })).newPage();
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    return page;
  };

  // The household, in Chinese from the browser's language.
  const home = await newPage();
  await home.goto(house.url);
  await home.waitForSelector("form.login");
  await noEnglish(home, "the login page");
  await logIn(home, house.url, "admin", house.password);
  await home.waitForSelector(".tile video");
  await home.waitForSelector('.own-alarm[data-state="acknowledged"] .note');
  await home.waitForSelector(".tile .badge.online", { timeout: SHOWN });
  await noEnglish(home, "the grid with the alarms' status");
  // A new person while the page is open: the notification.
  insertEvent("2-person", "person", Date.now());
  await home.waitForSelector('.detection-notice[data-event="2-person"]', { timeout: SHOWN });
  await noEnglish(home, "the grid with a detection's notification");
  await home.click(".alarm-button");
  await home.waitForSelector(".alarm-flow");
  await noEnglish(home, "the alarm flow");
  await home.keyboard.press("Escape");
  await home.waitForSelector(".alarm-flow", { state: "detached" });

  await home.goto(`${house.url}#/camera/door`);
  await home.waitForSelector(".camera-page .tl-run", { timeout: SHOWN });
  await home.waitForSelector('.camera-page .tl-event[data-event="1-person"]', { timeout: SHOWN });
  await home.click("details.sharing summary");
  await home.waitForSelector('.sharing input[name="village-on"]:checked');
  await noEnglish(home, "the camera page (live, timeline, clip, sharing)");
  // Played back: the mode, the pause button, the speeds.
  await home.click('.tl-event[data-event="1-person"]');
  await home.waitForSelector('.camera-page[data-mode="playback"]');
  await noEnglish(home, "the camera page playing back");

  await home.goto(`${house.url}#/events`);
  await home.waitForSelector('li[data-event="1-person"]', { timeout: SHOWN });
  await noEnglish(home, "events");
  await home.goto(`${house.url}#/audit`);
  await home.waitForSelector("table.audit tbody tr", { timeout: SHOWN });
  await noEnglish(home, "the audit log");
  await home.goto(`${house.url}#/looks`);
  await home.waitForSelector('table.looks tr[data-what="snapshot"]', { timeout: SHOWN });
  await noEnglish(home, "who looked");
  await home.goto(`${house.url}#/network`);
  await home.waitForSelector('.link-state[data-state="connected"]', { timeout: SHOWN });
  await noEnglish(home, "the household's network page");
  await home.goto(`${house.url}#/notices`);
  await home.waitForSelector(".notice-item", { timeout: SHOWN });
  await noEnglish(home, "notices");
  // A TV that stays signed in, listed on the users and account pages.
  const tvLogin = await house.api.post("/api/v1/login", { data: { user: "admin", password: house.password, device: "客厅电视" } });
  assert.equal(tvLogin.status(), 200, await tvLogin.text());
  await home.goto(`${house.url}#/users`);
  await home.waitForSelector('tr[data-user="admin"]', { timeout: SHOWN });
  await home.waitForSelector(".devices-table tr[data-device]", { timeout: SHOWN });
  await home.waitForSelector('form.add-user input[name="camera"]', { timeout: SHOWN });
  await noEnglish(home, "users");
  await home.click('tr[data-user="admin"] button.remove');
  await home.waitForSelector('tr[data-user="admin"] .confirm');
  await noEnglish(home, "users, a deletion to confirm");
  await home.click('tr[data-user="admin"] .confirm button:not(.danger)');
  await home.goto(`${house.url}#/settings/cameras`);
  await home.waitForSelector('.cameras-table tr[data-camera="door"][data-managed-by="file"]', { timeout: SHOWN });
  await home.click("button.add-camera");
  await home.waitForSelector("form.add-form input[type=radio]");
  await noEnglish(home, "camera settings, adding one");
  await home.goto(`${house.url}#/account`);
  await home.waitForSelector('table.sessions tr[data-current="true"]', { timeout: SHOWN });
  await home.waitForSelector(".devices-table tr[data-device]", { timeout: SHOWN });
  await noEnglish(home, "my account with its TV");
  await home.click("a.add-tv-link");
  await home.waitForSelector("form.add-tv");
  await noEnglish(home, "adding a TV");
  // A TV not signed in: its code, and the password with "keep this TV signed in".
  const tvPair = await newPage({ viewport: { width: 1920, height: 1080 } });
  await tvPair.goto(`${house.url}?tv=1`);
  await tvPair.waitForSelector(".tv-login .pair-code", { timeout: SHOWN });
  await noEnglish(tvPair, "the TV's code to sign in");
  await tvPair.click(".tv-login .login-way");
  await tvPair.waitForSelector('.login-password input[name="keep"]');
  await noEnglish(tvPair, "the TV's password, kept signed in");

  // TV mode: the grid, a camera, an urgent notice over the screen.
  await home.setViewportSize({ width: 1920, height: 1080 });
  await home.goto(`${house.url}?tv=1#/`);
  await home.waitForSelector("html.tv .tile video");
  assert.ok(await home.isVisible(".bar .lang-switch"), "the language switch is in the TV mode's header");
  await noEnglish(home, "the TV grid");
  // The switch from a remote: OK on it turns English on, OK again Chinese.
  await home.focus(".bar .lang-switch");
  await home.keyboard.press("Enter");
  await home.waitForFunction(() => document.documentElement.lang === "en" && document.activeElement?.classList.contains("lang-switch"));
  await home.keyboard.press("Enter");
  await home.waitForFunction(() => document.documentElement.lang === "zh-CN");
  await home.goto(`${house.url}?tv=1#/camera/door`);
  await home.waitForSelector("html.tv .camera-page .tl-run", { timeout: SHOWN });
  await noEnglish(home, "the TV camera view");
  const urgent = await village.call("POST", "/api/v1/broadcasts", { text: "今晚有暴雨，请留在家中", priority: "urgent", to: "all" });
  assert.equal(urgent.status, 201, JSON.stringify(urgent.body));
  await home.waitForSelector(".notice-takeover", { timeout: SHOWN });
  await noEnglish(home, "the TV's urgent notice");
  await home.keyboard.press("Escape");
  await home.waitForSelector(".notice-takeover", { state: "detached" });
  await home.goto(`${house.url}?tv=0#/`);
  await home.setViewportSize({ width: 1280, height: 900 });

  // The village: the duty desk, broadcasts, its network with a child and an invitation.
  const desk = await newPage();
  await logIn(desk, village.url, "admin", village.password);
  await desk.waitForSelector('.tile[data-camera="house1.door"]', { timeout: SHOWN });
  await noEnglish(desk, "the village's grid");
  await desk.goto(`${village.url}#/desk`);
  await desk.waitForSelector('.desk-alarm[data-state="open"]', { timeout: SHOWN });
  await desk.waitForSelector('.desk-alarm[data-state="acknowledged"] .notes', { timeout: SHOWN });
  await desk.waitForSelector(".desk-history .empty, .desk-history table");
  await noEnglish(desk, "the duty desk");
  await desk.goto(`${village.url}#/broadcasts`);
  await desk.waitForSelector(".sent-notice .receipts", { timeout: SHOWN });
  await desk.check('input[name="to"][value="chosen"]');
  await desk.waitForSelector('.children input[value="house1"]', { timeout: SHOWN });
  await desk.click(".sent-notice .households-toggle");
  await desk.waitForSelector('.sent-notice table.households tr[data-node="house1"]', { timeout: SHOWN });
  await noEnglish(desk, "broadcasts");
  await desk.goto(`${village.url}#/network`);
  await desk.waitForSelector('.link-children tr[data-child="house1"]', { timeout: SHOWN });
  await desk.waitForSelector(".link-invites tr[data-invite]");
  await desk.fill('.invite-form input[name="name"]', "王家");
  await desk.fill('.invite-form input[name="url"]', village.url.replace(/\/$/, ""));
  await desk.click('.invite-form button[type="submit"]');
  await desk.waitForSelector(".invitation svg.qr", { timeout: SHOWN });
  await noEnglish(desk, "the village's network page with a new invitation");
  for (const [hash, ready] of [["#/audit", "table.audit tbody tr"], ["#/looks", ".looks-page p.empty"], ["#/events", ".events-page .empty"],
    ["#/overview", '.overview-page .rate-chart canvas']]) {
    await desk.goto(`${village.url}${hash}`);
    await desk.waitForSelector(ready, { timeout: SHOWN });
    await noEnglish(desk, `the village's ${hash}`);
  }
  // The public register at the village, without a login, phone-sized: the door listed by its household.
  assert.equal((await house.call("PUT", "/api/v1/cameras/door/register", { listed: true, covers: "门前的小路", snapshot: false })).status, 200);
  assert.equal((await house.call("PUT", "/api/v1/register/settings", { open: false, run_by: "张家" })).status, 200);
  assert.equal((await village.call("PUT", "/api/v1/register/settings", { open: true, run_by: "柳村村委会" })).status, 200);
  const resident = await newPage({ viewport: { width: 390, height: 844 } });
  await waitFor("the door in the village's register", async () => {
    await resident.goto(`${village.url}register`);
    await resident.waitForSelector(".register main h1", { timeout: SHOWN });
    return (await resident.$$(".register-camera")).length === 1;
  }, LINK_UP, 1000);
  await noEnglish(resident, "the public register");
  console.log(`walked ${walked} pages and states in zh-CN, ${seen.size} distinct strings shown, none English`);

  // The switch: English at once, and after a reload; Chinese again.
  await home.click(".bar .lang-switch");
  await home.waitForFunction(() => document.documentElement.lang === "en");
  assert.equal((await home.textContent('.bar nav a[href="#/"]')).trim(), "Cameras");
  await home.reload();
  await home.waitForSelector(".bar");
  assert.equal(await home.evaluate(() => document.documentElement.lang), "en");
  assert.equal((await home.textContent('.bar nav a[href="#/"]')).trim(), "Cameras");
  assert.equal((await home.textContent(".bar .lang-switch")).trim(), "中文");
  await home.click(".bar .lang-switch");
  await home.waitForFunction(() => document.documentElement.lang === "zh-CN");
  assert.equal((await home.textContent('.bar nav a[href="#/"]')).trim(), "摄像头");

  // A browser in English gets English.
  const english = await newPage({ locale: "en-US" });
  await english.goto(house.url);
  await english.waitForSelector("form.login");
  assert.equal(await english.evaluate(() => document.documentElement.lang), "en");
  assert.equal((await english.textContent('form.login button[type="submit"]')).trim(), "Log in");
});

