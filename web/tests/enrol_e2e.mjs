// End to end, issue 14 (the tier link): enrolment from the web UI. Two
// real `vigil serve` processes on loopback with self-signed certificates, a
// village and a household, and the web UI of each in Debian's headless
// Chromium. The village's admin invites "House 1" on its Network page; the
// QR code, decoded by zbarimg (an independent decoder) from a screenshot,
// is the shown address and code; the household's admin pastes that text
// on its own Network page and joins; restarted in place, the household connects and
// the village's page shows it connected; removed from the village's page,
// the household's page shows the link refused. Run by CTest
// (web_enrol_e2e) with VIGIL_BIN set, or:
//   VIGIL_BIN=build/debug/src/app/vigil node web/tests/enrol_e2e.mjs
//
// Exits 77 (CTest's "skipped") only when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { ServeNode, exitUnlessChromiumAndUi, freePort, logIn, nodesRun, waitFor } from "./lib.mjs";

exitUnlessChromiumAndUi();
// Loose bounds: sanitized builds on a shared machine are slow. The page polls every 5 s.
const LINK_UP = 60_000;

const run = nodesRun("vigil-enrol-e2e-");

test("a household joins a village from the web UI with the village's QR code", { timeout: 540_000 }, async () => {
  const village = new ServeNode(run.tmp.path, "village1", "village", await freePort());
  const house = new ServeNode(run.tmp.path, "house1", "household", await freePort());
  run.started.push(village, house);
  await village.start();
  await house.start();

  const parent = await run.page();
  const child = await run.page();

  // The village's admin invites a household.
  await logIn(parent, village.url, "admin", village.password);
  await parent.click('nav a[href="#/network"]');
  await parent.waitForSelector(".network-page .link-invite");
  assert.match(await parent.textContent(".network-page .self"), /a village\./);
  const origin = village.url.replace(/\/$/, "");
  assert.equal(await parent.inputValue('.invite-form input[name="url"]'), origin, "the https origin by default");
  assert.equal(await parent.inputValue('.invite-form select[name="expires"]'), "24h");
  await parent.fill('.invite-form input[name="name"]', "House 1");
  await parent.click('.invite-form button[type="submit"]');
  const code = (await (await parent.waitForSelector(".invitation .invite-code")).textContent()).trim();
  assert.match(code, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  const shown = await parent.inputValue('.invitation input[name="qr-text"]');
  assert.equal(shown, `vigil-join:${origin}#${code}`);
  await parent.waitForSelector('.link-invites tr:has-text("House 1")');

  // The QR code, read by another decoder from the pixels on screen.
  const png = join(run.tmp.path, "qr.png");
  await (await parent.$("svg.qr")).screenshot({ path: png });
  const decoded = execFileSync("zbarimg", ["--quiet", "--raw", png], { encoding: "utf8" }).trim();
  assert.equal(decoded, shown);

  // The household's admin pastes it and joins.
  await logIn(child, house.url, "admin", house.password);
  await child.goto(`${house.url}#/network`);
  await child.waitForSelector(".join-form");
  assert.equal(await child.$(".link-invite"), null, "a household invites no one");
  await child.fill('.join-form textarea[name="pasted"]', decoded);
  assert.equal(await child.inputValue('.join-form input[name="parent"]'), origin);
  assert.equal(await child.inputValue('.join-form input[name="code"]'), code);
  await child.click('.join-form button[type="submit"]');
  const joined = await child.waitForSelector('.network-page .notice:has-text("Joined the village")', { timeout: 60_000 });
  assert.match(await joined.textContent(), /"Node village1"\. vigil is restarting on this box/);
  // The invitation is used: no longer open at the village.
  await parent.waitForSelector('.link-invites tr:has-text("House 1")', { state: "detached", timeout: 30_000 });

  // Restarted in place, the household dials the village: connected on both
  // pages, the household's without a reload or a new login.
  await parent.waitForSelector('.link-children tr[data-child="house1"][data-state="connected"]', { timeout: LINK_UP });
  await child.waitForSelector('.link-state[data-state="connected"]', { timeout: LINK_UP });
  assert.equal(await child.$(".network-page [role=alert]"), null, "no error shown while the household restarted");
  assert.match(await child.textContent(".link-state dt"), /Node village1 \(village1\), at https:\/\/127\.0\.0\.1:\d+/);

  // Removed from the village's page (after a confirmation): the link ends.
  await parent.click('.link-children tr[data-child="house1"] button:has-text("Remove")');
  assert.match(await parent.textContent('.link-children tr[data-child="house1"] .confirm'), /Remove house1\?/);
  await parent.click('.link-children tr[data-child="house1"] button:has-text("Yes, remove")');
  await parent.waitForSelector('.network-page .notice:has-text("house1 was removed.")');
  await parent.waitForSelector('.link-children tr[data-child="house1"]', { state: "detached", timeout: 10_000 });
  await child.waitForSelector('.link-state[data-state="retrying"]', { timeout: LINK_UP });
  await waitFor("the removal's reason on the household's page", async () =>
    /removed by this parent's admin/.test(await child.textContent(".link-state .reason")), LINK_UP);
});
