"""Camera credentials stay with the camera (issue 13, item 9): a redirect
to another host or port gets none, Basic is never sent after a redirect,
`auth = "digest"` refuses a Basic-only camera with a clear reason, and a
password holding '/', '@', ':' and spaces never reaches the logs.

The camera is tests/peers/fake_camera.py: it asks for credentials, redirects
DESCRIBE and prints every request it receives, headers included."""
import json
import os
import sys
import unittest

from vigil_testlib import VIGIL, Process, free_port, run, temp_dir

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_CAMERA = os.path.join(HERE, "peers", "fake_camera.py")

USER = "u2"
PASSWORD = "P4ss/Sl@sh:x s3cr3t w0rd"  # '/', '@', ':' and spaces as people type them
# Pieces of the password that must show nowhere (a redactor that stops at the
# first '/', '@' or space leaves one of them).
PASSWORD_PIECES = ("P4ss", "Sl@sh", "Sl%40sh", "s3cr3t", "w0rd")


def start_camera(*args):
    """The fake camera; returns (process, [port of each --listen])."""
    p = Process([sys.executable, FAKE_CAMERA, *args])
    m = p.wait_for_line(r"READY ([\d ]+)$")
    return p, [int(x) for x in m.group(1).split()]


def requests_of(camera):
    return [json.loads(line[len("REQUEST "):]) for line in list(camera.stdout_lines) if line.startswith("REQUEST ")]


def probe(url):
    """`vigil probe` of one session: (error reason, everything it printed)."""
    r = run([VIGIL, "probe", url, "--frames", "1", "--timeout", "30"])
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    return summary.get("error", ""), r.stdout + r.stderr


class CredentialsTest(unittest.TestCase):
    def assert_no_password(self, text):
        for piece in PASSWORD_PIECES:
            self.assertNotIn(piece, text)

    def assert_no_credentials(self, requests):
        """No Authorization header and no userinfo in any of these requests."""
        for r in requests:
            self.assertNotIn("authorization", r["headers"], r)
            self.assertNotIn("@", r["uri"], r)
            self.assertNotIn(USER, r["uri"], r)

    def probe_camera(self, *camera_args):
        """Starts the fake camera, probes rtsp://USER:PASSWORD@127.0.0.1:PORT0/main
        with vigil, stops the camera; returns (requests, probe's error, probe's
        output, ports)."""
        camera, ports = start_camera(*camera_args)
        try:
            error, output = probe(f"rtsp://{USER}:{PASSWORD}@127.0.0.1:{ports[0]}/main")
        finally:
            camera.stop()
        self.assert_no_password(output)
        return requests_of(camera), error, ports

    def test_redirect_to_another_host_or_port_gets_no_credentials(self):
        # The configured camera (127.0.0.1:P) asks for Basic, gets it, and
        # redirects to a listener on another port, or on another address
        # with the same port, which asks for Basic too.
        for name, second, target in (("another port", "127.0.0.1:0", "rtsp://127.0.0.1:{1}/x"),
                                     ("another host", "127.0.0.2:{0}", "rtsp://127.0.0.2:{0}/x")):
            with self.subTest(name):
                requests, error, ports = self.probe_camera("--listen", "127.0.0.1:0", "--listen", second,
                                                           "--auth", "basic", "--redirect", f"/main={target}")
                first = [r for r in requests if r["listener"] == f"127.0.0.1:{ports[0]}"]
                redirected = [r for r in requests if r["listener"] != f"127.0.0.1:{ports[0]}"]
                # The configured camera had the credentials: the fake asks the right way.
                self.assertTrue(any(r["headers"].get("authorization", "").startswith("Basic ") for r in first),
                                first)
                self.assertTrue(any(r["method"] == "DESCRIBE" for r in redirected), requests)  # followed
                self.assert_no_credentials(redirected)
                self.assertIn("credentials withheld", error)

    def test_basic_is_never_sent_after_a_redirect(self):
        # Same host and port, another path: the credentials may follow, but
        # only as Digest.
        requests, error, _ = self.probe_camera("--listen", "127.0.0.1:0", "--auth", "basic",
                                               "--redirect", "/main=rtsp://127.0.0.1:{0}/moved")
        main = [r for r in requests if r["uri"].endswith("/main")]
        moved = [r for r in requests if r["uri"].endswith("/moved")]
        self.assertTrue(any("authorization" in r["headers"] for r in main), main)
        self.assertTrue(any(r["method"] == "DESCRIBE" for r in moved), requests)
        self.assert_no_credentials(moved)
        self.assertIn("offers only Basic authentication after a redirect", error)

    def test_digest_follows_a_redirect_to_the_same_host_and_port(self):
        requests, error, _ = self.probe_camera("--listen", "127.0.0.1:0", "--auth", "digest",
                                               "--redirect", "/main=rtsp://127.0.0.1:{0}/moved")
        moved = [r for r in requests if r["uri"].endswith("/moved")]
        digests = [r["headers"]["authorization"] for r in moved if "authorization" in r["headers"]]
        self.assertTrue(digests, moved)
        self.assertTrue(all(d.startswith("Digest ") and f'username="{USER}"' in d for d in digests), digests)
        self.assertIn("404", error)  # the fake has no stream there

    def serve(self, d, cameras):
        """`vigil serve` of `cameras` (TOML of [[camera]] tables) without a
        data directory: cameras only, no HTTP, no recording."""
        path = os.path.join(d, "vigil.toml")
        with open(path, "w") as f:
            f.write('[node]\nname = "creds"\n' + cameras)
        return Process([VIGIL, "--log-level", "debug", "serve", "--config", path])

    def test_digest_only_camera_refuses_basic_with_a_clear_reason(self):
        camera, ports = start_camera("--listen", "127.0.0.1:0", "--auth", "basic")
        with temp_dir() as d:
            node = self.serve(d, f'[[camera]]\nid = "gate"\nurl = "rtsp://127.0.0.1:{ports[0]}/main"\n'
                                 f'username = "{USER}"\npassword = "{PASSWORD}"\nauth = "digest"\n')
            try:
                node.wait_for_line(r'camera\.state camera=gate state=retrying .*offers only Basic authentication, '
                                   r'which auth = \\"digest\\" refuses', stream="stderr")
            finally:
                node.stop()
                camera.stop()
        requests = requests_of(camera)
        self.assertTrue(any(r["method"] == "DESCRIBE" for r in requests), requests)
        self.assert_no_credentials(requests)

    def test_a_password_with_slash_and_at_never_reaches_the_logs(self):
        # One camera where nothing listens (retried again and again), one that
        # redirects elsewhere; the password is in the URL of one and in the
        # `password` key of the other.
        camera, ports = start_camera("--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--auth", "basic",
                                     "--redirect", "/main=rtsp://127.0.0.1:{1}/x")
        with temp_dir() as d:
            node = self.serve(d, f'[[camera]]\nid = "dead"\nurl = "rtsp://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/a"\n'
                                 f'[[camera]]\nid = "moved"\nurl = "rtsp://127.0.0.1:{ports[0]}/main"\n'
                                 f'username = "{USER}"\npassword = "{PASSWORD}"\n')
            try:
                # "dead" answers nothing: after its first retry it is probed
                # by TCP connects alone; "moved" answers, so it retries again.
                node.wait_for_line(r"camera\.retry camera=dead ", stream="stderr")
                first = node.wait_for_line(r"camera\.retry camera=moved ", stream="stderr")
                since = next(i for i, line in enumerate(node.stderr_lines) if first.group(0) in line) + 1
                node.wait_for_line(r"camera\.retry camera=moved ", stream="stderr", since=since)
            finally:
                node.stop()
                camera.stop()
        logs = "\n".join(node.stdout_lines + node.stderr_lines)
        self.assertIn("rtsp.client.stopped url=rtsp://127.0.0.1:", logs)
        self.assertIn("rtsp.client.redirect", logs)
        self.assert_no_password(logs)


if __name__ == "__main__":
    unittest.main()
