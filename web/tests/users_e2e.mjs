// End to end, issue 17 item 7: users and sessions managed from the UI, in
// Debian's headless Chromium against a real `vigil serve` household with
// two cameras (gate and yard; no stream needed: they are listed, and their
// recordings asked for, whether online or not). The admin adds a viewer
// with gate granted on the Users page; the viewer logs in twice (a phone and
// a laptop, two browser contexts) and sees gate only; the admin revokes the
// grant and the viewer's next request for gate is refused (404, as for a
// camera that does not exist); on the Account page (phone: tap targets of
// 44 px, no sideways scrolling) the viewer ends the other session, whose
// next request is 401, and changes their password (every session ends:
// back to the login page); logged in again, the viewer is deleted by the
// admin (confirmed) and that session's next request is 401. Every change
// is an audit row.
// Run by CTest (web_users_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/users_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const SHOWN = 30_000; // a page's content, from a sanitized build on a loaded machine
const PASSWORD = "viewer's first password";
const NEW_PASSWORD = "viewer's second password";

const run = nodesRun("vigil-users-e2e-");

// What the page's session gets for a GET, as the browser sends it (cookie).
const status = (page, path) => page.evaluate(async (p) => (await fetch(p, { credentials: "same-origin" })).status, path);
const recordings = "/api/v1/cameras/gate/recordings?start=2026-01-01T00:00:00Z&end=2026-01-01T01:00:00Z";

test("an admin manages a viewer and their grants; the viewer their password and sessions", { timeout: 500_000 }, async () => {
  const nowhere = "rtsp://127.0.0.1:9/none";
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "gate"\nname = "Gate"\nurl = "${nowhere}"\n\n[[camera]]\nid = "yard"\nname = "Yard"\nurl = "${nowhere}"\n`);
  run.started.push(house);
  await house.start();

  run.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  const newPage = async (options = {}) => {
    const page = await (await run.browser.newContext({ ignoreHTTPSErrors: true, ...options })).newPage();
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    return page;
  };

  // The admin adds vic, a viewer of gate.
  const admin = await newPage();
  await logIn(admin, house.url, "admin", house.password);
  await admin.goto(`${house.url}#/users`);
  const form = admin.locator("form.add-user");
  await form.locator('input[name="camera"][value="gate"]').waitFor({ timeout: SHOWN });
  await form.locator('input[name="id"]').fill("vic");
  await form.locator('input[name="password"]').fill(PASSWORD);
  await form.locator('input[name="camera"][value="gate"]').check();
  await form.locator('button[type="submit"]').click();
  const row = admin.locator('tr[data-user="vic"]');
  await row.locator('.grant[data-camera="gate"]').waitFor({ timeout: SHOWN });
  assert.equal(await row.getAttribute("data-role"), "viewer");
  assert.equal(await row.locator(".grant").count(), 1);

  // vic on a phone and on a laptop: two sessions, gate only.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const laptop = await newPage();
  for (const page of [phone, laptop]) {
    await logIn(page, house.url, "vic", PASSWORD);
    await page.locator('.tile[data-camera="gate"]').waitFor({ timeout: SHOWN });
    assert.equal(await page.locator(".tile").count(), 1);
    assert.equal(await page.locator('a[href="#/users"]').count(), 0, "no Users page for a viewer");
  }
  assert.equal(await status(phone, recordings), 200);

  // Revoked: the viewer's next request for gate is refused.
  await row.locator('.grant[data-camera="gate"] button.revoke').click();
  await waitFor("the grant gone from the row", async () => (await row.locator(".grant").count()) === 0, SHOWN);
  assert.equal(await status(phone, recordings), 404);
  assert.equal(await status(phone, "/api/v1/me"), 200);

  // On the phone's Account page: both sessions, tap targets of 44 px, no sideways scrolling.
  await phone.goto(`${house.url}#/account`);
  const sessions = phone.locator("table.sessions tbody tr");
  await waitFor("both sessions listed", async () => (await sessions.count()) === 2, SHOWN);
  assert.equal(await phone.locator('tr[data-current="true"]').count(), 1);
  const small = await phone.evaluate(() =>
    [...document.querySelectorAll(".account-page button, .account-page input")]
      .map((e) => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])
      .filter(([, r]) => r.height < 44 || r.width < 44)
      .map(([html]) => html));
  assert.deepEqual(small, [], "tap targets under 44 px");
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no sideways scrolling");

  // The laptop's session ended from the phone: its next request is 401.
  assert.equal(await status(laptop, "/api/v1/me"), 200);
  await phone.locator('tr[data-current="false"] button.end').click();
  await waitFor("one session left", async () => (await sessions.count()) === 1, SHOWN);
  assert.equal(await status(laptop, "/api/v1/me"), 401);
  assert.equal(await status(phone, "/api/v1/me"), 200);

  // A wrong current password is refused; the right one changes it and ends every session.
  const change = phone.locator("form.change-password");
  await change.locator('input[name="current"]').fill("not my password");
  await change.locator('input[name="new"]').fill(NEW_PASSWORD);
  await change.locator('input[name="again"]').fill(NEW_PASSWORD);
  await change.locator('button[type="submit"]').click();
  await phone.locator('.account-page [role="alert"]').waitFor({ timeout: 60_000 });
  await change.locator('input[name="current"]').fill(PASSWORD);
  await change.locator('button[type="submit"]').click();
  await phone.waitForSelector("form.login", { timeout: 60_000 });
  assert.equal(await status(phone, "/api/v1/me"), 401);
  const old = await house.api.post("/api/v1/login", { data: { user: "vic", password: PASSWORD } });
  assert.equal(old.status(), 401);
  await logIn(phone, house.url, "vic", NEW_PASSWORD);
  assert.equal(await phone.locator(".tile").count(), 0, "no camera granted any more");

  // The admin deletes vic, confirmed: vic's session ends at once.
  await admin.goto(`${house.url}#/users`);
  await row.locator("button.remove").click();
  await row.locator("button.confirm-yes").click();
  await waitFor("vic gone from the list", async () => (await row.count()) === 0, SHOWN);
  assert.equal(await status(phone, "/api/v1/me"), 401);

  const audit = await house.call("GET", "/api/v1/audit?limit=1000");
  assert.equal(audit.status, 200);
  const actions = audit.body.map((r) => `${r.action}:${r.user}`).reverse();
  for (const done of ["user_add:admin", "permissions_change:admin", "session_end:vic", "password_change:vic", "user_remove:admin"]) {
    assert.ok(actions.includes(done), `audited: ${done} in ${actions.join(", ")}`);
  }
});
