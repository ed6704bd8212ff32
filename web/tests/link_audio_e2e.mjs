// End to end, issue 17 item 4 through the tier link (design/LINK.md,
// "Sound"): a household whose camera "door" beeps in G.711 A-law, linked
// to a village, and the village's web UI in Debian's headless Chromium. The
// village lists the door with its sound; on the door's page there, the live
// picture comes with an audio track that Chromium decodes (made AAC at the
// village; webkitAudioDecodedByteCount grows), muted until "Sound on".
// Run by CTest (web_link_audio_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/link_audio_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitUnlessChromiumAndUi, waitFor } from "./lib.mjs";
import { LINK_UP, linkedHousehold, logIn, testNodes } from "./nodes.mjs";

exitUnlessChromiumAndUi();

const nodes = testNodes("vigil-link-audio-e2e-");

test("the village hears the household's door on its page, muted until asked", { timeout: 300_000 }, async () => {
  const { village, house } = await linkedHousehold(nodes, { audio: "pcma" });
  const shared = await house.call("PUT", "/api/v1/cameras/door/shares", [{ tier: "village", rights: ["live"] }]);
  assert.equal(shared.status, 200, JSON.stringify(shared.body));
  await waitFor("the village lists the door with its sound", async () => {
    const { body } = await village.call("GET", "/api/v1/cameras");
    return body?.some((c) => c.id === "house1.door" && c.audio === "alaw");
  }, LINK_UP);

  const page = await nodes.page();
  await logIn(page, village.url, "admin", village.password);
  await page.goto(`${village.url}#/camera/house1.door`);
  const sound = page.locator(".video-tools button.sound");
  await sound.waitFor({ timeout: 30_000 });
  assert.equal(await sound.getAttribute("aria-pressed"), "false");
  const video = ".video-box.main video";
  const decoded = () => page.$eval(video, (v) => ({ audio: v.webkitAudioDecodedByteCount, video: v.webkitVideoDecodedByteCount, muted: v.muted }));
  await waitFor("the door's sound decoded at the village", async () => (await decoded()).audio > 0, 60_000);
  assert.equal((await decoded()).muted, true, "muted until asked");
  await sound.click();
  const before = await decoded();
  assert.equal(before.muted, false, "sound on");
  await waitFor("sound and pictures go on", async () => {
    const now = await decoded();
    return now.audio > before.audio && now.video > before.video;
  }, 30_000);
  console.log(`house1.door at the village: ${(await decoded()).audio} bytes of sound decoded`);
});
