"""Alerts for the owner and the desk (issue 18, item 3; design/UPTIME.md
"Alerts") with real processes on loopback: a household as `vigil serve`
with one camera from `vigil testcam`, `[alerts] camera_offline_after = 2`,
and a mosquitto broker. The test camera killed: one "raised" alert on
MQTT (`vigil/house-1/alert`) once the camera has been offline 2 s, shown
by GET /api/v1/alerts, and no other while it stays down (a reminder
only every `remind_every`), nor after the household restarts; the camera
back: one "resolved", and the alert is gone from the API. A village's
desk is told of its households' cameras shared with it, and of no other."""
import json
import os
import time
import unittest
from datetime import datetime, timezone

from link_test import NodesTestCase, wait_until
from notify_test import MQTT_PASSWORD, MQTT_USER, Broker
from vigil_testlib import VIGIL, Process, free_port

ARRIVED = 60  # loose: sanitized builds on a shared machine are slow


def testcam(port):
    p = Process([VIGIL, "testcam", "--listen", f"127.0.0.1:{port}"])
    p.wait_for_line(r"at rtsp://127\.0\.0\.1:\d+/cam/0", timeout=120)
    return p


class AlertsTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.broker = Broker(self.tmp.name)
        self.cam_port = free_port()
        self.cam = testcam(self.cam_port)
        self.sub = None

    def tearDown(self):
        super().tearDown()
        if self.sub:
            self.sub.stop()
        if self.cam:
            self.cam.stop()
        self.broker.stop()

    def alerts(self, since=None):
        """The alert messages received so far on MQTT, decoded; with `since`,
        those of episodes that began then or later."""
        out = [json.loads(line.split(" ", 2)[2]) for line in self.sub.stdout_lines if " vigil/house-1/alert " in line]
        return [a for a in out if since is None or datetime.fromisoformat(a["since"]) >= since]

    def test_a_killed_camera_is_one_alert_on_mqtt_and_in_the_api_and_one_resolved_when_it_returns(self):
        house = self.node("house-1", "household")
        password = os.path.join(house.dir, "mqtt.pw")
        with open(password, "w") as f:
            f.write(MQTT_PASSWORD + "\n")
        with open(house.config, "a") as f:
            f.write(f'\n[alerts]\ncamera_offline_after = 2\nremind_every = 3600\n'
                    f'\n[notify]\nmqtt = "mqtt://127.0.0.1:{self.broker.port}"\nmqtt_user = "{MQTT_USER}"\n'
                    f'mqtt_password_file = "{password}"\n'
                    f'\n[[camera]]\nid = "door"\nname = "The door"\nurl = "rtsp://127.0.0.1:{self.cam_port}/cam/0"\n'
                    f'record = "off"\n')
        # Line-buffered: mosquitto_sub's output to a pipe would wait for its exit.
        self.sub = Process(["stdbuf", "-oL", "mosquitto_sub", *self.broker.args(), "-d", "-t", "vigil/house-1/#",
                            "-F", "%r %t %p"])
        self.sub.wait_for_line(r"received SUBACK")
        house.start()
        wait_until("the door streams", lambda: house.api("GET", "/api/v1/cameras")[1][0]["online"], ARRIVED)
        # (A start slow to connect may have been an episode of its own: only those from the kill on count.)
        wait_until("no alert open", lambda: house.api("GET", "/api/v1/alerts") == (200, []), ARRIVED)

        killed = datetime.now(timezone.utc)
        self.cam.stop()  # the camera is gone
        self.cam = None
        (raised,), _ = wait_until("the door's alert on MQTT", lambda: self.alerts(killed) or None, ARRIVED)
        self.assertEqual((raised["change"], raised["kind"], raised["subject"]), ("raised", "camera_offline", "door"))
        status, open_alerts = house.api("GET", "/api/v1/alerts")
        self.assertEqual(status, 200)
        self.assertEqual([(a["kind"], a["subject"]) for a in open_alerts], [("camera_offline", "door")])
        self.assertEqual(open_alerts[0]["since"], raised["since"])
        # Down for a while longer: the house polls every 2 s, and tells nothing more.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertEqual(len(self.alerts(killed)), 1, self.alerts(killed))

        # Restarted while the camera is still down: the alert is the same
        # episode (kept in alerts.db), neither raised again nor forgotten.
        house.stop()
        house.start()
        wait_until("the door's alert open again after the restart",
                   lambda: [a["since"] for a in house.api("GET", "/api/v1/alerts")[1]] == [raised["since"]], ARRIVED)
        deadline = time.monotonic() + 8  # past camera_offline_after and a few polls
        while time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertEqual(len(self.alerts(killed)), 1, self.alerts(killed))

        self.cam = testcam(self.cam_port)  # back on the same address
        wait_until("the door's alert resolved on MQTT", lambda: len(self.alerts(killed)) == 2, ARRIVED)
        resolved = self.alerts(killed)[1]
        self.assertEqual((resolved["change"], resolved["kind"], resolved["subject"], resolved["since"]),
                         ("resolved", "camera_offline", "door", raised["since"]))
        self.assertEqual(house.api("GET", "/api/v1/alerts"), (200, []))
        # A viewer (not the desk nor the owner) may not read them.
        self.assertEqual(house.api("POST", "/api/v1/users", {"id": "kid", "role": "viewer",
                                                             "password": "a long password for kid"})[0], 201)
        token = house.api("POST", "/api/v1/login", {"user": "kid", "password": "a long password for kid"})[1]["token"]
        house.token = token
        self.assertEqual(house.api("GET", "/api/v1/alerts")[0], 403)

    def test_the_village_desk_is_told_of_a_household_camera_shared_with_it(self):
        village = self.node("village-1", "village")
        house = self.node("house-1", "household", cameras=["door", "porch"],
                          camera_url=f"rtsp://127.0.0.1:{self.cam_port}/cam/0")
        with open(village.config, "a") as f:
            f.write("\n[alerts]\ncamera_offline_after = 2\n")
        self.linked(village, house)
        # Only the door is shared with the village; the porch is not its business.
        status, body = house.api("PUT", "/api/v1/cameras/door/shares", [{"tier": "village", "rights": ["live"]}])
        self.assertEqual(status, 200, body)
        wait_until("the door listed and streaming at the village",
                   lambda: any(c["id"] == "house-1.door" and c["online"]
                               for c in village.api("GET", "/api/v1/cameras")[1]), ARRIVED)
        self.assertEqual(village.api("GET", "/api/v1/alerts"), (200, []))

        self.cam.stop()  # both of the household's cameras go dark
        self.cam = None
        alerts, _ = wait_until("the door's alert at the village",
                               lambda: (a := village.api("GET", "/api/v1/alerts")[1]) and a, ARRIVED)
        self.assertEqual([(a["kind"], a["subject"]) for a in alerts], [("camera_offline", "house-1.door")], alerts)
        self.assertIn("The door", alerts[0]["detail"])

        self.cam = testcam(self.cam_port)
        wait_until("the village's alert resolved", lambda: village.api("GET", "/api/v1/alerts") == (200, []), ARRIVED)



if __name__ == "__main__":
    unittest.main()
