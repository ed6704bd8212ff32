"""A camera's shares with the tiers above (issue 14, item 4) through a real
`vigil serve`: curl PUTs a list and GETs it back, the share_change rows are
in the audit log and `vigil audit verify` finds it intact; an access.db from
before shares existed gains them on the next start."""
import json
import os
import sqlite3
import subprocess
import unittest

from vigil_testlib import VIGIL, Process, free_port, run, temp_dir

LIST = [{"tier": "village", "rights": ["live", "playback", "export", "snapshot"], "only_during_alarm": False,
         "hours": "08:00-20:00", "expires_at": "2027-01-01T00:00:00Z"},
        {"tier": "county", "rights": ["snapshot"], "only_during_alarm": True}]
# What the node keeps: every key present, by tier.
STORED = [LIST[0], {**LIST[1], "hours": None, "expires_at": None}]


def curl(base, method, path, token, body=None):
    """Returns (status, parsed JSON) as curl saw them."""
    args = ["curl", "-sS", "--max-time", "30", "-X", method, "-H", f"Authorization: Bearer {token}",
            "-w", "\n%{http_code}", base + path]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", body]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    text, _, status = r.stdout.rpartition("\n")
    return int(status), json.loads(text)


class Shares(unittest.TestCase):
    def serve(self, config):
        p = Process([VIGIL, "serve", "--config", config])
        try:
            p.wait_for_line(r"serve\.http ", stream="stderr")
        except AssertionError:
            p.stop()
            raise
        return p

    def login(self, base, password):
        status, body = curl(base, "POST", "/api/v1/login", "-", json.dumps({"user": "admin", "password": password}))
        self.assertEqual(status, 200, body)
        return body["token"]

    def test_put_get_audit_and_an_older_database(self):
        with temp_dir() as d:
            port = free_port()
            config = os.path.join(d, "vigil.toml")
            with open(config, "w") as f:
                # A camera that never answers still exists for the gate.
                f.write(f'[node]\nname = "house7"\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n'
                        '[[camera]]\nid = "door"\nurl = "rtsp://127.0.0.1:1/none"\n')
            base = f"http://127.0.0.1:{port}"
            p = Process([VIGIL, "serve", "--config", config])
            try:
                password = p.wait_for_line(r"admin password: (\S+)").group(1)
                p.wait_for_line(r"serve\.http ", stream="stderr")
                token = self.login(base, password)
                self.assertEqual(curl(base, "GET", "/api/v1/cameras/door/shares", token), (200, []))
                self.assertEqual(curl(base, "PUT", "/api/v1/cameras/door/shares", token, json.dumps(LIST)),
                                 (200, STORED))
                self.assertEqual(curl(base, "GET", "/api/v1/cameras/door/shares", token), (200, STORED))
                self.assertEqual(curl(base, "PUT", "/api/v1/cameras/door/shares", token,
                                      '[{"tier": "county", "rights": ["live"], "hours": "25:00-08:00"}]'),
                                 (400, {"error": "shares[0].hours: must be HH:MM-HH:MM, like 08:00-20:00 or "
                                                 "20:00-08:00"}))
                self.assertEqual(curl(base, "PUT", "/api/v1/cameras/attic/shares", token, "[]"),
                                 (404, {"error": "no camera \"attic\""}))
                self.assertEqual(curl(base, "GET", "/api/v1/cameras/door/shares", token), (200, STORED))
                status, rows = curl(base, "GET", "/api/v1/audit?camera=door", token)
                self.assertEqual(status, 200, rows)
                self.assertEqual([(r["action"], r["user"], r["detail"]) for r in rows],
                                 [("share_change", "admin", {"shares": STORED})])
            finally:
                self.assertEqual(p.stop(), 0)
            r = run([VIGIL, "audit", "verify", "--config", config])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

            # An access.db from before issue 14 has no camera_share table.
            with sqlite3.connect(os.path.join(d, "data", "access.db")) as db:
                db.execute("DROP TABLE camera_share")
            db.close()
            p = self.serve(config)
            try:
                token = self.login(base, password)
                self.assertEqual(curl(base, "GET", "/api/v1/cameras/door/shares", token), (200, []))
                self.assertEqual(curl(base, "PUT", "/api/v1/cameras/door/shares", token, json.dumps(LIST[1:])),
                                 (200, STORED[1:]))
                # Turning all sharing off is one call.
                self.assertEqual(curl(base, "PUT", "/api/v1/cameras/door/shares", token, "[]"), (200, []))
                self.assertEqual(curl(base, "GET", "/api/v1/cameras/door/shares", token), (200, []))
                status, rows = curl(base, "GET", "/api/v1/audit?camera=door", token)
                self.assertEqual([(r["action"], r["detail"]) for r in rows],
                                 [("share_change", {"shares": []}), ("share_change", {"shares": STORED[1:]}),
                                  ("share_change", {"shares": STORED})])
            finally:
                self.assertEqual(p.stop(), 0)
            r = run([VIGIL, "audit", "verify", "--config", config])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("intact", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
