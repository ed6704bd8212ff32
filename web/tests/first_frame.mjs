// Time to the first live frame in Debian's headless Chromium, for
// bench/first_frame.py: starts `vigil demo` (VIGIL_BIN) with --cameras N,
// logs in, loads the grid --loads times and prints one JSON line
// {"cameras": N, "loads": L, "ms": [...]} (sorted, ms from navigation start
// to the first decoded frame of any tile).
//   VIGIL_BIN=build/release/src/app/vigil node web/tests/first_frame.mjs --cameras 4 --loads 20
import { parseArgs } from "node:util";
import { firstFrameTimes, launchChromium, login, startDemo } from "./lib.mjs";

const { values } = parseArgs({ options: { cameras: { type: "string", default: "4" }, loads: { type: "string", default: "20" } } });
const cameras = Number(values.cameras);
const loads = Number(values.loads);

const demo = await startDemo({ cameras, startTimeoutMs: 600_000 });
let chromium;
try {
  chromium = await launchChromium({ viewport: { width: 1280, height: 800 } });
  const page = await chromium.context.newPage();
  await login(page, demo.url, demo.password);
  // The grid shows at most 4 tiles by default.
  const ms = await firstFrameTimes(page, demo.url, Math.min(cameras, 4), loads);
  console.log(JSON.stringify({ cameras, loads, ms }));
} finally {
  await chromium?.close();
  await demo.stop();
}
