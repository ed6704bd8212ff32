// End to end, issue 19 item 5: a TV stays signed in (design/AUDIT.md
// "Device sessions for a TV"), in Debian's headless Chromium against a
// real `vigil serve` household with two cameras (no stream needed: the
// grid lists them). Three browser contexts: a TV at 1920x1080 in TV mode,
// logged out, shows a code (text of 24 px at least, reached by the
// remote's arrows); a phone (390x844, touch) logged in as a viewer enters
// it on "Add a TV" from the account page and names the TV; the TV reaches
// the grid by itself, with a cookie that outlives the browser. The admin
// signs the TV out on the Users page: the TV's next request is 401 and
// it is back on its code screen. A second TV signs in by typing the
// password once with "keep this TV signed in". Each pairing and the
// sign-out are audit rows.
// Run by CTest (web_devices_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/devices_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const SHOWN = 30_000; // a page's content, from a sanitized build on a loaded machine
const PASSWORD = "viewer's first password";
const DAY = 24 * 3600;

const run = nodesRun("vigil-devices-e2e-");

const status = (page, path) => page.evaluate(async (p) => (await fetch(p, { credentials: "same-origin" })).status, path);

test("a TV signs in by a code confirmed on a phone, stays signed in, and is signed out by the admin", { timeout: 500_000 }, async () => {
  const nowhere = "rtsp://127.0.0.1:9/none";
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "gate"\nname = "Gate"\nurl = "${nowhere}"\n\n[[camera]]\nid = "yard"\nname = "Yard"\nurl = "${nowhere}"\n`);
  run.started.push(house);
  await house.start();
  const added = await house.call("POST", "/api/v1/users", { id: "vic", role: "viewer", password: PASSWORD, cameras: ["gate"] });
  assert.equal(added.status, 201, JSON.stringify(added.body));

  run.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  const newPage = async (options = {}) => {
    const page = await (await run.browser.newContext({ ignoreHTTPSErrors: true, locale: "en-US", ...options })).newPage();
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    return page;
  };

  // The TV, logged out: a code, large.
  const tv = await newPage({ viewport: { width: 1920, height: 1080 } });
  await tv.goto(`${house.url}?tv=1`);
  const codeShown = await tv.waitForSelector(".tv-login .pair-code", { timeout: SHOWN });
  const code = (await codeShown.textContent()).trim();
  assert.match(code, /^[BCDFGHJKMNPQRTVWXZ]{4}-[BCDFGHJKMNPQRTVWXZ]{4}$/);
  const small = await tv.$$eval(".tv-login *", (els) =>
    els.filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== ""))
      .map((el) => ({ text: el.textContent.trim(), px: parseFloat(getComputedStyle(el).fontSize) }))
      .filter((x) => x.px < 24));
  assert.deepEqual(small, [], "text under 24 px on the TV's code screen");
  assert.ok(parseFloat(await codeShown.evaluate((el) => getComputedStyle(el).fontSize)) >= 72, "the code is read from 3 m");
  // The remote reaches "sign in with a password instead" by arrows, its ring visible.
  for (let i = 0; i < 6 && !(await tv.evaluate(() => document.activeElement?.classList.contains("login-way"))); i++) {
    await tv.keyboard.press("ArrowDown");
  }
  assert.ok(await tv.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return el.classList.contains("login-way") && s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 4;
  }), "the remote's arrows reach the password button, with a visible ring");
  // A code alone gives nothing: asking with a made-up pairing secret is refused.
  assert.equal(await tv.evaluate(async () => (await fetch("/api/v1/devices/pair/wait", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pairing: "0".repeat(64) }),
  })).status), 404);

  // The phone, logged in as vic: Account, "Add a TV", the code as typed (lower case, a space).
  const phone = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await logIn(phone, house.url, "vic", PASSWORD);
  await phone.goto(`${house.url}#/account`);
  await phone.waitForSelector(".devices .empty", { timeout: SHOWN });
  await phone.click("a.add-tv-link");
  await phone.waitForSelector("form.add-tv");
  const smallTargets = await phone.evaluate(() =>
    [...document.querySelectorAll(".add-tv-page button, .add-tv-page input, .add-tv-page a")]
      .map((e) => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])
      .filter(([, r]) => r.height < 44 || r.width < 44)
      .map(([html]) => html));
  assert.deepEqual(smallTargets, [], "tap targets under 44 px on Add a TV");
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling");
  // A wrong code first: refused, in words.
  await phone.fill('form.add-tv input[name="code"]', "BBBB-BBBB" === code ? "CCCC-CCCC" : "BBBB-BBBB");
  await phone.fill('form.add-tv input[name="name"]', "Living-room TV");
  await phone.click('form.add-tv button[type="submit"]');
  assert.match(await (await phone.waitForSelector(".add-tv-page .error")).textContent(), /No TV shows this code/);
  await phone.fill('form.add-tv input[name="code"]', code.replace("-", " ").toLowerCase());
  await phone.click('form.add-tv button[type="submit"]');
  assert.match(await (await phone.waitForSelector(".add-tv-page .notice", { timeout: SHOWN })).textContent(), /Living-room TV is signed in/);

  // The TV reaches the grid by itself, as vic (gate only), with a cookie kept across restarts.
  await tv.waitForSelector(".bar", { timeout: SHOWN });
  await tv.waitForSelector('.grid .tile[data-camera="gate"]', { timeout: SHOWN });
  const me = await tv.evaluate(async () => (await fetch("/api/v1/me")).json());
  assert.equal(me.user, "vic");
  assert.equal(me.device, "Living-room TV");
  const cookie = (await tv.context().cookies()).find((c) => c.name === "vigil_session");
  assert.ok(cookie && cookie.expires > Date.now() / 1000 + 300 * DAY, `a persistent cookie: ${JSON.stringify(cookie)}`);
  assert.equal((await tv.$$(".grid .tile")).length, 1, "vic's rights: gate only");

  // The phone lists the TV; its own browser sessions apart.
  await phone.goto(`${house.url}#/account`);
  const mine = await phone.waitForSelector('.devices-table tr[data-user="vic"]', { timeout: SHOWN });
  assert.match(await mine.textContent(), /Living-room TV/);
  assert.equal(await phone.$$eval("table.sessions tbody tr", (rows) => rows.length), 1, "the TV is not among the browser sessions");

  // The admin signs the TV out from the Users page.
  const admin = await newPage();
  await logIn(admin, house.url, "admin", house.password);
  await admin.goto(`${house.url}#/users`);
  const row = await admin.waitForSelector('.devices-table tr[data-user="vic"]', { timeout: SHOWN });
  assert.match(await row.textContent(), /Living-room TV/);
  await row.$eval("button.sign-out-tv", (b) => b.click());
  await admin.waitForSelector(".devices .empty", { timeout: SHOWN });
  // The TV's next request is refused, and it shows its code screen again (the grid asks every 5 s).
  assert.equal(await status(tv, "/api/v1/cameras"), 401);
  await tv.waitForSelector(".tv-login .pair-code", { timeout: SHOWN });

  // Another TV types the password once, "keep this TV signed in" on by default.
  const tv2 = await newPage({ viewport: { width: 1920, height: 1080 } });
  await tv2.goto(`${house.url}?tv=1`);
  await tv2.click(".tv-login .login-way");
  assert.ok(await tv2.isChecked('.login-password input[name="keep"]'));
  await tv2.fill('.login-password input[name="user"]', "vic");
  await tv2.fill('.login-password input[name="password"]', PASSWORD);
  await tv2.fill('.login-password input[name="device"]', "Bedroom TV");
  await tv2.keyboard.press("Enter");
  await tv2.waitForSelector('.grid .tile[data-camera="gate"]', { timeout: 60_000 });
  assert.equal((await tv2.evaluate(async () => (await fetch("/api/v1/me")).json())).device, "Bedroom TV");
  const cookie2 = (await tv2.context().cookies()).find((c) => c.name === "vigil_session");
  assert.ok(cookie2 && cookie2.expires > Date.now() / 1000 + 300 * DAY);
  const devices = await house.call("GET", "/api/v1/devices");
  assert.deepEqual(devices.body.map((d) => [d.user, d.device]), [["vic", "Bedroom TV"]]);

  // Audited: the code asked, the pairing, the sign-out, the password's device login.
  const audit = await house.call("GET", "/api/v1/audit?limit=200");
  const kinds = audit.body.map((r) => `${r.action}:${r.user}:${r.detail?.device ?? r.detail?.codes ?? ""}`);
  for (const want of ["device_code:*:1", "device_pair:vic:Living-room TV", "session_end:admin:Living-room TV", "login:vic:Bedroom TV"]) {
    assert.ok(kinds.includes(want), `audit row ${want} in ${kinds.join(", ")}`);
  }
  assert.ok(kinds.some((k) => k.startsWith("device_pair_failed:vic:")), "the wrong code is audited");
});
