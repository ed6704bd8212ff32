// The Overview page in Debian's headless Chromium, for bench/overview.py:
// logs into a running node (--url, --password), loads #/overview --loads
// times and, as a peer in the same run, #/network (its children listed);
// prints one JSON line {"overview": [ms...], "network": [ms...], "rows": N, "nodes": N}:
// ms from navigation start until the chart is drawn and the node table
// shows its rows (every node's, or its first page of them: `rows` of
// `nodes`); the network page: every child's row.
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
    const nodes = Number(document.querySelector(".overview-page .tile-figure.nodes .value")?.textContent);
    const table = document.querySelectorAll(".overview-page table.overview-nodes")[1];
    const rows = table?.querySelectorAll("tbody tr").length;
    // Every node's row, or the first page and the button for more.
    const all = rows === nodes || (rows > 0 && Number(table.dataset.rows) === nodes && document.querySelector(".overview-page .more-rows"));
    return canvas && nodes > 0 && all;
  });
  const [rows, nodes] = await page.evaluate(() => [
    document.querySelectorAll(".overview-page table.overview-nodes")[1].querySelectorAll("tbody tr").length,
    Number(document.querySelector(".overview-page .tile-figure.nodes .value").textContent),
  ]);
  // Every child's row: the overview's nodes but this one.
  const network = await times("#/network", (children) => document.querySelectorAll(".link-children tr[data-child]").length >= children,
    nodes - 1);
  console.log(JSON.stringify({ overview, network, rows, nodes }));
} finally {
  await chromium.close();
}
