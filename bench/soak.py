#!/usr/bin/env python3
"""Soak: `vigil serve` records N testcam cameras for hours while groups of
them are killed and restarted, and its resident memory, open file
descriptors and threads are sampled over time. Hours, not in CI
(run_all.py leaves it out); --minutes runs it short.

The cameras are split into groups of --group, each group served by its own
`vigil testcam` (camera i of a group plays /cam/(i mod 2) of it). Every
--fault-every seconds the next group's testcam is killed (SIGKILL), and
restarted on the same port --outage seconds later. For each camera of the
group, resume is measured from the moment its testcam is started again
(it then encodes its two streams before it listens: part of the figures) to
  - handshake: vigil's log says `camera.state ... state=connecting`;
  - streaming: vigil's log says `camera.state ... state=streaming`;
  - recorded: the first recording that starts after it (vigil's index).
Handshakes/s: `state=connecting` lines per second in vigil's log after the
restart (probes of a camera that is away are silent TCP connects).

  bench/soak.py --build build/release [--cameras 100] [--group 20] [--minutes 240] [--outage 24]
                [--fault-every 300] [--sample-seconds 30] [--results bench/RESULTS.md]
"""
import datetime
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (arguments, command_line, load_average, start, stop, summary, vigil_binary,  # noqa: E402
                      write_section, write_serve_config)

DISTINCT = 2  # streams each testcam encodes; its cameras share them


def proc_status(pid):
    """(RSS MiB, threads, open fds) of a process."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["Threads"][0]), len(os.listdir(f"/proc/{pid}/fd"))


def log_time(line):
    stamp = line.split(" ", 1)[0]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class Group:
    def __init__(self, vigil, index, size, args):
        self.vigil, self.index, self.args = vigil, index, args
        self.cameras = [f"c{index * size + i}" for i in range(size)]
        self.proc, base = start_testcam(vigil, "127.0.0.1:0", args)
        self.port = int(base.rsplit(":", 1)[1])
        self.urls = [f"{base}/cam/{i % DISTINCT}" for i in range(size)]

    def kill(self):
        stop(self.proc, sig=signal.SIGKILL)

    def restart(self):
        """Serves again on the same port; returns the wall time it was started
        (it accepts connections a little later, once it has encoded its
        streams, and prints so a little after that: a probe may connect in
        between, so the time it says it serves is too late a start)."""
        started = time.time()
        self.proc, _ = start_testcam(self.vigil, f"127.0.0.1:{self.port}", self.args)
        return started


def start_testcam(vigil, listen, args):
    return start([vigil, "testcam", "--listen", listen, "--streams", str(DISTINCT), "--size", args.size,
                  "--fps", str(args.fps), "--gop", str(args.fps), "--bitrate", str(args.bitrate),
                  "--loop-seconds", "2"], r"at (rtsp://\S+)/cam/0")


def resume_times(log_path, index, cameras, back):
    """Per camera: seconds from `back` to its first handshake, to streaming
    and to its first recording after `back` (None when not yet), and the
    peak handshakes per second in the 60 s after `back`."""
    wanted = set(cameras)
    connecting, streaming, per_second = {}, {}, {}
    with open(log_path) as f:
        for line in f:
            m = re.search(r"camera\.state camera=(\S+) state=(streaming|connecting)", line)
            if not m:
                continue
            t = log_time(line)
            if t < back:
                continue
            if m.group(2) == "connecting" and t < back + 60:
                per_second[int(t - back)] = per_second.get(int(t - back), 0) + 1
            if m.group(2) == "connecting" and m.group(1) in wanted and m.group(1) not in connecting:
                connecting[m.group(1)] = t - back
            if m.group(2) == "streaming" and m.group(1) in wanted and m.group(1) not in streaming:
                streaming[m.group(1)] = t - back
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT stream, min(start_wall) FROM recording WHERE start_wall >= ? GROUP BY stream",
                          (int(back * 1e6),)).fetchall()
    recorded = {stream: start_us / 1e6 - back for stream, start_us in rows if stream in wanted}
    return ([connecting.get(c) for c in cameras], [streaming.get(c) for c in cameras],
            [recorded.get(c) for c in cameras], max(per_second.values(), default=0))


def wait_streaming(log_path, cameras, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as f:
            seen = set(re.findall(r"camera\.state camera=(\S+) state=streaming", f.read()))
        if seen >= set(cameras):
            return
        time.sleep(1)
    raise SystemExit(f"not every camera streams after {timeout} s: {sorted(set(cameras) - seen)[:10]}")


def fmt_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    values.sort()
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{summary(values)[0]:.1f} / {p95:.1f} / {values[-1]:.1f}"


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", type=int, default=100)
    ap.add_argument("--group", type=int, default=20, help="cameras per testcam, killed together")
    ap.add_argument("--minutes", type=float, default=240)
    ap.add_argument("--outage", type=float, default=24, help="seconds a killed group stays down")
    ap.add_argument("--fault-every", type=float, default=300, help="seconds between faults")
    ap.add_argument("--first-fault", type=float, default=60, help="seconds before the first fault")
    ap.add_argument("--sample-seconds", type=float, default=30)
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--bitrate", type=int, default=300)
    args = ap.parse_args()
    vigil = vigil_binary(args.build)
    if args.cameras % args.group:
        raise SystemExit("--cameras must be a multiple of --group")

    with tempfile.TemporaryDirectory(prefix="vigil-soak-", dir=args.dir) as d:
        groups = [Group(vigil, g, args.group, args) for g in range(args.cameras // args.group)]
        data = os.path.join(d, "data")
        os.makedirs(data)
        config = os.path.join(d, "vigil.toml")
        write_serve_config(config, data, [u for g in groups for u in g.urls])
        # vigil's log goes to a file the soak reads as it goes.
        log_path = os.path.join(d, "serve.log")
        with open(log_path, "w") as log:
            serve = subprocess.Popen([vigil, "serve", "--config", config], stdout=subprocess.DEVNULL, stderr=log,
                                     stdin=subprocess.DEVNULL)
        samples, faults = [], []
        try:
            all_cameras = [c for g in groups for c in g.cameras]
            wait_streaming(log_path, all_cameras, 300)
            began = time.monotonic()
            end = began + args.minutes * 60
            next_sample, next_fault, fault_no = began, began + args.first_fault, 0
            pending = []  # (restart due, group)
            measure = []  # (due, group, back)
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_sample:
                    rss, threads, fds = proc_status(serve.pid)
                    samples.append(((now - began) / 60, rss, fds, threads))
                    print(f"{(now - began) / 60:7.1f} min  rss {rss:7.1f} MiB  fds {fds:5d}  threads {threads:3d}",
                          flush=True)
                    next_sample += args.sample_seconds
                if now >= next_fault and now + args.outage + 60 < end:
                    g = groups[fault_no % len(groups)]
                    g.kill()
                    pending.append((now + args.outage, g))
                    fault_no += 1
                    next_fault += args.fault_every
                for item in [p for p in pending if now >= p[0]]:
                    pending.remove(item)
                    back = item[1].restart()
                    measure.append((time.monotonic() + 45, item[1], back))
                for item in [m for m in measure if now >= m[0]]:
                    measure.remove(item)
                    connecting, streaming, recorded, rate = resume_times(log_path, os.path.join(data, "recordings",
                                                                                    "index.sqlite3"),
                                                             item[1].cameras, item[2])
                    faults.append((item[1].index, connecting, streaming, recorded, rate))
                    print(f"fault {len(faults)} group {item[1].index}: handshake {fmt_spread(connecting)} s, "
                          f"streaming {fmt_spread(streaming)} s, "
                          f"recorded {fmt_spread(recorded)} s (median / p95 / max), "
                          f"{sum(s is None for s in streaming)} not back, {rate} handshakes/s peak", flush=True)
                time.sleep(0.2)
            for due, g in pending:
                g.restart()
        finally:
            serve.terminate()
            try:
                serve.wait(60)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait(60)
            for g in groups:
                stop(g.proc)

    hours = samples[-1][0] / 60 if samples else 0
    steady = [s for s in samples if s[0] >= 2] or samples
    slope = 0.0
    if len(steady) >= 2:
        xs, ys = [s[0] / 60 for s in steady], [s[1] for s in steady]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
    step = max(1, len(samples) // 12)
    rows = samples[::step] + ([samples[-1]] if samples and (len(samples) - 1) % step else [])
    table = ["| minute | RSS MiB | open fds | threads |", "| ---: | ---: | ---: | ---: |"]
    table += [f"| {m:.1f} | {rss:.1f} | {fds} | {threads} |" for m, rss, fds, threads in rows]
    all_connecting = [v for f in faults for v in f[1]]
    all_streaming = [v for f in faults for v in f[2]]
    all_recorded = [v for f in faults for v in f[3]]
    table += ["", "| faults | cameras per fault | outage s | camera back to its handshake s (median / p95 / max) | "
              "to streaming s | to first frame recorded s | not streaming within 45 s | handshakes/s peak |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
              f"| {len(faults)} | {args.group} | {args.outage:g} | {fmt_spread(all_connecting)} | "
              f"{fmt_spread(all_streaming)} | {fmt_spread(all_recorded)} | {sum(v is None for v in all_streaming)} | "
              f"{max((f[4] for f in faults), default=0)} |"]
    if steady:
        table.append("")
        table.append(f"RSS from minute {steady[0][0]:.0f} on: {slope:+.1f} MiB/hour (least squares) over "
                     f"{hours:.2f} h; fds {min(s[2] for s in samples)}-{max(s[2] for s in samples)}, threads "
                     f"{min(s[3] for s in samples)}-{max(s[3] for s in samples)}; load average {load_average()} "
                     f"at the end.")
    description = (
        f"`vigil serve` records {args.cameras} testcam cameras ({args.size}@{args.fps}, {args.bitrate} kbit/s, "
        f"1 s GOP), {args.cameras // args.group} testcam processes of {args.group} cameras each. Every "
        f"{args.fault_every:g} s one group's testcam is killed (SIGKILL) and restarted on its port "
        f"{args.outage:g} s later. Sampled every {args.sample_seconds:g} s: vigil's RSS (VmRSS), open file "
        "descriptors and threads. Resume: from the restart of a testcam (which encodes its 2 streams, then "
        "listens: included) to each camera's "
        "first `state=connecting` line (its probe answered: the handshake starts), its `state=streaming` line "
        "(PLAY answered), and the start of its first recording after that (vigil's index).")
    # With one group, every camera goes and returns at once: its own section.
    together = args.group == args.cameras
    write_section(args.results, "soak-return" if together else "soak",
                  f"{args.cameras} cameras return at once" if together else "Soak with cameras killed and restarted",
                  command_line("soak.py", args.build,
                               f"--cameras {args.cameras} --group {args.group} --minutes {args.minutes:g} "
                               f"--outage {args.outage:g} --fault-every {args.fault_every:g}"),
                  description, "\n".join(table))


if __name__ == "__main__":
    main()
