// End to end, issue 17 item 1 (design/CAMERAS.md, invariant 8): cameras
// added, edited, disabled and deleted from the "Cameras" settings page, in
// Debian's headless Chromium against a real `vigil serve` household and a
// `vigil testcam`. The door comes from the config file: listed as such, no
// buttons, and the API refuses to change it (409). The admin adds the yard
// by its RTSP URL: tries it (codec, size and a preview picture), saves,
// and sees it live in the grid, without a restart; renames it; disables
// it (its tile says so, its recordings stay); deletes it with its
// recordings, confirmed. On a phone the page's buttons are tap targets of
// 44 px.
// Run by CTest (web_cameras_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/cameras_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000;
const SHOWN = 60_000; // a page's content, from a sanitized build on a loaded machine

const run = nodesRun("vigil-cameras-e2e-");
// The last day to an hour from now: every recording of the test.
const range = () => `start=${new Date(Date.now() - 86_400_000).toISOString()}&end=${new Date(Date.now() + 3_600_000).toISOString()}`;

test("an admin adds a camera by URL with a preview, edits, disables and deletes it", { timeout: 600_000 }, async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--streams", "2", "--size", "320x180", "--fps", "10"]);
  run.started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}/cam/0"\nrecord = "off"\n`);
  run.started.push(house);
  await house.start();

  // The file's camera: read-only from the API.
  const refused = await house.call("PUT", "/api/v1/cameras/door", { url: `${camUrl}/cam/1` });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.error, /config file .*edit the file/);

  const page = await run.page();
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  await logIn(page, house.url, "admin", house.password);
  await page.goto(`${house.url}#/settings/cameras`);
  const door = page.locator('.cameras-table tr[data-camera="door"]');
  await door.waitFor({ timeout: SHOWN });
  assert.equal(await door.getAttribute("data-managed-by"), "file");
  assert.equal(await door.locator("button").count(), 0, "a camera of the file has no buttons");

  // Added by its URL: tried first, with a preview.
  await page.click("button.add-camera");
  const form = page.locator("form.add-form");
  await form.locator('input[type=radio][value="url"]').check();
  await form.locator(".field.url input").fill(`${camUrl}/cam/1`);
  await form.locator("button.probe").click();
  await form.locator(".probe-result img.preview").waitFor({ timeout: SHOWN }).catch(async (e) => {
    throw new Error(`no preview: the form says "${await form.textContent()}"; ${e.message}`);
  });
  assert.match(await form.locator(".probe-result img.preview").getAttribute("src"), /^data:image\/jpeg;base64,/);
  assert.ok(await form.locator(".probe-result img.preview").evaluate((img) => img.complete && img.naturalWidth > 0),
    "the preview decodes");
  assert.match(await form.locator(".main-stream").textContent(), /H264 320×180/);
  await form.locator(".field.name input").fill("The yard");
  assert.equal(await form.locator(".field.id input").inputValue(), "the-yard");
  await form.locator(".field.id input").fill("yard");
  await form.locator("button.save").click();
  const yard = page.locator('.cameras-table tr[data-camera="yard"]');
  await yard.waitFor({ timeout: SHOWN });
  assert.equal(await yard.getAttribute("data-managed-by"), "ui");

  // Live in the grid, without a restart.
  await page.goto(`${house.url}#/`);
  await page.locator('.tile[data-camera="yard"] .badge.online').waitFor({ timeout: SHOWN });
  await waitFor("the yard's picture playing", () =>
    page.locator('.tile[data-camera="yard"] video').evaluate((v) => v.readyState >= 2 && v.currentTime > 0), SHOWN, 500);

  // Renamed.
  await page.goto(`${house.url}#/settings/cameras`);
  await yard.locator("button.edit").click();
  const edit = page.locator('form.edit-form[data-camera="yard"]');
  await edit.locator(".field.name input").fill("Back yard");
  await edit.locator("button.save").click();
  await waitFor("the new name in the list", async () => (await yard.locator("td").first().textContent()) === "Back yard", SHOWN);
  assert.equal((await house.call("GET", "/api/v1/cameras/yard")).body.name, "Back yard");

  // Disabled: stopped, said so on its tile, its recordings kept.
  await waitFor("the yard recorded", async () => {
    const r = await house.call("GET", `/api/v1/cameras/yard/recordings?${range()}`);
    return r.status === 200 && r.body.length > 0;
  }, SHOWN, 1000);
  await yard.locator("button.disable").click();
  await yard.locator("button.disable-yes").click();
  await waitFor("the yard disabled", async () => (await yard.getAttribute("data-state")) === "disabled", SHOWN);
  await page.goto(`${house.url}#/`);
  await page.locator('.tile[data-camera="yard"] .badge.disabled').waitFor({ timeout: SHOWN });
  const kept = await house.call("GET", `/api/v1/cameras/yard/recordings?${range()}`);
  assert.equal(kept.status, 200);
  assert.ok(kept.body.length > 0, "a disabled camera's recordings stay");

  // On a phone: the page's buttons are tap targets.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${house.url}#/settings/cameras`);
  await yard.locator("button.enable").waitFor({ timeout: SHOWN });
  for (const b of await page.locator(".cameras-admin button").all()) {
    const box = await b.boundingBox();
    if (box) assert.ok(box.height >= 44 && box.width >= 44, `a tap target of 44 px: ${JSON.stringify(box)}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  // Deleted with its recordings, confirmed.
  await yard.locator("button.remove").click();
  await yard.locator("button.remove-all").click();
  await yard.waitFor({ state: "detached", timeout: SHOWN });
  assert.ok(!(await house.call("GET", "/api/v1/cameras")).body.some((c) => c.id === "yard"));
  assert.equal((await house.call("GET", "/api/v1/cameras/yard")).status, 404);
  const audit = await house.call("GET", "/api/v1/audit?limit=100");
  const actions = audit.body.filter((r) => r.action === "camera_change").map((r) => r.detail.action);
  assert.deepEqual(actions.sort(), ["add", "delete", "disable", "update"].sort(), JSON.stringify(actions));
});
