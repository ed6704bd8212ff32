"""The recording store against real peers: MP4s exported from the index are
checked with ffprobe and decoded with ffmpeg; a writer killed with SIGKILL
leaves a store that recovers clean and lost at most 2 s.

Drives src/storage's vigil_storage_tool (path in STORAGE_TOOL)."""
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from vigil_testlib import Process, run, temp_dir  # noqa: E402

TOOL = os.environ.get("STORAGE_TOOL", "vigil_storage_tool")
T0 = 1_800_000_000_000_000  # microseconds, 2027-01-15
FPS = 25
US = 1_000_000


def tool(*args, check=True):
    r = run([TOOL, *map(str, args)], timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r


def probe(path, *input_options):
    r = run(["ffprobe", "-v", "error", *input_options, "-count_frames", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", path])
    if r.returncode != 0 or r.stderr.strip():
        raise AssertionError(f"ffprobe: {r.stderr}")
    j = json.loads(r.stdout)
    s = j["streams"][0]
    return s["codec_name"], int(s["width"]), int(s["height"]), int(s["nb_read_frames"]), float(j["format"].get("duration", "nan"))


def decode_errors(path):
    r = run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], timeout=300)
    return r.returncode, r.stderr.strip()


class StorageExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        cls.inputs = {}
        for codec, encoder, params in (("h264", "libx264", ["-x264-params", "keyint=50:min-keyint=50:scenecut=0:bframes=0"]),
                                       ("h265", "libx265", ["-x265-params", "keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error"])):
            path = os.path.join(cls.tmp.name, f"in.{codec}")
            r = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=320x240:rate={FPS}", "-t", "10",
                     "-pix_fmt", "yuv420p", "-c:v", encoder, "-preset", "ultrafast", *params, "-f", "hevc" if codec == "h265" else codec, "-y", path],
                    timeout=120)
            if r.returncode != 0:
                raise AssertionError(r.stderr)
            cls.inputs[codec] = path

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, data, stream, frames, codec="h264", start=T0, *extra):
        out = tool("write", "--data", data, "--stream", stream, "--input", self.inputs[codec], "--codec", codec,
                   "--start", start, "--frames", frames, "--commit-ms", 100, *extra)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def export(self, data, stream, start, end, name):
        out = os.path.join(data, name)
        r = tool("export", "--data", data, "--stream", stream, "--start", start, "--end", end, "--out", out)
        plan = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(os.path.getsize(out), plan["size"])
        return out, plan

    def assert_plays(self, path, codec, frames, seconds):
        name, w, h, n, duration = probe(path)
        self.assertEqual((name, w, h, n), (codec, 320, 240, frames))
        self.assertAlmostEqual(duration, seconds, delta=0.05)
        rc, errors = decode_errors(path)
        self.assertEqual((rc, errors), (0, ""))

    def fmp4(self, codec, frames, *extra):
        out = os.path.join(self.tmp.name, f"fmp4-{codec}-{frames}{''.join(map(str, extra))}")
        r = tool("fmp4", "--input", self.inputs[codec], "--codec", codec, "--start", T0, "--frames", frames,
                 "--out", out, *extra)
        return out, json.loads(r.stdout.strip().splitlines()[-1])

    def test_range_from_mid_recording_across_three_recordings(self):
        with temp_dir() as data:
            self.write(data, "gate", 150 * FPS)
            recs = json.loads(tool("list", "--data", data, "--stream", "gate").stdout)
            self.assertGreaterEqual(len(recs), 3)
            self.assertTrue(all(r["media_duration"] <= 60 * 90000 for r in recs))
            for a, b in zip(recs, recs[1:]):
                self.assertEqual(a["end"], b["start"])
            # 37.3 s .. 125 s holds the samples from the keyframe at 36 s;
            # its edit list starts playback at 37.3 s (the frame from 37.32 s).
            path, plan = self.export(data, "gate", T0 + 37_300_000, T0 + 125 * US, "mid.mp4")
            self.assertEqual(plan["segments"][0]["start"], T0 + 36 * US)
            self.assertGreaterEqual(len(plan["segments"]), 2)
            self.assertEqual(plan["gaps"], [])
            self.assert_plays(path, "h264", (125 - 37) * FPS - 8, 87.7)
            self.assertEqual(tool("check", "--data", data).returncode, 0)

    def test_range_spanning_a_gap(self):
        with temp_dir() as data:
            self.write(data, "gate", 40 * FPS, "h264", T0, "--gap-at", 20 * FPS, "--gap-seconds", 30)
            path, plan = self.export(data, "gate", T0 + 10 * US, T0 + 60 * US, "gap.mp4")
            self.assertEqual(plan["gaps"], [{"start": T0 + 20 * US, "end": T0 + 50 * US}])
            # 10..20 s and 50..60 s; the gap stays on the MP4's timeline.
            self.assert_plays(path, "h264", 20 * FPS, 50.0)

    def test_h265(self):
        with temp_dir() as data:
            self.write(data, "door", 70 * FPS, "h265")
            path, plan = self.export(data, "door", T0 + 5 * US, T0 + 70 * US, "h265.mp4")
            self.assert_plays(path, "hevc", 65 * FPS, 65.0)

    def test_fmp4_init_and_fragments_of_frames(self):
        # libx264 ultrafast is Constrained Baseline; level 1.3 and 2 (60) fit 320x240.
        for codec, name, codec_string in (("h264", "h264", "avc1.42c00d"), ("h265", "hevc", "hvc1.1.6.L60.90")):
            with self.subTest(codec=codec):
                out, info = self.fmp4(codec, 250)
                self.assertEqual(info["codec"], codec_string)
                self.assertEqual(info["fragments"], 5)  # one per 2-s GOP
                self.assert_plays(os.path.join(out, "frames.mp4"), name, 250, 10.0)

    def test_live_hls_playlist_across_a_restart(self):
        # 2-s GOPs, so 2-s segments; the restart at frame 330 cuts the
        # segment from 300 short, and frames 330-349 wait for a keyframe.
        out, info = self.fmp4("h264", 500, "--gap-at", 330)
        self.assertEqual(info["live_listed"], 5)
        with open(os.path.join(out, "live.m3u8")) as f:
            m3u8 = f.read()
        self.assertIn("#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:4\n", m3u8)
        self.assertIn('#EXT-X-MAP:URI="live/init1.mp4"', m3u8)
        self.assertIn("#EXTINF:1.200,\nlive/6.m4s\n#EXT-X-DISCONTINUITY\n", m3u8)
        self.assertIn("#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:16Z\n#EXTINF:2.000,\nlive/8.m4s\n", m3u8)
        self.assertNotIn("ENDLIST", m3u8)
        # ffmpeg starts a live playlist 3 segments from the end and reloads
        # it; from the first segment, and with no reload waiting for more:
        name, w, h, n, _ = probe(os.path.join(out, "live.m3u8"), "-live_start_index", "0", "-m3u8_hold_counters", "1")
        self.assertEqual((name, w, h, n), ("h264", 320, 240, 2 * 50 + 30 + 2 * 50))

    def test_playback_hls_across_recordings_and_a_gap(self):
        for codec, name in (("h264", "h264"), ("h265", "hevc")):
            with self.subTest(codec=codec), temp_dir() as data:
                # 0-60 and 60-80 s, then a 30 s gap, then 110-130 s.
                self.write(data, "gate", 100 * FPS, codec, T0, "--gap-at", 80 * FPS, "--gap-seconds", 30)
                out = os.path.join(data, "vod")
                r = tool("hls", "--data", data, "--stream", "gate", "--start", T0 + 31 * US, "--end", T0 + 200 * US,
                         "--out", out)
                info = json.loads(r.stdout.strip().splitlines()[-1])
                # From the keyframe at 30 s: 15 + 10 + 10 GOPs of 2 s.
                self.assertEqual((info["fragments"], info["inits"], info["discontinuities"]), (35, 1, 1))
                playlist = os.path.join(out, "playback.m3u8")
                with open(playlist) as f:
                    m3u8 = f.read()
                self.assertTrue(m3u8.endswith("#EXT-X-ENDLIST\n"))
                self.assertIn("#EXT-X-PLAYLIST-TYPE:VOD\n", m3u8)
                self.assertIn("24.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:01:50Z\n", m3u8)
                self.assert_plays(playlist, name, 70 * FPS, 70.0)


    def frame_times(self, path, stream="v:0"):
        """The presentation times ffmpeg gives the decoded frames, edit list applied."""
        r = run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_frames", "-show_entries",
                 "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
        self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
        return [float(line.split(",")[0]) for line in r.stdout.splitlines() if line.strip()]

    def test_exports_start_and_end_where_asked_and_keep_gaps(self):
        # 0-20 s, a 30 s gap, 50-70 s; keyframes every 2 s. Ranges start
        # mid-GOP (and mid-frame): the file holds the GOP from its keyframe,
        # its edit list starts playback at the instant asked and ends it at
        # the end asked; time in the file is wall time since the start.
        with temp_dir() as data:
            self.write(data, "gate", 40 * FPS, "h264", T0, "--gap-at", 20 * FPS, "--gap-seconds", 30)
            frame = 1 / FPS
            for start, end, first, gap in ((7.3, 15.3, 7.32, None),       # within a recording
                                           (15.3, 55.3, 15.32, (20, 50)),  # across the gap
                                           (21.0, 55.3, 50.0, None)):      # starting in the gap
                with self.subTest(start=start, end=end):
                    path, plan = self.export(data, "gate", T0 + int(start * US), T0 + int(end * US), "range.mp4")
                    self.assertLessEqual(plan["segments"][0]["start"], T0 + max(start, 50) * US)
                    _, _, _, frames, duration = probe(path)
                    self.assertAlmostEqual(duration, end - start, delta=0.1)
                    times = self.frame_times(path)
                    self.assertEqual(len(times), frames)
                    # Every frame recorded in the range, each once, none before it.
                    recorded = [t for t in (i * frame for i in range(70 * FPS)) if start <= t + 1e-9 < end
                                and not 20 <= t < 50]
                    self.assertEqual(frames, len(recorded))
                    # The first frame is where asked (within a frame: ffmpeg
                    # starts at the first whole frame).
                    self.assertAlmostEqual(times[0], first - start, delta=frame)
                    if gap:
                        after = next(t for t in times if t > gap[0] - start)
                        self.assertAlmostEqual(after, gap[1] - start, delta=frame)
                    rc, errors = decode_errors(path)
                    self.assertEqual((rc, errors), (0, ""))

    def test_range_across_codec_changes(self):
        # H.264, then H.265, then H.264 again, 10 s each: one track per run
        # of a codec, each placed on the timeline where its run starts.
        with temp_dir() as data:
            for i, codec in enumerate(("h264", "h265", "h264")):
                self.write(data, "mixed", 10 * FPS, codec, T0 + i * 10 * US)
            # From 4 s (a keyframe) to the end.
            path, plan = self.export(data, "mixed", T0 + 4 * US, T0 + 30 * US, "mixed.mp4")
            self.assertEqual(plan["gaps"], [])
            r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                     "stream=codec_name,width,height,nb_read_frames,start_time,duration:format=duration",
                     "-of", "json", path])
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
            j = json.loads(r.stdout)
            streams = [(s["codec_name"], int(s["width"]), int(s["height"]), int(s["nb_read_frames"]),
                        float(s["start_time"]), float(s["duration"])) for s in j["streams"]]
            self.assertEqual(streams, [("h264", 320, 240, 6 * FPS, 0.0, 6.0),
                                       ("hevc", 320, 240, 10 * FPS, 6.0, 10.0),
                                       ("h264", 320, 240, 10 * FPS, 16.0, 10.0)])
            self.assertAlmostEqual(float(j["format"]["duration"]), 26.0, delta=0.05)
            # Every track decodes (-map 0: not only the one ffmpeg would pick).
            r = run(["ffmpeg", "-v", "error", "-i", path, "-map", "0", "-f", "null", "-"], timeout=300)
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
            # Mid-GOP in the first run to mid-GOP in the last: each track
            # starts where its run does, the first at the instant asked.
            path, plan = self.export(data, "mixed", T0 + 5_300_000, T0 + 27_100_000, "mixed-mid.mp4")
            r = run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,start_time:format=duration",
                     "-of", "json", path])
            j = json.loads(r.stdout)
            self.assertAlmostEqual(float(j["format"]["duration"]), 21.8, delta=0.1)
            self.assertEqual([s["codec_name"] for s in j["streams"]], ["h264", "hevc", "h264"])
            for n, run_start in enumerate((5.3, 10, 20)):
                self.assertAlmostEqual(self.frame_times(path, f"v:{n}")[0], run_start - 5.3, delta=1 / FPS)
            r = run(["ffmpeg", "-v", "error", "-i", path, "-map", "0", "-f", "null", "-"], timeout=300)
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))


class StorageCrash(unittest.TestCase):
    """kill -9 a writer at random moments; every restart recovers clean."""

    def test_kill_9_twenty_times(self):
        with temp_dir() as tmp:
            source = os.path.join(tmp, "in.h264")
            r = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=320x240:rate={FPS}", "-t", "4",
                     "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-x264-params",
                     "keyint=25:min-keyint=25:scenecut=0:bframes=0", "-f", "h264", "-y", source], timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            data = os.path.join(tmp, "data")
            rng = random.Random(4)
            losses = []
            for i in range(20):
                start = T0 + i * 100 * US
                p = Process([TOOL, "write", "--data", data, "--stream", "gate", "--input", source, "--start",
                             str(start), "--frames", str(60 * FPS), "--realtime"])
                try:
                    p.wait_for_line(r"^fed 0 ", timeout=60)
                    time.sleep(rng.uniform(1.0, 3.5))
                    p.proc.send_signal(signal.SIGKILL)
                    p.proc.wait(20)
                finally:
                    p.stop()
                fed = [line for line in p.stdout_lines if line.startswith("fed ")]
                last_fed = int(fed[-1].split()[2]) + US // FPS
                # Opening the store (list) recovers it; check must then be clean.
                recs = json.loads(tool("list", "--data", data, "--stream", "gate").stdout)
                chk = tool("check", "--data", data, check=False)
                self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
                ends = [r["end"] for r in recs if r["start"] >= start]
                recorded_end = max(ends) if ends else start
                losses.append((last_fed - recorded_end) / US)
            print(f"losses after kill -9 (s): {[round(x, 2) for x in losses]}", file=sys.stderr)
            self.assertLessEqual(max(losses), 2.0)
            # What was recovered still exports and decodes.
            recs = json.loads(tool("list", "--data", data, "--stream", "gate").stdout)
            self.assertGreater(len(recs), 10)
            out = os.path.join(tmp, "crash.mp4")
            tool("export", "--data", data, "--stream", "gate", "--start", recs[-1]["start"], "--end", recs[-1]["end"],
                 "--out", out)
            rc, errors = decode_errors(out)
            self.assertEqual((rc, errors), (0, ""))


def encode(path, seconds, gop, extra_filter="", bitrate=None):
    rate = ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", "1M"] if bitrate else []
    r = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc=size=320x240:rate={FPS}{extra_filter}", "-t",
             str(seconds), "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", *rate, "-x264-params",
             f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0", "-f", "h264", "-y", path], timeout=120)
    if r.returncode != 0:
        raise AssertionError(r.stderr)


class StorageDiskFull(unittest.TestCase):
    """A 40 MiB tmpfs filled by a 2 Mbit/s stream: every write that finds it
    full stops the stream at its last commit, retention deletes the oldest
    recordings, and recording resumes at the next keyframe."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.tmp = temp_dir()
        self.addCleanup(self.tmp.cleanup)
        self.data = os.path.join(self.tmp.name, "data")
        os.mkdir(self.data)
        r = run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", self.data], timeout=30)
        if r.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {r.stderr.strip()}")
        self.addCleanup(lambda: run(["umount", self.data], timeout=30))

    def test_recording_survives_a_full_disk(self):
        source = os.path.join(self.tmp.name, "in.h264")
        # Noise keeps the encoder at its 2 Mbit/s: 15 MB per 60-s recording.
        encode(source, 4, FPS, ",noise=alls=30:allf=t", "2M")
        seconds = 360  # 90 MB through 40 MiB, at 20x real time
        r = tool("write", "--data", self.data, "--stream", "gate", "--input", source, "--start", T0,
                 "--frames", seconds * FPS, "--speed", 20, "--commit-ms", 50, "--reclaim-mb", 8)
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"disk full: {stats}", file=sys.stderr)
        self.assertGreaterEqual(stats["full_events"], 2)
        self.assertEqual(stats["write_errors"], stats["full_events"])
        self.assertGreaterEqual(stats["deleted"], 2)
        # Nothing left is damaged, and recovery (opening the store) finds
        # nothing to repair.
        chk = tool("check", "--data", self.data)
        self.assertEqual(json.loads(chk.stdout)["problems"], [])
        opened = tool("list", "--data", self.data, "--stream", "gate")
        self.assertIn("storage.dir.open", opened.stderr)
        self.assertNotIn("storage.recovery", opened.stderr)
        recs = json.loads(opened.stdout)
        # Recording went on to the end (a full disk at the very last commit
        # may cost its second). Each full disk cost a commit interval (1 s of
        # video here, more when the writer is slowed) and the wait for a
        # keyframe (1 s).
        self.assertGreaterEqual(recs[-1]["end"], T0 + (seconds - 2) * US)
        gaps = [(b["start"] - a["end"]) / US for a, b in zip(recs, recs[1:])]
        print(f"gaps after a full disk (s): {gaps}", file=sys.stderr)
        self.assertTrue(all(g <= 4 for g in gaps), gaps)
        out = os.path.join(self.tmp.name, "after-full.mp4")
        tool("export", "--data", self.data, "--stream", "gate", "--start", recs[0]["start"], "--end", recs[-1]["end"],
             "--out", out)
        rc, errors = decode_errors(out)
        self.assertEqual((rc, errors), (0, ""))


class StorageTwoDirectories(unittest.TestCase):
    def test_streams_spread_over_two_directories_and_recover(self):
        with temp_dir() as tmp:
            source = os.path.join(tmp, "in.h264")
            encode(source, 4, FPS)
            data = os.path.join(tmp, "data")
            for stream in ("gate", "door"):
                tool("write", "--data", data, "--dirs", "a,b", "--stream", stream, "--input", source, "--start", T0,
                     "--frames", 70 * FPS, "--commit-ms", 100)
            # One stream in each directory, each with its own index.
            self.assertEqual(sorted(os.listdir(data)), ["a", "b"])
            for d in ("a", "b"):
                self.assertEqual(len([f for f in os.listdir(os.path.join(data, d)) if len(f) == 16]), 2)
            chk = json.loads(tool("check", "--data", data).stdout)
            self.assertEqual((chk["recordings"], chk["problems"]), (4, []))
            for stream in ("gate", "door"):
                recs = json.loads(tool("list", "--data", data, "--dirs", "a,b", "--stream", stream).stdout)
                self.assertEqual(len(recs), 2)
                out = os.path.join(tmp, f"{stream}.mp4")
                tool("export", "--data", data, "--dirs", "a,b", "--stream", stream, "--start", T0,
                     "--end", T0 + 70 * US, "--out", out)
                name, _, _, frames, _ = probe(out)
                self.assertEqual((name, frames), ("h264", 70 * FPS))


if __name__ == "__main__":
    unittest.main()
