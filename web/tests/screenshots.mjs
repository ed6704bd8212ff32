// Screenshots of the web UI for the README, into docs/*.png: the grid, the
// camera view with its timeline, the phone layout (390x844) and TV mode
// (1920x1080: the grid and the camera view). Not run by CI. Starts its own `vigil demo`:
//   VIGIL_BIN=build/release/src/app/vigil node web/tests/screenshots.mjs
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO, clickTimelineAt, launchChromium, login, startDemo, waitFor } from "./lib.mjs";

const DOCS = join(REPO, "docs");
mkdirSync(DOCS, { recursive: true });

const demo = await startDemo({ cameras: 4, startTimeoutMs: 900_000 });
const browsers = [];
try {
  const ui = (path = "") => new URL(path, demo.url).href;

  // Tiles playing, or showing why not, before each picture.
  const settle = async (page) => {
    await waitFor("tiles to settle", async () =>
      page.$$eval(".video-box", (boxes) =>
        boxes.every((b) => b.querySelector("video").videoWidth > 0 || b.querySelector(".overlay:not(.connecting)")),
      ), 60_000).catch(() => {});
    await page.waitForTimeout(1500);
  };

  async function open(options) {
    const b = await launchChromium(options);
    browsers.push(b);
    const page = await b.context.newPage();
    await login(page, ui(), demo.password);
    return page;
  }

  // A few minutes of recordings make a timeline worth showing.
  const seconds = Number(process.env.RECORD_SECONDS ?? 150);
  console.log(`recording ${seconds} s before the camera view...`);

  const pc = await open({ viewport: { width: 1280, height: 800 } });
  await pc.waitForSelector(".tile");
  await settle(pc);
  await pc.screenshot({ path: join(DOCS, "grid.png") });

  const tv = await open({ viewport: { width: 1920, height: 1080 } });
  await tv.goto(ui("?tv=1#/"));
  await tv.waitForSelector("html.tv .grid.layout-6 .tile");
  await settle(tv);
  await tv.screenshot({ path: join(DOCS, "tv.png") });

  await pc.goto(ui("#/audit"));
  await pc.waitForSelector("table.audit");
  await pc.screenshot({ path: join(DOCS, "audit.png") });

  await new Promise((r) => setTimeout(r, seconds * 1000));
  await pc.goto(ui("#/camera/cam-1"));
  await pc.waitForSelector(".camera-page");
  // Zoom to the last 15 minutes, then play back from a minute ago.
  for (let i = 0; i < 6; i++) await pc.click('button[aria-label="Zoom in"]');
  await pc.click('button[aria-label="Zoom out"]');
  await clickTimelineAt(pc, Date.now() - 60_000);
  await settle(pc);
  await pc.screenshot({ path: join(DOCS, "camera.png") });

  // TV mode's camera view, opened and zoomed with the keyboard alone; the
  // focus back on −10 s, where it lands when the view opens.
  await tv.goto(ui("?tv=1#/"));
  await tv.waitForSelector("html.tv .grid.layout-6 .tile:focus");
  await tv.keyboard.press("Enter");
  await tv.waitForSelector(".camera-page .controls button:focus");
  await tv.keyboard.press("ArrowRight");
  for (let i = 0; i < 6; i++) await tv.keyboard.press("Enter");
  await tv.keyboard.press("ArrowLeft");
  await settle(tv);
  await tv.screenshot({ path: join(DOCS, "tv-camera.png") });

  const phone = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(ui("#/camera/cam-2"));
  await phone.waitForSelector(".camera-page");
  await settle(phone);
  await phone.screenshot({ path: join(DOCS, "phone.png"), fullPage: true });
  console.log(`screenshots in ${DOCS}: grid.png camera.png phone.png tv.png tv-camera.png audit.png`);
} finally {
  for (const b of browsers) await b.close();
  await demo.stop();
}
