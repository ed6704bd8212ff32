"""MQTT and webhooks for alarms and notices (issue 15 item 6; design/NOTIFY.md) between
real processes on loopback: a mosquitto broker (with a password), a
household and its village as `vigil serve`, mosquitto_pub/_sub as Home
Assistant's side, and webhook receivers (Python's http.server) that check
each POST's HMAC. Home Assistant's discovery configs are retained, and
published again when HA says it is back; a button's raise command raises
an alarm that reaches the village (a bad one raises nothing); each change
is published and POSTed, signed; with a receiver down and the household
restarted meanwhile, every change still arrives, once per event id."""
import hashlib
import hmac
import http.server
import json
import os
import ssl
import threading
import unittest

from link_test import NodesTestCase, wait_until
from vigil_testlib import Process, free_port, run

ARRIVED = 60  # loose: sanitized builds on a shared machine are slow
SECRET = "webhook secret 7f3a"
MQTT_USER, MQTT_PASSWORD = "vigil", "mqtt pass 91c2"
TOKEN = "t0ps3cret-in-the-path"  # a webhook URL's path may hold a token: never logged


class Broker:
    """mosquitto on a free loopback port, with a password file; stopped by PID."""

    def __init__(self, root, port=None):
        self.root = root
        self.port = port or free_port()
        passwords = os.path.join(root, "mosquitto.pw")
        open(passwords, "w").close()
        os.chmod(passwords, 0o600)
        r = run(["mosquitto_passwd", "-b", passwords, MQTT_USER, MQTT_PASSWORD])
        assert r.returncode == 0, r.stderr
        conf = os.path.join(root, "mosquitto.conf")
        with open(conf, "w") as f:
            # user root: the test may run as root, and mosquitto would then
            # switch to a user that cannot read the temporary directory.
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n"
                    "persistence false\nuser root\n")
        self.proc = Process(["mosquitto", "-c", conf])
        self.proc.wait_for_line(r"mosquitto version .* running", stream="stderr")

    def args(self):
        return ["-h", "127.0.0.1", "-p", str(self.port), "-u", MQTT_USER, "-P", MQTT_PASSWORD]

    def pub(self, topic, payload):
        r = run(["mosquitto_pub", *self.args(), "-q", "1", "-t", topic, "-m", payload])
        assert r.returncode == 0, r.stderr

    def retained(self, topic, count):
        """{topic: payload} of `count` retained messages matching `topic`."""
        r = run(["mosquitto_sub", *self.args(), "-t", topic, "--retained-only", "-C", str(count), "-W", "30",
                 "-F", "%t %p"], timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
        return dict(line.split(" ", 1) for line in r.stdout.splitlines())

    def subscribe(self, topic):
        """A mosquitto_sub process printing "retained topic payload" per message."""
        sub = Process(["mosquitto_sub", *self.args(), "-d", "-t", topic, "-F", "%r %t %p"])
        sub.wait_for_line(r"received SUBACK")  # -d: the debug lines say when it is subscribed
        return sub

    def stop(self):
        self.proc.stop()


class Receiver:
    """A webhook receiver on a fixed port that can go down and come back."""

    def __init__(self, cert=None):
        """With `cert` (certificate and key files): https, as "localhost"."""
        self.port = free_port()
        self.cert = cert
        self.posts = []  # (headers, body) of every POST received
        self.lock = threading.Lock()
        self.server = None

    def up(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.posts.append((dict(self.headers), body, self.path))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.cert)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self):
        if self.cert:
            return f"https://localhost:{self.port}/hook/{TOKEN}"
        return f"http://127.0.0.1:{self.port}/hook/{TOKEN}"

    def events(self):
        """{event id: body} of the POSTs so far, each signature checked."""
        out = {}
        with self.lock:
            posts = list(self.posts)
        for headers, body, path in posts:
            assert path == f"/hook/{TOKEN}", path
            assert headers["Content-Type"] == "application/json", headers
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-Vigil-Signature"], expected), (headers, body)
            out[headers["X-Vigil-Event"]] = json.loads(body)
        return out


def certificate(root, name):
    """A self-signed certificate for "localhost": (certificate file, key file)."""
    cert, key = os.path.join(root, name + ".pem"), os.path.join(root, name + ".key")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost"])
    assert r.returncode == 0, r.stderr
    return cert, key


def last(sub, topic="vigil/house-1/alarm/open"):
    """The last line for `topic` (a subscriber gets a retained message as it is published with retain 0)."""
    return next((line for line in reversed(list(sub.stdout_lines)) if line.split(" ", 2)[1] == topic), "")


def mqtt_events(sub, topic):
    return [json.loads(line.split(" ", 2)[2]) for line in list(sub.stdout_lines)
            if line.split(" ", 2)[1] == topic]


class NotifyTest(NodesTestCase):
    def setUp(self):
        super().setUp()
        self.broker = Broker(self.tmp.name)
        self.receivers = [Receiver(), Receiver()]
        self.subs = []

    def tearDown(self):
        for r in self.receivers:
            r.down()
        for s in self.subs:
            s.stop()
        super().tearDown()  # the nodes, before their broker
        self.broker.stop()

    def household(self, receivers=None):
        house = self.node("house-1", "household")
        secret, password = os.path.join(house.dir, "hook.key"), os.path.join(house.dir, "mqtt.pw")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        with open(password, "w") as f:
            f.write(MQTT_PASSWORD + "\n")
        urls = ", ".join(f'"{r.url()}"' for r in receivers or self.receivers)
        with open(house.config, "a") as f:
            f.write(f'\n[notify]\nmqtt = "mqtt://127.0.0.1:{self.broker.port}"\nmqtt_user = "{MQTT_USER}"\n'
                    f'mqtt_password_file = "{password}"\nwebhooks = [{urls}]\nwebhook_secret_file = "{secret}"\n')
        return house

    def subscribe(self, topic):
        sub = self.broker.subscribe(topic)
        self.subs.append(sub)
        return sub

    def assert_no_secrets_logged(self, node):
        text = "\n".join(node.proc.stdout_lines + node.proc.stderr_lines)
        for secret in (SECRET, MQTT_PASSWORD, TOKEN):
            self.assertNotIn(secret, text)

    def test_home_assistant_discovery_a_button_raises_and_each_change_is_published_and_posted(self):
        # Two receivers over https: one whose certificate vigil trusts (the
        # system's CA file, SSL_CERT_FILE for OpenSSL, holds it), one it does not.
        trusted = certificate(self.tmp.name, "trusted")
        self.receivers.append(Receiver(trusted))
        impostor = Receiver(certificate(self.tmp.name, "impostor"))
        for r in [*self.receivers, impostor]:
            r.up()
        village, house = self.node("village-1", "village"), self.household([*self.receivers, impostor])
        self.addCleanup(impostor.down)
        os.environ["SSL_CERT_FILE"] = trusted[0]  # the nodes started now inherit it
        try:
            self.linked(village, house)
        finally:
            del os.environ["SSL_CERT_FILE"]

        # Discovery: retained, so Home Assistant finds the entities whenever it subscribes.
        configs = self.broker.retained("homeassistant/#", 2)
        sensor = json.loads(configs["homeassistant/binary_sensor/house-1/alarm_open/config"])
        button = json.loads(configs["homeassistant/button/house-1/raise_alarm/config"])
        self.assertEqual(sensor["state_topic"], "vigil/house-1/alarm/open")
        self.assertEqual(button["command_topic"], "vigil/house-1/alarm/raise")
        self.assertEqual(sensor["availability_topic"], "vigil/house-1/status")
        self.assertEqual(self.broker.retained("vigil/house-1/status", 1), {"vigil/house-1/status": "online"})
        self.assertEqual(self.broker.retained("vigil/house-1/alarm/open", 1), {"vigil/house-1/alarm/open": "OFF"})
        # Home Assistant restarted: it says so, and the configs come again (not retained, now).
        ha = self.subscribe("homeassistant/+/house-1/+/config")
        self.broker.pub("homeassistant/status", "online")
        wait_until("the configs published again", lambda: any(l.startswith("0 ") for l in ha.stdout_lines), ARRIVED)

        events = self.subscribe("vigil/house-1/#")
        # Bad commands: a clear log line, nothing raised.
        seen = len(house.proc.stderr_lines)
        for bad in ["PRESS", '{"kind": "flood"}', '{"kind": "fire", "note": "' + "x" * 501 + '"}', "{"]:
            self.broker.pub("vigil/house-1/alarm/raise", bad)
        for why in ["payload: a kind word", "kind: must be intrusion, fire, medical or other", "note: must be text",
                    "payload: not a JSON object"]:
            house.proc.wait_for_line(r"notify\.raise_refused .*" + why, stream="stderr", since=seen, timeout=ARRIVED)
        status, listed = house.api("GET", "/api/v1/alarms")
        self.assertEqual((status, listed["alarms"]), (200, []))

        # The button: an alarm raised by "mqtt", at the village's desk.
        self.broker.pub("vigil/house-1/alarm/raise", '{"kind": "fire", "note": "smoke in the kitchen"}')
        (at_desk,), _ = wait_until("the village lists it",
                                   lambda: village.api("GET", "/api/v1/alarms?state=open")[1]["alarms"], ARRIVED)
        self.assertEqual((at_desk["node"], at_desk["kind"], at_desk["note"]), ("house-1", "fire", "smoke in the kitchen"))
        alarm_id = at_desk["id"]
        status, home = house.api("GET", f"/api/v1/alarms/{alarm_id}")
        self.assertEqual(status, 200, home)
        self.assertEqual(home["history"][0]["what"], "raised by mqtt")
        wait_until("alarm/open is ON", lambda: " vigil/house-1/alarm/open ON" in last(events), ARRIVED)

        # The desk acknowledges, then closes: each change reaches MQTT and both webhooks.
        for path, body in [("ack", None), ("close", {"outcome": "a pan on fire, put out"})]:
            status, answer = village.api("POST", f"/api/v1/alarms/{alarm_id}/{path}", body)
            self.assertEqual(status, 200, answer)
        published, _ = wait_until(
            "the close published",
            lambda: (e := mqtt_events(events, "vigil/house-1/alarm")) and e[-1]["state"] == "closed" and e, ARRIVED)
        self.assertEqual({e["id"] for e in published}, {alarm_id})
        states = [e["state"] for e in published]
        self.assertEqual(states[0], "open")
        self.assertIn("acknowledged", states)
        self.assertEqual(states, sorted(states, key=["open", "acknowledged", "closed"].index))
        self.assertEqual(published[-1]["acknowledged_by"], "admin@village-1")
        self.assertEqual(published[-1]["outcome"], "a pan on fire, put out")
        self.assertEqual([e["change"] for e in published], sorted({e["change"] for e in published}))
        wait_until("alarm/open is OFF", lambda: last(events).endswith(" vigil/house-1/alarm/open OFF"), ARRIVED)
        self.assertEqual(self.broker.retained("vigil/house-1/alarm/open", 1), {"vigil/house-1/alarm/open": "OFF"})

        for receiver in self.receivers:
            posted, _ = wait_until("each change posted",
                                   lambda: len(receiver.events()) >= len(published) and receiver.events(), ARRIVED)
            self.assertEqual(sorted(b["change"] for b in posted.values()), [e["change"] for e in published])
            for event_id, body in posted.items():
                self.assertEqual(event_id, f"{alarm_id}.{body['change']}")
        self.assertEqual(impostor.posts, [])

        # A notice from the village reaches MQTT and the webhooks too.
        status, sent = village.api("POST", "/api/v1/broadcasts", {"text": "停水通知 water off 2-4 pm",
                                                                   "priority": "urgent", "to": "all"})
        self.assertEqual(status, 201, sent)
        (notice,), _ = wait_until("the notice published",
                                  lambda: mqtt_events(events, "vigil/house-1/notice"), ARRIVED)
        self.assertEqual((notice["id"], notice["from"], notice["text"], notice["priority"], notice["has_audio"]),
                         (sent["id"], "village-1", "停水通知 water off 2-4 pm", "urgent", False))
        wait_until("the notice posted", lambda: sent["id"] in self.receivers[0].events(), ARRIVED)
        house.proc.wait_for_line(r"notify\.webhook_failed webhook=4 host=localhost:\d+ .*certificate verify failed",
                                 stream="stderr", timeout=ARRIVED)
        self.assert_no_secrets_logged(house)

        # The broker restarts, its retained messages gone: vigil reconnects
        # and publishes the configs and states again.
        seen = len(house.proc.stderr_lines)
        self.broker.stop()
        house.proc.wait_for_line(r"notify\.mqtt_lost", stream="stderr", since=seen, timeout=ARRIVED)
        self.broker = Broker(self.broker.root, self.broker.port)
        house.proc.wait_for_line(r"notify\.mqtt_connected", stream="stderr", since=seen, timeout=ARRIVED)
        self.assertEqual(len(self.broker.retained("homeassistant/#", 2)), 2)
        self.assertEqual(self.broker.retained("vigil/house-1/alarm/open", 1), {"vigil/house-1/alarm/open": "OFF"})

        # vigil stops: Home Assistant sees it offline.
        self.assertEqual(house.proc.stop(), 0)
        house.proc = None
        self.assertEqual(self.broker.retained("vigil/house-1/status", 1), {"vigil/house-1/status": "offline"})

    def test_a_receiver_down_across_a_restart_gets_every_change_once_up(self):
        steady, flaky = self.receivers
        steady.up()
        self.broker.stop()  # Home Assistant's box is not up yet: vigil starts anyway
        village, house = self.node("village-1", "village"), self.household()
        self.linked(village, house)
        seen = len(house.proc.stderr_lines)
        status, raised = house.api("POST", "/api/v1/alarms", {"kind": "medical"})
        self.assertEqual(status, 201, raised)
        alarm_id = raised["id"]
        wait_until("the village has it", lambda: village.api("GET", f"/api/v1/alarms/{alarm_id}")[0] == 200, ARRIVED)
        status, answer = village.api("POST", f"/api/v1/alarms/{alarm_id}/ack")
        self.assertEqual(status, 200, answer)
        wait_until("the ack posted", lambda: any(b["state"] == "acknowledged" for b in steady.events().values()),
                   ARRIVED)
        house.proc.wait_for_line(r"notify\.webhook_failed .*webhook=2 .*attempt=2", stream="stderr", since=seen,
                                 timeout=ARRIVED)
        self.assertEqual(flaky.posts, [])

        # The broker comes: vigil, retrying with backoff (at most 60 s apart), connects.
        self.broker = Broker(self.broker.root, self.broker.port)
        house.proc.wait_for_line(r"notify\.mqtt_connected", stream="stderr", timeout=2 * ARRIVED)
        self.assertEqual(len(self.broker.retained("homeassistant/#", 2)), 2)
        self.broker.stop()
        # A stop is not held up by a broker it cannot reach; what it owes
        # the receiver is in notify.db.
        self.assertEqual(house.proc.stop(), 0)
        house.proc = None
        self.broker = Broker(self.broker.root, self.broker.port)
        status, answer = village.api("POST", f"/api/v1/alarms/{alarm_id}/close", {"outcome": "false alarm"})
        self.assertEqual(status, 200, answer)
        house.start()  # the close arrives over the link; the receiver is still down
        wait_until("the close posted", lambda: any(b["state"] == "closed" for b in steady.events().values()), ARRIVED)
        flaky.up()
        wait_until("every change posted to the receiver that was down",
                   lambda: flaky.events().keys() == steady.events().keys(), ARRIVED)
        bodies = [b for _, b in sorted(flaky.events().items(), key=lambda kv: kv[1]["change"])]
        self.assertEqual(bodies[-1]["state"], "closed")
        # In order: the POSTs came in the order of the changes.
        with flaky.lock:
            order = [json.loads(body)["change"] for _, body, _ in flaky.posts]
        self.assertEqual(order, sorted(order))
        self.assert_no_secrets_logged(house)


if __name__ == "__main__":
    unittest.main()
