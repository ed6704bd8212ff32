// End to end, issue 16 item 7: a camera's owner sets its detection in the
// camera page's Detection panel, in Debian's headless Chromium, against a
// real `vigil serve` household (camera "door" from testcam, started with no
// `detect`): detects people (the household told of every label), and a
// zone drawn by three clicks on the camera's picture; saved, the node
// answers the same settings through the API (source "owner"), the picture
// shows the zone, and "Use the config file's" turns detection off again.
// Run by CTest (web_detection_settings_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/detection_settings_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-detection-settings-e2e-");

test("the owner turns detection on and draws a zone on the camera's picture", async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--size", "640x360"]);
  run.started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}"\n`);
  run.started.push(house);
  await house.start();
  await waitFor("the door's first frame", async () => (await house.api.get("/api/v1/cameras/door/snapshot.jpg", {
    headers: { Authorization: `Bearer ${house.token}` } })).status() === 200, START, 500);

  const page = await run.page();
  await logIn(page, house.url, "admin", house.password);
  await page.goto(`${house.url}#/camera/door`);
  const panel = page.locator("details.detection-settings");
  await panel.locator("summary").click();
  await panel.locator(".detection-source").waitFor({ timeout: 30_000 });
  assert.match(await panel.locator(".detection-source").textContent(), /config file/);

  await panel.locator('input[name="detect-person"]').check();
  await panel.locator('input[name="notify-person"]').waitFor();
  assert.ok(await panel.locator('input[name="notify-vehicle"]').isDisabled(), "no notice of what is not detected");

  // A zone over the left half: three corners clicked on the picture.
  await panel.locator('button[name="draw-include"]').click();
  const svg = panel.locator(".detection-picture svg");
  await waitFor("the picture", () => panel.locator(".detection-picture img").evaluate((img) => img.complete && img.naturalWidth > 0), 30_000);
  const box = await svg.boundingBox();
  for (const [x, y] of [[0.1, 0.1], [0.5, 0.1], [0.5, 0.9]]) {
    await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
  }
  await panel.locator('input[name="area-name"]').fill("yard");
  await panel.locator('button[name="area-finish"]').click();
  await panel.locator('li[data-area="yard"]').waitFor();
  assert.equal(await svg.locator("polygon.area-include").count(), 1);
  await panel.locator('button[name="detection-save"]').click();
  await panel.locator('[role="status"]').waitFor({ timeout: 30_000 });

  const { status, body } = await house.call("GET", "/api/v1/cameras/door/detection");
  assert.equal(status, 200);
  assert.equal(body.source, "owner");
  assert.deepEqual(body.labels, ["person"]);
  assert.equal(body.notify, null); // every label it detects is announced
  assert.equal(body.zones.length, 1);
  assert.equal(body.zones[0].name, "yard");
  assert.equal(body.zones[0].kind, "include");
  const clicked = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.9]];
  body.zones[0].polygon.forEach(([x, y], i) => {
    assert.ok(Math.abs(x - clicked[i][0]) < 0.02 && Math.abs(y - clicked[i][1]) < 0.02, `corner ${i}: ${x},${y}`);
  });

  // Back to the file's: detection off, no zone.
  await panel.locator('button[name="detection-reset"]').click();
  await waitFor("the file's settings", async () => (await house.call("GET", "/api/v1/cameras/door/detection")).body?.source === "file", 30_000);
  await waitFor("the panel shows them", async () => (await svg.locator("polygon").count()) === 0, 30_000);
  assert.equal(await panel.locator('input[name="detect-person"]').isChecked(), false);
});
