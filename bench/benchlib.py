"""Helpers shared by the benchmarks in bench/: their common arguments,
process CPU and memory from /proc, starting and stopping servers by PID
(a node with its admin logged in), repeated runs summarised as median
(min-max), and writing a benchmark's section of bench/RESULTS.md."""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICKS = os.sysconf("SC_CLK_TCK")


def arguments(description=None, scratch=False):
    """A parser with the arguments every benchmark takes: --build (the
    build tree whose programs it runs), --results (the results file whose
    section it rewrites) and, with `scratch`, --dir (where its working files
    go; default: the system temp dir)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--results", help="rewrite this benchmark's section of that file")
    if scratch:
        ap.add_argument("--dir", default=None, help="where working files go (default: the system temp dir)")
    return ap


def vigil_binary(build):
    return os.path.join(build, "src", "app", "vigil")


def cpu_seconds(pid):
    """CPU seconds of a process (all its threads, ended ones too), to the
    nanosecond: its CPU-time clock (Linux's clock id for another process's
    scheduler clock, ~pid << 3 | 2). /proc/<pid>/stat counts in ticks of
    10 ms, which is 5 % of what one relayed stream or one camera's sound
    costs over a window."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu():
    """User + system CPU seconds of this script's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mask_bench(build, path, *args, timeout=1200):
    """`vigil-mask-bench --file path args...`: its JSON (frames, masked,
    cpu_seconds), once every frame went through the masker."""
    r = subprocess.run([os.path.join(build, "bench", "vigil-mask-bench"), "--file", path, *args],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise SystemExit(f"vigil-mask-bench failed: {r.stderr[-2000:]}")
    m = json.loads(r.stdout.strip().splitlines()[-1])
    if m["masked"] != m["frames"]:
        raise SystemExit(f"vigil-mask-bench went through {m['masked']} of {m['frames']} frames")
    return m


def ffmpeg_encode_cpu(path, vf, times=1, timeout=1200):
    """CPU seconds of one ffmpeg that decodes the raw H.264/H.265 file `path`
    `times` over, filters it with `vf` and encodes H.264 (libx264 ultrafast,
    zerolatency), one thread each, to nothing: the peer of vigil's decode and
    encode (masks, browser transcodes). The file is repeated, not looped:
    -stream_loop cannot seek back in a raw Annex B file (it reads it once,
    "Operation not permitted"); each copy starts with its parameter sets and
    a keyframe, so the copies decode on."""
    repeated = f"{path}.x{times}"
    with open(path, "rb") as one, open(repeated, "wb") as out:
        data = one.read()
        for _ in range(times):
            out.write(data)
    before = children_cpu()
    r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-threads", "1", "-i", repeated, "-vf", vf,
                        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
                        "-f", "null", "-"], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise SystemExit(f"ffmpeg failed: {r.stderr[-2000:]}")
    return children_cpu() - before


def pss_mib(pid):
    """Proportional set size: shared library pages are split between the
    processes that map them, so a sum over many processes is not inflated."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(args, ready, timeout=600):
    """Starts a server; returns (process, first group of `ready` matched on
    stdout). Its stderr goes to a temporary file (a pipe nobody reads
    would fill and block it) that stop() returns."""
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True)
    p.stderr_file = err
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(ready, line)
        if m:
            return p, m.group(1)
    raise SystemExit(f"{args[0]} {args[1] if len(args) > 1 else ''} did not start: {stop(p)[-2000:]}")


def spawn(args):
    """Starts a process whose stdout is discarded and whose stderr stop() returns."""
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, text=True)
    p.stderr_file = err
    return p


def serve_logged_in(vigil, config, timeout=600):
    """Starts `vigil serve --config config` (its listen may be port 0) and
    logs its admin in: (process, http://127.0.0.1:<port it listens on>, token)."""
    p, password = start([vigil, "serve", "--config", config], r"admin password: (\S+)", timeout)
    deadline = time.monotonic() + timeout
    while True:  # logged once it listens
        p.stderr_file.seek(0)
        m = re.search(r"serve\.http .*port=(\d+)", p.stderr_file.read())
        if m:
            break
        if p.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"vigil serve did not listen: {stop(p)[-2000:]}")
        time.sleep(0.1)
    base = f"http://127.0.0.1:{m.group(1)}"
    req = urllib.request.Request(base + "/api/v1/login", method="POST",
                                 data=json.dumps({"user": "admin", "password": password}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return p, base, json.load(r)["token"]
    except OSError as e:
        raise SystemExit(f"vigil serve: the admin's login failed ({e}): {stop(p)[-2000:]}")


def wait_streaming(p, cameras, timeout=120):
    """Waits, at most `timeout` seconds, until a process started by spawn()
    has logged every one of its `cameras` streaming: a node's start-up
    (Argon2id hashes, recovery) takes seconds on a loaded machine, and a
    measurement must not start before its cameras do. Returns whether they all did."""
    deadline = time.time() + timeout
    while time.time() < deadline and p.poll() is None:
        p.stderr_file.seek(0)
        streaming = set(re.findall(r"camera\.state camera=(\S+) state=streaming", p.stderr_file.read()))
        if len(streaming) >= cameras:
            return True
        time.sleep(0.1)
    return False


def stop(p, timeout=30, sig=None):
    """SIGTERM (or `sig`), then SIGKILL after `timeout`; returns what the
    process wrote to stderr when started by start() or spawn()."""
    if p.poll() is None:
        p.send_signal(sig) if sig else p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout)
    if p.stdout:
        p.stdout.close()
    f = getattr(p, "stderr_file", None)
    if f is None:
        return ""
    f.seek(0)
    text = f.read()
    f.close()
    p.stderr_file = None
    return text


def start_testcam(vigil, streams, fps=25, bitrate=2000, size="1280x720"):
    """`vigil testcam` on a free loopback port: (process, rtsp://host:port)."""
    return start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(streams), "--size", size,
                  "--fps", str(fps), "--bitrate", str(bitrate), "--loop-seconds", "4"], r"at (rtsp://\S+)/cam/0")


# A load generator opens many live views with one session: the caps that
# stop one user's runaway tabs (design/ARCHITECTURE.md) would decline them.
UNCAPPED_LIVE_VIEWS = "live_views_per_session = 10000\nlive_views_per_user = 10000\n"


def write_serve_config(path, data_dir, urls, listen="127.0.0.1:0", record=None):
    """A `vigil serve` config: cameras c0, c1, ... reading `urls`, each
    with `record` ("continuous" or "off") when given; live views uncapped."""
    with open(path, "w") as f:
        f.write(f'[node]\ndata_dir = "{data_dir}"\n[http]\nlisten = "{listen}"\n{UNCAPPED_LIVE_VIEWS}')
        for i, url in enumerate(urls):
            f.write(f'[[camera]]\nid = "c{i}"\nurl = "{url}"\n' + (f'record = "{record}"\n' if record else ""))


def testcam_frames_sent(stderr):
    m = re.search(r"testcam\.stopped .*?frames_sent=(\d+)", stderr)
    return int(m.group(1)) if m else None


def summary(values):
    """(median, min, max) of a list of numbers."""
    return statistics.median(values), min(values), max(values)


def spread(values, digits=2, unit=""):
    """"median (min-max)" of repeated runs; a single run prints as itself."""
    med, lo, hi = summary(values)
    if len(values) == 1 or lo == hi:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def replace_section(path, tag, body):
    """Replaces the text between "<!-- tag: begin -->" and "<!-- tag: end -->"
    in `path` (appends the section when missing)."""
    section = f"<!-- {tag}: begin -->\n{body.rstrip()}\n<!-- {tag}: end -->"
    old = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    if f"<!-- {tag}: begin -->" in old:
        new = re.sub(f"<!-- {re.escape(tag)}: begin -->.*<!-- {re.escape(tag)}: end -->", lambda m: section, old,
                     flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(new)


def measured_line(command):
    """The first line of a results section: when, under what load, and the
    command that reproduces it."""
    return (f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (load average {load_average()} "
            f"at the end) with\n`{command}`.")


def write_section(results, tag, title, command, description, table):
    """Prints a benchmark's Markdown table and, when `results` names a file,
    rewrites its section `tag` there: the title, when and with what command
    (`bench/<script> --build <build> ...`) it was measured, what was
    measured (`description`), then the table."""
    print(table)
    if results:
        replace_section(results, tag, f"### {title}\n\n{measured_line(command)}\n{description}\n\n{table}\n")


def command_line(script, build, args):
    """The command that reproduces a section: `script` in bench/ on `build`
    (relative to the repository) with `args`."""
    return f"bench/{script} --build {os.path.relpath(build, ROOT)} {args}"
