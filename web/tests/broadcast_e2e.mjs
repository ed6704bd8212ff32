// End to end, issue 15 item 5 (应急广播): emergency broadcasts and notices,
// with two real `vigil serve` processes on loopback (a household linked to
// a village over TLS) and each node's UI in Debian's headless Chromium:
// - the village's operator writes an urgent notice in Chinese and English
//   on the Broadcasts page, records a voice message with the microphone
//   (Chromium's fake one) and sends it to every household;
// - the household's TV (TV mode, logged in without a click, so the
//   browser blocks sound) is taken over by it: its text large and
//   rendered with real CJK glyphs, the sender, the page behind inert, "press
//   any key … to hear it"; OK turns the sound on without dismissing (the
//   voice message plays, then the attention beeps); Back dismisses it and
//   tells the node it was seen; the household's phone showed it over its
//   whole screen too, and drops it once read on the TV;
// - the village's page shows 1 targeted · 1 delivered · 1 seen, and house1
//   in the notice's list of households;
// - the village's admin sends a normal notice to house1 chosen from the
//   linked nodes: the household's menu says "1 new", nothing takes the
//   screen, and opening Notices shows it and marks it seen.
// Run by CTest (web_broadcast_e2e) with VIGIL_BIN set, or:
// VIGIL_BIN=build/debug/src/app/vigil node web/tests/broadcast_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, exitUnlessChromiumAndUi, waitFor } from "./lib.mjs";
import { linkedHousehold, logIn, testNodes } from "./nodes.mjs";

exitUnlessChromiumAndUi();
const NOTICE_UP = 30_000; // a notice down to the household, a receipt back up: loose

const URGENT = "应急广播：今晚有暴雨，请留在家中。Storm warning: stay indoors tonight.";
const NORMAL = "明天上午停水 Water is off tomorrow 9:00-12:00";

const nodes = testNodes("vigil-broadcast-e2e-");

async function received(house, id) {
  const { status, body } = await house.call("GET", "/api/v1/broadcasts");
  assert.equal(status, 200, JSON.stringify(body));
  return body.find((b) => b.id === id && b.direction === "received");
}

// Sends the notice written on `page`'s Broadcasts form; returns its id.
async function send(page) {
  const posted = page.waitForResponse((r) => r.url().endsWith("/api/v1/broadcasts") && r.request().method() === "POST", { timeout: NOTICE_UP });
  await page.click(".send-notice button.send");
  const answer = await posted;
  assert.equal(answer.status(), 201, await answer.text());
  await page.waitForSelector(".send-notice .notice:has-text('Sent.')");
  return (await answer.json()).id;
}

test("an urgent notice takes over the household's TV until Back, a normal one waits in its list; the village sees the receipts", { timeout: 580_000 }, async () => {
  const { village, house } = await linkedHousehold(nodes);
  const created = await village.call("POST", "/api/v1/users", { id: "op1", role: "operator", password: "op1 password", cameras: [] });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  // Chromium's default autoplay policy (lib.mjs lifts it): the TV must ask
  // for a key. A fake microphone (a beep) that needs no permission prompt.
  const args = [
    ...CHROMIUM_ARGS.filter((a) => !a.startsWith("--autoplay-policy")),
    "--autoplay-policy=document-user-activation-required",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
  ];
  const browser = (nodes.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 60_000 }));
  // One context per user: both nodes are 127.0.0.1, and cookies ignore the port.
  const newPage = async (options = {}) => {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, ...options })).newPage();
    page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
    return page;
  };

  // The household's TV, logged in through the API and left alone: a click
  // or any Playwright probe (they count as user gestures) would let sound
  // play. Its first poll of the notices says it is up.
  const viewport = { width: 1920, height: 1080 };
  const tv = await newPage({ viewport });
  const session = await tv.context().request.post(`${house.url}api/v1/login`, { data: { user: "admin", password: house.password } });
  assert.equal(session.status(), 200, await session.text());
  const polling = tv.waitForRequest((r) => r.url().endsWith("/api/v1/broadcasts"), { timeout: 60_000 });
  await tv.goto(`${house.url}?tv=1#/`);
  await polling;
  // The household's phone, logged in from its page (sound allowed).
  const phone = await newPage({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await logIn(phone, house.url, "admin", house.password);

  // The TV's ask for the voice message, whenever it comes (the notice may
  // reach the household before the desk's page says "Sent.").
  const voiceAsked = tv.waitForRequest((r) => /\/api\/v1\/broadcasts\/[0-9a-f]{32}\/audio$/.test(r.url()), { timeout: 180_000 });

  // The village's operator: an urgent notice with a recorded voice message, to all.
  const desk = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(desk, `${village.url}#/broadcasts`, "op1", "op1 password");
  assert.ok(await desk.isVisible('nav a[href="#/broadcasts"]'), "the village's operator has the Broadcasts page");
  await desk.fill('.send-notice textarea[name="text"]', URGENT);
  await desk.check('input[name="priority"][value="urgent"]');
  await desk.click(".voice button.record");
  await desk.waitForSelector('.voice[data-recording="1"] .recording:has-text("Recording")');
  await desk.waitForTimeout(1_500);
  await desk.click(".voice button.stop-recording");
  await desk.waitForSelector('.voice[data-recording="0"] .voice-chosen[data-type="audio/webm"]');
  const id = await send(desk);

  // The TV: taken over, the voice message asked for, the sound blocked.
  assert.ok((await voiceAsked).url().endsWith(`/api/v1/broadcasts/${id}/audio`));
  const over = `.notice-takeover[data-notice="${id}"]`;
  await tv.waitForSelector(over);
  const box = await tv.locator(over).boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, viewport.width, viewport.height], "the notice covers the whole screen");
  assert.equal(await tv.textContent(`${over} .notice-text`), URGENT);
  assert.match(await tv.textContent(`${over} .notice-from`), /^From village1, /);
  // On the phone too, the whole screen.
  await phone.waitForSelector(over, { timeout: NOTICE_UP });
  const onPhone = await phone.locator(over).boundingBox();
  assert.deepEqual([onPhone.x, onPhone.y, onPhone.width, onPhone.height], [0, 0, 390, 844], "the notice covers the phone's screen");
  assert.equal(await phone.textContent(`${over} .notice-text`), URGENT);
  assert.ok(await tv.$eval(".app", (el) => el.inert), "the page behind is inert");
  assert.match(await tv.textContent(`${over} .enable-sound`), /press any key or tap the screen to hear it/i);
  assert.equal(await tv.getAttribute("html", "data-notice-sound"), "suspended");
  assert.equal(await tv.getAttribute(`${over} audio`, "data-state"), "blocked");
  // Real glyphs: two different characters missing from every font draw the same box.
  const glyphs = await tv.$eval(`${over} .notice-text`, (el) => {
    const draw = (ch) => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      const g = canvas.getContext("2d");
      g.font = `48px ${getComputedStyle(el).fontFamily}`;
      g.fillText(ch, 4, 52);
      return canvas.toDataURL();
    };
    return { ying: draw("应"), ji: draw("急"), blank: draw(" ") };
  });
  assert.notEqual(glyphs.ying, glyphs.ji, "应 and 急 render alike: no CJK font");
  assert.notEqual(glyphs.ying, glyphs.blank, "应 renders as nothing");

  // OK (Enter) on the remote turns the sound on and dismisses nothing: the
  // voice message plays through, then the attention beeps ring.
  await tv.keyboard.press("Enter");
  await waitFor("the notice's sound running", async () => (await tv.getAttribute("html", "data-notice-sound")) === "running", 10_000);
  await waitFor("the voice message played through", async () => (await tv.getAttribute(`${over} audio`, "data-state")) === "ended", 20_000);
  await waitFor("an attention beep", async () => Number(await tv.getAttribute("html", "data-notice-beeps")) > 0, 10_000);
  assert.ok(await tv.isVisible(over), "OK dismissed the notice");
  assert.ok(!(await received(house, id)).seen_at, "seen before it was dismissed");

  // Back dismisses it, and the node is told.
  const seen = tv.waitForRequest((r) => r.url().endsWith(`/api/v1/broadcasts/${id}/seen`) && r.method() === "POST", { timeout: 10_000 });
  await tv.keyboard.press("Escape");
  await seen;
  await tv.waitForSelector(over, { state: "detached" });
  assert.equal(await tv.$eval(".app", (el) => el.inert), false);
  assert.ok((await received(house, id)).seen_at, "the household's node has it seen");
  // Read on one screen: gone from the others at their next poll.
  await phone.waitForSelector(over, { state: "detached", timeout: NOTICE_UP });

  // The village: 1 targeted, 1 delivered, 1 seen; house1 in its households.
  const sent = `.sent-notice[data-notice="${id}"]`;
  await desk.waitForSelector(`${sent} .receipts[data-targeted="1"][data-delivered="1"][data-seen="1"]`, { timeout: NOTICE_UP });
  assert.match(await desk.textContent(`${sent} .receipts`), /1 targeted · 1 delivered · 1 seen/);
  await desk.click(`${sent} button.households-toggle`);
  await desk.waitForSelector(`${sent} tr[data-node="house1"][data-delivered="1"][data-seen="1"]`, { timeout: NOTICE_UP });

  // The village's admin: a normal notice to house1, chosen from the linked nodes.
  const admin = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(admin, `${village.url}#/broadcasts`, "admin", village.password);
  await admin.fill('.send-notice textarea[name="text"]', NORMAL);
  await admin.check('input[name="to"][value="chosen"]');
  await admin.check('input[name="child"][value="house1"]');
  const normal = await send(admin);

  // The household: "1 new" in the menu, the screen left alone.
  await tv.waitForSelector('nav a[href="#/notices"] .badge.unseen-notices:has-text("1 new")', { timeout: NOTICE_UP });
  assert.equal(await tv.$(".notice-takeover"), null, "a normal notice took over the screen");
  assert.ok(!(await received(house, normal)).seen_at, "seen before it was shown");
  // Opened: listed as new, and seen.
  await tv.evaluate(() => (location.hash = "#/notices"));
  const item = `.notice-item[data-notice="${normal}"]`;
  await tv.waitForSelector(`${item}.new .notice-text:has-text("${NORMAL}")`);
  await tv.waitForSelector(`.notice-item[data-notice="${id}"]:not(.new)`);
  await waitFor("the normal notice seen at the household", async () => (await received(house, normal)).seen_at, NOTICE_UP);
  await tv.waitForSelector('nav a[href="#/notices"] .badge', { state: "detached", timeout: NOTICE_UP });
  await admin.waitForSelector(`.sent-notice[data-notice="${normal}"] .receipts[data-targeted="1"][data-delivered="1"][data-seen="1"]`, { timeout: NOTICE_UP });
});
