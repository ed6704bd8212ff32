#!/usr/bin/env python3
"""Runs every benchmark of bench/ at one scale and rewrites the results
file: the machine, date, commit and load first, then one section per
benchmark (each with the command that reproduces it), the chart of CPU per
stream against N. `scripts/bench` builds the
release preset and calls this; CTest runs it with --quick on the debug
build (label "bench") to keep the harness working.

  bench/run_all.py --build build/release [--quick] [--only record,crash,playback,link,testcam] [--results FILE]
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import HERE, ROOT, load_average, replace_section  # noqa: E402

# Per benchmark: arguments at the real scale (each figure the median of 3
# runs) and at the quick one (one run each, about a minute in all: it only
# checks that the harness works).
SCALES = {
    "record": {"full": ["--cameras", "50,200,500", "--distinct", "4", "--seconds", "60", "--warmup", "10",
                        "--runs", "3"],
               "quick": ["--cameras", "2", "--distinct", "1", "--size", "320x240", "--seconds", "2", "--warmup",
                         "2", "--runs", "1"]},
    "write": {"full": ["--streams", "50,200,500", "--seconds", "20", "--runs", "3"],
              "quick": ["--streams", "2", "--seconds", "2", "--runs", "1"]},
    "crash": {"full": ["--streams", "50", "--cycles", "20"],
              "quick": ["--streams", "2", "--cycles", "2", "--size", "320x240", "--min-seconds", "3",
                        "--max-seconds", "4"]},
    "playback": {"full": ["--cameras", "100", "--days", "30", "--export-minutes", "60", "--runs", "3"],
                 "quick": ["--cameras", "3", "--days", "1", "--export-minutes", "1", "--runs", "1"]},
    "live": {"full": ["--scenarios", "1x1,1x50,1x200,200x1", "--seconds", "20", "--runs", "3"],
             "quick": ["--scenarios", "1x2", "--seconds", "2", "--runs", "1", "--size", "320x240", "--ramp", "0.5"]},
    "first-frame": {"full": ["--cameras", "4", "--loads", "20"],
                    "quick": ["--cameras", "1", "--loads", "1"]},
    "link": {"full": ["--viewers", "1,50", "--seconds", "20", "--runs", "3", "--opens", "20", "--relay-cameras", "8",
                      "--idle-links", "500"],
             "quick": ["--viewers", "2", "--seconds", "2", "--runs", "1", "--opens", "1", "--relay-cameras", "1",
                       "--idle-links", "3", "--size", "320x240"]},
    "broadcast": {"full": ["--households", "1000", "--runs", "3", "--audio-kib", "100"],
                  "quick": ["--households", "3", "--runs", "1", "--audio-kib", "10"]},
    "testcam": {"full": ["--sessions", "100,500,1000", "--seconds", "20", "--runs", "3"],
                "quick": ["--sessions", "4", "--streams", "1", "--seconds", "1", "--warmup", "1", "--runs", "1"]},
    "motion": {"full": ["--cameras", "20", "--seconds", "20", "--runs", "1"],
               "quick": ["--cameras", "2", "--seconds", "2", "--runs", "1"]},
    "detector": {"full": ["--threads", "1,2", "--seconds", "20", "--runs", "3"],
                 "quick": ["--threads", "2", "--seconds", "1", "--runs", "1"]},
    "mask": {"full": ["--input-fps", "15", "--seconds", "20", "--loops", "2", "--runs", "3"],
             "quick": ["--input-fps", "5", "--seconds", "2", "--loops", "1", "--runs", "1"]},
}
SCRIPTS = {"record": "ingest.py", "write": "write.py", "crash": "crash_loss.py", "playback": "playback.py",
           "live": "live.py", "first-frame": "first_frame.py", "link": "link.py", "broadcast": "broadcast.py",
           "testcam": "testcam_capacity.py", "motion": "motion.py",
           "detector": "detector.py", "mask": "mask.py"}
# The scripts that take a --dir for their working files.
TAKES_DIR = {"record", "write", "crash", "playback", "broadcast", "motion", "mask"}
# "live publish" is the live registry's Google Benchmark (bench/live_publish.cpp), kept as measured.
ORDER = ["header", "record", "chart", "write", "crash", "playback", "live", "first frame", "live publish", "link",
         "broadcast", "testcam capacity", "motion", "detector", "mask"]


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores, {model}, {mem_gib:.0f} GiB, Linux {platform.release()}"


def commit():
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def skeleton(path):
    """Creates the results file with every section in order, keeping the
    text of sections it already has, and after them, as they were, the
    sections of benchmarks run on their own (soak.py)."""
    old = open(path).read() if os.path.exists(path) else ""
    parts = ["# Benchmark results"]
    for tag in ORDER:
        begin, end = f"<!-- {tag}: begin -->", f"<!-- {tag}: end -->"
        if begin in old and end in old:
            parts.append(old[old.index(begin):old.index(end) + len(end)])
        else:
            parts.append(f"{begin}\n{end}")
    for m in re.finditer(r"<!-- (.+?): begin -->.*?<!-- \1: end -->", old, flags=re.S):
        if m.group(1) not in ORDER:
            parts.append(m.group(0))
    with open(path, "w") as f:
        f.write("\n\n".join(parts) + "\n")


def chart(results_json, png, build):
    """CPU per stream against N for vigil and ffmpeg (gnuplot, PNG)."""
    with open(results_json) as f:
        data = json.load(f)
    levels, results = data["levels"], data["results"]
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for n in levels:
            cells = []
            for side in ("vigil serve", "ffmpeg -c copy, one per camera"):
                v = sorted(m["cpu_pct"] for m in results[f"{side}|{n}"])
                cells += [v[len(v) // 2], v[0], v[-1]]
            dat.write(f"{n} " + " ".join(f"{c:.4f}" for c in cells) + "\n")
    script = f"""
set terminal pngcairo size 800,480 font "sans,10"
set output "{png}"
set title "Recording N streams of 2 Mbit/s: CPU per stream (median, min-max of the runs)"
set xlabel "streams (N)"
set ylabel "% of one core per stream"
set logscale x
set xtics ({", ".join(str(n) for n in levels)})
set yrange [0:*]
set key top left
set grid ytics
plot "{dat.name}" using 1:2:3:4 with yerrorlines lw 2 title "vigil serve (one process)", \\
     "{dat.name}" using 1:5:6:7 with yerrorlines lw 2 title "ffmpeg -c copy -f segment, one process per stream"
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)
    finally:
        os.unlink(dat.name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--quick", action="store_true", help="tiny scale: checks that every benchmark runs")
    ap.add_argument("--only", default=",".join(SCRIPTS), help="comma-separated subset of " + ",".join(SCRIPTS))
    ap.add_argument("--results", help="default: bench/RESULTS.md; with --quick, build/bench-quick/RESULTS.md "
                    "(a smoke run must not replace the real figures)")
    ap.add_argument("--chart", default=None, help="PNG of CPU per stream (default: beside --results)")
    ap.add_argument("--dir", default=None, help="scratch directory for recordings (default: the system temp dir)")
    a = ap.parse_args()
    only = [x for x in a.only.split(",") if x]
    unknown = set(only) - set(SCRIPTS)
    if unknown:
        raise SystemExit(f"unknown benchmark: {', '.join(sorted(unknown))}")
    scale = "quick" if a.quick else "full"
    results = os.path.abspath(a.results or (os.path.join(ROOT, "build", "bench-quick", "RESULTS.md") if a.quick
                                            else os.path.join(HERE, "RESULTS.md")))
    os.makedirs(os.path.dirname(results), exist_ok=True)
    png = os.path.abspath(a.chart or os.path.join(os.path.dirname(results), "record_cpu.png"))
    skeleton(results)
    began = time.time()
    load_before = load_average()
    failed = []
    for name in only:
        args = [sys.executable, os.path.join(HERE, SCRIPTS[name]), "--build", a.build, "--results", results,
                *SCALES[name][scale]]
        if a.dir and name in TAKES_DIR:
            args += ["--dir", a.dir]
        json_out = None
        if name == "record":
            json_out = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
            args += ["--json", json_out]
        print(f"== {name}: {' '.join(args[1:])}", file=sys.stderr, flush=True)
        t = time.time()
        if subprocess.run(args).returncode != 0:
            failed.append(name)
        elif json_out:
            chart(json_out, png, a.build)
            rel = os.path.relpath(png, os.path.dirname(results))
            replace_section(results, "chart", f"![CPU per stream against N, vigil and ffmpeg]({rel})\n")
        if json_out:
            os.unlink(json_out)
        print(f"== {name}: {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    replace_section(results, "header", (
        "Figures from the scripts in this folder, each section with the command that reproduces it; "
        "`scripts/bench` reruns them all (`--quick`: a tiny scale that only checks they run). The machine "
        "is shared with other people's builds, so compare the ratios between vigil and the peer measured "
        "in the same run, not absolute figures across runs.\n\n"
        f"- Machine: {machine()}.\n"
        f"- Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(began))}, commit {commit()}, "
        f"{os.path.relpath(a.build, ROOT)} build, scale {scale}, {(time.time() - began) / 60:.0f} min.\n"
        f"- Load: load average {load_before} at the start and {load_average()} at the end (other builds "
        f"ran meanwhile; each section gives its own).\n"))
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
