// End to end, issue 19 item 7: a log people can read, in Debian's headless
// Chromium against a real `vigil serve` household with two cameras from
// one `vigil testcam` ("The door" and "The yard") and a viewer, gran, who
// has the door only. The admin's page shows camera names and looks in
// words ("Watched live for …", "Took 4 snapshots": snapshots in a row
// are one line), and filters by a camera picked by its name; gran's
// page ("Who looked at my cameras") shows the looks at the door, anyone's,
// and not one row of the yard.
// Run by CTest (web_audit_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/audit_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-audit-e2e-");

// The audit table's lines: [when, who, camera, what, ...] and data-kind.
const lines = (page) =>
  page.$$eval("table.audit tbody tr", (trs) =>
    trs.map((tr) => ({ cells: [...tr.children].map((td) => td.textContent), kind: tr.dataset.kind, count: Number(tr.dataset.count) })),
  );

test("the log reads as sentences, and a viewer sees the looks at their cameras only", async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--streams", "2", "--size", "320x180", "--fps", "10"]);
  run.started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}/cam/0"\n` +
    `\n[[camera]]\nid = "yard"\nname = "The yard"\nurl = "${camUrl}/cam/1"\n`);
  run.started.push(house);
  await house.start();
  assert.equal((await house.call("POST", "/api/v1/users", { id: "gran", role: "viewer", password: "gran's long password", cameras: ["door"] })).status, 201);
  const snapshot = (camera) => house.api.get(`/api/v1/cameras/${camera}/snapshot.jpg`, { headers: { Authorization: `Bearer ${house.token}` } });
  await waitFor("the door's first frame", async () => (await snapshot("door")).status() === 200, START, 500);
  await waitFor("the yard's first frame", async () => (await snapshot("yard")).status() === 200, START, 500);
  for (let i = 0; i < 2; i++) assert.equal((await snapshot("door")).status(), 200); // three in a row, with the wait's

  // The admin watches the grid a moment (live looks at both), then reads.
  const page = await run.page();
  await logIn(page, house.url, "admin", house.password);
  await waitFor("both tiles playing", async () => (await page.$$(".tile .badge.online")).length === 2, 60_000);
  await page.waitForTimeout(1500);
  await page.goto(`${house.url}#/events`);
  // The live looks' live_stop rows are written once the server saw them go
  // (the audit page reads them once, as it opens).
  await waitFor("the live looks' live_stop rows", async () => {
    const { body } = await house.call("GET", "/api/v1/audit?limit=200");
    return ["door", "yard"].every((camera) => body.some((r) => r.action === "live_stop" && r.camera === camera));
  }, 30_000, 250);
  await page.goto(`${house.url}#/audit`);
  await page.waitForSelector("table.audit tbody tr", { timeout: 30_000 });
  await waitFor("the live looks ended in words", async () => {
    const all = await lines(page);
    return ["The door", "The yard"].every((name) => all.some((l) => l.cells[2] === name && /^Watched live for \d+ sec/.test(l.cells[3])));
  }, 15_000, 500).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await lines(page))}`);
  });
  const all = await lines(page);
  assert.ok(all.every((l) => l.cells[2] !== "door" && l.cells[2] !== "yard"), "cameras by name, not id");
  // The snapshots of the door within a minute (three asked, and the
  // tile's poster): as many rows, one line.
  const { body: snapRows } = await house.call("GET", "/api/v1/audit?camera=door");
  const taken = snapRows.filter((r) => r.action === "snapshot").length;
  assert.ok(taken >= 3, JSON.stringify(snapRows));
  const snaps = all.filter((l) => l.kind === "snapshot" && l.cells[2] === "The door");
  assert.equal(snaps.length, 1, JSON.stringify(snaps));
  assert.equal(snaps[0].cells[3], `Took ${taken} snapshots`);
  assert.ok(all.some((l) => l.cells[3] === "Logged in" && l.cells[1] === "admin"));

  // Filtered by the door, picked by its name.
  await page.selectOption('.filters select[name="camera"]', { label: "The door" });
  await page.click('.filters button[type="submit"]');
  await waitFor("the door's lines only", async () => {
    const shown = await lines(page);
    return shown.length > 0 && shown.every((l) => l.cells[2] === "The door");
  }, 10_000);

  // gran: the looks at the door, the admin's among them; nothing of the yard.
  const granPage = await run.page();
  await logIn(granPage, house.url, "gran", "gran's long password");
  await granPage.click('header nav a[href="#/audit"]');
  await granPage.waitForSelector(".audit-page h2");
  assert.equal(await granPage.textContent(".audit-page h2"), "Who looked at my cameras");
  await granPage.waitForSelector("table.audit tbody tr", { timeout: 30_000 });
  const granLines = await lines(granPage);
  assert.ok(granLines.length > 0);
  assert.ok(granLines.every((l) => l.cells[2] === "The door"), JSON.stringify(granLines));
  assert.ok(granLines.some((l) => l.cells[1] === "admin" && /^Took \d+ snapshots$/.test(l.cells[3])), JSON.stringify(granLines));
  assert.ok(!granLines.some((l) => l.kind === "other"), "looks only: no logins, no settings");
  // The API says the same, and refuses the yard as if it did not exist.
  const granApi = await granPage.context().request;
  const rows = await (await granApi.get(`${house.url}api/v1/audit`)).json();
  assert.ok(rows.length > 0 && rows.every((r) => r.camera === "door" && r.client === ""), JSON.stringify(rows.slice(0, 3)));
  assert.equal((await granApi.get(`${house.url}api/v1/audit?camera=yard`)).status(), 404);
});
