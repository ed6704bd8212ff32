// vigil's fragmented MP4 in Chromium's Media Source Extensions, the way the
// UI plays it: media/fmp4.h fragments of libx264 frames, and the HLS
// playback fragments of a range built by storage/fragmented.h across two
// recordings and a gap, appended to a SourceBuffer and played. Needs
// STORAGE_TOOL (vigil_storage_tool) and ffmpeg. H.265 is checked only where
// the browser decodes it (Debian's Chromium does not). Exits 77 (skipped)
// only when /usr/bin/chromium is missing.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM, launchChromium, tempDir } from "./lib.mjs";

if (!existsSync(CHROMIUM)) process.exit(77);
const TOOL = process.env.STORAGE_TOOL;
if (!TOOL) throw new Error("set STORAGE_TOOL to vigil_storage_tool");
const T0 = 1_800_000_000_000_000; // microseconds

function run(command, args) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${r.error ?? ""}${r.stderr}`);
  return r.stdout;
}
const lastJson = (out) => JSON.parse(out.trim().split("\n").pop());

function encode(dir, codec) {
  const path = join(dir, `in.${codec}`);
  const [encoder, format, paramsOption] =
    codec === "h264" ? ["libx264", "h264", "-x264-params"] : ["libx265", "hevc", "-x265-params"];
  run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "10", "-pix_fmt", "yuv420p",
    "-c:v", encoder, "-preset", "ultrafast", paramsOption, "keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error",
    "-f", format, "-y", path]);
  return path;
}

// Appends each buffer in turn, plays, and reports what the element saw.
async function playInMse(page, codec, buffers) {
  return page.evaluate(async ({ codec, buffers }) => {
    const mime = `video/mp4; codecs="${codec}"`;
    if (!MediaSource.isTypeSupported(mime)) return { supported: false };
    const video = document.createElement("video");
    video.muted = true;
    document.body.appendChild(video);
    const ms = new MediaSource();
    video.src = URL.createObjectURL(ms);
    await new Promise((r) => ms.addEventListener("sourceopen", r, { once: true }));
    const sb = ms.addSourceBuffer(mime);
    for (const b64 of buffers) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const failed = await new Promise((resolve) => {
        sb.addEventListener("updateend", () => resolve(false), { once: true });
        sb.addEventListener("error", () => resolve(true), { once: true });
        sb.appendBuffer(bytes);
      });
      if (failed) return { supported: true, error: video.error?.message ?? "SourceBuffer error" };
    }
    ms.endOfStream();
    await video.play();
    const start = performance.now();
    while (video.currentTime < 1 && !video.error && performance.now() - start < 20_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ranges = [];
    for (let i = 0; i < video.buffered.length; ++i) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
    return { supported: true, ranges, currentTime: video.currentTime, width: video.videoWidth,
             height: video.videoHeight, error: video.error?.message ?? null };
  }, { codec, buffers: buffers.map((b) => b.toString("base64")) });
}

function check(what, result, seconds) {
  const failures = [];
  if (result.error) failures.push(`error: ${result.error}`);
  if (result.ranges?.length !== 1) failures.push(`buffered ranges ${JSON.stringify(result.ranges)}, want one`);
  else if (Math.abs(result.ranges[0][1] - result.ranges[0][0] - seconds) > 0.05) {
    failures.push(`buffered ${JSON.stringify(result.ranges[0])}, want ${seconds} s`);
  }
  if (!(result.currentTime >= 1)) failures.push(`currentTime ${result.currentTime}: playback did not advance`);
  if (result.width !== 320 || result.height !== 240) failures.push(`size ${result.width}x${result.height}`);
  if (failures.length) throw new Error(`${what}: ${failures.join("; ")}`);
  console.log(`ok ${what}: ${JSON.stringify(result)}`);
}

const tmp = tempDir("vigil-fmp4-mse-");
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  for (const codec of ["h264", "h265"]) {
    const input = encode(tmp.path, codec);
    const codecArgs = ["--codec", codec];
    // Fragments of frames, one per GOP, after their init segment.
    const out = join(tmp.path, `frames-${codec}`);
    const info = lastJson(run(TOOL, ["fmp4", "--input", input, ...codecArgs, "--start", T0, "--frames", 250, "--out", out]));
    const framesResult = await playInMse(page, info.codec, [readFileSync(join(out, "frames.mp4"))]);
    if (!framesResult.supported) {
      console.log(`skip ${codec}: Chromium here does not decode ${info.codec}`);
      continue;
    }
    check(`${codec} fragments of frames`, framesResult, 10);

    // Recorded: two recordings back to back up to 80 s, a 30 s gap, then
    // 110-130 s: 100 s of video in 50 fragments, after one init segment.
    const data = join(tmp.path, `store-${codec}`);
    run(TOOL, ["write", "--data", data, "--stream", "gate", "--input", input, ...codecArgs, "--start", T0,
      "--frames", 100 * 25, "--gap-at", 80 * 25, "--gap-seconds", 30, "--commit-ms", 100]);
    const vod = join(data, "vod");
    const hls = lastJson(run(TOOL, ["hls", "--data", data, "--stream", "gate", "--start", T0,
      "--end", T0 + 200_000_000, "--out", vod]));
    if (hls.fragments !== 50 || hls.segments.length !== 3 || hls.inits !== 1 || hls.discontinuities !== 1) {
      throw new Error(`hls ${codec}: ${JSON.stringify(hls)}`);
    }
    const buffers = [readFileSync(join(vod, "init0.mp4"))];
    for (let i = 0; i < hls.fragments; ++i) buffers.push(readFileSync(join(vod, `${i}.m4s`)));
    check(`${codec} playback fragments across recordings and a gap`, await playInMse(page, info.codec, buffers), 100);
  }
} finally {
  await browser.close();
  tmp.remove();
}
