#!/usr/bin/env python3
"""The read path over a large index: time to first byte and throughput of
a one-hour export from an index of --days x --cameras of 60 s recordings.

1. ffmpeg encodes 4 s of 1280x720@25 H.264 at 2 Mbit/s (2 s GOP);
   `vigil_storage_tool write` records it, looped, as --export-minutes + 1
   minutes of stream cam000 through the real write path (real sample files).
2. `vigil-playback-bench fill` adds the rest of the index through the
   storage module's index code (bench/playback_bench.cpp says what rows).
3. `vigil-playback-bench measure`, --runs times: opens the store read-only,
   times Store::exportMp4 + the first read of a range starting 30 s into
   the recorded hour, reads the whole export, and reads the same sample
   files with plain read() (both from a dropped page cache).

  bench/playback.py --build build/release [--cameras 100] [--days 30] [--export-minutes 60] [--runs 3]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import arguments, command_line, spread, write_section  # noqa: E402

US = 1_000_000
T0 = 1_800_000_000 * US  # first day of the index, 2027-01-15


def check(cmd, timeout=3600):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise SystemExit(f"{os.path.basename(cmd[0])} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--export-minutes", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    tool = os.path.join(a.build, "src", "storage", "vigil_storage_tool")
    bench = os.path.join(a.build, "bench", "vigil-playback-bench")
    work = tempfile.mkdtemp(dir=a.dir, prefix="vigil-playback-")
    try:
        source = os.path.join(work, "in.h264")
        check(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25", "-t", "4",
               "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-maxrate", "2M",
               "-bufsize", "1M", "-x264-params", "keyint=50:min-keyint=50:scenecut=0:bframes=0", "-f", "h264",
               "-y", source])
        data = os.path.join(work, "data")
        # The recorded hour sits in the middle of the index.
        hour = T0 + (a.days // 2) * 86400 * US + 12 * 3600 * US
        frames = (a.export_minutes + 1) * 60 * 25
        written = json.loads(check([tool, "write", "--data", data, "--stream", "cam000", "--input", source,
                                    "--start", str(hour), "--frames", str(frames), "--speed", "200",
                                    "--queue-mb", "1024"]))
        if written["dropped"]:
            raise SystemExit(f"the write dropped frames: {written}")
        filled = json.loads(check([bench, "fill", "--data", data, "--start", str(T0), "--cameras", str(a.cameras),
                                   "--days", str(a.days)]))
        index_mb = sum(os.path.getsize(os.path.join(data, "recordings", f))
                       for f in os.listdir(os.path.join(data, "recordings")) if f.startswith("index.sqlite3")) / 1e6
        start = hour + 30 * US
        end = start + a.export_minutes * 60 * US
        runs = []
        for r in range(a.runs):
            runs.append(json.loads(check([bench, "measure", "--data", data, "--start", str(start), "--end",
                                          str(end)])))
            print(f"run {r + 1}/{a.runs}: {runs[-1]}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def col(key, digits):
        return spread([r[key] for r in runs], digits)

    ratio = [r["export_mb_s"] / r["plain_mb_s"] for r in runs]
    rows = filled["rows_added"] + written["sealed"]
    text = ("| index | export | open store ms | first byte ms (cold) | first byte ms (warm) | export MB/s (cold) | "
            "plain read MB/s (cold) | export / plain |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            f"| {a.days} days x {a.cameras} cameras: {rows} recordings, {index_mb:.0f} MB | "
            f"{a.export_minutes} min: {runs[0]['recordings']} recordings, {runs[0]['frames']} frames, "
            f"{runs[0]['export_bytes'] / 1e6:.0f} MB | {col('open_ms', 1)} | {col('first_byte_cold_ms', 1)} | "
            f"{col('first_byte_warm_ms', 1)} | {col('export_mb_s', 0)} | {col('plain_mb_s', 0)} | "
            f"{spread(ratio, 2)} |\n\n" + (
                f"HLS playlist of the same {a.export_minutes} min (`Store::fragmentedPlayback` + `playlist()`, "
                f"index warm): {col('hls_ms', 1)} ms, {runs[0]['hls_fragments']} fragments, "
                f"{runs[0]['hls_bytes']} bytes." if "hls_ms" in runs[0] else
                "HLS playlist: not measured (this build has no Store::fragmentedPlayback)."))
    write_section(
        a.results, "playback", "Playback: export from a large index",
        command_line("playback.py", a.build, f"--cameras {a.cameras} --days {a.days} --export-minutes "
                     f"{a.export_minutes} --runs {a.runs}"),
        f"The index: one 60 s recording per minute for {a.days} days x {a.cameras} streams, in one storage "
        f"directory. {a.export_minutes + 1} minutes of cam000 are recorded for real (H.264 1280x720@25, "
        f"2 Mbit/s, through `vigil_storage_tool write`); the other rows are added through the storage "
        f"module's index code (`bench/playback_bench.cpp`): cam000's carry a real 1500-sample index, the "
        f"other streams' a 60-sample one (they are never read; the index has its real number of rows, not "
        f"its real size). Each run drops the index and sample files from the page cache "
        f"(`posix_fadvise`), opens the store read-only (no recovery), then times `Store::exportMp4` plus "
        f"the first 64 KiB read (first byte; again warm), reads the whole export in 1 MiB pieces, and reads "
        f"the same sample files with plain `read()`, both cold: the disk as seen from this VM. The range "
        f"starts 30 s into a recording. Median of {a.runs} runs (min-max).",
        text)


if __name__ == "__main__":
    main()
