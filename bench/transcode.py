#!/usr/bin/env python3
"""Browser transcodes (issue 17 item 5; design/ARCHITECTURE.md, "Browser
transcodes"): what an H.265 camera transcoded for browsers costs.

1. CPU per transcoded 1080p H.265 camera at the capped size: `vigil-mask-bench
   --h265 --no-mask --max-width 1280` pushes a 1920x1080 H.265 file, looped,
   through one `mask::VideoMasker` with no mask (what a transcode runs), as
   fast as one thread goes; floor in the same run: one ffmpeg doing the same
   decode, scale and encode, `ffmpeg -threads 1 -i scene.hevc -vf
   scale=1280:-2:flags=fast_bilinear -c:v libx264 -preset ultrafast -tune
   zerolatency -threads 1 -f null -`.
2. Viewers per transcode: `vigil serve` with one 1920x1080 H.265 testcam
   camera (15 fps), `vigil-live-load` opening 0, 1 and 3 WebSockets on its
   `/live?codec=h264`; the node's CPU over --seconds each.
3. Time to first frame in Chromium: web/tests/h265_first_frame.mjs loads
   the camera page of an H.265 camera (transcoded) and of an H.264 one of
   the same size (the floor: no transcode) --loads times each.

  bench/transcode.py --build build/release --serve-build build/debug [--seconds 20] [--loads 5] [--runs 1]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (ROOT, arguments, command_line, cpu_seconds, ffmpeg_encode_cpu, mask_bench,  # noqa: E402
                      serve_logged_in, spread, start, stop, vigil_binary, write_section)

FPS = 15


def make_scene(d, seconds):
    """A moving test pattern, 1920x1080 H.265 (no B-frames, a keyframe every 2 s)."""
    path = os.path.join(d, "scene-1080p.hevc")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1920x1080:rate={FPS}", "-t", str(seconds), "-c:v", "libx265", "-preset",
                    "veryfast", "-x265-params", f"bframes=0:keyint={2 * FPS}:min-keyint={2 * FPS}:log-level=error",
                    "-pix_fmt", "yuv420p", "-f", "hevc", path], check=True)
    return path


def transcode_cpu(build, scene, loops):
    """(vigil CPU s per frame, ffmpeg CPU s per frame)."""
    m = mask_bench(build, scene, "--h265", "--no-mask", "--max-width", "1280", "--input-fps", str(FPS),
                   "--loops", str(loops))
    ffmpeg = ffmpeg_encode_cpu(scene, "scale=1280:-2:flags=fast_bilinear", loops)
    return m["cpu_seconds"] / m["frames"], ffmpeg / m["frames"]


def metric_transcodes(base, token):
    req = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return len(re.findall(r"^vigil_live_browser_transcode\{", r.read().decode(), re.M))


def viewers_cpu(serve_build, seconds):
    """{viewers: (node CPU % of a core, fragments received per viewer per s)} for 0, 1 and 3 viewers."""
    vigil = vigil_binary(serve_build)
    load = os.path.join(serve_build, "bench", "vigil-live-load")
    testcam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--codec", "h265", "--size", "1920x1080",
                           "--fps", str(FPS), "--gop", str(2 * FPS), "--loop-seconds", "4"], r"at (rtsp://\S+)/cam/0")
    serve = None
    out = {}
    try:
        with tempfile.TemporaryDirectory(prefix="vigil-transcode-") as d:
            config = os.path.join(d, "vigil.toml")
            with open(config, "w") as f:
                f.write(f'[node]\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:0"\n'
                        f'[transcode]\nmax_width = 1280\n[[camera]]\nid = "c0"\nurl = "{base}/cam/0"\nrecord = "off"\n')
            serve, http, token = serve_logged_in(vigil, config)
            time.sleep(5)
            for viewers in (0, 1, 3):
                before = cpu_seconds(serve.pid)
                t0 = time.monotonic()
                fragments = 0
                if viewers:
                    r = subprocess.run([load, "--token", token, "--viewers", str(viewers), "--seconds", str(seconds),
                                        http.replace("http:", "ws:") + "/api/v1/cameras/c0/live?codec=h264"],
                                       capture_output=True, text=True, timeout=seconds + 120)
                    if r.returncode != 0 or not r.stdout.strip():
                        raise SystemExit(f"vigil-live-load failed: {r.stderr[-2000:]}")
                    fragments = json.loads(r.stdout.strip().splitlines()[-1])["fragments"]
                else:
                    time.sleep(seconds)
                elapsed = time.monotonic() - t0
                cpu = (cpu_seconds(serve.pid) - before) / elapsed * 100
                out[viewers] = (cpu, fragments / max(1, viewers) / elapsed)
                print(f"{viewers} viewers: node {cpu:.1f}% of a core, {out[viewers][1]:.1f} fragments/s each",
                      file=sys.stderr)
                # The transcode stops after its last viewer: the next window starts cold.
                deadline = time.time() + 30
                while metric_transcodes(http, token) and time.time() < deadline:
                    time.sleep(0.2)
    finally:
        if serve:
            stop(serve)
        stop(testcam)
    return out


def first_frames(serve_build, loads):
    env = dict(os.environ, VIGIL_BIN=vigil_binary(os.path.abspath(serve_build)))
    r = subprocess.run(["node", os.path.join(ROOT, "web", "tests", "h265_first_frame.mjs"), "--loads", str(loads)],
                       env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"h265_first_frame.mjs failed ({r.returncode}): {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--serve-build", default=None, help="the build whose vigil serves (default: --build)")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--scene-seconds", type=int, default=10)
    ap.add_argument("--loops", type=int, default=2)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    serve_build = a.serve_build or a.build
    d = tempfile.mkdtemp(dir=a.dir, prefix="vigil-transcode-")
    try:
        scene = make_scene(d, a.scene_seconds)
        vigil, ffmpeg = [], []
        for _ in range(a.runs):
            v, f = transcode_cpu(a.build, scene, a.loops)
            vigil.append(v)
            ffmpeg.append(f)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    views = [viewers_cpu(serve_build, a.seconds) for _ in range(a.runs)]
    frames = first_frames(serve_build, a.loads)

    rows = ["| what | vigil | floor / peer in the same run | ratio |", "| --- | ---: | ---: | ---: |"]
    rows.append(f"| 1920x1080 H.265 -> 1280x720 H.264, ms CPU per frame (one thread) | "
                f"{spread([v * 1000 for v in vigil], 2)} | ffmpeg {spread([f * 1000 for f in ffmpeg], 2)} | "
                f"{spread([v / f for v, f in zip(vigil, ffmpeg)], 2)} |")
    rows.append(f"| the same as a share of a core per camera at {FPS} fps | "
                f"{spread([v * FPS * 100 for v in vigil], 1, '%')} | ffmpeg "
                f"{spread([f * FPS * 100 for f in ffmpeg], 1, '%')} | - |")
    t1 = [r[1][0] - r[0][0] for r in views]
    t3 = [r[3][0] - r[0][0] for r in views]
    rows.append(f"| node CPU for the transcode, 3 viewers vs 1 (% of a core over the idle node's, {serve_build}) | "
                f"3: {spread(t3, 1, '%')} | 1: {spread(t1, 1, '%')} | {spread([x / y for x, y in zip(t3, t1)], 2)} |")
    rows.append(f"| fragments per viewer per second, 3 viewers vs 1 | {spread([r[3][1] for r in views], 1)} | "
                f"{spread([r[1][1] for r in views], 1)} | - |")
    h265 = frames["h265_ms"]
    h264 = frames["h264_ms"]
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    rows.append(f"| first frame of the camera page in Chromium, median of {len(h265)} loads (ms): H.265 transcoded "
                f"vs H.264 as sent, 1920x1080 | {med(h265):.0f} | {med(h264):.0f} | {med(h265) / med(h264):.2f} |")
    write_section(
        a.results, "transcode", "Browser transcodes: H.265 cameras in Chromium",
        command_line("transcode.py", a.build, f"--serve-build {os.path.relpath(serve_build, ROOT)} "
                                              f"--seconds {a.seconds} --loads {a.loads} --runs {a.runs}"),
        f"CPU: a {a.scene_seconds} s 1920x1080 H.265 test pattern at {FPS} fps (libx265, no B-frames, a keyframe "
        f"every 2 s), looped {a.loops} times through `vigil-mask-bench --h265 --no-mask --max-width 1280` (one "
        f"`mask::VideoMasker`: what a browser transcode runs) and through `ffmpeg -threads 1 -i scene.hevc -vf "
        f"scale=1280:-2:flags=fast_bilinear -c:v libx264 -preset ultrafast -tune zerolatency -threads 1 -f null -` "
        f"on the file repeated {a.loops} times. "
        f"Viewers: `vigil serve` with one 1920x1080 H.265 `vigil testcam` camera at {FPS} fps, `[transcode] "
        f"max_width = 1280`, and `vigil-live-load` holding 1 or 3 WebSockets on `/live?codec=h264` for "
        f"{a.seconds} s; the node's CPU over the window minus its CPU with no viewer (ingest alone). First frame: "
        f"web/tests/h265_first_frame.mjs (Debian's headless Chromium) loads the camera page of an H.265 and of an "
        f"H.264 testcam camera, both 1920x1080 at {FPS} fps with a 2 s GOP, {a.loads} times each; from navigation "
        f"start to the video's first decoded frame. Each H.265 load starts the transcode cold (the previous page's "
        f"went with it).",
        "\n".join(rows))


if __name__ == "__main__":
    main()
