// A household linked to a village over TLS on loopback, for the web tests
// that need both (looks, alarms): testcam, the two `vigil serve` nodes of
// lib.mjs (ServeNode), the household joined and connected. Every process
// is stopped by its PID (nodesRun).
import { Child, ServeNode, freePort, vigilBinary, waitFor } from "./lib.mjs";

export { logIn, nodesRun as testNodes } from "./lib.mjs";

// Sanitized builds on a shared machine start slowly: loose bounds.
export const START = 180_000;
export const LINK_UP = 60_000;

// testcam, then a village and a household (camera "door", testcam's
// stream; `record` as in its [[camera]] table) joined to it and
// connected, in `nodes` (nodesRun) to be stopped; `audio`: testcam's
// --audio (aac, pcma, pcmu), none by default. Returns { village, house }.
export async function linkedHousehold({ tmp, started }, { record = "off", audio } = {}) {
  const root = tmp.path;
  const testcam = new Child(vigilBinary(), ["testcam", "--listen", "127.0.0.1:0", ...(audio ? ["--audio", audio] : [])]);
  started.push(testcam);
  const camUrl = (await testcam.waitForOutput(/at (rtsp:\/\/127\.0\.0\.1:\d+)\/cam\/0/, START))[1] + "/cam/0";

  const village = new ServeNode(root, "village1", "village", await freePort());
  const house = new ServeNode(root, "house1", "household", await freePort(),
    `\n[[camera]]\nid = "door"\nname = "The door"\nurl = "${camUrl}"\nrecord = "${record}"\n`);
  started.push(village);
  await village.start();
  const code = village.link("invite", "--name", "House 1").trim().split("\n").at(-1);
  house.link("join", "--parent", village.url.replace(/\/$/, ""), "--code", code);
  started.push(house);
  await house.start();
  await waitFor("the village's link to house1", async () => {
    const { body } = await village.call("GET", "/api/v1/link");
    return body?.children?.some((c) => c.id === "house1" && c.state === "connected");
  }, LINK_UP);
  return { village, house };
}
