// End to end, issue 19 item 5: a TV at 1920x1080 driven by a remote's keys
// alone (arrows, Enter, Back), against a real `vigil serve` household with
// two testcam cameras, recorded, in Debian's headless Chromium. From the
// grid: open a camera, move ten minutes back on the timeline (held arrows
// go faster), play at 2x, return to live, take the full screen, leave it,
// and come back to the grid, with a focused element on screen and its ring
// visible at every step.
// Run by CTest (web_tv_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/tv_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds
const MINUTE = 60_000;

const run = nodesRun("vigil-tv-e2e-");

test("a TV remote alone: grid, camera, ten minutes back, 2x, live, full screen and back", async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--streams", "2"]);
  run.started.push(testcam);
  const base = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const cameras = [0, 1]
    .map((i) => `\n[[camera]]\nid = "cam-${i}"\nname = "Camera ${i}"\nurl = "${base}/cam/${i}"\nrecord = "continuous"\n`)
    .join("");
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(), cameras);
  run.started.push(house);
  await house.start();
  await waitFor("some recording", async () => {
    const now = Date.now();
    const q = `start=${new Date(now - 3_600_000).toISOString()}&end=${new Date(now).toISOString()}`;
    const { body } = await house.call("GET", `/api/v1/cameras/cam-1/recordings?${q}`);
    return body?.some((r) => Date.parse(r.end) - Date.parse(r.start) > 3_000);
  }, START, 500);

  const page = await run.page();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await logIn(page, house.url, "admin", house.password);
  await page.goto(`${house.url}?tv=1#/`);
  await page.waitForSelector("html.tv .grid .tile");

  // What has the focus: on screen, with a ring a room away can see.
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return undefined;
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return {
        label: el.getAttribute("aria-label") ?? el.textContent.trim(),
        classes: el.className,
        camera: el.dataset.camera,
        row: el.closest(".controls, .tl-controls, .video-tools")?.className.split(" ")[0],
        onScreen: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
        ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 4,
      };
    });
  const steps = [];
  async function expectFocusShown(step) {
    const f = await waitFor(`focus at "${step}"`, focused, 10_000);
    steps.push(`${step}: ${f.label}`);
    assert.ok(f.onScreen, `at "${step}" the focused "${f.label}" is off screen`);
    assert.ok(f.ring, `at "${step}" the focused "${f.label}" has no visible ring`);
    return f;
  }
  // Presses `key` until the focus is on what `wanted` accepts (a remote
  // user walks there), at most `presses` times.
  async function walk(key, wanted, what, presses = 20) {
    for (let i = 0; i <= presses; i++) {
      const f = await focused();
      if (f && wanted(f)) return expectFocusShown(what);
      await page.keyboard.press(key);
    }
    throw new Error(`${what}: not reached with ${key} (focus on "${(await focused())?.label}"; walked ${steps.join(" / ")})`);
  }
  const mode = () => page.getAttribute(".camera-page", "data-mode");

  // The grid: a tile has the focus; Right, then Enter opens that camera.
  await waitFor("focus on a tile", async () => (await focused())?.camera, 10_000);
  await expectFocusShown("grid");
  await walk("ArrowRight", (f) => f.camera === "cam-1", "the second tile");
  await page.keyboard.press("Enter");
  await page.waitForSelector('html.tv .camera-page[data-mode="live"]');
  await expectFocusShown("camera opened");

  // Ten minutes back on the timeline: down to its track, Left held (a
  // remote repeats the key), Enter plays from there.
  await walk("ArrowDown", (f) => f.classes.includes("tl-track"), "the timeline");
  const label = () => page.getAttribute(".tl-track", "aria-valuenow").then(Number);
  // The track says its moment once the live picture plays.
  await waitFor("the timeline's moment", async () => (await label()) > 0, 60_000);
  const target = Date.now() - 10 * MINUTE;
  // Held (a remote repeats the key: repeat is true after the first), the
  // cursor goes faster the longer the key is down.
  const strides = [];
  for (let i = 0, at = await label(); i < 40 && at > target; i++) {
    await page.keyboard.down("ArrowLeft");
    const next = await label();
    strides.push(at - next);
    at = next;
  }
  await page.keyboard.up("ArrowLeft");
  const reached = Date.now() - (await label());
  console.log(`held Left: strides ${strides.map((d) => `${Math.round(d / 1000)} s`).join(", ")}; ${Math.round(reached / 60_000)} min back`);
  assert.ok(reached >= 10 * MINUTE, `the cursor went back only ${Math.round(reached / 1000)} s`);
  assert.ok(Math.max(...strides.slice(1)) >= 2 * strides[1], "the cursor did not go faster while the key was held");
  await page.keyboard.press("Enter");
  await waitFor("playback", async () => (await mode()) === "playback", 30_000);
  await expectFocusShown("ten minutes back");

  // Play at 2x: up to the controls' row, then along it.
  await walk("ArrowUp", (f) => f.row === "controls" || f.row === "tl-controls", "the controls' row");
  await walk("ArrowLeft", (f) => /^2\s*x$/i.test(f.label), "2x", 12);
  await page.keyboard.press("Enter");
  await waitFor("playing at 2x", () => page.evaluate(() => document.querySelector(".camera-page video").playbackRate === 2), 10_000);
  await expectFocusShown("2x");

  // Back to live.
  await walk("ArrowLeft", (f) => f.label === "Live", "Live");
  await page.keyboard.press("Enter");
  await waitFor("live", async () => (await mode()) === "live", 30_000);
  await expectFocusShown("live");
  // Live is disabled once live: the page gives the focus to the first
  // control that is not (a remote user waits for the ring to move too).
  await waitFor("the focus on live's first control", async () => {
    const f = await focused();
    return f && f.row === "controls" && f.label !== "Live";
  }, 10_000);

  // Full screen: down past the timeline to the picture's tools.
  // (A remote user who went one row too far, the timeline being redrawn
  // for live as they pressed, comes back up.)
  const below = await walk("ArrowDown", (f) => f.classes.includes("tl-track") || f.row === "video-tools", "the timeline again");
  if (!below.classes.includes("tl-track")) await walk("ArrowUp", (f) => f.classes.includes("tl-track"), "the timeline again", 3);
  await walk("ArrowDown", (f) => f.row === "video-tools", "the tools' row", 3);
  await walk("ArrowRight", (f) => f.classes.includes("fullscreen"), "Full screen");
  await page.keyboard.press("Enter");
  await waitFor("full screen", () => page.evaluate(() => document.fullscreenElement !== null), 10_000);
  await expectFocusShown("full screen");
  // Back leaves the full screen first, then the camera.
  await page.keyboard.press("Escape");
  await waitFor("full screen left", () => page.evaluate(() => document.fullscreenElement === null), 10_000);
  if (page.url().includes("#/camera/")) await page.keyboard.press("Escape");
  await page.waitForSelector("html.tv .grid .tile");
  await waitFor("the grid with the camera's tile focused", async () => (await focused())?.camera === "cam-1", 10_000);
  await expectFocusShown("back at the grid");
  console.log(`walked: ${steps.join(" / ")}`);
});
