"""One-key alarms between real `vigil serve` processes over TLS (issue 15;
design/ALARMS.md): a household raises alarms through the API, its village
desk lists each once and acknowledges it, and the household sees every
step; two operators acknowledging at once: one wins, the other is told who;
kill -9 of either side and a village down for a while lose, double and
reorder nothing; a village that does not acknowledge in time escalates to
its township; bad input is refused with nothing stored."""
import json
import os
import signal
import ssl
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

from link_test import NodesTestCase, wait_until

ARRIVED = 60  # loose: sanitized builds on a shared machine are slow
PASSWORD = "a long enough password 42"


def call(node, token, method, path, body=None, raw=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(node.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


def add_user(node, user, role):
    """A user of `node` with `role`; returns a session token."""
    status, body = node.api("POST", "/api/v1/users", {"id": user, "role": role, "password": PASSWORD})
    assert status in (200, 201), body
    status, body = node.api("POST", "/api/v1/login", {"user": user, "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def alarms(node, query=""):
    status, body = node.api("GET", "/api/v1/alarms" + query)
    assert status == 200, body
    return body["alarms"]


def alarm(node, alarm_id):
    status, body = node.api("GET", f"/api/v1/alarms/{alarm_id}")
    return body if status == 200 else None


def kill9(node):
    node.proc.proc.send_signal(signal.SIGKILL)
    node.proc.proc.wait(30)
    node.stop()


class AlarmTest(NodesTestCase):
    def household(self, escalate_after=None):
        house = self.node("house-1", "household")
        with open(house.config, "a") as f:
            f.write('\n[[camera]]\nid = "door"\nname = "Door"\nurl = "rtsp://127.0.0.1:9/none"\nrecord = "off"\n')
        return house

    def village(self, escalate_after=None):
        village = self.node("village-1", "village")
        if escalate_after:
            with open(village.config, "a") as f:
                f.write(f"\n[alarm]\nescalate_after = {escalate_after}\n")
        return village

    def test_a_camera_shared_only_during_an_alarm_shows_at_the_desk_for_the_alarm_and_its_tail(self):
        village, house = self.village(), self.household()
        with open(house.config, "a") as f:
            f.write("\n[alarm]\naccess_tail = 5\n")
        self.linked(village, house)
        status, body = house.api("PUT", "/api/v1/cameras/door/shares",
                                 [{"tier": "village", "rights": ["live", "snapshot"], "only_during_alarm": True}])
        self.assertEqual(status, 200, body)

        def listed():
            status, cameras = village.api("GET", "/api/v1/cameras")
            self.assertEqual(status, 200, cameras)
            return "house-1.door" in [c["id"] for c in cameras if c.get("remote")]

        time.sleep(3)  # the catalog sends what changed within about a second
        self.assertFalse(listed(), "shared only during an alarm, and none is open")
        status, raised = house.api("POST", "/api/v1/alarms", {"kind": "intrusion", "cameras": ["door"]})
        self.assertEqual(status, 201, raised)
        _, took = wait_until("the desk sees the door during the alarm", listed, ARRIVED)
        print(f"alarm-scoped camera listed at the desk {took:.1f} s after the alarm")
        status, answer = village.api("POST", f"/api/v1/alarms/{raised['id']}/close", {"outcome": "a cat"})
        self.assertEqual(status, 200, answer)
        wait_until("the household has it closed", lambda: alarm(house, raised["id"])["state"] == "closed", ARRIVED)
        closed_at = time.monotonic()
        self.assertTrue(listed(), "still within the tail")
        wait_until("the door is gone after the tail", lambda: not listed(), ARRIVED)
        self.assertGreaterEqual(time.monotonic() - closed_at, 3, "not before the 5 s tail")

    def test_raise_deliver_acknowledge_close_and_refuse_bad_input(self):
        village, house = self.village(), self.household()
        self.linked(village, house)
        gran = add_user(house, "gran", "viewer")  # an elderly person's account
        ann, bob = add_user(village, "ann", "operator"), add_user(village, "bob", "operator")
        vic = add_user(village, "vic", "viewer")

        # Bad input: refused, nothing stored anywhere.
        for body, raw in [({"kind": "flood"}, None), ({"kind": "fire", "note": "x" * 501}, None),
                          ({"kind": "fire", "cameras": ["garage"]}, None), ({"kind": "fire", "cameras": ["../x"]}, None),
                          ({"kind": "fire", "extra": 1}, None), (None, b"{\"kind\":"),
                          (None, json.dumps({"kind": "fire", "note": "x" * 100_000}).encode())]:
            status, answer = call(house, gran, "POST", "/api/v1/alarms", body, raw)
            self.assertIn(status, (400, 413), (body, answer))
            self.assertIn("error", answer)
        # The village has no parent: no desk above it to raise to.
        status, answer = call(village, ann, "POST", "/api/v1/alarms", {"kind": "fire"})
        self.assertEqual(status, 409, answer)
        self.assertEqual(alarms(house), [])
        self.assertEqual(alarms(village), [])

        status, raised = call(house, gran, "POST", "/api/v1/alarms",
                              {"kind": "medical", "note": "老人摔倒 fell in the kitchen", "cameras": ["door"]})
        self.assertEqual(status, 201, raised)
        alarm_id = raised["id"]
        self.assertRegex(alarm_id, r"^[0-9a-f]{32}$")
        wait_until("the village lists it", lambda: alarms(village, "?state=open"), ARRIVED)
        at_desk = alarm(village, alarm_id)
        self.assertEqual((at_desk["node"], at_desk["node_path"], at_desk["kind"], at_desk["cameras"]),
                         ("house-1", ["house-1"], "medical", ["door"]))
        self.assertEqual(at_desk["note"], "老人摔倒 fell in the kitchen")
        self.assertFalse(at_desk["origin"])
        self.assertIsNone(at_desk["delivery"])
        home, _ = wait_until("the household sees it delivered",
                             lambda: (a := alarm(house, alarm_id)) and a["delivered_at"] and a, ARRIVED)
        self.assertEqual((home["delivery"], home["state"], home["origin"]), ("delivered", "open", True))

        # Forged ids, the household acting at the desk's route, a viewer acking.
        for bad in ["0" * 32, "ZZ", "..%2f..%2fetc"]:
            status, answer = call(village, ann, "POST", f"/api/v1/alarms/{bad}/ack")
            self.assertEqual(status, 404, answer)
        status, answer = house.api("POST", f"/api/v1/alarms/{alarm_id}/ack")
        self.assertEqual(status, 403, answer)
        self.assertEqual(answer["error"], "a household cannot acknowledge its own alarm")
        status, answer = call(village, vic, "POST", f"/api/v1/alarms/{alarm_id}/ack")
        self.assertEqual(status, 403, answer)
        # A viewer at the desk does not read the households' alarms (their notes are often medical).
        status, answer = call(village, vic, "GET", f"/api/v1/alarms/{alarm_id}")
        self.assertEqual(status, 404, answer)
        status, answer = call(village, vic, "GET", "/api/v1/alarms")
        self.assertEqual((status, answer["alarms"]), (200, []), answer)
        # The household's own viewer reads its alarm.
        status, answer = call(house, gran, "GET", f"/api/v1/alarms/{alarm_id}")
        self.assertEqual((status, answer["id"]), (200, alarm_id), answer)
        self.assertEqual(alarm(village, alarm_id)["state"], "open")

        # Two operators at once: one wins, the other is told who.
        results = {}
        start = threading.Barrier(2)

        def ack(name, token):
            start.wait()
            results[name] = call(village, token, "POST", f"/api/v1/alarms/{alarm_id}/ack")

        threads = [threading.Thread(target=ack, args=a) for a in (("ann", ann), ("bob", bob))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(s for s, _ in results.values())
        self.assertEqual(statuses, [200, 409], results)
        winner = next(n for n, (s, _) in results.items() if s == 200)
        loser = next(n for n, (s, _) in results.items() if s == 409)
        self.assertEqual(results[loser][1]["acknowledged_by"], f"{winner}@village-1")
        self.assertEqual(results[winner][1]["acknowledged_by"], f"{winner}@village-1")
        wait_until("the household sees who answered",
                   lambda: alarm(house, alarm_id)["acknowledged_by"] == f"{winner}@village-1", ARRIVED)

        for path, body in [("assign", {"to": "Dr Li"}), ("notes", {"text": "已派车 a car is on its way"}),
                           ("close", {"outcome": "taken to hospital"})]:
            status, answer = call(village, ann, "POST", f"/api/v1/alarms/{alarm_id}/{path}", body)
            self.assertEqual(status, 200, answer)
        status, answer = call(village, ann, "POST", f"/api/v1/alarms/{alarm_id}/notes", {"text": "late"})
        self.assertEqual(status, 409, answer)
        home, _ = wait_until("the household sees it closed",
                             lambda: (a := alarm(house, alarm_id))["state"] == "closed" and a, ARRIVED)
        self.assertEqual((home["outcome"], home["assigned_to"]), ("taken to hospital", "Dr Li"))
        self.assertEqual([n["text"] for n in home["notes"]], ["已派车 a car is on its way"])
        self.assertEqual([a["id"] for a in alarms(village)], [alarm_id])
        self.assertEqual([h["what"] for h in alarm(village, alarm_id)["history"]][0], "received from house-1")
        # Each step is in its node's audit log, never a note's or outcome's text.
        status, rows = house.api("GET", "/api/v1/audit?user=gran")
        self.assertEqual([(r["action"], r["detail"]) for r in rows if r["action"].startswith("alarm")],
                         [("alarm_raise", {"alarm": alarm_id, "kind": "medical"})])
        status, rows = village.api("GET", "/api/v1/audit")
        desk = sorted((r["user"], r["detail"]["action"]) for r in rows if r["action"] == "alarm_desk")
        self.assertEqual(desk, sorted([(winner, "ack"), ("ann", "assign"), ("ann", "note"), ("ann", "close")]))
        self.assertTrue(all(r["detail"] == {"alarm": alarm_id, "action": r["detail"]["action"]}
                            for r in rows if r["action"] == "alarm_desk"), rows)

        # The desk's live list: what changed after a cursor.
        status, first = village.api("GET", "/api/v1/alarms?since=0")
        self.assertEqual(status, 200)
        self.assertEqual([a["id"] for a in first["alarms"]], [alarm_id])
        status, later = village.api("GET", f"/api/v1/alarms?since={first['cursor']}")
        self.assertEqual(later["alarms"], [])

    def test_a_smart_button_raises_with_an_api_token_that_reaches_nothing_else(self):
        village, house = self.village(), self.household()
        self.linked(village, house)
        gran = add_user(house, "gran", "viewer")
        # The token is made with the user's password, and shown once.
        status, answer = call(house, gran, "POST", "/api/v1/tokens",
                              {"name": "red button", "scope": "alarm", "password": "wrong"})
        self.assertEqual((status, answer), (403, {"error": "password: wrong password"}))
        status, made = call(house, gran, "POST", "/api/v1/tokens",
                            {"name": "red button", "scope": "alarm", "password": PASSWORD})
        self.assertEqual(status, 201, made)
        button = made["token"]
        self.assertTrue(button.startswith("vgt_"), made)

        def curl(*args):  # an independent HTTP client, as a smart button or Home Assistant is
            out = subprocess.run(["curl", "-sk", "-o", "/dev/stderr", "-w", "%{http_code}", *args],
                                 capture_output=True, text=True, timeout=30)
            return int(out.stdout), out.stderr

        status, body = curl("-X", "POST", "-H", "Authorization: Bearer " + button, "-H", "Content-Type: application/json",
                            "-d", '{"kind": "medical", "note": "button by the bed"}', house.url + "/api/v1/alarms")
        self.assertEqual(status, 201, body)
        alarm_id = json.loads(body)["id"]
        wait_until("the desk lists the button's alarm", lambda: alarm(village, alarm_id), ARRIVED)
        status, body = curl("-H", "Authorization: Bearer " + button, house.url + f"/api/v1/alarms/{alarm_id}")
        self.assertEqual(status, 200, body)
        # Nothing else: not the cameras, not a token of its own, not as a cookie.
        for path in ["/api/v1/cameras", "/api/v1/tokens", "/api/v1/alarms", "/api/v1/me"]:
            status, body = curl("-H", "Authorization: Bearer " + button, house.url + path)
            self.assertEqual(status, 403, (path, body))
        status, body = curl("-X", "POST", "-H", "Cookie: vigil_session=" + button, "-H", "Content-Type: application/json",
                            "-d", '{"kind": "fire"}', house.url + "/api/v1/alarms")
        self.assertEqual(status, 403, body)
        # Listed without its secret to its user and the admin; removed, refused at once.
        status, listed = call(house, gran, "GET", "/api/v1/tokens")
        self.assertEqual([(t["id"], t["name"], t["scope"]) for t in listed], [(made["id"], "red button", "alarm")])
        self.assertNotIn(button, json.dumps(listed))
        self.assertNotIn(button, "\n".join(house.proc.stdout_lines + house.proc.stderr_lines))
        status, _ = house.api("DELETE", f"/api/v1/tokens/{made['id']}")
        self.assertEqual(status, 204)
        status, body = curl("-X", "POST", "-H", "Authorization: Bearer " + button, "-H", "Content-Type: application/json",
                            "-d", '{"kind": "fire"}', house.url + "/api/v1/alarms")
        self.assertEqual(status, 401, body)
        self.assertEqual([a["id"] for a in alarms(house)], [alarm_id])

        # A metrics token (an admin's) reads /metrics, as Prometheus would, and nothing else.
        status, answer = call(house, gran, "POST", "/api/v1/tokens",
                              {"name": "prometheus", "scope": "metrics", "password": PASSWORD})
        self.assertEqual(status, 400, answer)
        status, made = house.api("POST", "/api/v1/tokens",
                                 {"name": "prometheus", "scope": "metrics", "password": house.password})
        self.assertEqual(status, 201, made)
        status, body = curl("-H", "Authorization: Bearer " + made["token"], house.url + "/metrics")
        self.assertEqual(status, 200, body)
        self.assertIn("vigil_", body)
        status, body = curl("-H", "Authorization: Bearer " + made["token"], house.url + "/api/v1/users")
        self.assertEqual(status, 403, body)
        status, rows = house.api("GET", "/api/v1/audit")
        self.assertEqual(sorted((r["user"], r["action"], r["detail"].get("scope")) for r in rows
                                if r["action"].startswith("token_")),
                         [("admin", "token_add", "metrics"), ("admin", "token_remove", None),
                          ("gran", "token_add", "alarm")])

    def test_kill_9_and_a_village_down_lose_double_and_reorder_nothing(self):
        village, house = self.village(), self.household()
        self.linked(village, house)
        raised = []

        def raise_alarm(i):
            status, body = house.api("POST", "/api/v1/alarms", {"kind": "other", "note": f"alarm {i}"})
            self.assertEqual(status, 201, body)
            raised.append(body["id"])

        for i in range(5):  # in flight when the village dies
            raise_alarm(i)
        kill9(village)
        for i in range(5, 10):  # raised while the link is down
            raise_alarm(i)
        time.sleep(3)
        village.start()
        raise_alarm(10)
        kill9(house)  # right after raising
        house.start()
        raise_alarm(11)

        def all_there():
            listed = alarms(village, "?limit=1000")
            return listed if len(listed) >= len(raised) else None

        wait_until("every alarm at the village", all_there, ARRIVED)
        time.sleep(2)  # anything doubled would show by now
        listed = alarms(village, "?limit=1000")
        # Newest first: the village's order of arrival is the order raised.
        self.assertEqual([a["id"] for a in reversed(listed)], raised)
        self.assertEqual([a["note"] for a in reversed(listed)], [f"alarm {i}" for i in range(12)])
        wait_until("the household sees each delivered",
                   lambda: all(a["delivery"] == "delivered" for a in alarms(house, "?limit=1000")), ARRIVED)

    def test_an_unacknowledged_alarm_escalates_to_the_township(self):
        township = self.node("township-1", "township")
        village, house = self.village(escalate_after=2), self.household()
        self.linked(township, village, house)
        tom = add_user(township, "tom", "operator")
        status, raised = house.api("POST", "/api/v1/alarms", {"kind": "fire"})
        self.assertEqual(status, 201, raised)
        alarm_id = raised["id"]
        wait_until("the village has it", lambda: alarm(village, alarm_id), ARRIVED)
        at_township, waited = wait_until("the township has it", lambda: alarm(township, alarm_id), ARRIVED)
        print(f"escalated after {waited:.1f} s (escalate_after = 2 s)")
        self.assertEqual((at_township["node"], at_township["node_path"]), ("house-1", ["village-1", "house-1"]))
        self.assertEqual(at_township["escalated_to"], "township-1")
        wait_until("the household is told",
                   lambda: alarm(house, alarm_id)["escalated_to"] == "township-1", ARRIVED)
        self.assertEqual(alarm(village, alarm_id)["escalated_to"], "township-1")

        status, answer = call(township, tom, "POST", f"/api/v1/alarms/{alarm_id}/ack")
        self.assertEqual(status, 200, answer)
        for node in (village, house):
            wait_until(f"{node.id} shows the township's ack",
                       lambda: alarm(node, alarm_id)["acknowledged_by"] == "tom@township-1", ARRIVED)
        self.assertEqual([a["id"] for a in alarms(township)], [alarm_id])


if __name__ == "__main__":
    unittest.main()
