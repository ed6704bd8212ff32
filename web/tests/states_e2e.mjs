// End to end, issue 19 item 4: camera states people understand, in
// Debian's headless Chromium against a real `vigil serve` household with
// two cameras: "door" from a `vigil testcam` process, and "locked", a
// stand-in camera that answers every RTSP request 401. The testcam is
// stopped (by PID): the door's tile and page say "Offline since HH:MM ·
// the camera does not answer"; restarted on the same port, the tile plays
// again, and the time from the testcam serving to the tile playing is
// printed (the figure of design/ARCHITECTURE.md "Camera states"). The
// locked camera says "Never connected · wrong password" and stays so.
// Run by CTest (web_states_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/states_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { Child, ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, vigilBinary, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
const START = 180_000; // sanitized builds on a shared machine: loose bounds

const run = nodesRun("vigil-states-e2e-");

// A camera that refuses every password: each RTSP request answered 401.
async function refusingCamera() {
  const server = createServer((socket) => {
    let buffered = "";
    socket.on("data", (d) => {
      buffered += d.toString("latin1");
      let end;
      while ((end = buffered.indexOf("\r\n\r\n")) >= 0) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const cseq = head.match(/^CSeq:\s*(\d+)/im)?.[1] ?? "0";
        socket.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, stop: () => new Promise((resolve) => server.close(resolve)) };
}

function startTestcam(listen) {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", listen, "--size", "320x180", "--fps", "10"]);
  run.started.push(testcam);
  return testcam;
}

// What a tile shows: its overlay's text ("" when none) and its badge.
const tileState = (page, id) =>
  page.locator(`.tile[data-camera="${id}"]`).evaluate((tile) => ({
    overlay: tile.querySelector(".overlay")?.textContent ?? "",
    badge: tile.querySelector(".badge")?.className ?? "",
    time: tile.querySelector("video").currentTime,
  }));

test("an offline camera says since when and why; back, its tile plays at once", async () => {
  const testcam = startTestcam("127.0.0.1:0");
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1];
  const camPort = new URL(camUrl).port;
  const refusing = await refusingCamera();
  run.started.push(refusing);
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}/cam/0"\n` +
    `\n[[camera]]\nid = "locked"\nname = "Locked"\nurl = "rtsp://127.0.0.1:${refusing.port}/cam"\nusername = "admin"\npassword = "wrong"\n`);
  run.started.push(house);
  await house.start();

  const page = await run.page();
  await logIn(page, house.url, "admin", house.password);
  await waitFor("the door's tile playing", async () => {
    const s = await tileState(page, "door");
    return s.overlay === "" && s.badge.includes("online") && s.time > 0;
  }, START, 250);

  // Wrong password: said so, and steadily (no connecting/stalled flip).
  await waitFor("the locked tile says wrong password", async () =>
    (await tileState(page, "locked")).overlay === "Never connected · wrong password", 30_000, 250);
  for (let i = 0; i < 12; i++) {
    assert.equal((await tileState(page, "locked")).overlay, "Never connected · wrong password");
    await new Promise((r) => setTimeout(r, 500));
  }
  const locked = (await house.call("GET", "/api/v1/cameras")).body.find((c) => c.id === "locked");
  assert.equal(locked.reason_code, "wrong_password");
  assert.equal(locked.ever_streamed, false);

  // The door's source goes: offline since a time, in plain words.
  const stoppedAt = Date.now();
  await testcam.stop();
  const offline = /^Offline since \d\d:\d\d · the camera does not answer$/;
  await waitFor("the door's tile says offline", async () => {
    const s = await tileState(page, "door");
    return offline.test(s.overlay) && s.badge.includes("offline");
  }, 15_000, 250);
  console.log(`offline shown ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the testcam stopped`);
  const door = (await house.call("GET", "/api/v1/cameras")).body.find((c) => c.id === "door");
  assert.equal(door.reason_code, "no_answer");
  assert.equal(door.ever_streamed, true);
  assert.ok(Math.abs(Date.parse(door.since) - stoppedAt) < 10_000, door.since);

  await page.goto(`${house.url}#/camera/door`);
  await waitFor("the door's page says offline", async () =>
    offline.test((await page.locator(".camera-page .video-box .overlay").textContent({ timeout: 1000 })) ?? ""), 15_000, 250);
  await page.waitForSelector(".camera-head .badge.offline", { timeout: 10_000 });
  await page.goto(house.url);
  await waitFor("the door's tile offline again", async () => offline.test((await tileState(page, "door")).overlay), 15_000, 250);

  // Back on the same port: video returns when the testcam serves.
  const again = startTestcam(`127.0.0.1:${camPort}`);
  await again.waitForOutput(/testcam: serving/, START);
  const servingAt = Date.now();
  let playingAt;
  await waitFor("the door's tile playing again", async () => {
    const s = await tileState(page, "door");
    if (s.overlay !== "" || !s.badge.includes("online")) return false;
    playingAt ??= Date.now();
    const t0 = s.time;
    await new Promise((r) => setTimeout(r, 300));
    return (await tileState(page, "door")).time > t0; // moving, not a frozen frame
  }, 30_000, 100);
  console.log(`tile playing ${((playingAt - servingAt) / 1000).toFixed(1)} s after the testcam served again`);
});
