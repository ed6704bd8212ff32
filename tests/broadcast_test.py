"""Emergency broadcasts and notices between real `vigil serve` processes
over TLS (issue 15 item 5; design/ALARMS.md, "Broadcasts and notices"): a
township's notice, with an audio file made by ffmpeg, reaches every
household through their village, and the township counts their receipts
(delivered, then seen); a notice to one named household reaches it and no
other; a household offline receives it when it comes back, unless it
expired meanwhile; bad input, a household and a viewer sending are refused
with nothing stored."""
import base64
import os
import ssl
import subprocess
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from alarm_test import ARRIVED, add_user, call
from link_test import LINK_UP, NodesTestCase, wait_until


def notices(node, token=None):
    status, body = call(node, token or node.token, "GET", "/api/v1/broadcasts")
    assert status == 200, body
    return body


def notice(node, notice_id):
    status, body = node.api("GET", f"/api/v1/broadcasts/{notice_id}")
    return body if status == 200 else None


def raw_get(node, path):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(node.url + path)
    req.add_header("Authorization", "Bearer " + node.token)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, None, e.read()


def rfc3339(seconds_from_now):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)).strftime("%Y-%m-%dT%H:%M:%SZ")


def wav(path, seconds):
    """A real audio file: `seconds` of a 440 Hz tone, 16-bit mono WAV, by ffmpeg."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        f"sine=frequency=440:duration={seconds}", "-ac", "1", "-ar", "44100", path],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(path, "rb") as f:
        return f.read()


class BroadcastTest(NodesTestCase):
    def join_second(self, village, house):
        r = house.join(village, village.invite("Li family"))
        self.assertEqual(r.returncode, 0, r.stderr)
        house.start()
        wait_until(f"{village.id} sees {house.id}",
                   lambda: (c := village.child(house.id)) and c["state"] == "connected", LINK_UP)

    def test_a_township_notice_reaches_every_household_and_counts_receipts_and_one_named_reaches_no_other(self):
        township, village = self.node("township-1", "township"), self.node("village-1", "village")
        house1, house2 = self.node("house-1", "household"), self.node("house-2", "household")
        self.linked(township, village, house1)
        self.join_second(village, house2)
        gran = add_user(house1, "gran", "viewer")
        audio = wav(os.path.join(self.tmp.name, "tone.wav"), 3)  # ~260 KB: 6 chunks
        text = "台风明天上午到达，请留在家中。 Typhoon tomorrow morning: stay at home."
        status, sent = township.api("POST", "/api/v1/broadcasts", {
            "text": text, "priority": "urgent", "to": "all",
            "audio": base64.b64encode(audio).decode(), "audio_type": "audio/wav"})
        self.assertEqual(status, 201, sent)
        notice_id = sent["id"]
        self.assertRegex(notice_id, r"^[0-9a-f]{32}$")

        for house in (house1, house2):
            got, took = wait_until(f"{house.id} has it", lambda: notice(house, notice_id), ARRIVED)
            print(f"{house.id}: delivered {took:.1f} s after sending")
            self.assertEqual((got["id"], got["from"], got["direction"], got["text"], got["priority"]),
                             (notice_id, "township-1", "received", text, "urgent"))
            self.assertEqual((got["has_audio"], got["audio_type"], got["seen_at"]), (True, "audio/wav", None))
            self.assertTrue(got["delivered_at"] and got["sent_at"] and got["expires_at"])
            status, ctype, body = raw_get(house, f"/api/v1/broadcasts/{notice_id}/audio")
            self.assertEqual((status, ctype, body == audio), (200, "audio/wav", True))
        received = os.path.join(self.tmp.name, "received.wav")
        with open(received, "wb") as f:
            f.write(raw_get(house2, f"/api/v1/broadcasts/{notice_id}/audio")[2])
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                received], capture_output=True, text=True, timeout=60)
        self.assertAlmostEqual(float(probe.stdout), 3.0, delta=0.1)

        def receipts():
            return notice(township, notice_id)["receipts"]

        wait_until("the township counts 2 delivered",
                   lambda: receipts() == {"targeted": 2, "delivered": 2, "seen": 0}, ARRIVED)
        sender = notice(township, notice_id)
        self.assertEqual(sender["direction"], "sent")
        # Named by their path from the sender: ids are unique only among one parent's children.
        self.assertEqual(sorted(h["node"] for h in sender["households"]), ["village-1.house-1", "village-1.house-2"])

        # A user of the household sees it: once, however often it says so.
        for _ in range(2):
            status, answer = call(house1, gran, "POST", f"/api/v1/broadcasts/{notice_id}/seen")
            self.assertEqual(status, 204, answer)
        self.assertTrue(notices(house1, gran)[0]["seen_at"])
        wait_until("the township counts 1 seen",
                   lambda: receipts() == {"targeted": 2, "delivered": 2, "seen": 1}, ARRIVED)
        seen_by = {h["node"]: h["seen_at"] for h in notice(township, notice_id)["households"]}
        self.assertTrue(seen_by["village-1.house-1"])
        self.assertIsNone(seen_by["village-1.house-2"])
        status, answer = township.api("POST", f"/api/v1/broadcasts/{notice_id}/seen")
        self.assertEqual(status, 404, answer)  # sent there, not received

        # A household named from the township by its bare id: refused, since
        # the id is unique only under its village; by its path, it alone gets it.
        status, answer = township.api("POST", "/api/v1/broadcasts",
                                      {"text": "Li family: your parcel", "priority": "normal", "to": ["house-2"]})
        self.assertEqual(status, 400, answer)
        self.assertIn("does not start at a node directly below", answer["error"])
        status, named = township.api("POST", "/api/v1/broadcasts",
                                     {"text": "Li family: your parcel is at the village office",
                                      "priority": "normal", "to": ["village-1.house-2"]})
        self.assertEqual(status, 201, named)
        status, after = township.api("POST", "/api/v1/broadcasts",
                                     {"text": "Market on Sunday", "priority": "normal", "to": ["village-1"]})
        self.assertEqual(status, 201, after)
        wait_until("house-2 has the named one", lambda: notice(house2, named["id"]), ARRIVED)
        # The outbox keeps order per household: once the later one is at
        # house-1, the named one would have been too.
        wait_until("house-1 has the later one", lambda: notice(house1, after["id"]), ARRIVED)
        self.assertEqual([n["id"] for n in notices(house1)], [after["id"], notice_id])
        self.assertEqual([n["id"] for n in notices(house2)], [after["id"], named["id"], notice_id])
        wait_until("the township counts the named one", lambda: notice(township, named["id"])["receipts"] ==
                   {"targeted": 1, "delivered": 1, "seen": 0}, ARRIVED)
        self.assertEqual([h["node"] for h in notice(township, named["id"])["households"]], ["village-1.house-2"])
        self.assertEqual([n["id"] for n in notices(township)], [after["id"], named["id"], notice_id])
        # Each notice sent is in the sender's audit log; the refused one is not.
        status, rows = township.api("GET", "/api/v1/audit")
        sends = {r["detail"]["notice"]: r["detail"] for r in rows if r["action"] == "broadcast_send"}
        self.assertEqual(set(sends), {notice_id, named["id"], after["id"]})
        self.assertEqual(sends[named["id"]],
                         {"notice": named["id"], "priority": "normal", "to": ["village-1.house-2"], "audio_bytes": 0})

    def test_an_offline_household_receives_it_on_restart_unless_it_expired_and_bad_input_stores_nothing(self):
        village = self.node("village-1", "village")
        house1, house2 = self.node("house-1", "household"), self.node("house-2", "household")
        self.linked(village, house1)
        self.join_second(village, house2)
        ann, vic = add_user(village, "ann", "operator"), add_user(village, "vic", "viewer")

        # Bad input, a viewer, a household: refused, nothing stored.
        good = {"text": "停水通知 Water off 9-12", "priority": "normal", "to": "all"}
        for bad in [{**good, "priority": "loud"}, {**good, "text": ""}, {**good, "text": "x" * 2001},
                    {**good, "to": []}, {**good, "to": ["house-9"]}, {**good, "to": "everyone"},
                    {**good, "extra": 1}, {**good, "expires_at": rfc3339(-60)}, {**good, "expires_at": "tomorrow"},
                    {**good, "expires_at": "9999-12-31T23:59:59-23:59"},  # past what a message carries
                    {**good, "audio": "not base64!"}, {**good, "audio": "AAAA"},
                    {**good, "audio": "AAAA", "audio_type": "video/mp4"},
                    {**good, "audio": "A" * (1_500_000), "audio_type": "audio/ogg"},
                    {"text": "x", "to": "all"}]:
            status, answer = call(village, ann, "POST", "/api/v1/broadcasts", bad)
            self.assertEqual(status, 400, (bad.keys(), answer))
            self.assertIn("error", answer)
        status, answer = call(village, ann, "POST", "/api/v1/broadcasts", raw=b"{\"text\":")
        self.assertEqual(status, 400, answer)
        status, answer = call(village, vic, "POST", "/api/v1/broadcasts", good)
        self.assertEqual(status, 403, answer)
        status, answer = house1.api("POST", "/api/v1/broadcasts", good)
        self.assertEqual(status, 403, answer)
        self.assertEqual(answer["error"], "a household sends no broadcasts: only a village or a tier above")
        self.assertEqual(notices(village), [])
        self.assertEqual(notices(house1), [])
        # A household sends no broadcast: it takes no 2 MiB body on any route, before any session.
        status, answer = call(house1, "", "POST", "/api/v1/login", raw=b"x" * 1_500_000)
        self.assertEqual(status, 413, answer)

        house2.stop()  # by its PID
        status, kept = call(village, ann, "POST", "/api/v1/broadcasts", good)
        self.assertEqual(status, 201, kept)
        status, short = call(village, ann, "POST", "/api/v1/broadcasts",
                             {**good, "text": "Road closed for an hour", "expires_at": rfc3339(10)})
        self.assertEqual(status, 201, short)
        # The village's receipt stays when the notice expires: no race with it.
        wait_until("house-1 has both", lambda: all(
            {h["node"]: h["delivered_at"] for h in notice(village, n["id"])["households"]}.get("house-1")
            for n in (kept, short)), ARRIVED)
        # The short one expires while house-2 is down.
        wait_until("an expired notice is not listed",
                   lambda: [n["id"] for n in notices(house1)] == [kept["id"]], ARRIVED)
        house2.start()
        status, later = call(village, ann, "POST", "/api/v1/broadcasts", {**good, "text": "Water back on"})
        self.assertEqual(status, 201, later)
        wait_until("house-2 has the later one", lambda: notice(house2, later["id"]), ARRIVED)
        self.assertEqual([n["id"] for n in notices(house2)], [later["id"], kept["id"]])
        self.assertIsNone(notice(house2, short["id"]))
        self.assertEqual(raw_get(house2, f"/api/v1/broadcasts/{short['id']}/audio")[0], 404)
        wait_until("the village counts 2 delivered of the kept one",
                   lambda: notice(village, kept["id"])["receipts"]["delivered"] == 2, ARRIVED)
        # Who saw it when is for the desk's operators, not its viewers.
        status, to_viewer = call(village, vic, "GET", f"/api/v1/broadcasts/{kept['id']}")
        self.assertEqual(status, 200, to_viewer)
        self.assertEqual(to_viewer["receipts"]["delivered"], 2)
        self.assertNotIn("households", to_viewer)
        delivered = {h["node"]: h["delivered_at"] for h in notice(village, short["id"])["households"]}
        self.assertTrue(delivered["house-1"])
        self.assertIsNone(delivered["house-2"], "delivered after it expired")


if __name__ == "__main__":
    unittest.main()
