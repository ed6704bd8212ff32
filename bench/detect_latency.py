#!/usr/bin/env python3
"""Detection end to end (issue 16): a person walking into a camera's
picture -> the `new` event on MQTT, p50 and p99, through the real path:
`vigil testcam --scene person.jpg` (the person photo sliding in over a still
background, once per loop) -> RTSP -> `vigil serve` (ingest, the
detection pool: decode, motion, NanoDet on the motion's region, the event
tracker, events.db with the snapshot) -> a mosquitto started here -> a
mosquitto_sub that notes when each message arrives.

Latency: arrival of the `new` message at the subscriber minus the event's
`start_time`, the capture time of the first analysed frame the person was
detected in (testcam's RTCP sender reports give it; same clock on
loopback). The floor, in the same run: the detector's own inference
(`vigil-detector-bench`, one thread, the same model and photo), which the
path contains once at least.

Two cameras by default: `[detect]`'s default pool is one worker on this
2-core box, and a few cameras whose motion all runs the detector at once
fill it, so latency then measures the queue (dropping frames to the next
keyframe, design/DETECT.md), not the path.

The loop is long enough (30 s) for the person to be gone longer than an
event's quiet period (10 s) between visits: with a short loop they come
back to the same spot before their event ended, which is the same event
and, after 30 s on that spot, a stationary one (design/DETECT.md).

  bench/detect_latency.py --build build/release [--cameras 2] [--loop-seconds 30] [--seconds 240]
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (ROOT, arguments, command_line, spawn, start, stop, vigil_binary, wait_streaming,  # noqa: E402
                      write_section)

PHOTO = os.path.join(ROOT, "tests", "data", "scenes", "person.jpg")
WARM_UP = 10  # seconds after the cameras stream: events starting earlier are not counted


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Subscriber:
    """mosquitto_sub on the events topic; (arrival, event) of each `new`."""

    def __init__(self, port, topic):
        self.proc = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-F", "%p"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.new = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            arrived = time.time()
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("type") == "new":
                self.new.append((arrived, message["after"]))

    def stop(self):
        stop(self.proc)


def detector_floor(build, seconds):
    """The detector alone, one thread: (median ms, p90 ms) per inference."""
    out = subprocess.run([os.path.join(build, "bench", "vigil-detector-bench"), "--image", PHOTO, "--threads", "1",
                          "--seconds", str(seconds)], capture_output=True, text=True, timeout=seconds * 10 + 120)
    if out.returncode != 0:
        raise SystemExit(f"vigil-detector-bench failed: {out.stderr[-2000:]}")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    return m["median_ms"], m["p90_ms"]


def main():
    ap = arguments(__doc__, scratch=True)
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--loop-seconds", type=int, default=30)
    ap.add_argument("--seconds", type=int, default=240)
    a = ap.parse_args()
    vigil = vigil_binary(a.build)
    d = tempfile.mkdtemp(dir=a.dir, prefix="vigil-detect-latency-")
    procs = []
    try:
        port = free_port()
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    + ("user root\n" if os.geteuid() == 0 else ""))
        broker = spawn(["mosquitto", "-c", conf])
        procs.append(broker)
        cam, base = start([vigil, "testcam", "--listen", "127.0.0.1:0", "--streams", str(a.cameras), "--size",
                           "640x360", "--fps", "10", "--loop-seconds", str(a.loop_seconds)]
                          + [x for _ in range(a.cameras) for x in ("--scene", PHOTO)], r"at (rtsp://\S+)/cam/0")
        procs.append(cam)
        config = os.path.join(d, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\nid = "bench"\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[notify]\nmqtt = "mqtt://127.0.0.1:{port}"\n')
            for i in range(a.cameras):
                f.write(f'[[camera]]\nid = "c{i}"\nurl = "{base}/cam/{i}"\nrecord = "off"\ndetect = ["person"]\n')
        sub = Subscriber(port, "vigil/bench/events")
        serve = spawn([vigil, "serve", "--config", config])
        procs.append(serve)
        if not wait_streaming(serve, a.cameras):
            raise SystemExit(f"the cameras did not stream: {stop(serve)[-2000:]}")
        counted_from = time.time() + WARM_UP
        time.sleep(WARM_UP + a.seconds)
        sub.stop()
        serve_log = stop(serve)
        procs.remove(serve)
        for p in procs:
            stop(p)
        procs = []
        latencies = [(arrived - e["start_time"]) * 1000 for arrived, e in sub.new if e["start_time"] >= counted_from]
        if not latencies:
            raise SystemExit(f"no person event was published: {serve_log[-3000:]}")
        print(f"{len(latencies)} events: {sorted(round(x) for x in latencies)}", file=sys.stderr)
        floor_median, floor_p90 = detector_floor(a.build, 10)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(d, ignore_errors=True)
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    rows = ["| path | samples | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: |",
            f"| person detected in a frame -> MQTT `new` at a subscriber ({a.cameras} camera(s)) | {len(latencies)} "
            f"| {p50:.0f} | {p99:.0f} |",
            f"| floor: one inference alone (vigil-detector-bench, 1 thread; median, p90) | - | {floor_median:.0f} "
            f"| {floor_p90:.0f} |",
            "",
            f"- p50 is {p50 / floor_median:.1f}x one inference alone; p99 {p99 / floor_median:.1f}x."]
    write_section(
        a.results, "detect_latency", "Detection end to end: a person in view -> MQTT `new`",
        command_line("detect_latency.py", a.build,
                     f"--cameras {a.cameras} --loop-seconds {a.loop_seconds} --seconds {a.seconds}"),
        f"`vigil testcam --scene tests/data/scenes/person.jpg` x {a.cameras} streams (640x360, 10 fps, the photo "
        f"sliding in over a still background every {a.loop_seconds} s) -> `vigil serve` (each camera `detect = [\"person\"]`, "
        f"`record = \"off\"`, `[detect]` defaults: 5 fps, one worker) -> mosquitto (started by the bench) -> "
        f"mosquitto_sub. A sample: the arrival of a `new` event at the subscriber minus its `start_time` (the "
        f"capture time of the first analysed frame the person was found in), for events starting over "
        f"{a.seconds} s after {WARM_UP} s of warm-up. With one event per camera and loop, p99 of so few samples "
        f"is about their maximum. Floor, in the same run after it: `vigil-detector-bench` on the same photo, "
        f"one thread, 10 s.",
        "\n".join(rows))


if __name__ == "__main__":
    main()
