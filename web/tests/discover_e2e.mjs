// End to end, issue 17 item 1 "by discovery" (design/CAMERAS.md, "Adding a
// camera"): an admin finds a camera on the network from the "Cameras"
// settings page, in Debian's headless Chromium, against a real `vigil
// serve` household and testcam's ONVIF simulator. The page says it is
// looking while the WS-Discovery Probe's answers come, lists the device
// (its name and address); a wrong password is said so; with the right one
// the camera's main and sub stream URIs, read over ONVIF, fill the add
// form, which tries them at once (codec, size, a preview picture); saved,
// the camera is live in the grid. Its ONVIF device was kept with the
// login it was read with (design/CAMERAS.md, invariant 12): on its page,
// an arrow held turns it at once (a ContinuousMove, then a Stop, at the
// simulator, which records no call whose UsernameToken digest it refused),
// and its edit form shows the device with the password kept, not shown.
// In zh-CN, the list, the password step and the edit form show no
// English. With no camera on the network, the page says none answered. Multicast on loopback needs a network namespace, so
// the Probe goes to the simulator's unicast address ([onvif] discovery, as
// tests/onvif_test.py does).
// Run by CTest (web_discover_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/discover_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";
import { englishChecks, shownText, untranslated } from "./strings.mjs";

exitUnlessChromiumAndUi();
const START = 180_000;
const SHOWN = 60_000; // a page's content, from a sanitized build on a loaded machine

const run = nodesRun("vigil-discover-e2e-");

test("an admin adds a camera found on the network, with its preview, and sees it in the grid", { timeout: 600_000 }, async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--size", "320x180", "--fps", "10",
    "--loop-seconds", "2", "--onvif-port", "0", "--onvif-password", "secret", "--onvif-discovery", "127.0.0.1:0"]);
  run.started.push(testcam);
  const rtsp = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const [, device, discovery] = await testcam.waitForOutput(/ONVIF device at (http:\S+) \(WS-Discovery: (127\.0\.0\.1:\d+)\)/, START);
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[onvif]\ndiscovery = "${discovery}"\n`);
  run.started.push(house);
  await house.start();

  const page = await run.page();
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  await logIn(page, house.url, "admin", house.password);
  await page.goto(`${house.url}#/settings/cameras`);
  await page.click("button.discover");
  const form = page.locator("form.discover-form");
  // The Probe's answers are collected for two seconds: the page says it is looking.
  await form.locator(".discovering").waitFor({ timeout: SHOWN });
  const found = form.locator(`.found li[data-address="${device}"]`);
  await found.waitFor({ timeout: SHOWN });
  assert.equal(await form.locator(".discovering").count(), 0);
  assert.equal(await found.locator(".found-name").textContent(), "vigil_testcam");
  assert.equal(await found.locator(".found-address").textContent(), new URL(device).host);

  // Picked: its user and password asked; a wrong one said so.
  await found.locator("button.pick").click();
  await form.locator(".field.password input").fill("nope");
  await form.locator("button.read").click();
  await waitFor("the wrong password said", async () =>
    (await form.locator(".error").count()) === 1 && /Wrong user name or password/.test(await form.locator(".error").textContent()), SHOWN);

  // The right one: the add form filled with the camera's streams, tried at once.
  await form.locator(".field.password input").fill("secret");
  await form.locator("button.read").click();
  const add = page.locator("form.add-form");
  await add.locator(".probe-result img.preview").waitFor({ timeout: SHOWN }).catch(async (e) => {
    throw new Error(`no preview: the page says "${await page.locator(".cameras-admin").textContent()}"; ${e.message}`);
  });
  assert.ok(await add.locator(".probe-result img.preview").evaluate((img) => img.complete && img.naturalWidth > 0),
    "the preview decodes");
  assert.equal(await add.locator(".field.url input").inputValue(), `${rtsp}/cam/0`);
  assert.equal(await add.locator(".field.sub-url input").inputValue(), `${rtsp}/cam/0/sub`);
  assert.match(await add.locator(".main-stream").textContent(), /H264 320×180/);
  assert.match(await add.locator(".sub-stream").textContent(), /H264 160×90/);
  assert.equal(await add.locator(".field.name input").inputValue(), "vigil_testcam");
  await add.locator(".field.name input").fill("The porch");
  await add.locator(".field.id input").fill("porch");
  await add.locator("button.save").click();
  await page.locator('.cameras-table tr[data-camera="porch"]').waitFor({ timeout: SHOWN });
  const saved = (await house.call("GET", "/api/v1/cameras/porch")).body;
  assert.equal(saved.url, `${rtsp}/cam/0`);
  assert.equal(saved.sub_url, `${rtsp}/cam/0/sub`);
  assert.equal(saved.username, "admin");
  assert.equal(saved.has_password, true);
  assert.equal(saved.onvif, device);
  assert.equal(saved.onvif_username, "admin");
  assert.equal(saved.has_onvif_password, true);
  assert.ok(!JSON.stringify(saved).includes("secret"), "no password answered");

  // Live in the grid, without a restart.
  await page.goto(`${house.url}#/`);
  await page.locator('.tile[data-camera="porch"] .badge.online').waitFor({ timeout: SHOWN });
  await waitFor("the porch's picture playing", () =>
    page.locator('.tile[data-camera="porch"] video').evaluate((v) => v.readyState >= 2 && v.currentTime > 0), SHOWN, 500);

  // Turned from its page at once, with the login discovery used.
  const seen = async () => (await fetch(device.replace("/onvif/device_service", "/debug/ptz"))).json();
  await page.goto(`${house.url}#/camera/porch`);
  const ptz = page.locator("section.ptz");
  await ptz.locator("button[aria-pressed]").click({ timeout: SHOWN });
  await ptz.locator(".ptz-right").hover();
  await page.mouse.down();
  await waitFor("a ContinuousMove at the device", async () => (await seen()).some((c) => c.call === "ContinuousMove"), SHOWN);
  await page.mouse.up();
  await waitFor("a Stop at the device", async () => (await seen()).some((c) => c.call === "Stop"), SHOWN);
  assert.match((await seen()).find((c) => c.call === "ContinuousMove").body, /PanTilt x="0\.500" y="0\.000"/);
  assert.equal(await ptz.locator(".error").count(), 0);

  // The edit form: the device and its user, the password kept unless typed.
  await page.goto(`${house.url}#/settings/cameras`);
  await page.click('.cameras-table tr[data-camera="porch"] button.edit', { timeout: SHOWN });
  const edit = page.locator('form.edit-form[data-camera="porch"]');
  await edit.locator(".field.onvif-address input").waitFor({ timeout: SHOWN });
  assert.equal(await edit.locator(".field.onvif-address input").inputValue(), device);
  assert.equal(await edit.locator(".field.onvif-username input").inputValue(), "admin");
  assert.equal(await edit.locator(".field.onvif-password input").inputValue(), "");
  assert.match(await edit.locator(".field.onvif-password").textContent(), /leave empty to keep it/);
  await edit.locator(".field.name input").fill("The front porch");
  await edit.locator("button.save").click();
  await page.locator(".cameras-admin .notice").waitFor({ timeout: SHOWN });
  const edited = (await house.call("GET", "/api/v1/cameras/porch")).body;
  assert.deepEqual([edited.name, edited.onvif, edited.has_onvif_password], ["The front porch", device, true]);
  const stop = await house.call("POST", "/api/v1/cameras/porch/ptz", { action: "stop" });
  assert.equal(stop.status, 200, "still turns: its password was kept");

  // In Chinese: the devices found and the password step, no English left.
  const zh = await (await run.browser.newContext({ ignoreHTTPSErrors: true, locale: "zh-CN" })).newPage();
  await logIn(zh, house.url, "admin", house.password);
  await zh.goto(`${house.url}#/settings/cameras`);
  await zh.click("button.discover");
  await zh.locator(`form.discover-form .found li[data-address="${device}"] button.pick`).click({ timeout: SHOWN });
  await zh.locator("form.discover-form button.read").waitFor({ timeout: SHOWN });
  assert.equal(await zh.evaluate(() => document.documentElement.lang), "zh-CN");
  const data = ["vigil_testcam", "testcam", new URL(device).host, "The front porch", "porch", "Node house1", "house1", "admin"];
  assert.deepEqual(untranslated(await zh.evaluate(shownText), await englishChecks(), data), [], "English left");
  await zh.click('.cameras-table tr[data-camera="porch"] button.edit');
  await zh.locator('form.edit-form[data-camera="porch"] .field.onvif-address input').waitFor({ timeout: SHOWN });
  assert.deepEqual(untranslated(await zh.evaluate(shownText), await englishChecks(), data), [], "English left in the edit form");

  // No camera on the network any more: the page says none answered.
  assert.equal(await testcam.stop(), 0);
  await page.goto(`${house.url}#/settings/cameras`);
  await page.click("button.discover");
  await page.locator("form.discover-form .nothing-found").waitFor({ timeout: SHOWN });
  assert.equal(await page.locator("form.discover-form .found li").count(), 0);
});
