"""Recorded video and live HLS across tiers (issue 14, item 6; design/LINK.md
"Recorded media across tiers") between real `vigil serve` processes on
loopback: a household recording a synthetic camera, a village, a township
and a county. At the county, the household's camera
township-1.village-1.house-1.door lists its recordings, plays its playback
HLS in ffprobe/ffmpeg, downloads export.mp4 whole and by Range (the very
bytes the household serves itself) and plays live HLS; the household
decides each by its shares and logs it naming the county's user; export
not shared is 403 with the owner's reason and a `refused` row; revoking
export during a slow download cuts it."""
import http.client
import json
import os
import signal
import ssl
import threading
import time
import unittest

from link_test import LINK_UP, NodesTestCase, wait_until
from looks_test import tls
from live_playback_test import parse_time, rfc3339
from vigil_testlib import run, start_testcam, temp_dir

REMOTE = "township-1.village-1.house-1.door"
CUT = 20  # loose: the slow download ends within this after the revocation


def get(node, path, headers=None):
    """GET with the node's admin token: (status, headers, body)."""
    conn = http.client.HTTPSConnection("127.0.0.1", node.port, context=tls(), timeout=60)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + node.token, **(headers or {})})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


class RemoteMediaTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        # 12 Mbit/s (filler data): an export of 14 s is about 20 MB.
        self.cam, self.cam_base = start_testcam("--size", "320x240", "--fps", "10", "--gop", "10", "--bitrate", "12000")
        self.out = temp_dir()

    def tearDown(self):
        super().tearDown()
        self.cam.stop()
        self.out.cleanup()

    def house_rows(self, house, action, user="admin@county-1"):
        status, rows = house.api("GET", "/api/v1/audit?camera=door")
        self.assertEqual(status, 200, rows)
        return [r for r in rows if r["action"] == action and r["user"] == user]

    def ffprobe(self, node, url, entries, count_frames=False):
        """ffprobe's JSON for `entries` ("stream=a,b:format=c") of `url`, asked with the node's token."""
        auth = ["-headers", f"Authorization: Bearer {node.token}\r\n"]
        count = ["-count_frames"] if count_frames else []
        r = run(["ffprobe", "-v", "error", *auth, *count, "-select_streams", "v:0", "-show_entries", entries,
                 "-of", "json", url], timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_a_county_plays_exports_and_watches_recorded_video_of_a_household(self):
        county = self.node("county-1", "county")
        township = self.node("township-1", "township")
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        with open(house.config, "a") as f:
            f.write(f'\n[[camera]]\nid = "door"\nname = "The door"\nurl = "{self.cam_base}/cam/0"\n'
                    f'record = "continuous"\n')
        self.linked(county, township, village, house)

        def runs(node, camera):
            now = time.time()
            status, _, body = get(node, f"/api/v1/cameras/{camera}/recordings?start={rfc3339(now - 600)}"
                                        f"&end={rfc3339(now + 60)}")
            return status, body

        def recorded_long_enough():
            status, body = runs(house, "door")
            if status != 200:
                return None
            spans = [r for r in json.loads(body) if parse_time(r["end"]) - parse_time(r["start"]) >= 17]
            return spans[-1] if spans else None

        run_, _ = wait_until("the household has recorded 17 s", recorded_long_enough, 120)
        end = parse_time(run_["end"]) - 1.5
        export_q = f"start={rfc3339(end - 14)}&end={rfc3339(end)}"
        play_q = f"start={rfc3339(end - 10)}&end={rfc3339(end)}"

        # Live and playback shared with the county, not export.
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares",
                                   [{"tier": "county", "rights": ["live", "playback"]}])
        self.assertEqual(status, 200, shares)
        wait_until("the county lists the door",
                   lambda: REMOTE in [c["id"] for c in county.api("GET", "/api/v1/cameras")[1]], LINK_UP)

        # The list of recordings: what the household answers itself.
        now = time.time()
        list_q = f"start={rfc3339(now - 600)}&end={rfc3339(now + 60)}"
        status, _, here = get(house, f"/api/v1/cameras/door/recordings?{list_q}")
        self.assertEqual(status, 200, here)
        status, headers, there = get(county, f"/api/v1/cameras/{REMOTE}/recordings?{list_q}")
        self.assertEqual(status, 200, there)
        self.assertEqual(headers["Content-Type"], "application/json")
        here, there = json.loads(here), json.loads(there)
        self.assertGreaterEqual(len(there), 1)
        self.assertEqual([r["start"] for r in there], [r["start"] for r in here])  # the last run grows meanwhile
        # An accepted list is a look too: its row at the owner (a playback, marked as a list).
        lists = [r for r in self.house_rows(house, "playback") if r["detail"].get("list")]
        self.assertEqual(len(lists), 1, lists)
        self.assertEqual((lists[0]["detail"]["tier"], lists[0]["detail"]["via"]),
                         ("county", ["county-1", "township-1", "village-1"]))

        # Playback HLS through three hops, in ffprobe and ffmpeg.
        status, headers, playlist = get(county, f"/api/v1/cameras/{REMOTE}/playback.m3u8?{play_q}")
        self.assertEqual(status, 200, playlist)
        self.assertEqual(headers["Content-Type"], "application/vnd.apple.mpegurl")
        self.assertIn("#EXT-X-ENDLIST", playlist.decode())
        url = f"{county.url}/api/v1/cameras/{REMOTE}/playback.m3u8?{play_q}"
        info = self.ffprobe(county, url, "stream=codec_name,width,height,nb_read_frames:format=duration", True)
        stream = info["streams"][0]
        self.assertEqual((stream["codec_name"], stream["width"], stream["height"]), ("h264", 320, 240))
        self.assertGreaterEqual(int(stream["nb_read_frames"]), 10 * 10 - 12)
        self.assertAlmostEqual(float(info["format"]["duration"]), 10, delta=1.5)
        r = run(["ffmpeg", "-v", "error", "-headers", f"Authorization: Bearer {county.token}\r\n", "-i", url,
                 "-f", "null", "-"], timeout=120)
        self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
        plays = [r for r in self.house_rows(house, "playback") if not r["detail"].get("list")]
        self.assertEqual(len(plays), 1, plays)  # one look: a playlist and its segments
        detail = plays[0]["detail"]
        self.assertEqual((detail["remote"], detail["tier"], detail["right"]), (True, "county", "playback"))
        self.assertEqual(detail["via"], ["county-1", "township-1", "village-1"])
        self.assertAlmostEqual(parse_time(detail["end"]) - parse_time(detail["start"]), 10, delta=0.01)

        # Export is not shared: refused at the source, which says why and logs it.
        status, _, body = get(county, f"/api/v1/cameras/{REMOTE}/export.mp4?{export_q}")
        self.assertEqual(status, 403, body)
        self.assertEqual(json.loads(body)["error"], "export not shared with the county")
        refused = self.house_rows(house, "refused")
        self.assertEqual(len(refused), 1, refused)
        self.assertEqual(refused[0]["detail"]["right"], "export")
        # The township is not the county: it does not even see the camera.
        status, _, body = get(township, f"/api/v1/cameras/village-1.house-1.door/recordings?{list_q}")
        self.assertEqual(status, 404, body)

        # Export shared: the same bytes through three hops as at the household, whole and by Range.
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares",
                                   [{"tier": "county", "rights": ["live", "playback", "export"]}])
        self.assertEqual(status, 200, shares)
        started = time.monotonic()
        status, headers, direct = get(house, f"/api/v1/cameras/door/export.mp4?{export_q}")
        direct_s = time.monotonic() - started
        self.assertEqual(status, 200, direct[:200])
        self.assertGreater(len(direct), 10 << 20)
        started = time.monotonic()
        status, headers, remote = get(county, f"/api/v1/cameras/{REMOTE}/export.mp4?{export_q}")
        remote_s = time.monotonic() - started
        self.assertEqual(status, 200, remote[:200])
        self.assertEqual(int(headers["Content-Length"]), len(direct))
        self.assertIn("attachment", headers["Content-Disposition"])
        self.assertEqual(remote, direct)
        mb = len(direct) / 1e6
        print(f"export of {mb:.1f} MB: direct {mb / direct_s:.1f} MB/s, through three hops {mb / remote_s:.1f} MB/s")
        status, headers, part = get(county, f"/api/v1/cameras/{REMOTE}/export.mp4?{export_q}",
                                    {"Range": "bytes=1000-1999999"})
        self.assertEqual(status, 206, part[:200])
        self.assertEqual(headers["Content-Range"], f"bytes 1000-1999999/{len(direct)}")
        self.assertEqual(part, direct[1000:2000000])
        status, headers, _ = get(county, f"/api/v1/cameras/{REMOTE}/export.mp4?{export_q}",
                                 {"Range": f"bytes={len(direct) + 5}-"})
        self.assertEqual(status, 416)
        self.assertEqual(headers["Content-Range"], f"bytes */{len(direct)}")
        path = os.path.join(self.out.name, "export.mp4")
        with open(path, "wb") as f:
            f.write(remote)
        r = run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], timeout=120)
        self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
        exports = self.house_rows(house, "export")
        self.assertEqual(len(exports), 1, exports)  # one look: the whole file and its ranges
        self.assertEqual(exports[0]["detail"]["right"], "export")

        # Live HLS through three hops: the owner's look is held while the player asks.
        deadline = time.monotonic() + 60
        while True:
            status, _, body = get(county, f"/api/v1/cameras/{REMOTE}/live.m3u8")
            self.assertEqual(status, 200, body[:200])
            if body.decode().count("#EXTINF") >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertGreaterEqual(body.decode().count("#EXTINF"), 2, body)
        # A live playlist never ends: ffprobe reads its streams only.
        info = self.ffprobe(county, f"{county.url}/api/v1/cameras/{REMOTE}/live.m3u8", "stream=codec_name,width,height")
        self.assertEqual(info["streams"][0]["codec_name"], "h264")
        self.assertEqual(len(self.house_rows(house, "live_start")), 1)
        # Nobody asks for ~10 s: the county ends the look at the source.
        stops, took = wait_until("the household logs the live HLS look ended",
                                 lambda: self.house_rows(house, "live_stop"), 40)
        print(f"the idle live HLS look ended at the source {took:.1f} s after the last request")

        # Revoking export during a slow download cuts it.
        conn = http.client.HTTPSConnection("127.0.0.1", county.port, context=tls(), timeout=60)
        conn.request("GET", f"/api/v1/cameras/{REMOTE}/export.mp4?{export_q}",
                     headers={"Authorization": "Bearer " + county.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        total = int(resp.headers["Content-Length"])
        got = 0
        while got < 1 << 20:
            got += len(resp.read(64 << 10))
            time.sleep(0.05)
        status, _ = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "county", "rights": ["live", "playback"]}])
        self.assertEqual(status, 200)
        revoked = time.monotonic()
        cut = False  # the connection ended before Content-Length (read() then gives b"")
        try:
            while time.monotonic() - revoked < CUT and got < total:
                chunk = resp.read(64 << 10)
                if not chunk:
                    cut = True
                    break
                got += len(chunk)
        except (http.client.IncompleteRead, ConnectionError, ssl.SSLError):
            cut = True
        conn.close()
        self.assertTrue(cut, f"read {got} of {total} bytes, not cut")
        self.assertLess(got, total)
        print(f"revoking export cut the download at {got / 1e6:.1f} of {total / 1e6:.1f} MB, "
              f"{time.monotonic() - revoked:.1f} s after")
        wait_until("the household logs the cut", lambda: any(
            "link.media_cut" in l and "revoked" in l for l in house.proc.stderr_lines), 10)


    def test_a_stalled_household_cannot_take_the_villages_own_api(self):
        """Asks held by a household that stopped answering (SIGSTOP) take at
        most two of the village's HTTP workers: more are answered 503 with
        Retry-After at once, and the village's own API answers before any of
        the stalled asks gives up."""
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        with open(house.config, "a") as f:
            f.write(f'\n[[camera]]\nid = "door"\nname = "The door"\nurl = "{self.cam_base}/cam/0"\n')
        self.linked(village, house)
        status, shares = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["playback"]}])
        self.assertEqual(status, 200, shares)
        remote = "house-1.door"
        wait_until("the village lists the door",
                   lambda: remote in [c["id"] for c in village.api("GET", "/api/v1/cameras")[1]], LINK_UP)
        now = time.time()
        path = f"/api/v1/cameras/{remote}/recordings?start={rfc3339(now - 600)}&end={rfc3339(now + 60)}"
        done = {}  # name -> (status, Retry-After, monotonic time answered)

        def ask(name, node_path):
            status, headers, _ = get(village, node_path)
            done[name] = (status, headers.get("Retry-After"), time.monotonic())

        os.kill(house.proc.proc.pid, signal.SIGSTOP)
        try:
            stalled = [threading.Thread(target=ask, args=(f"remote{i}", path)) for i in range(5)]
            for t in stalled:
                t.start()
            wait_until("a third remote ask is turned away",
                       lambda: any(d[1] == "1" for d in list(done.values())) or None, 30)
            ask("own", "/api/v1/cameras")
            for t in stalled:
                t.join(timeout=60)
        finally:
            os.kill(house.proc.proc.pid, signal.SIGCONT)
        own_status, _, own_at = done["own"]
        self.assertEqual(own_status, 200)
        busy = [d for name, d in done.items() if name != "own" and d[1] == "1"]
        self.assertGreaterEqual(len(busy), 1, done)
        self.assertTrue(all(d[0] == 503 for d in busy), done)
        gave_up = [d[2] for name, d in done.items() if name != "own" and d[1] != "1"]
        self.assertEqual(len(gave_up) + len(busy), 5, done)
        # The village's own API did not wait behind the stalled household.
        self.assertLess(own_at, min(gave_up), done)

if __name__ == "__main__":
    unittest.main()
