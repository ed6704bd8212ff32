#!/usr/bin/env python3
"""The overview at a county (design/UPTIME.md, "Overview"): one `vigil
serve` county and N households linked to it from one `vigil-link-load`
process, each through the real link, outbox and health reporter code
(5 cameras each, the first shared with the county, one offline, the
overview's figures in every summary). Measured in one run:

- the county's CPU per 1000 links and the bytes per link and hour, for
  the links idle with health (summaries every minute, pings) against the
  same links with pings only, and against the county with no link;
- GET /api/v1/overview at p50/p95 over --requests calls, beside GET
  /api/v1/link (every child with its health) and GET /api/v1/cameras in
  the same run;
- the Overview page in Debian's headless Chromium (web/tests/overview_page.mjs):
  from navigation until the chart is drawn and every node's row is in the
  table (its first page of rows), beside the Network page listing the same
  children.

  bench/overview.py --build build/release [--links 2000] [--cameras 5] [--window 60] [--requests 40] [--loads 10]

Prints a Markdown table; --results FILE replaces the section between the
"overview" markers in that file.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, arguments, command_line, cpu_seconds, spawn, stop, vigil_binary, write_section  # noqa: E402
from link import Node, percentile, wait  # noqa: E402


def timed(node, path, count):
    ms = []
    for _ in range(count):
        t = time.monotonic()
        node.api("GET", path)
        ms.append((time.monotonic() - t) * 1000)
    return ms


def link_bytes(node):
    children = node.api("GET", "/api/v1/link")["children"]
    return sum(c["bytes_in"] + c["bytes_out"] for c in children), sum(c["state"] == "connected" for c in children)


def window(node, seconds):
    """The county's CPU seconds and its links' bytes (both ways) over `seconds`."""
    b0, _ = link_bytes(node)
    c0 = cpu_seconds(node.proc.pid)
    time.sleep(seconds)
    cpu = cpu_seconds(node.proc.pid) - c0
    b1, _ = link_bytes(node)
    return {"cpu": cpu, "bytes": b1 - b0}


def answers(predicate):
    """`predicate`, false while the county does not answer (busy with links coming up)."""
    def asked():
        try:
            return predicate()
        except OSError:
            return False
    return asked


def links_up(tool, county, keys, mode, count, args, timeout):
    p = spawn([tool, mode, "--parent-data", os.path.join(county.dir, "data"), "--parent", county.base, "--parent-id",
               county.id, "--keys", keys, "--count", str(count), "--seconds", "100000", *args])
    try:
        wait(f"{count} links up ({mode})", answers(lambda: link_bytes(county)[1] >= count), timeout=timeout)
    except BaseException:
        stop(p)
        raise
    return p


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--links", type=int, default=2000)
    ap.add_argument("--cameras", type=int, default=5)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--settle", type=int, default=30)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--loads", type=int, default=10)
    a = ap.parse_args()
    vigil = vigil_binary(a.build)
    tool = os.path.join(a.build, "bench", "vigil-link-load")
    with tempfile.TemporaryDirectory(dir=a.dir) as root:
        county = Node(vigil, root, "county1", "county", tls=True)
        keys = os.path.join(root, "keys")
        subprocess.run([tool, "enrol", "--parent-data", os.path.join(county.dir, "data"), "--keys", keys, "--count",
                        str(a.links)], check=True, timeout=3600)
        county.start()
        try:
            time.sleep(3)
            alone = window(county, a.window)
            pings = links_up(tool, county, keys, "run", a.links, [], timeout=1800)
            time.sleep(a.settle)
            idle = window(county, a.window)
            stop(pings)
            health = links_up(tool, county, keys, "health", a.links,
                              ["--cameras", str(a.cameras), "--settle", "5", "--measure", "5"], timeout=1800)
            try:
                wait("every household's summary at the county",
                     answers(lambda: sum(n["totals_shared"] for n in county.api("GET", "/api/v1/overview")["nodes"])
                             >= a.links + 1), timeout=1800)
                time.sleep(a.settle)
                reporting = window(county, a.window)
                overview = county.api("GET", "/api/v1/overview")
                api = timed(county, "/api/v1/overview", a.requests)
                api_link = timed(county, "/api/v1/link", a.requests)
                api_cameras = timed(county, "/api/v1/cameras", a.requests)
                page = subprocess.run(["node", os.path.join(ROOT, "web", "tests", "overview_page.mjs"), "--url",
                                       county.base + "/", "--password", county.password, "--loads", str(a.loads)],
                                      capture_output=True, text=True, timeout=3600)
                if page.returncode != 0:
                    raise SystemExit(f"overview_page.mjs failed: {page.stderr[-3000:]}")
                pages = json.loads(page.stdout.strip().splitlines()[-1])
            finally:
                stop(health)
        finally:
            county.stop()

    per_hour = 3600 / a.window / a.links
    n = a.links
    rows = [
        "| measure | value |",
        "| --- | --- |",
        f"| nodes in the overview / cameras counted / cameras named | {len(overview['nodes'])} / "
        f"{overview['totals']['cameras_total']} / {len(overview['cameras'])} |",
        f"| GET /api/v1/overview, p50 / p95 (ms) | {percentile(api, 0.5):.0f} / {percentile(api, 0.95):.0f} |",
        f"| peer: GET /api/v1/link (every child with its health), p50 / p95 (ms) | "
        f"{percentile(api_link, 0.5):.0f} / {percentile(api_link, 0.95):.0f} |",
        f"| peer: GET /api/v1/cameras (the named cameras), p50 / p95 (ms) | "
        f"{percentile(api_cameras, 0.5):.0f} / {percentile(api_cameras, 0.95):.0f} |",
        f"| Overview page in Chromium, chart and {pages['rows']} of {pages['nodes']} node rows shown, p50 / max (ms) | "
        f"{percentile(pages['overview'], 0.5):.0f} / {max(pages['overview']):.0f} |",
        f"| peer: Network page, every child's row shown, p50 / max (ms) | "
        f"{percentile(pages['network'], 0.5):.0f} / {max(pages['network']):.0f} |",
        f"| bytes per idle household link per hour, with health (both ways) | {reporting['bytes'] * per_hour:.0f} |",
        f"| same, pings only (floor) | {idle['bytes'] * per_hour:.0f} |",
        f"| county CPU per 1000 links with health (% of a core) | "
        f"{(reporting['cpu'] - alone['cpu']) / a.window / n * 1000 * 100:.2f} |",
        f"| same, pings only | {(idle['cpu'] - alone['cpu']) / a.window / n * 1000 * 100:.2f} |",
        f"| county alone (floor, % of a core) | {alone['cpu'] / a.window * 100:.2f} |",
    ]
    write_section(
        a.results, "overview", "Overview at a county (issue 18 item 2)",
        command_line("overview.py", a.build, f"--links {a.links} --cameras {a.cameras} --window {a.window} "
                                              f"--requests {a.requests} --loads {a.loads}"),
        f"One county `vigil serve` and {n} households from one `vigil-link-load` process, each through the real "
        f"link, outbox and health reporter code with {a.cameras} cameras (one shared with the county, one "
        f"offline, the overview's figures in its summaries). CPU and bytes over {a.window} s windows of the same "
        f"run: the county alone, the links with pings only, the links with health; bytes as the county counts "
        f"each link's frames. API: {a.requests} calls of each route one after another; page: {a.loads} loads "
        f"of each.",
        "\n".join(rows))


if __name__ == "__main__":
    main()
