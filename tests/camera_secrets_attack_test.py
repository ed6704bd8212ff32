"""An admin, who may not read a camera's passwords, tries to have them sent
to a host of theirs by editing the camera without them (design/CAMERAS.md
invariant 13): its ONVIF device moved there (PTZ would sign a WS-Security
digest of the device's password for it), its stream URL moved there (an
RTSP server asking Basic would read the camera's password in clear). Both
PUTs are refused in words; the hosts of the attacker (on 127.0.0.2, the
real camera being on 127.0.0.1) hear nothing carrying a password, and the
camera keeps working with what it had."""
import base64
import hashlib
import os
import socket
import threading
import unittest

from access_test import call
from vigil_testlib import VIGIL, Process, serve_logged_in, temp_dir

DEVICE_PASSWORD = "Onvif-S3cret-4417"  # the simulator's
RTSP_PASSWORD = "Rtsp-S3cret-9931"
ATTACKER = "127.0.0.2"


class Listener:
    """Takes every connection on ATTACKER:port, keeps what it was sent and
    answers `answer` (an RTSP 401 asking Basic, or an HTTP 500)."""

    def __init__(self, answer):
        self.sock = socket.socket()
        self.sock.bind((ATTACKER, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.heard = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:  # one request after another, until the client goes
                conn.settimeout(2)
                data = b""
                try:
                    while not self.done.is_set():
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                        if b"\r\n\r\n" in chunk:
                            seq = [l.split(b":", 1)[1].strip() for l in chunk.split(b"\r\n")
                                   if l.lower().startswith(b"cseq:")]
                            conn.sendall(self.answer(seq[0] if seq else b"1"))
                except OSError:
                    pass
                self.heard.append(data.decode(errors="replace"))

    def stop(self):
        self.done.set()
        self.thread.join(timeout=5)
        self.sock.close()


def rtsp_basic(cseq):
    return (b"RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq +
            b"\r\nWWW-Authenticate: Basic realm=\"cam\"\r\nContent-Length: 0\r\n\r\n")


def http_500(_):
    return b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def carries(heard, password):
    """Whether anything heard holds `password`, in clear, as Basic, or as a
    WS-Security digest of it (what an attacker would crack offline)."""
    import re
    for text in heard:
        if password in text:
            return True
        for token in re.findall(r"Basic ([A-Za-z0-9+/=]+)", text):
            if password in base64.b64decode(token).decode(errors="replace"):
                return True
        nonce = re.search(r"<wsse:Nonce[^>]*>([^<]+)<", text)
        created = re.search(r"<wsu:Created>([^<]+)<", text)
        digest = re.search(r"<wsse:Password[^>]*>([^<]+)<", text)
        if nonce and created and digest:
            mine = base64.b64encode(hashlib.sha1(base64.b64decode(nonce.group(1)) + created.group(1).encode() +
                                                 password.encode()).digest()).decode()
            if mine == digest.group(1):
                return True
    return False


class CameraSecretsAttack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = temp_dir()
        cls.cam = Process([VIGIL, "testcam", "--listen", "127.0.0.1:0", "--size", "320x240", "--loop-seconds", "2",
                           "--onvif-port", "0", "--onvif-password", DEVICE_PASSWORD])
        cls.rtsp = cls.cam.wait_for_line(r"at (rtsp://127\.0\.0\.1:\d+)/cam/0", timeout=120).group(1)
        cls.device = cls.cam.wait_for_line(r"ONVIF device at (http://127\.0\.0\.1:\d+/onvif/device_service)").group(1)
        config = os.path.join(cls.tmp.name, "vigil.toml")
        with open(config, "w") as f:
            f.write(f'[node]\nid = "house-1"\nname = "House 1"\ntier = "household"\n'
                    f'data_dir = "{cls.tmp.name}/data"\n[http]\nlisten = "127.0.0.1:0"\n')
        cls.serve, cls.url, _, cls.admin = serve_logged_in(config)
        cls.onvif_listener = Listener(http_500)
        cls.rtsp_listener = Listener(rtsp_basic)

    @classmethod
    def tearDownClass(cls):
        cls.onvif_listener.stop()
        cls.rtsp_listener.stop()
        cls.serve.stop()
        cls.cam.stop()
        cls.tmp.cleanup()

    def api(self, method, path, body=None):
        return call(self.url, method, path, body, token=self.admin)

    def test_a_password_left_out_is_not_sent_to_a_new_host(self):
        table = {"id": "porch", "url": f"{self.rtsp}/cam/0", "username": "admin", "password": RTSP_PASSWORD,
                 "onvif": self.device, "onvif_username": "admin", "onvif_password": DEVICE_PASSWORD, "record": "off"}
        status, _, shown = self.api("POST", "/api/v1/cameras", table)
        self.assertEqual(status, 201, shown)
        edit = {k: v for k, v in shown.items() if k not in ("has_password", "has_onvif_password", "managed_by")}
        self.assertEqual(self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})[0], 200)

        # The device moved to the attacker's host, its password left out.
        evil_device = f"http://{ATTACKER}:{self.onvif_listener.port}/onvif/device_service"
        status, _, body = self.api("PUT", "/api/v1/cameras/porch", {**edit, "onvif": evil_device})
        self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})
        self.assertEqual(status, 400, body)
        self.assertTrue(body["error"].startswith(f"onvif_password: give it again for the new address (host {ATTACKER})"),
                        body)
        # The stream moved there, the camera's password left out.
        evil_stream = f"rtsp://{ATTACKER}:{self.rtsp_listener.port}/cam/0"
        status, _, body = self.api("PUT", "/api/v1/cameras/porch", {**edit, "url": evil_stream})
        self.assertEqual(status, 400, body)
        self.assertTrue(body["error"].startswith(f"password: give it again for the new address (host {ATTACKER})"),
                        body)
        # Neither attacker's host was sent a password, in any form.
        self.assertFalse(carries(self.onvif_listener.heard, DEVICE_PASSWORD), self.onvif_listener.heard)
        self.assertFalse(carries(self.rtsp_listener.heard, RTSP_PASSWORD), self.rtsp_listener.heard)
        # The camera still turns with the login it had.
        self.assertEqual(self.api("POST", "/api/v1/cameras/porch/ptz", {"action": "stop"})[0], 200)
        # Typed again, the admin may point it anywhere: the password is theirs to give.
        status, _, body = self.api("PUT", "/api/v1/cameras/porch",
                                   {**edit, "onvif": evil_device, "onvif_password": "typed-again"})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.api("DELETE", "/api/v1/cameras/porch")[0], 200)


if __name__ == "__main__":
    unittest.main()
