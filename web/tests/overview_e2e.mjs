// End to end, issue 18 item 2: a household (camera "door", a `vigil
// testcam` stream) linked to a village, both real `vigil serve` processes
// on loopback; the household shares the door with the village. The
// village's Overview page in Debian's headless Chromium shows its tiles,
// the online-rate chart (a uPlot canvas), the household's row and the
// door, sorts and narrows to the household, and offers the CSV, at phone
// (390x844), PC (1280x800) and TV (1920x1080, ?tv=1) sizes and in zh-CN.
// Run by CTest (web_overview_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/overview_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, exitUnlessChromiumAndUi, waitFor } from "./lib.mjs";
import { LINK_UP, linkedHousehold, logIn, testNodes } from "./nodes.mjs";

exitUnlessChromiumAndUi();
const nodes = testNodes("vigil-overview-e2e-");
const SHOWN = 30_000;

test("the village's overview renders with its chart at phone, PC and TV sizes and in Chinese", { timeout: 540_000 }, async () => {
  const { village, house } = await linkedHousehold(nodes);
  const shared = await house.call("PUT", "/api/v1/cameras/door/shares",
    [{ tier: "village", rights: ["live"], only_during_alarm: false, hours: null, expires_at: null }]);
  assert.equal(shared.status, 200, JSON.stringify(shared.body));
  await waitFor("the village's overview names the door, online", async () => {
    const { body } = await village.call("GET", "/api/v1/overview");
    return body?.cameras?.some((c) => c.id === "house1.door" && c.online) &&
      body.nodes.some((n) => n.id === "house1" && n.cameras_online === 1);
  }, LINK_UP);

  for (const [name, viewport, query, locale] of [
    ["phone", { width: 390, height: 844 }, "", "en-US"],
    ["PC", { width: 1280, height: 800 }, "", "en-US"],
    ["TV", { width: 1920, height: 1080 }, "?tv=1", "en-US"],
    ["PC in Chinese", { width: 1280, height: 800 }, "", "zh-CN"],
  ]) {
    nodes.browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await (await nodes.browser.newContext({ ignoreHTTPSErrors: true, viewport, locale })).newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await logIn(page, `${village.url}${query}`, "admin", village.password);
    const started = Date.now();
    await page.goto(`${village.url}${query}#/overview`);
    await page.waitForSelector(".overview-page .rate-chart canvas", { timeout: SHOWN });
    await page.waitForSelector('.overview-page tr.node-row[data-node="house1"]', { timeout: SHOWN });
    console.log(`${name}: overview with its chart shown in ${Date.now() - started} ms`);
    assert.equal(await page.locator(".overview-page .tile-figure").count(), 7, name);
    const chart = await page.locator(".overview-page .rate-chart canvas").boundingBox();
    assert.ok(chart && chart.width > 150 && chart.width <= viewport.width, `${name}: chart ${JSON.stringify(chart)}`);
    assert.ok(await page.locator('.overview-cameras a[href="#/camera/house1.door"]').count() >= 1, name);
    // Nothing wider than the screen: the tables read as cards on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${name}: ${overflow} px wider than the screen`);
    if (locale === "zh-CN") {
      assert.equal((await page.textContent('.bar nav a[href="#/overview"]')).trim(), "总览");
      assert.ok((await page.textContent(".overview-page h2")).includes("总览"));
    } else {
      assert.equal((await page.textContent('.bar nav a[href="#/overview"]')).trim(), "Overview");
    }
    assert.equal(await page.getAttribute(".overview-page a.download", "href"), "/api/v1/overview.csv");
    if (name === "PC") {
      // Sorted by name, then narrowed to the household.
      await page.locator('.overview-page table.overview-nodes th button.sort:has-text("Name")').last().click();
      await page.selectOption(".overview-page select", "house1");
      await page.waitForSelector(".overview-page .figures .tile-figure.nodes .value:has-text('1')", { timeout: SHOWN });
      assert.equal(await page.getAttribute(".overview-page a.download", "href"), "/api/v1/overview.csv?under=house1");
      const csv = await page.request.get(`${village.url}api/v1/overview.csv?under=house1`);
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /^kind,id,node,name,/);
    }
    assert.deepEqual(errors, [], `${name}: page errors`);
    await page.context().close();
  }
});
