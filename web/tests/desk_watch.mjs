// The duty desk in Debian's headless Chromium, for bench/alarm.py: logs in
// at --url, opens #/desk and prints a line `seen ID MS` the moment each
// alarm first shows on the page (MS: the page's Date.now(), the same clock
// as the bench's time.time() on this machine). Prints `ready` once the
// desk is up. Runs until its stdin closes (the bench stops it by PID too).
//   node web/tests/desk_watch.mjs --url https://127.0.0.1:PORT/ --password P
import { parseArgs } from "node:util";
import { launchChromium, logIn } from "./lib.mjs";

const { values } = parseArgs({ options: { url: { type: "string" }, user: { type: "string", default: "admin" }, password: { type: "string" } } });

const chromium = await launchChromium({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
try {
  const page = await chromium.context.newPage();
  await page.exposeFunction("vigilSeen", (id, ms) => console.log(`seen ${id} ${ms}`));
  await logIn(page, values.url, values.user, values.password);
  await page.goto(new URL("#/desk", values.url).href);
  await page.waitForSelector(".desk-page", { timeout: 60_000 });
  await page.evaluate(() => {
    const seen = new Set();
    const look = () => {
      for (const el of document.querySelectorAll("article.desk-alarm[data-alarm]")) {
        const id = el.getAttribute("data-alarm");
        if (seen.has(id)) continue;
        seen.add(id);
        window.vigilSeen(id, Date.now());
      }
    };
    new MutationObserver(look).observe(document.body, { childList: true, subtree: true });
    look();
  });
  console.log("ready");
  await new Promise((resolve) => {
    process.stdin.on("end", resolve);
    process.stdin.on("close", resolve);
    process.stdin.resume();
  });
} finally {
  await chromium.close();
}
