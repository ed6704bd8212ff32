// End to end, issue 18 item 4: the public register read without a login
// (design/REGISTER.md). A village with one camera (testcam), a real
// `vigil serve`; Chromium at phone size (390x844) with no session. Closed,
// the page says so; once the admin opens it and the camera's owner lists it
// with a snapshot, the page shows the camera's card and its picture, fits
// the phone's width, and in zh-CN shows the same in Chinese.
// Run by CTest (web_register_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/register_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, Child, ServeNode, exitUnlessChromiumAndUi, freePort, vigilBinary, waitFor } from "./lib.mjs";
import { START, testNodes } from "./nodes.mjs";

exitUnlessChromiumAndUi();
const nodes = testNodes("vigil-register-e2e-");
const SHOWN = 30_000;

test("the public register renders without a login on a phone, in English and in Chinese", { timeout: 400_000 }, async () => {
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", "--size", "320x180", "--gop", "10"]);
  nodes.started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";
  const village = new ServeNode(nodes.tmp.path, "village1", "village", await freePort(),
    `\n[[camera]]\nid = "square"\nname = "The square"\nurl = "${camUrl}"\nrecord = "continuous"\nretain_days = 14\n`);
  nodes.started.push(village);
  await village.start();

  const browser = (nodes.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 }));
  const phone = async (locale) => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, locale, viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    return page;
  };

  // Closed: the page says so, and asks for no login.
  const en = await phone("en-US");
  await en.goto(`${village.url}register`);
  await en.waitForSelector(".register .notice", { timeout: SHOWN });
  assert.equal((await en.textContent(".register .notice")).trim(), "This register is not open to the public.");
  assert.equal(await en.$("form.login"), null);

  assert.equal((await village.call("PUT", "/api/v1/cameras/square/register", { listed: true, covers: "The village square", snapshot: true })).status, 200);
  assert.equal((await village.call("PUT", "/api/v1/register/settings", { open: true, run_by: "Willow village committee" })).status, 200);
  await waitFor("the square streams", async () => (await village.call("GET", "/api/v1/cameras")).body?.[0]?.online, START, 1000);

  await en.goto(`${village.url}register`);
  await en.waitForSelector(".register-camera", { timeout: SHOWN });
  assert.equal((await en.textContent(".register-camera h2")).trim(), "The village square");
  assert.equal((await en.textContent(".register-camera .run-by")).trim(), "Willow village committee");
  assert.equal((await en.textContent(".register-camera .kept")).trim(), "14 days");
  await en.waitForFunction(() => document.querySelector(".register-picture")?.naturalWidth > 0, null, { timeout: SHOWN });
  const overflow = await en.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  assert.equal(await en.$("form.login"), null);

  const zh = await phone("zh-CN");
  await zh.goto(`${village.url}register`);
  await zh.waitForSelector(".register-camera", { timeout: SHOWN });
  assert.equal(await zh.evaluate(() => document.documentElement.lang), "zh-CN");
  assert.match(await zh.textContent(".register main h1"), /^公共摄像头/);
  assert.equal((await zh.textContent(".register-camera .kept")).trim(), "14 天");
});
