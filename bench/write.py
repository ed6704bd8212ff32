#!/usr/bin/env python3
"""The storage write path alone (bench/write_bench.cpp): N streams of
2 Mbit/s at 25 fps fed in real time into a Store, with no RTSP in front:
CPU per stream, write amplification, index commits per second, frames
dropped.

  bench/write.py --build build/release [--streams 50,200,500] [--seconds 20] [--runs 3]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import arguments, command_line, spread, write_section  # noqa: E402


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--streams", default="50,200,500")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    bench = os.path.join(a.build, "bench", "vigil-write-bench")
    levels = [int(x) for x in a.streams.split(",")]
    rows = ["| streams | CPU % of a core per stream | write amplification | index commits/s | frames dropped |",
            "| ---: | ---: | ---: | ---: | ---: |"]
    for n in levels:
        runs = []
        for r in range(a.runs):
            d = tempfile.mkdtemp(dir=a.dir, prefix="vigil-write-")
            try:
                out = subprocess.run([bench, "--data", d, "--streams", str(n), "--seconds", str(a.seconds)],
                                     capture_output=True, text=True, timeout=a.seconds * 10 + 120)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            if out.returncode != 0:
                raise SystemExit(f"vigil-write-bench failed: {out.stderr[-2000:]}")
            m = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(m)
            print(f"{n} streams, run {r + 1}: {m}", file=sys.stderr)
        rows.append(f"| {n} | {spread([m['cpu_s'] / m['seconds'] / n * 100 for m in runs], 4)} | "
                    f"{spread([m['write_bytes'] / m['sample_bytes'] for m in runs], 3)} | "
                    f"{spread([m['commits'] / m['seconds'] for m in runs], 2)} | "
                    f"{spread([m['dropped'] for m in runs], 0)} |")
    write_section(
        a.results, "write", "Storage write path alone",
        command_line("write.py", a.build, f"--streams {a.streams} --seconds {a.seconds} --runs {a.runs}"),
        f"`vigil-write-bench` (bench/write_bench.cpp) feeds N streams of 2 Mbit/s at 25 fps (synthetic "
        f"access units, 2 s GOP) into a Store in real time for {a.seconds} s, then stops it: CPU of the "
        f"whole process (its feeder only calls `Store::append`) per stream; write amplification: bytes the "
        f"process wrote to storage (`/proc/self/io` write_bytes: sample files, index, WAL) over the sample "
        f"bytes; index commits per second (one group commit per directory per interval of 1 s); frames the "
        f"queue dropped. Median of {a.runs} runs (min-max).",
        "\n".join(rows))


if __name__ == "__main__":
    main()
