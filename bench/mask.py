#!/usr/bin/env python3
"""Privacy masks (issue 16, item 5): the CPU one masked shared stream costs
at a sub stream's size (640x360) and at 1280x720 (decode, black out the
masks, encode H.264 again), side by side with one ffmpeg process doing the
same work in the same run:
`ffmpeg -threads 1 -i scene.h264 -vf drawbox=...:color=black:t=fill -c:v libx264 -preset ultrafast
-tune zerolatency -threads 1 -f null -`.

The stream: a photo sliding over a still photo (tests/data/scenes), libx264
without B-frames, a keyframe every 2 s, at --input-fps; the mask: the top
right quarter of the picture. vigil: `vigil-mask-bench` (bench/mask_bench.cpp)
pushes the file's frames, looped, through one `mask::VideoMasker` as fast
as one thread goes; ffmpeg: the same file, looped as often, one thread for
decoding and one for encoding. Both: CPU seconds per frame, and the share of
one core a stream at --input-fps costs.

  bench/mask.py --build build/release [--input-fps 15] [--loops 2] [--runs 1]
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, arguments, command_line, ffmpeg_encode_cpu, mask_bench, spread, write_section  # noqa: E402

SCENES = os.path.join(ROOT, "tests", "data", "scenes")
SIZES = [(640, 360), (1280, 720)]


def make_scene(d, width, height, fps, seconds):
    """The person photo sliding across the horses, `seconds` long, as an Annex B file."""
    h264 = os.path.join(d, f"scene-{width}x{height}.h264")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-loop", "1", "-framerate", str(fps), "-t",
                    str(seconds), "-i", os.path.join(SCENES, "horses.jpg"), "-loop", "1", "-framerate", str(fps),
                    "-t", str(seconds), "-i", os.path.join(SCENES, "person.jpg"), "-filter_complex",
                    f"[0]scale={width}:{height},setsar=1[bg];[1]scale={width * 3 // 8}:{height * 4 // 9},setsar=1[p];"
                    f"[bg][p]overlay=x='mod(t*{width // 5},{width + width // 2})-{width * 3 // 8}':y={height // 4}",
                    "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", str(2 * fps), "-pix_fmt", "yuv420p",
                    "-f", "h264", h264], check=True)
    return h264


def run_vigil(build, h264, fps, loops):
    m = mask_bench(build, h264, "--input-fps", str(fps), "--loops", str(loops))
    print(f"vigil: {m}", file=sys.stderr)
    return m["cpu_seconds"], m["frames"]


def run_ffmpeg(h264, loops):
    cpu = ffmpeg_encode_cpu(h264, "drawbox=x=iw/2:y=0:w=iw/2:h=ih/2:color=black:t=fill", loops)
    print(f"ffmpeg: {cpu:.2f} CPU s", file=sys.stderr)
    return cpu


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--input-fps", type=int, default=15)
    ap.add_argument("--seconds", type=int, default=20, help="the scene's length")
    ap.add_argument("--loops", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    d = tempfile.mkdtemp(dir=a.dir, prefix="vigil-mask-")
    rows = ["| size | process | ms CPU per frame | share of a core per stream at "
            f"{a.input_fps} fps | vigil / ffmpeg |",
            "| --- | --- | ---: | ---: | ---: |"]
    try:
        for width, height in SIZES:
            h264 = make_scene(d, width, height, a.input_fps, a.seconds)
            vigil, ffmpeg = [], []
            for _ in range(a.runs):
                cpu, frames = run_vigil(a.build, h264, a.input_fps, a.loops)
                vigil.append(cpu / frames)
                ffmpeg.append(run_ffmpeg(h264, a.loops) / frames)
            ratio = spread([v / f for v, f in zip(vigil, ffmpeg)], 2)
            rows.append(f"| {width}x{height} | vigil (mask::VideoMasker) | {spread([v * 1000 for v in vigil], 2)} | "
                        f"{spread([v * a.input_fps * 100 for v in vigil], 1, '%')} | {ratio} |")
            rows.append(f"| {width}x{height} | ffmpeg drawbox + libx264 ultrafast | "
                        f"{spread([f * 1000 for f in ffmpeg], 2)} | "
                        f"{spread([f * a.input_fps * 100 for f in ffmpeg], 1, '%')} | - |")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if "release" not in os.path.basename(os.path.normpath(a.build)):
        rows.append("")
        rows.append("- Measured on a sanitizer build: ASan/UBSan instrument vigil's own byte loops (Annex B framing) "
                    "and intercept every malloc and memcpy, libavcodec's included, so vigil's column is an upper "
                    "bound; a release build's ratio is the one to rely on.")
    write_section(
        a.results, "mask", "Privacy masks: decode, mask, encode (vigil vs one ffmpeg process)",
        command_line("mask.py", a.build, f"--input-fps {a.input_fps} --seconds {a.seconds} --loops {a.loops} "
                                         f"--runs {a.runs}"),
        f"One camera's stream, a photo sliding over a still one (libx264, no B-frames, a keyframe every 2 s), "
        f"{a.seconds} s at {a.input_fps} fps, looped {a.loops} times, at each size; the mask: the top right "
        f"quarter. vigil: `vigil-mask-bench` pushes every frame through one `mask::VideoMasker` (libavcodec "
        f"decode on one thread, the mask painted black in the YUV planes, libx264 ultrafast/zerolatency on one "
        f"thread, a keyframe where the camera has one), as fast as it goes; its CPU time. ffmpeg: `ffmpeg "
        f"-threads 1 -i scene.h264 -vf drawbox=x=iw/2:y=0:w=iw/2:h=ih/2:color=black:"
        f"t=fill -c:v libx264 -preset ultrafast -tune zerolatency -threads 1 -f null -` on the file repeated "
        f"{a.loops} times (`-stream_loop` does not loop a raw H.264 file); its CPU time. "
        f"Share of a core: CPU per frame times {a.input_fps} frames a second.",
        "\n".join(rows))


if __name__ == "__main__":
    main()
