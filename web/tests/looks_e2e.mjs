// End to end, issue 14 item 8: two real `vigil serve` processes on
// loopback, a household (camera "door", a `vigil testcam` stream) linked to
// a village, and the web UI of each in Debian's headless Chromium. In the
// household's UI the owner shares the door with the village (Sharing
// panel); in the village's UI a desk user is refused a snapshot and plays
// the door live; the household's UI then tells of new looks from other
// tiers, and its "Who looked" page shows desk@village1's live look, how
// long, and the refused snapshot, marked. Run by CTest (web_looks_e2e) with
// VIGIL_BIN set, or: VIGIL_BIN=build/debug/src/app/vigil node web/tests/looks_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, exitUnlessChromiumAndUi, waitFor } from "./lib.mjs";
import { LINK_UP, linkedHousehold, logIn, testNodes } from "./nodes.mjs";

exitUnlessChromiumAndUi();

const nodes = testNodes("vigil-looks-e2e-");

test("the household's owner sees who from the village looked at the door", { timeout: 540_000 }, async () => {
  const { village, house } = await linkedHousehold(nodes);

  const browser = (nodes.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 }));
  // One context per node: both are 127.0.0.1, and cookies ignore the port.
  const owner = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  const desk = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();

  // The owner shares the door with the village, live only.
  await logIn(owner, house.url, "admin", house.password);
  await owner.goto(`${house.url}#/camera/door`);
  await owner.click("details.sharing summary");
  await owner.check('input[name="village-on"]');
  assert.ok(await owner.isChecked('input[name="village-live"]'));
  assert.ok(!(await owner.isChecked('input[name="village-snapshot"]')));
  await owner.click("text=Save sharing");
  await owner.waitForSelector('.sharing [role="status"]:has-text("Saved.")', { timeout: 30_000 });
  await owner.goto(`${house.url}#/`);
  assert.equal(await owner.$(".looks-notice"), null, "no look yet, no notice");

  // A desk user of the village: a viewer of the door.
  await waitFor("the village lists the door", async () => {
    const { body } = await village.call("GET", "/api/v1/cameras");
    return body?.some((c) => c.id === "house1.door");
  }, LINK_UP);
  const created = await village.call("POST", "/api/v1/users",
    { id: "desk", role: "viewer", password: "desk password", cameras: ["house1.door"] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  // Logged in on a page that plays nothing (the grid would open a look of its own).
  await logIn(desk, `${village.url}#/audit`, "desk", "desk password");

  // A snapshot, not shared: refused at the household.
  const snapshot = await desk.request.get(`${village.url}api/v1/cameras/house1.door/snapshot.jpg`);
  assert.equal(snapshot.status(), 403, await snapshot.text());

  // The door live in the village's UI: a frame plays, and time goes on.
  await desk.goto(`${village.url}#/camera/house1.door`);
  const sample = () => desk.$eval(".camera-page video", (v) => ({ t: v.currentTime, w: v.videoWidth }));
  const first = await waitFor("the door playing at the village", async () => {
    const s = await sample();
    return s.w > 0 && s.t > 0 && s;
  }, 60_000);
  await waitFor("the door advancing at the village", async () => (await sample()).t > first.t + 1, 30_000);
  await desk.close(); // the look ends

  // The household's UI tells of the new looks (the refused snapshot, the
  // live view: two, or more if the player reconnected) on its next poll.
  const notice = await owner.waitForSelector(".looks-notice", { timeout: 30_000 });
  const count = Number((await notice.textContent()).match(/(\d+) new looks at your cameras/)?.[1]);
  assert.ok(count >= 2, await notice.textContent());
  assert.equal(await owner.textContent(".badge.new-looks"), `${count} new`);
  await owner.click(".looks-notice a");
  await owner.waitForSelector("table.looks tbody tr", { timeout: 30_000 });

  // The live look: who, tier, what, and how long once its stop is logged.
  const live = 'table.looks tr[data-what="live"]';
  const howLong = await waitFor("the live look's length", async () => {
    await owner.click("text=Refresh");
    const text = await owner.textContent(`${live} td:nth-child(6)`);
    return /\d+ sec$/.test(text) && text; // Intl's "1 min 5 sec"
  }, 30_000, 1000);
  const cells = await owner.$$eval(`${live} td`, (tds) => tds.map((td) => td.textContent));
  assert.equal(cells[1], "desk@village1");
  assert.equal(cells[2], "Village");
  assert.equal(cells[3], "The door"); // by name
  assert.equal(cells[4], "Live");
  assert.equal(cells[6], "Allowed");
  console.log(`the owner's page: desk@village1 watched the door live for ${howLong}`);
  // The refused snapshot, marked.
  const refused = 'table.looks tr[data-what="snapshot"]';
  assert.equal(await owner.getAttribute(refused, "class"), "refused");
  assert.match(await owner.textContent(`${refused} td.result`), /^Refused: snapshot not shared with the village/);
  // One line per look: a live_stop shows in its live_start's line.
  const { body: rows } = await house.call("GET", "/api/v1/audit?remote=true");
  assert.ok(rows.every((r) => r.look.who === "desk@village1" && r.look.tier === "village"), JSON.stringify(rows));
  assert.ok(rows.some((r) => r.look.start_seq !== undefined), "a paired live_stop");
  const lines = rows.filter((r) => r.look.start_seq === undefined).length;
  await owner.click("text=Refresh");
  await waitFor(`${lines} lines`, async () => (await owner.$$eval("table.looks tbody tr", (trs) => trs.length)) === lines, 10_000);
  // Filtered by tier.
  await owner.selectOption('select[name="tier"]', "county");
  await owner.waitForSelector("text=No looks match.");
  await owner.selectOption('select[name="tier"]', "village");
  await owner.waitForSelector(live);

  // Seen: the notice is gone, and stays gone in this browser after a reload.
  assert.equal(await owner.$(".looks-notice"), null);
  assert.equal(await owner.$(".badge.new-looks"), null);
  await owner.goto(`${house.url}#/`);
  const polled = owner.waitForResponse((r) => r.url().includes("remote=true"), { timeout: 30_000 });
  await owner.reload();
  await polled;
  await owner.waitForTimeout(500); // its render
  assert.equal(await owner.$(".looks-notice"), null, "seen looks are not new again");
});
