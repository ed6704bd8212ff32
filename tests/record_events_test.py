"""record = "events" end to end: `vigil serve` keeps a pre-roll of a camera
(vigil testcam over RTSP), an operator opens and closes an event over HTTP,
and the recording covers pre-roll + event + post-roll (ffprobe on the
export), its sound (testcam's AAC) too: the export's audio track decodes
and spans the video's within a frame (design/STORAGE.md "Audio"
invariant 8); the API's errors and the audit rows are checked on the way."""
import datetime
import json
import os
import re
import time
import unittest

from access_test import call
from vigil_testlib import VIGIL, assert_check_clean, run, serve_logged_in, start_testcam, temp_dir

STORAGE_TOOL = os.path.join(os.path.dirname(os.path.dirname(VIGIL)), "storage", "vigil_storage_tool")
FPS = 10
GOP_S = 1.0  # testcam --gop 10 at 10 fps
PRE_ROLL_S = 3
POST_ROLL_S = 2
US = 1_000_000


def log_time(line, key):
    """The RFC 3339 value of `key=` in a log line, as Unix microseconds."""
    text = re.search(key + r"=(\S+)", line).group(1)
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(t.timestamp() * US)


class EventRecording(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        cls.data = os.path.join(cls.tmp.name, "data")
        cls.cam, base = start_testcam("--streams", "2", "--size", "320x240", "--fps", str(FPS), "--gop", "10",
                                      "--audio", "aac")
        config = os.path.join(cls.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\ndata_dir = "{cls.data}"\n[http]\nlisten = "127.0.0.1:0"\n'
                    f'[[camera]]\nid = "gate"\nurl = "{base}/cam/0"\nrecord = "events"\n'
                    f'pre_roll_s = {PRE_ROLL_S}\npost_roll_s = {POST_ROLL_S}\n'
                    f'[[camera]]\nid = "yard"\nurl = "{base}/cam/1"\nrecord = "off"\n')
        cls.serve, cls.base, _, cls.admin = serve_logged_in(config)
        try:
            for user, role in (("olga", "operator"), ("vic", "viewer")):
                status, _, body = call(cls.base, "POST", "/api/v1/users",
                                       {"id": user, "role": role, "password": "password for tests",
                                        "cameras": ["gate"]}, token=cls.admin)
                assert status == 201, body
            cls.operator = cls.login("olga", "password for tests")
            cls.viewer = cls.login("vic", "password for tests")
            cls.serve.wait_for_line(r"camera=gate state=streaming", stream="stderr")
            # Long enough for a full pre-roll: PRE_ROLL_S and a GOP.
            time.sleep(PRE_ROLL_S + 2 * GOP_S)
            cls.answers = {
                "viewer": cls.event("gate", {"action": "open"}, cls.viewer),
                "open": cls.event("gate", {"action": "open", "label": "gate left open"}),
                "open_again": cls.event("gate", {"action": "open"}),
                "unknown": cls.event("nowhere", {"action": "open"}),
                "not_events": cls.event("yard", {"action": "open"}),
                "bad_action": cls.event("gate", {"action": "toggle"}),
                "bad_label": cls.event("gate", {"action": "close", "label": 7}),
            }
            time.sleep(2)
            cls.answers["close"] = cls.event("gate", {"action": "close"})
            cls.answers["close_again"] = cls.event("gate", {"action": "close"})
            cls.serve.wait_for_line(r"storage\.event\.recorded stream=gate", stream="stderr")
            cls.audit = call(cls.base, "GET", "/api/v1/audit?camera=gate", token=cls.admin)[2]
        finally:
            code = cls.serve.stop()
            cls.cam.stop()
        assert code == 0, "\n".join(cls.serve.stderr_lines[-20:])
        lines = cls.serve.stderr_lines
        cls.opened = next(l for l in lines if "storage.event.open stream=gate" in l)
        cls.closed = next(l for l in lines if "storage.event.close stream=gate" in l)
        cls.recorded = next(l for l in lines if "storage.event.recorded stream=gate" in l)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def login(cls, user, password):
        status, _, body = call(cls.base, "POST", "/api/v1/login", {"user": user, "password": password})
        assert status == 200, (status, body)
        return body["token"]

    @classmethod
    def event(cls, camera, body, token=None):
        status, _, answer = call(cls.base, "POST", f"/api/v1/cameras/{camera}/events", body,
                                 token=token or cls.operator)
        return status, answer

    def test_1_the_api_opens_and_closes_an_event_with_clear_errors(self):
        a = self.answers
        self.assertEqual(a["viewer"][0], 403)
        self.assertEqual(a["open"], (200, {"camera": "gate", "event": "open"}))
        self.assertEqual(a["open_again"], (409, {"error": "an event is already open"}))
        self.assertEqual(a["unknown"], (404, {"error": 'no camera "nowhere"'}))
        self.assertEqual(a["not_events"], (409, {"error": 'camera "yard" is not recorded in events mode'}))
        self.assertEqual(a["bad_action"], (400, {"error": "action: must be open or close"}))
        self.assertEqual(a["bad_label"], (400, {"error": "label: must be a string"}))
        self.assertEqual(a["close"], (200, {"camera": "gate", "event": "closed"}))
        self.assertEqual(a["close_again"], (409, {"error": "no event is open"}))

    def test_2_opening_and_closing_are_audited_with_the_user(self):
        rows = [(r["action"], r["user"], r["camera"], r["detail"]) for r in self.audit]
        self.assertEqual(sorted(r for r in rows if r[0].startswith("event_")),
                         [("event_close", "olga", "gate", {}),
                          ("event_open", "olga", "gate", {"label": "gate left open"})])

    def test_3_the_recording_covers_pre_roll_event_and_post_roll(self):
        opened_at = log_time(self.opened, "at")
        pre_roll_from = log_time(self.opened, "pre_roll_from")
        closed_at = log_time(self.closed, "at")
        start, end = log_time(self.recorded, "from"), log_time(self.recorded, "to")
        self.assertEqual(start, pre_roll_from)
        # From the keyframe at or before open - pre-roll; to the first
        # keyframe at or after close + post-roll (a frame of slack for the
        # rounding of capture times).
        frame = US // FPS
        self.assertLessEqual(start, opened_at - PRE_ROLL_S * US + frame // 2)
        self.assertGreater(start, opened_at - (PRE_ROLL_S + GOP_S) * US - frame // 2)
        self.assertGreaterEqual(end, closed_at + POST_ROLL_S * US - frame // 2)
        self.assertLess(end, closed_at + (POST_ROLL_S + GOP_S) * US + frame // 2)

        r = run([STORAGE_TOOL, "list", "--data", self.data, "--stream", "gate"])
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = json.loads(r.stdout)
        self.assertTrue(all(r["sealed"] for r in recs), recs)
        self.assertEqual(recs[0]["start"], start)
        self.assertEqual([r["start"] for r in recs[1:]], [r["end"] for r in recs[:-1]])  # one run, no gap
        with temp_dir() as d:
            out = os.path.join(d, "event.mp4")
            r = run([STORAGE_TOOL, "export", "--data", self.data, "--stream", "gate", "--start", str(recs[0]["start"]),
                     "--end", str(recs[-1]["end"]), "--out", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                     "stream=codec_type,codec_name,width,height,nb_read_frames,start_time,duration", "-of", "json", out])
            self.assertEqual(r.returncode, 0, r.stderr)
            streams = json.loads(r.stdout)["streams"]
            self.assertEqual([s["codec_type"] for s in streams], ["video", "audio"])
            stream, audio = streams
            self.assertEqual((stream["codec_name"], stream["width"], stream["height"]), ("h264", 320, 240))
            expected_frames = (end - start) / frame
            print(f"event: pre-roll {(opened_at - start) / US:.2f} s, event {(closed_at - opened_at) / US:.2f} s, "
                  f"post-roll {(end - closed_at) / US:.2f} s; {stream['nb_read_frames']} frames, "
                  f"{stream['duration']} s (expected {expected_frames:.1f} frames); audio {audio['codec_name']} "
                  f"from {audio['start_time']} s, {audio['duration']} s, {audio['nb_read_frames']} frames")
            self.assertLessEqual(abs(int(stream["nb_read_frames"]) - expected_frames), 2)
            self.assertLessEqual(abs(float(stream["duration"]) * US - (end - start)), 2 * frame)
            # The sound spans the video's run: it starts within an AAC frame
            # (64 ms at testcam's 16 kHz) after the first keyframe and ends
            # within one of the last video frame's end.
            aac_frame = 64_000
            audio_start = float(audio["start_time"]) - float(stream["start_time"])
            self.assertEqual(audio["codec_name"], "aac")
            self.assertGreaterEqual(audio_start * US, -frame // 2)
            self.assertLessEqual(audio_start * US, aac_frame + frame // 2)
            audio_end = audio_start + float(audio["duration"])
            self.assertLessEqual(abs(audio_end * US - (end - start)), aac_frame + frame // 2)
            r = run(["ffmpeg", "-v", "error", "-i", out, "-map", "0", "-f", "null", "-"])
            self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
        r = run([STORAGE_TOOL, "list", "--data", self.data, "--stream", "gate.audio"])
        self.assertEqual(r.returncode, 0, r.stderr)
        audio_recs = json.loads(r.stdout)
        self.assertTrue(audio_recs and all(r["sealed"] for r in audio_recs), audio_recs)

    def test_4_check_is_clean(self):
        assert_check_clean(self, self.data)


if __name__ == "__main__":
    unittest.main()
