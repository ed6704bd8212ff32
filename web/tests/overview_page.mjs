// The Overview page in Debian's headless Chromium, for bench/overview.py:
// logs into a running node (--url, --password), loads #/overview --loads
// times and, as a peer in the same run, #/network (its children listed);
// prints one JSON line {"overview": [ms...], "network": [ms...], "rows": N}:
// ms from navigation start until the chart is drawn and every node's row
// is in the table (the network page: every child's row).
//   node web/tests/overview_page.mjs --url https://127.0.0.1:PORT/ --password PW --loads 10
import { parseArgs } from "node:util";
import { launchChromium, login } from "./lib.mjs";

const { values } = parseArgs({
  options: { url: { type: "string" }, password: { type: "string" }, loads: { type: "string", default: "10" } },
});
const loads = Number(values.loads);
const chromium = await launchChromium({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
try {
  const page = await chromium.context.newPage();
  await login(page, values.url, values.password);
  const times = async (hash, ready, arg = null) => {
    const ms = [];
    for (let i = 0; i < loads; i++) {
      await page.goto("about:blank");
      const start = Date.now();
      await page.goto(`${values.url}${hash}`);
      await page.waitForFunction(ready, arg, { timeout: 120_000, polling: 50 });
      ms.push(Date.now() - start);
    }
    return ms.sort((a, b) => a - b);
  };
  const overview = await times("#/overview", () => {
    const canvas = document.querySelector(".overview-page .rate-chart canvas");
    const shown = Number(document.querySelector(".overview-page .tile-figure.nodes .value")?.textContent);
    const rows = document.querySelectorAll(".overview-page table.overview-nodes")[1]?.querySelectorAll("tbody tr").length;
    return canvas && shown > 0 && rows === shown;
  });
  const rows = await page.evaluate(() => document.querySelectorAll(".overview-page table.overview-nodes")[1].querySelectorAll("tbody tr").length);
  // Every child's row: the overview's rows but this node's.
  const network = await times("#/network", (children) => document.querySelectorAll(".link-children tr[data-child]").length >= children,
    rows - 1);
  console.log(JSON.stringify({ overview, network, rows }));
} finally {
  await chromium.close();
}
