// End to end, issue 17 item 2 (design/ONVIF.md, "Left" no more): a camera
// with an `onvif` address is turned from its page in Debian's headless
// Chromium, against a real `vigil serve` and testcam's ONVIF simulator:
// an arrow held by the mouse is a ContinuousMove then a Stop at the
// simulator, the keyboard's arrows (a TV remote's) do the same in PTZ
// mode, a view saved as a preset is listed and gone to; a camera
// without `onvif` shows no controls.
// Run by CTest (web_ptz_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/ptz_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-ptz-e2e-");

test("a camera is turned from its page by mouse and by keys", async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--size", "320x240",
    "--loop-seconds", "2", "--onvif-port", "0", "--onvif-password", "secret", "--onvif-discovery", "off"]);
  run.started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";
  const device = (await testcam.waitForOutput(/ONVIF device at (http:\S+)/, START))[1];
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nurl = "${camUrl}"\nonvif = "${device}"\nusername = "admin"\npassword = "secret"\n` +
    `\n[[camera]]\nid = "yard"\nurl = "${camUrl}"\n`);
  run.started.push(house);
  await house.start();
  const seen = async () => (await fetch(device.replace("/onvif/device_service", "/debug/ptz"))).json();
  const calls = async () => (await seen()).map((c) => c.call);
  const moves = async () => (await seen()).filter((c) => c.call === "ContinuousMove");

  const page = await run.page();
  await logIn(page, house.url, "admin", house.password);
  await page.goto(`${house.url}#/camera/yard`);
  await page.locator(".controls").waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1000); // the presets' answer (409) has come back by now
  assert.equal(await page.locator("section.ptz").count(), 0, "no ONVIF, no controls");

  await page.goto(`${house.url}#/camera/door`);
  const ptz = page.locator("section.ptz");
  await ptz.locator("button[aria-pressed]").click();
  const right = ptz.locator(".ptz-right");
  await right.hover();
  await page.mouse.down();
  await waitFor("a ContinuousMove", async () => (await calls()).includes("ContinuousMove"), 30_000);
  await page.mouse.up();
  await waitFor("a Stop", async () => (await calls()).includes("Stop"), 30_000);
  assert.match((await moves())[0].body, /PanTilt x="0\.500" y="0\.000"/);

  // PTZ mode: the arrows turn the camera and do not move the focus.
  await page.keyboard.down("ArrowUp");
  await waitFor("a second ContinuousMove", async () => (await calls()).filter((c) => c === "ContinuousMove").length === 2, 30_000);
  await page.keyboard.up("ArrowUp");
  await waitFor("a second Stop", async () => (await calls()).filter((c) => c === "Stop").length === 2, 30_000);
  assert.match((await moves())[1].body, /PanTilt x="0\.000" y="0\.500"/);

  await ptz.locator(".ptz-save input").fill("gate");
  await ptz.locator(".ptz-save button").click();
  await ptz.locator(".ptz-presets button").waitFor({ timeout: 30_000 });
  await ptz.locator(".ptz-presets button").click();
  await waitFor("a GotoPreset", async () => (await calls()).includes("GotoPreset"), 30_000);
  assert.equal(await ptz.locator(".error").count(), 0);

  // Back leaves PTZ mode; the arrows are the page's again.
  await page.keyboard.press("Escape");
  await ptz.locator(".ptz-pad").waitFor({ state: "detached", timeout: 10_000 });
});
