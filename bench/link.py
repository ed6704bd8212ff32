#!/usr/bin/env python3
"""Live across the tiers: a household, a village, a township and a county
as four `vigil serve` processes on loopback, each linked to the one above
(TLS, design/LINK.md). The household reads testcam's cameras and shares
them with the county. Measured in one run:

- latency: `vigil-live-load` viewers at the county (through three hops)
  and, at the same time, one viewer at the household itself (direct); the
  difference of the two is what the hops add;
- opening: a remote live view opened alone, again and again, each after
  the previous one closed down the chain: connect to first fragment;
- relay CPU: the village's and the township's CPU while they relay C
  cameras to one county viewer each, less the same nodes idle for as
  long, per stream; beside it ffmpeg relaying the same streams (RTSP in,
  MPEG-TS over UDP out, `-c copy`) in the same run;
- idle links: a second village with N households linked to it from one
  `vigil-link-load` process: its memory and CPU per link against itself
  with none.

  bench/link.py --build build/release [--viewers 1,50] [--seconds 20] [--runs 3] [--opens 20]
                [--relay-cameras 8] [--idle-links 500] [--relay-only]

--relay-only measures the relay CPU alone (with ffmpeg's in the same
runs, and the intermediate nodes' context switches per relayed frame)
and writes the section "link-relay".

Prints Markdown tables; --results FILE replaces the section between the
"link" markers in that file.
"""
import json
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (UNCAPPED_LIVE_VIEWS, arguments, command_line, cpu_seconds, pss_mib, spawn, spread,  # noqa: E402
                      start, start_testcam, stop, vigil_binary, write_section)

DISTINCT = 4
CHAIN = [("house1", "household"), ("village1", "village"), ("township1", "township"), ("county1", "county")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0


class Node:
    """A `vigil serve` with its own data directory; HTTPS when `tls` (a parent)."""

    def __init__(self, vigil, root, node_id, tier, tls, cameras=()):
        self.vigil, self.id = vigil, node_id
        self.dir = os.path.join(root, node_id)
        os.makedirs(self.dir)
        self.port = free_port()
        self.config = os.path.join(self.dir, "vigil.toml")
        http = f'listen = "127.0.0.1:{self.port}"\n{UNCAPPED_LIVE_VIEWS}'
        if tls:
            cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"],
                           check=True, capture_output=True)
            http += f'tls_cert = "{cert}"\ntls_key = "{key}"\n'
        with open(self.config, "w") as f:
            f.write(f'[node]\nid = "{node_id}"\nname = "{node_id}"\ntier = "{tier}"\ndata_dir = "{self.dir}/data"\n'
                    f"[http]\n{http}")
            for i, url in enumerate(cameras):
                f.write(f'[[camera]]\nid = "c{i}"\nurl = "{url}"\nrecord = "off"\n')
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ws = self.base.replace("http", "ws", 1)
        self.proc = self.token = self.password = None

    def start(self):
        self.proc, self.password = start([self.vigil, "serve", "--config", self.config], r"admin password: (\S+)")
        deadline = time.monotonic() + 60
        while True:  # the password is printed before the server listens
            try:
                self.token = self.api("POST", "/api/v1/login", {"user": "admin", "password": self.password})["token"]
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def api(self, method, path, body=None):
        ctx = ssl._create_unverified_context()  # self-signed, as on a real node: trust is the link's keys
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            text = r.read()
            return json.loads(text) if text else None

    def link_cli(self, *args):
        r = subprocess.run([self.vigil, "link", *args, "--config", self.config], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise SystemExit(f"vigil link {args[0]} failed: {r.stderr[-2000:]}")
        return r.stdout.strip().splitlines()[-1]

    def stop(self):
        if self.proc:
            stop(self.proc)
            self.proc = None


def wait(what, predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"link.py: {what} not within {timeout} s")


def start_chain(vigil, root, camera_urls):
    """The four nodes, linked from the top, every camera shared (live) with the county."""
    nodes = [Node(vigil, root, nid, tier, tls=tier != "household", cameras=camera_urls if tier == "household" else ())
             for nid, tier in CHAIN]
    for parent, child in reversed(list(zip(nodes[1:], nodes))):
        if parent.proc is None:
            parent.start()
        code = parent.link_cli("invite", "--name", child.id)
        child.link_cli("join", "--parent", parent.base, "--code", code)
    nodes[0].start()
    house, county = nodes[0], nodes[-1]
    wait("household cameras online", lambda: sum(c["online"] for c in house.api("GET", "/api/v1/cameras"))
         >= len(camera_urls))
    for i in range(len(camera_urls)):
        house.api("PUT", f"/api/v1/cameras/c{i}/shares", [{"tier": "county", "rights": ["live"]}])
    remote = [f"township1.village1.house1.c{i}" for i in range(len(camera_urls))]
    wait("the county lists the shared cameras",
         lambda: {c["id"] for c in county.api("GET", "/api/v1/cameras")} >= set(remote))
    return nodes, remote


def live_load(build, token, urls, viewers, seconds, ramp=0.0):
    return subprocess.Popen([os.path.join(build, "bench", "vigil-live-load"), "--token", token, "--viewers",
                             str(viewers), "--seconds", str(seconds), "--ramp", str(ramp), *urls],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(p, seconds):
    out, err = p.communicate(timeout=seconds + 120)
    if p.returncode != 0 or not out.strip():
        raise SystemExit(f"vigil-live-load failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def latency_run(build, nodes, remote, viewers, seconds):
    """One county scenario beside one direct viewer at the household."""
    house, county = nodes[0], nodes[-1]
    direct = live_load(build, house.token, [f"{house.ws}/api/v1/cameras/c0/live"], 1, seconds)
    hops = live_load(build, county.token, [f"{county.ws}/api/v1/cameras/{remote[0]}/live"], viewers, seconds,
                     ramp=min(2.0, seconds / 4))
    return {"direct": result(direct, seconds), "county": result(hops, seconds)}


def opens(build, nodes, remote, count):
    """Open-to-first-fragment of remote views opened one at a time."""
    county = nodes[-1]
    ms = []
    for i in range(count):
        r = result(live_load(build, county.token, [f"{county.ws}/api/v1/cameras/{remote[i % len(remote)]}/live"],
                             1, 2), 2)
        ms += [r["first_fragment_ms"]["p50"]] if r["sockets"] else []
        time.sleep(1)  # the look closes down the chain before the next opens
    return ms


def context_switches(pid):
    """Voluntary + involuntary context switches of all a process's threads."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
        except OSError:  # a thread that ended meanwhile
            pass
    return total


def relay_cpu(build, nodes, remote, seconds):
    """CPU seconds (and context switches) of the village and township
    relaying every camera to one county viewer each, and idle for as long."""
    middle = [n.proc.pid for n in nodes[1:3]]

    def window(action):
        before = [sum(cpu_seconds(p) for p in middle), sum(context_switches(p) for p in middle)]
        action()
        return sum(cpu_seconds(p) for p in middle) - before[0], sum(context_switches(p) for p in middle) - before[1]

    idle, idle_switches = window(lambda: time.sleep(seconds))
    county = nodes[-1]
    load = []
    busy, busy_switches = window(lambda: load.append(result(live_load(build, county.token, [
        f"{county.ws}/api/v1/cameras/{r}/live" for r in remote], len(remote), seconds), seconds)))
    return {"idle": idle, "busy": busy, "switches": busy_switches - idle_switches,
            "fragments": load[0]["fragments"], "failed": load[0]["failed"]}


def ffmpeg_relay_cpu(base, cameras, seconds):
    """ffmpeg copying the same RTSP streams to MPEG-TS over UDP (a socket
    that is bound but never read: the kernel drops what it holds)."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    procs = [subprocess.Popen(["ffmpeg", "-loglevel", "error", "-rtsp_transport", "tcp", "-i",
                               f"{base}/cam/{i % DISTINCT}", "-c", "copy", "-f", "mpegts",
                               f"udp://127.0.0.1:{port}?pkt_size=1316"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(cameras)]
    try:
        time.sleep(3)  # connected and copying
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"ffmpeg relay failed: {procs[0].stderr.read().decode()[-1000:]}")
        before = sum(cpu_seconds(p.pid) for p in procs)
        time.sleep(seconds)
        return sum(cpu_seconds(p.pid) for p in procs) - before
    finally:
        for p in procs:
            stop(p)
        sink.close()


def idle_links(vigil, build, root, count, seconds):
    """A village with `count` household links, against itself with none."""
    village = Node(vigil, root, "village2", "village", tls=True)
    keys = os.path.join(root, "keys")
    tool = os.path.join(build, "bench", "vigil-link-load")
    subprocess.run([tool, "enrol", "--parent-data", os.path.join(village.dir, "data"), "--keys", keys, "--count",
                    str(count)], check=True, timeout=600)
    village.start()
    time.sleep(3)
    pid = village.proc.pid
    cpu0, pss0 = cpu_seconds(pid), pss_mib(pid)
    time.sleep(seconds)
    alone = {"cpu": cpu_seconds(pid) - cpu0, "pss": (pss0 + pss_mib(pid)) / 2}
    # Its log (a line per link) goes to a file: a pipe nobody reads fills and stalls it past ~600 links.
    load = spawn([tool, "run", "--parent-data", os.path.join(village.dir, "data"), "--parent", village.base,
                  "--parent-id", "village2", "--keys", keys, "--count", str(count), "--seconds", str(seconds * 2 + 120)])
    try:
        wait(f"{count} links up", lambda: sum(c["state"] == "connected" for c in village.api("GET", "/api/v1/link")
                                              ["children"]) >= count, timeout=120)
        time.sleep(3)
        cpu0, pss0 = cpu_seconds(pid), pss_mib(pid)
        time.sleep(seconds)
        linked = {"cpu": cpu_seconds(pid) - cpu0, "pss": (pss0 + pss_mib(pid)) / 2}
    finally:
        stop(load)
        village.stop()
    return {"alone": alone, "linked": linked, "seconds": seconds, "links": count}


def relay_section(a, relays, per_stream, ffmpeg_per_stream):
    """The relay CPU alone (--relay-only): its own section of the results."""
    ticks = 1 / os.sysconf("SC_CLK_TCK")  # the resolution of /proc's CPU times, per reading
    # At worst a tick per counter (user, system) per node per window, in each of the two windows.
    precision = 8 * ticks / 2 / a.relay_cameras / a.seconds * 100
    table = "\n".join([
        "| measure | value |", "| --- | ---: |",
        f"| CPU per relayed stream per intermediate hop (% of a core), vigil | {spread(per_stream, 3)} |",
        f"| CPU per relayed stream, ffmpeg -c copy RTSP to MPEG-TS/UDP (% of a core) | "
        f"{spread(ffmpeg_per_stream, 3)} |",
        f"| vigil / ffmpeg, each run | {spread([v / f for v, f in zip(per_stream, ffmpeg_per_stream)], 2)} |",
        f"| context switches per relayed frame per hop (village + township, less idle) | "
        f"{spread([r['switches'] / 2 / max(1, r['fragments']) for r in relays], 2)} |",
        f"| relayed fragments at the county ({a.relay_cameras} cameras, {a.seconds} s); failed sockets | "
        f"{spread([r['fragments'] for r in relays], 0)}; {sum(r['failed'] for r in relays)} |",
        "",
        f"- Relay CPU per stream per hop {statistics.median(per_stream):.3f} % of a core "
        f"({'met' if statistics.median(per_stream) <= 0.05 else 'NOT met'}; target <= 0.05 %), "
        f"+- {precision:.3f} from /proc's {ticks * 1000:.0f} ms ticks; ffmpeg relaying the same stream once: "
        f"{statistics.median(ffmpeg_per_stream):.3f} %."])
    write_section(
        a.results, "link-relay",
        "Relay CPU across the tiers (household -> village -> township -> county, TLS links on loopback)",
        command_line("link.py", a.build, f"--relay-only --seconds {a.seconds} --runs {a.runs} "
                     f"--relay-cameras {a.relay_cameras} --size {a.size}"),
        f"The relay part of the section above, alone and over longer windows: {a.relay_cameras} testcam streams "
        f"({a.size}, 25 fps, 2 Mbit/s) shared by the household with the county, one county viewer each; (village + "
        f"township CPU while relaying - the same {a.seconds} s idle) / 2 hops / cameras, beside {a.relay_cameras} "
        f"`ffmpeg -c copy` RTSP-to-MPEG-TS relays in the same run. Context switches: voluntary and involuntary, "
        f"all threads of both nodes, less idle, per fragment the county received, per hop. Each cell is the median "
        f"of {a.runs} runs (min-max); everything shares the 2 cores.",
        table)


def main():
    ap = arguments(__doc__)
    ap.add_argument("--viewers", default="1,50", help="county viewers of one camera, per scenario")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--opens", type=int, default=20)
    ap.add_argument("--relay-cameras", type=int, default=8)
    ap.add_argument("--idle-links", type=int, default=500)
    ap.add_argument("--size", default="1280x720", help="testcam's picture size")
    ap.add_argument("--relay-only", action="store_true", help="measure the relay CPU only")
    a = ap.parse_args()
    vigil = vigil_binary(a.build)
    scenarios = [int(v) for v in a.viewers.split(",")]
    latency = {v: [] for v in scenarios}
    open_ms, relays, ffmpeg = [], [], []
    testcam, base = start_testcam(vigil, min(a.relay_cameras, DISTINCT), size=a.size)
    try:
        for run in range(a.runs):
            with tempfile.TemporaryDirectory(prefix="vigil-link-") as root:
                nodes = []
                try:
                    nodes, remote = start_chain(vigil, root, [f"{base}/cam/{i % DISTINCT}"
                                                              for i in range(a.relay_cameras)])
                    time.sleep(2)
                    for v in [] if a.relay_only else scenarios:
                        r = latency_run(a.build, nodes, remote, v, a.seconds)
                        latency[v].append(r)
                        print(f"run {run + 1}, {v} viewers: county p99 {r['county']['latency_ms']['p99']:.1f} ms, "
                              f"direct p99 {r['direct']['latency_ms']['p99']:.1f} ms", file=sys.stderr, flush=True)
                        time.sleep(2)
                    if not a.relay_only:
                        open_ms += opens(a.build, nodes, remote, max(1, a.opens // a.runs))
                    relays.append(relay_cpu(a.build, nodes, remote, a.seconds))
                finally:
                    for n in reversed(nodes):
                        n.stop()
                ffmpeg.append(ffmpeg_relay_cpu(base, a.relay_cameras, a.seconds))
                r, f = relays[-1], ffmpeg[-1]
                print(f"run {run + 1}: relay {(r['busy'] - r['idle']) / 2 / a.relay_cameras / a.seconds * 100:.3f} % "
                      f"per stream per hop, ffmpeg {f / a.relay_cameras / a.seconds * 100:.3f} %, "
                      f"{r['switches'] / 2 / max(1, r['fragments']):.2f} context switches per frame per hop",
                      file=sys.stderr, flush=True)
    finally:
        stop(testcam)
    per_stream = [(r["busy"] - r["idle"]) / 2 / a.relay_cameras / a.seconds * 100 for r in relays]
    ffmpeg_per_stream = [c / a.relay_cameras / a.seconds * 100 for c in ffmpeg]
    if a.relay_only:
        return relay_section(a, relays, per_stream, ffmpeg_per_stream)
    with tempfile.TemporaryDirectory(prefix="vigil-links-") as root:
        idle = idle_links(vigil, a.build, root, a.idle_links, a.seconds)

    def q(r, side, p):
        return r[side]["latency_ms"][p]

    table = ["| county viewers | county p50 (ms) | county p99 (ms) | direct p50 (ms) | direct p99 (ms) "
             "| added by 3 hops p50 (ms) | added p99 (ms) | county fragments | failed sockets |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for v, rs in latency.items():
        table.append(f"| {v} | {spread([q(r, 'county', 'p50') for r in rs], 1)} | "
                     f"{spread([q(r, 'county', 'p99') for r in rs], 1)} | "
                     f"{spread([q(r, 'direct', 'p50') for r in rs], 1)} | "
                     f"{spread([q(r, 'direct', 'p99') for r in rs], 1)} | "
                     f"{spread([q(r, 'county', 'p50') - q(r, 'direct', 'p50') for r in rs], 1)} | "
                     f"{spread([q(r, 'county', 'p99') - q(r, 'direct', 'p99') for r in rs], 1)} | "
                     f"{spread([r['county']['fragments'] for r in rs], 0)} | "
                     f"{spread([r['county']['failed'] for r in rs], 0)} |")
    table += ["", "| measure | value |", "| --- | ---: |",
              f"| open a remote live view through 3 hops, to first fragment p50 / p95 (ms), {len(open_ms)} opens "
              f"| {percentile(open_ms, 0.5):.0f} / {percentile(open_ms, 0.95):.0f} |",
              f"| CPU per relayed stream per intermediate hop (% of a core), vigil | {spread(per_stream, 3)} |",
              f"| CPU per relayed stream, ffmpeg -c copy RTSP to MPEG-TS/UDP (% of a core) | "
              f"{spread(ffmpeg_per_stream, 3)} |",
              f"| relayed fragments at the county ({a.relay_cameras} cameras, {a.seconds} s); failed sockets | "
              f"{spread([r['fragments'] for r in relays], 0)}; {sum(r['failed'] for r in relays)} |",
              f"| village with {idle['links']} idle household links: memory per link (KiB, PSS) | "
              f"{(idle['linked']['pss'] - idle['alone']['pss']) * 1024 / idle['links']:.1f} |",
              f"| same: CPU per link (% of a core; with links {idle['linked']['cpu']:.2f} s, alone "
              f"{idle['alone']['cpu']:.2f} s, over {idle['seconds']} s) | "
              f"{(idle['linked']['cpu'] - idle['alone']['cpu']) / idle['seconds'] / idle['links'] * 100:.4f} |"]
    verdict = [""]
    for v, rs in latency.items():
        added = statistics.median(q(r, "county", "p99") - q(r, "direct", "p99") for r in rs)
        verdict.append(f"- {v} county viewer(s): added p99 {added:.1f} ms ({'met' if added <= 20 else 'NOT met'}; "
                       f"target <= 20 ms).")
    p95 = percentile(open_ms, 0.95)
    verdict.append(f"- Open through 3 hops: first fragment p95 {p95:.0f} ms "
                   f"({'met' if p95 <= 300 else 'NOT met'}; target <= 300 ms).")
    cpu = statistics.median(per_stream)
    verdict.append(f"- Relay CPU per stream per hop {cpu:.3f} % of a core ({'met' if cpu <= 0.05 else 'NOT met'}; "
                   f"target <= 0.05 %); ffmpeg relaying the same stream once: "
                   f"{statistics.median(ffmpeg_per_stream):.3f} %.")
    write_section(
        a.results, "link",
        "Live across the tiers (household -> village -> township -> county, TLS links on loopback)",
        command_line("link.py", a.build, f"--viewers {a.viewers} --seconds {a.seconds} --runs {a.runs} "
                     f"--opens {a.opens} --relay-cameras {a.relay_cameras} --idle-links {a.idle_links} "
                     f"--size {a.size}"),
        f"Four `vigil serve` processes, each linked to the next above over its TLS link; the household reads "
        f"{a.relay_cameras} testcam streams ({a.size}, 25 fps, 2 Mbit/s; {DISTINCT} distinct, record off) and "
        f"shares them (live) with the county. Latency: from the send time testcam writes into each frame's SEI "
        f"to the fragment's arrival at `vigil-live-load` (bench/live_load.cpp), for viewers at the county "
        f"(wss, camera `township1.village1.house1.c0`) and, in the same seconds, one viewer of the same camera "
        f"at the household (ws); added = county - direct (same percentile). Opens: one viewer at a time at the "
        f"county, each after the last one's look closed down the chain. Relay CPU: (village + township CPU while "
        f"relaying every camera to one county viewer each - the same {a.seconds} s idle) / 2 hops / cameras; "
        f"ffmpeg: {a.relay_cameras} `ffmpeg -rtsp_transport tcp -i rtsp://testcam -c copy -f mpegts udp://` "
        f"in the same run. Idle links: `bench/vigil-link-load` enrols and dials {a.idle_links} households "
        f"(bench/link_load.cpp) at a fresh village; PSS and CPU of the village over {a.seconds} s with every "
        f"link up, less the same without links. Each cell is the median of {a.runs} runs (min-max); "
        f"everything shares the 2 cores.",
        "\n".join(table + verdict))


if __name__ == "__main__":
    main()
