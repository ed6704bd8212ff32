// Time to the first live frame of an H.265 camera in Debian's headless
// Chromium (which plays no H.265 from MSE: the node transcodes it), beside
// an H.264 camera of the same size (no transcode), for bench/transcode.py:
// starts testcam (VIGIL_BIN) twice and `vigil serve`, logs in, loads each
// camera's page --loads times and prints one JSON line
// {"h265_ms": [...], "h264_ms": [...]} (ms from navigation start to the
// video's first decoded frame).
//   VIGIL_BIN=build/release/src/app/vigil node web/tests/h265_first_frame.mjs --loads 5
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, Child, ServeNode, freePort, logIn, tempDir, vigilBinary, waitFor } from "./lib.mjs";

const { values } = parseArgs({ options: { loads: { type: "string", default: "5" } } });
const loads = Number(values.loads);
const START = 600_000;
// What it starts, stopped by PID at the end.
const run = { tmp: tempDir("vigil-h265-ff-"), started: [], browser: undefined };

async function testcam(codec) {
  const cam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--codec", codec, "--size", "1920x1080",
    "--fps", "15", "--gop", "30", "--loop-seconds", "4"]);
  run.started.push(cam);
  return (await cam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";
}

async function firstFrame(page, url) {
  await page.goto("about:blank");
  await page.goto(url);
  return waitFor("the first frame", async () => Number((await page.$eval(".camera-page video", (v) => v.dataset.firstFrameMs).catch(() => 0)) || 0), 120_000, 20);
}

try {
  const [h265, h264] = [await testcam("h265"), await testcam("h264")];
  const node = new ServeNode(run.tmp.path, "house1", "household", await freePort(),
    `\n[transcode]\nmax_width = 1280\n\n[[camera]]\nid = "hevc"\nurl = "${h265}"\nrecord = "off"\n` +
    `\n[[camera]]\nid = "avc"\nurl = "${h264}"\nrecord = "off"\n`);
  run.started.push(node);
  await node.start();
  run.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  const page = await (await run.browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  await logIn(page, node.url, "admin", node.password);
  const out = { h265_ms: [], h264_ms: [] };
  for (let i = 0; i < loads; i++) {
    out.h265_ms.push(await firstFrame(page, `${node.url}?run=${i}#/camera/hevc`));
    // The transcode stops with the page: the next load starts it cold.
    await page.goto("about:blank");
    await new Promise((r) => setTimeout(r, 1500));
    out.h264_ms.push(await firstFrame(page, `${node.url}?run=${i}#/camera/avc`));
  }
  console.log(JSON.stringify(out));
} finally {
  await run.browser?.close();
  for (const p of run.started.reverse()) await p.stop();
  run.tmp.remove();
}
