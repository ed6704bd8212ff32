// End to end, issue 17 item 3: sub streams, in Debian's headless Chromium
// against a real `vigil serve` with one camera whose main stream (640x360)
// and sub stream (320x180) come from two `vigil testcam` processes. A
// camera added from the "Cameras" page by its URL and sub stream URL gets
// its sub stream at once: its tile plays it (design/ARCHITECTURE.md "Sub
// streams" 6). The grid's tile plays the sub stream (its video element's
// videoWidth is 320) and the camera view the main one (640); the sub
// stream's testcam stopped (by PID), the camera stays online and the tile
// plays again, from the main stream (design/ARCHITECTURE.md "Sub streams" 4).
// Run by CTest (web_sub_stream_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/sub_stream_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-sub-stream-e2e-");

async function startTestcam(...extra) {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--fps", "10", "--loop-seconds", "2",
    "--size", "640x360", ...extra]);
  run.started.push(testcam);
  return { testcam, url: (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] };
}

// The video element's decoded size and playhead.
const videoOf = (page, selector) =>
  page.locator(selector).evaluate((v) => ({ width: v.videoWidth, height: v.videoHeight, time: v.currentTime }));

// Waits until the element plays (its playhead moves) at `width`.
async function playsAt(page, selector, width, what, timeout = 60_000) {
  await waitFor(what, async () => {
    const a = await videoOf(page, selector);
    if (a.width !== width) return false;
    await new Promise((r) => setTimeout(r, 300));
    return (await videoOf(page, selector)).time > a.time;
  }, timeout, 250);
}

// The node and its testcams, shared by the tests (in order: the second
// stops the sub stream's testcam).
let main, sub, house, page;
before(async () => {
  main = await startTestcam("--no-sub");
  sub = await startTestcam("--sub-size", "320x180");
  house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "yard"\nname = "Yard"\nurl = "${main.url}/cam/0"\nsub_url = "${sub.url}/cam/0/sub"\n`);
  run.started.push(house);
  await house.start();
  page = await run.page();
  await logIn(page, house.url, "admin", house.password);
});

const bothStreaming = (id) => async () => {
  const c = (await house.call("GET", "/api/v1/cameras")).body.find((c) => c.id === id);
  return c?.online && c.sub?.state === "streaming";
};

test("a camera added from the Cameras page with a sub stream URL: its tile plays the sub stream", async () => {
  await page.goto(`${house.url}#/settings/cameras`);
  await page.click("button.add-camera");
  const form = page.locator("form.add-form");
  await form.locator('input[type=radio][value="url"]').check();
  await form.locator(".field.url input").fill(`${main.url}/cam/0`);
  await form.locator(".field.sub-url input").fill(`${sub.url}/cam/0/sub`);
  await form.locator("button.probe").click();
  await form.locator(".probe-result").waitFor({ timeout: 60_000 });
  assert.match(await form.locator(".sub-stream").textContent(), /H264 320×180/);
  await form.locator(".field.name input").fill("Porch");
  await form.locator("button.save").click();
  await page.locator('.cameras-table tr[data-camera="porch"]').waitFor({ timeout: 60_000 });
  assert.equal((await house.call("GET", "/api/v1/cameras/porch")).body.sub_url, `${sub.url}/cam/0/sub`);
  await waitFor("both of porch's streams", bothStreaming("porch"), START, 250);

  await page.goto(`${house.url}#/`);
  const tile = '.tile[data-camera="porch"] video';
  assert.equal(await page.locator(tile).getAttribute("data-stream"), "sub");
  await playsAt(page, tile, 320, "porch's tile playing its sub stream (320 wide)", START);
});

test("the grid tile plays the sub stream, the camera view the main one; the sub stream gone, the tile plays on", async () => {
  await waitFor("both of yard's streams", bothStreaming("yard"), START, 250);
  await page.goto(house.url);
  const tile = '.tile[data-camera="yard"] video';
  assert.equal(await page.locator(tile).getAttribute("data-stream"), "sub");
  await playsAt(page, tile, 320, "the tile playing the sub stream (320 wide)", START);
  assert.equal((await videoOf(page, tile)).height, 180);

  await page.click('.tile[data-camera="yard"]');
  const view = ".camera-page video";
  await playsAt(page, view, 640, "the camera view playing the main stream (640 wide)");

  await page.goto(house.url);
  await playsAt(page, tile, 320, "the tile on the sub stream again");
  await sub.testcam.stop();
  await waitFor("yard's sub stream down", async () =>
    (await house.call("GET", "/api/v1/cameras")).body.find((c) => c.id === "yard").sub.state !== "streaming", 30_000, 250);
  // The tile's socket goes quiet, stalls, and reconnects to the main stream.
  await playsAt(page, tile, 640, "the tile playing the main stream", 60_000);
  const yard = (await house.call("GET", "/api/v1/cameras")).body.find((c) => c.id === "yard");
  assert.equal(yard.online, true);
  assert.equal(await page.locator('.tile[data-camera="yard"] .badge.online').count(), 1);
});
