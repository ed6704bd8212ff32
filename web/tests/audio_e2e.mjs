// End to end, issue 17 item 4 (design/DECISIONS.md 87): a camera's sound in
// Debian's headless Chromium, against a real `vigil serve` and two testcams
// beeping in AAC and in G.711 A-law (transcoded to AAC for the browser).
// On a camera's page the live picture comes with an audio track that
// Chromium decodes (webkitAudioDecodedByteCount grows), muted until the
// "Sound on" button; the grid's tiles never carry sound. A recording of
// either camera played back (HLS) decodes its sound too.
// Run by CTest (web_audio_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/audio_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-audio-e2e-");

async function testcam(audio) {
  const cam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--size", "320x240", "--fps", "10",
    "--gop", "10", "--loop-seconds", "2", "--audio", audio, "--onvif-discovery", "off"]);
  run.started.push(cam);
  return (await cam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";
}

const decoded = (page, selector) => page.$eval(selector, (v) => ({
  audio: v.webkitAudioDecodedByteCount,
  video: v.webkitVideoDecodedByteCount,
  muted: v.muted,
  time: v.currentTime,
}));

test("a camera's sound is decoded on its page, muted until asked, never in the grid", async () => {
  const aac = await testcam("aac");
  const pcma = await testcam("pcma");
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "aac"\nurl = "${aac}"\n\n[[camera]]\nid = "alaw"\nurl = "${pcma}"\n`);
  run.started.push(house);
  await house.start();
  await waitFor("both cameras streaming with sound", async () => {
    const { body } = await house.call("GET", "/api/v1/cameras");
    return body?.length === 2 && body.every((c) => c.online && c.audio);
  }, START);

  const page = await run.page();
  await logIn(page, house.url, "admin", house.password);
  for (const id of ["aac", "alaw"]) {
    await page.goto(`${house.url}#/camera/${id}`);
    const sound = page.locator(".video-tools button.sound");
    await sound.waitFor({ timeout: 30_000 });
    assert.equal(await sound.getAttribute("aria-pressed"), "false");
    const video = ".video-box.main video";
    await waitFor(`${id}: audio decoded`, async () => (await decoded(page, video)).audio > 0, 60_000);
    assert.equal((await decoded(page, video)).muted, true, `${id}: muted until asked`);
    await sound.click();
    assert.equal(await sound.getAttribute("aria-pressed"), "true");
    const before = await decoded(page, video);
    assert.equal(before.muted, false, `${id}: sound on`);
    await waitFor(`${id}: audio and video go on`, async () => {
      const now = await decoded(page, video);
      return now.audio > before.audio && now.video > before.video && now.time > before.time;
    }, 30_000);
    // Ten seconds back: the recording, its sound in the HLS fragments (the
    // G.711 camera's made AAC for the browser).
    await page.locator(".controls button").nth(1).click();
    await page.locator('.camera-page[data-mode="playback"]').waitFor({ timeout: 30_000 });
    // Growing while the recording plays (whether or not the element's
    // counters started again with its new source).
    const playing = await waitFor(`${id}: the recording plays`, async () => {
      const now = await decoded(page, video);
      return now.video > 0 && now.time > 0.5 && now;
    }, 60_000);
    // Still the recording (at its end the page goes back to live, whose
    // sound would count too).
    const recording = async () => page.$eval(".camera-page", (e) => e.dataset.mode === "playback");
    await waitFor(`${id}: recorded audio decoded`, async () => {
      const now = await decoded(page, video);
      return now.audio > playing.audio && now.time > playing.time + 1 && await recording();
    }, 30_000);
  }

  // The grid: pictures without sound.
  await page.goto(house.url);
  await waitFor("the grid's pictures", async () => {
    const tiles = await page.$$eval(".tile video", (vs) => vs.map((v) => v.webkitVideoDecodedByteCount));
    return tiles.length === 2 && tiles.every((n) => n > 0);
  }, 60_000);
  const tiles = await page.$$eval(".tile video", (vs) => vs.map((v) => ({ audio: v.webkitAudioDecodedByteCount, muted: v.muted })));
  assert.deepEqual(tiles, [{ audio: 0, muted: true }, { audio: 0, muted: true }]);
});
