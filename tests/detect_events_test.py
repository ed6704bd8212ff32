"""Detection events wired through `vigil serve` (issue 16 items 4 and 6): a
camera with `detect` set, testcam's sweeping bar as its motion, notify on a
real mosquitto (notify_test.Broker). Home Assistant finds the camera's
motion, person/vehicle/animal counts and snapshot entities (retained); the
pipeline's analyses reach the camera's event tracker, whose motion state is
published ON (retained) while the bar moves, with nobody counted; the
events API answers (empty: the bar is no person, and with an object stage
motion alone makes no event), while a camera with `detect = ["motion"]`
on the same stream makes motion events.

Webhooks (issue 16 item 6, design/NOTIFY.md): each change of a detection
event is POSTed signed with HMAC-SHA256 (checked by the receiver); with the
receiver down and vigil restarted meanwhile, once it is up it gets every
change, the end of the event left open at the stop included."""
import json
import os
import time
import unittest

from access_test import call
from notify_test import MQTT_PASSWORD, MQTT_USER, SECRET, Broker, Receiver
from vigil_testlib import VIGIL, Process, free_port, start_testcam, temp_dir


class DetectEvents(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.broker = Broker(self.tmp.name)
        self.cam, base = start_testcam("--size", "640x360", "--fps", "10")
        port = free_port()
        password_file = os.path.join(self.tmp.name, "mqtt.pw")
        with open(password_file, "w") as f:
            f.write(MQTT_PASSWORD + "\n")
        config = os.path.join(self.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\nid = "house-1"\nname = "House 1"\ntier = "household"\n'
                    f'data_dir = "{self.tmp.name}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n'
                    f'[notify]\nmqtt = "mqtt://127.0.0.1:{self.broker.port}"\nmqtt_user = "{MQTT_USER}"\n'
                    f'mqtt_password_file = "{password_file}"\n'
                    f'[[camera]]\nid = "door"\nurl = "{base}/cam/0"\ndetect = ["person"]\n'
                    f'[[camera.zone]]\nname = "porch"\npolygon = [[0, 0], [1, 0], [1, 1], [0, 1]]\n'
                    f'[[camera]]\nid = "yard"\nurl = "{base}/cam/0"\ndetect = ["motion"]\n')
        self.serve = Process([VIGIL, "serve", "--config", config])
        self.password = self.serve.wait_for_line(r"admin password: (\S+)").group(1)
        self.serve.wait_for_line(r"serve\.http ", stream="stderr")
        self.url = f"http://127.0.0.1:{port}"

    def tearDown(self):
        self.assertEqual(self.serve.stop(), 0, "\n".join(self.serve.stderr_lines[-20:]))
        self.cam.stop()
        self.broker.stop()
        self.tmp.cleanup()

    def test_home_assistant_entities_and_motion_from_the_pipeline(self):
        # The node's 2 entities, each camera's 5: a subscriber that came
        # before vigil published them all sees fewer, so it asks again.
        expected = "homeassistant/binary_sensor/house-1/door_motion/config"
        deadline = time.monotonic() + 60
        while True:
            try:
                configs = self.broker.retained("homeassistant/#", 12)
            except AssertionError:
                configs = {}
            if (expected in configs and len(configs) >= 12) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        motion = json.loads(configs["homeassistant/binary_sensor/house-1/door_motion/config"])
        self.assertEqual((motion["state_topic"], motion["device_class"]), ("vigil/house-1/door/motion", "motion"))
        person = json.loads(configs["homeassistant/sensor/house-1/door_person/config"])
        self.assertEqual(person["state_topic"], "vigil/house-1/door/person")
        for entity in ["sensor/house-1/door_vehicle", "sensor/house-1/door_animal", "camera/house-1/door_snapshot"]:
            self.assertIn(f"homeassistant/{entity}/config", configs)
        self.assertEqual(json.loads(configs["homeassistant/camera/house-1/door_snapshot/config"])["topic"],
                         "vigil/house-1/door/snapshot")

        # The bar sweeps: the analyses say motion, and MQTT is told (retained).
        sub = self.broker.subscribe("vigil/house-1/door/motion")
        try:
            sub.wait_for_line(r" vigil/house-1/door/motion ON$", timeout=120)
        finally:
            sub.stop()
        self.assertEqual(self.broker.retained("vigil/house-1/door/person", 1), {"vigil/house-1/door/person": "0"})

        status, _, body = call(self.url, "POST", "/api/v1/login", {"user": "admin", "password": self.password})
        self.assertEqual(status, 200, body)
        token = body["token"]
        status, _, events = call(self.url, "GET", "/api/v1/events?camera=door", token=token)
        self.assertEqual((status, events), (200, []))
        # The motion-only camera on the same stream: the bar is a motion event.
        events = wait_for_events(self.url, token, "yard")
        self.assertEqual({e["label"] for e in events}, {"motion"})
        self.assertEqual(call(self.url, "GET", "/api/v1/events?camera=door", token=token)[2], [])


def wait_for_events(url, token, camera, timeout=120):
    """The events of `camera` once it has any (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        status, _, events = call(url, "GET", f"/api/v1/events?camera={camera}", token=token)
        assert status == 200, events
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


class DetectWebhooks(unittest.TestCase):
    """A motion-only camera on testcam's bar, webhooks to a receiver that is down."""

    def setUp(self):
        self.tmp = temp_dir()
        self.cam, base = start_testcam("--size", "640x360", "--fps", "10")
        self.receiver = Receiver()
        port = free_port()
        secret_file = os.path.join(self.tmp.name, "webhook.key")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        self.config = os.path.join(self.tmp.name, "vigil.toml")
        with open(self.config, "w") as f:
            f.write(f'[node]\nid = "house-1"\nname = "House 1"\ntier = "household"\n'
                    f'data_dir = "{self.tmp.name}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n'
                    f'[notify]\nwebhooks = ["{self.receiver.url()}"]\nwebhook_secret_file = "{secret_file}"\n'
                    f'[[camera]]\nid = "yard"\nurl = "{base}/cam/0"\ndetect = ["motion"]\n')
        self.serve = Process([VIGIL, "serve", "--config", self.config])
        self.password = self.serve.wait_for_line(r"admin password: (\S+)").group(1)
        self.serve.wait_for_line(r"serve\.http ", stream="stderr")
        self.url = f"http://127.0.0.1:{port}"

    def tearDown(self):
        if self.serve:
            self.assertEqual(self.serve.stop(), 0, "\n".join(self.serve.stderr_lines[-20:]))
        if self.cam:
            self.cam.stop()
        self.receiver.down()
        self.tmp.cleanup()

    def login(self):
        status, _, body = call(self.url, "POST", "/api/v1/login", {"user": "admin", "password": self.password})
        self.assertEqual(status, 200, body)
        return body["token"]

    def test_every_change_reaches_a_receiver_down_across_a_restart_signed(self):
        # The bar moves: a motion event starts and is updated; the receiver
        # is down, so each POST fails and is retried.
        events = wait_for_events(self.url, self.login(), "yard")
        self.assertTrue(events, "no motion event")
        self.serve.wait_for_line(r"notify\.webhook_failed .*attempt=2", stream="stderr", timeout=60)
        # vigil stops with the event open and nothing delivered; the camera
        # goes too, so nothing new happens after the restart.
        self.assertEqual(self.serve.stop(), 0, "\n".join(self.serve.stderr_lines[-20:]))
        self.cam.stop()
        self.cam = None
        self.serve = Process([VIGIL, "serve", "--config", self.config])
        self.serve.wait_for_line(r"serve\.http ", stream="stderr")
        self.receiver.up()
        stored = call(self.url, "GET", "/api/v1/events?camera=yard", token=self.login())[2]
        self.assertTrue(stored and all(e["end"] is not None for e in stored), stored)  # closed at the restart
        wanted = {e["id"] for e in stored}

        def ended():
            posted = self.receiver.events()  # each signature checked
            return {b["after"]["id"] for b in posted.values() if b["type"] == "end"} >= wanted

        deadline = time.monotonic() + 90
        while not ended() and time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertTrue(ended(), self.receiver.events().keys())
        posted = self.receiver.events()
        with self.receiver.lock:
            order = [(json.loads(body)["after"]["id"], json.loads(body)["type"]) for _, body, _ in self.receiver.posts]
        for e in stored:
            kinds = [kind for event, kind in order if event == e["id"]]
            # Once each (a repeat would carry the same X-Vigil-Event), in order.
            self.assertEqual(kinds[0], "new", kinds)
            self.assertEqual(kinds[-1], "end", kinds)
            self.assertTrue(set(kinds[1:-1]) <= {"update"}, kinds)
            end = next(b for b in posted.values() if b["type"] == "end" and b["after"]["id"] == e["id"])
            self.assertEqual((end["after"]["camera"], end["after"]["label"]), ("yard", "motion"))
            self.assertIsNone(end["before"]["end_time"])
            self.assertIsNotNone(end["after"]["end_time"])


if __name__ == "__main__":
    unittest.main()
