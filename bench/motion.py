#!/usr/bin/env python3
"""Detection's decode and motion (issue 16): how many 640x360 camera streams
one core analyses at 5 fps, decode included, side by side with one
`ffmpeg -i ... -vf fps=5,scale=640:360 -f null -` per camera (how Frigate
decodes its detection streams), in the same run.

The stream: a photo sliding in and out over a still photo (tests/data/scenes),
640x360, libx264 without B-frames, a keyframe every 2 s, looped. vigil:
`vigil-motion-bench` (bench/motion_bench.cpp) pushes N cameras' frames in
real time into detection's pipeline with one worker (decode, scale, motion
at 5 fps); ffmpeg: N processes reading the same file in real time (-re).
Streams per core = stream-seconds analysed / CPU seconds spent; for vigil
the stream-seconds are its analyses / 5 (the GOPs it dropped when the
shared machine gave its worker too little CPU were not decoded either).

  bench/motion.py --build build/release [--cameras 20] [--seconds 20] [--input-fps 15] [--runs 1]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, arguments, children_cpu, command_line, spread, write_section  # noqa: E402

SCENES = os.path.join(ROOT, "tests", "data", "scenes")


def make_scene(d, fps):
    """A 20 s loop: the person photo slides across the horses, out, and again."""
    mp4 = os.path.join(d, "scene.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-loop", "1", "-framerate", str(fps), "-t", "20",
                    "-i", os.path.join(SCENES, "horses.jpg"), "-loop", "1", "-framerate", str(fps), "-t", "20",
                    "-i", os.path.join(SCENES, "person.jpg"), "-filter_complex",
                    "[0]scale=640:360,setsar=1[bg];[1]scale=240:160,setsar=1[p];"
                    "[bg][p]overlay=x='mod(t*120,1000)-240':y=100",
                    "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", str(2 * fps), "-pix_fmt", "yuv420p",
                    mp4], check=True)
    h264 = os.path.join(d, "scene.h264")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", mp4, "-c", "copy", "-bsf:v",
                    "h264_mp4toannexb", "-f", "h264", h264], check=True)
    return mp4, h264


def run_vigil(build, h264, cameras, seconds, fps):
    bench = os.path.join(build, "bench", "vigil-motion-bench")
    out = subprocess.run([bench, "--file", h264, "--input-fps", str(fps), "--cameras", str(cameras), "--seconds",
                          str(seconds), "--workers", "1", "--fps", "5"],
                         capture_output=True, text=True, timeout=seconds * 10 + 120)
    if out.returncode != 0:
        raise SystemExit(f"vigil-motion-bench failed: {out.stderr[-2000:]}")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"vigil: {m}", file=sys.stderr)
    return m["cpu_seconds"], m["dropped"], m["analysed"]


def run_ffmpeg(mp4, cameras, seconds):
    before = children_cpu()
    procs = [subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", mp4, "-t",
                               str(seconds), "-vf", "fps=5,scale=640:360", "-f", "null", "-"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(cameras)]
    for p in procs:
        p.wait(timeout=seconds * 10 + 120)
    cpu = children_cpu() - before
    print(f"ffmpeg: {cameras} processes, {cpu:.2f} CPU s", file=sys.stderr)
    return cpu


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--input-fps", type=int, default=15)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    d = tempfile.mkdtemp(dir=a.dir, prefix="vigil-motion-")
    try:
        mp4, h264 = make_scene(d, a.input_fps)
        vigil, ffmpeg, dropped, analysed = [], [], [], []
        for r in range(a.runs):
            cpu, drops, count = run_vigil(a.build, h264, a.cameras, a.seconds, a.input_fps)
            vigil.append(cpu)
            dropped.append(drops)
            analysed.append(count)
            ffmpeg.append(run_ffmpeg(mp4, a.cameras, a.seconds))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    stream_seconds = a.cameras * a.seconds
    rows = ["| process | cameras | CPU s for the run | streams analysed per core | pictures analysed | "
            "frames dropped |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| vigil (detect::Pipeline, 1 worker) | {a.cameras} | {spread(vigil)} | "
            f"{spread([n / 5 / c for n, c in zip(analysed, vigil)], 1)} | {spread(analysed, 0)} | "
            f"{spread(dropped, 0)} |",
            f"| ffmpeg -vf fps=5,scale=640:360 -f null, one per camera | {a.cameras} | {spread(ffmpeg)} | "
            f"{spread([stream_seconds / c for c in ffmpeg], 1)} | - | - |",
            "",
            f"- vigil analyses {spread([(n / 5 / v) / (stream_seconds / f) for n, v, f in zip(analysed, vigil, ffmpeg)], 1)}x "
            f"the streams per core that ffmpeg decodes and scales (ratio within each run)."]
    write_section(
        a.results, "motion", "Motion, decode included (detection's pipeline vs one ffmpeg per camera)",
        command_line("motion.py", a.build, f"--cameras {a.cameras} --seconds {a.seconds} "
                                           f"--input-fps {a.input_fps} --runs {a.runs}"),
        f"{a.cameras} cameras of 640x360 at {a.input_fps} fps (libx264, no B-frames, a keyframe every 2 s; a "
        f"photo sliding over a still one, looped), {a.seconds} s in real time. vigil: `vigil-motion-bench` pushes "
        f"every camera's frames into one `detect::Pipeline` with one worker, which decodes what it must, scales "
        f"to gray and finds motion at 5 fps (BGR too when something moved); its process's CPU time. ffmpeg: one "
        f"`ffmpeg -re -stream_loop -1 -i scene.mp4 -vf fps=5,scale=640:360 -f null -` per camera at once; "
        f"the CPU time of all of them. Streams per core: stream-seconds over CPU seconds (vigil's: pictures "
        f"analysed / 5, so GOPs dropped undecoded, when the worker got too little CPU, count for nothing).",
        "\n".join(rows))


if __name__ == "__main__":
    main()
