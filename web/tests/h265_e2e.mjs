// End to end, issue 17 item 5 (design/ARCHITECTURE.md, "Browser
// transcodes"): H.265 cameras live in Debian's headless Chromium, which
// plays no HEVC from MSE, against a real `vigil serve` and testcam's H.265
// cameras: the page asks again for H.264 and plays the node's transcode,
// capped at [transcode] max_width; a second camera over max_concurrent
// says why it waits and plays once the first page closes; the node reports
// each transcode stopped after its page closed (/metrics'
// vigil_live_browser_transcode).
// Run by CTest (web_h265_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/h265_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-h265-e2e-");

// The cameras /metrics says are transcoded now.
async function transcoded(node) {
  const r = await node.api.fetch("/metrics", { headers: { Authorization: `Bearer ${node.token}` } });
  assert.equal(r.status(), 200);
  return [...(await r.text()).matchAll(/^vigil_live_browser_transcode\{camera="([^"]+)"\} 1$/gm)].map((m) => m[1]).sort();
}

// The camera page's video plays: its media time grows.
async function plays(page) {
  const sample = () => page.$eval(".camera-page video", (v) => ({ t: v.currentTime, w: v.videoWidth, h: v.videoHeight }));
  const first = await waitFor("the video playing", async () => {
    const s = await sample();
    return s.w > 0 && s.t > 0 && s;
  }, 90_000);
  await waitFor("the video advancing", async () => (await sample()).t > first.t + 1, 30_000);
  return first;
}

test("an H.265 camera plays live in Chromium through the node's transcode, stopped after the page closes", async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--codec", "h265", "--size", "640x360",
    "--fps", "10", "--gop", "10", "--loop-seconds", "2"]);
  run.started.push(testcam);
  const rtsp = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[transcode]\nmax_concurrent = 1\nmax_width = 320\n` +
    `\n[[camera]]\nid = "door"\nurl = "${rtsp}/cam/0"\n\n[[camera]]\nid = "yard"\nurl = "${rtsp}/cam/0"\n`);
  run.started.push(house);
  await house.start();

  const door = await run.page();
  assert.equal(await door.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"')), false,
    "this Chromium plays H.265 from MSE: the test would not reach the transcode");
  await logIn(door, house.url, "admin", house.password);
  await door.goto(`${house.url}#/camera/door`);
  const picture = await plays(door);
  assert.deepEqual([picture.w, picture.h], [320, 180], "transcoded at the capped width");
  const firstFrameMs = Number(await door.$eval(".camera-page video", (v) => v.dataset.firstFrameMs));
  console.log(`first frame of the transcoded camera page: ${firstFrameMs} ms after navigation start`);
  assert.deepEqual(await transcoded(house), ["door"]);

  // A second camera is over max_concurrent: its page says why it waits,
  // and plays once the first page has closed.
  const yard = await run.page();
  await logIn(yard, house.url, "admin", house.password);
  await yard.goto(`${house.url}#/camera/yard`);
  await yard.locator(".camera-page .overlay", { hasText: "converting as many cameras" }).waitFor({ timeout: 30_000 });
  await door.close();
  await waitFor("door's transcode stopped", async () => !(await transcoded(house)).includes("door"), 30_000);
  await plays(yard);
  assert.deepEqual(await transcoded(house), ["yard"]);
  await yard.close();
  await waitFor("every transcode stopped", async () => (await transcoded(house)).length === 0, 30_000);
});
