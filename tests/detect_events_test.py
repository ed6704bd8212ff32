"""Detection events wired through `vigil serve` (issue 16 items 4 and 6): a
camera with `detect` set, testcam's sweeping bar as its motion, notify on a
real mosquitto (notify_test.Broker). Home Assistant finds the camera's
motion, person/vehicle/animal counts and snapshot entities (retained); the
pipeline's analyses reach the camera's event tracker, whose motion state is
published ON (retained) while the bar moves, with nobody counted; the
events API answers (empty: the bar is no person, and with an object stage
motion alone makes no event)."""
import json
import os
import unittest

from access_test import call
from notify_test import MQTT_PASSWORD, MQTT_USER, Broker
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
                    f'[[camera.zone]]\nname = "porch"\npolygon = [[0, 0], [1, 0], [1, 1], [0, 1]]\n')
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
        configs = self.broker.retained("homeassistant/#", 7)
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
        status, _, events = call(self.url, "GET", "/api/v1/events?camera=door", token=body["token"])
        self.assertEqual((status, events), (200, []))


if __name__ == "__main__":
    unittest.main()
