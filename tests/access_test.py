"""Accounts, sessions, the audit log and HTTPS (issue 6) against a running
`vigil demo`, `vigil serve` and the `vigil user` / `vigil audit` commands."""
import json
import os
import socket
import sqlite3
import subprocess
import time
import unittest

import threading

from vigil_testlib import AUDIT_COLUMNS, VIGIL, Postgres, Process, call, free_port, rechained, run, temp_dir

# Every non-public route of the node, with the least role that may call it.
ROUTES = [("GET", "/status", "viewer"), ("GET", "/api/v1/cameras", "viewer"), ("GET", "/api/v1/me", "viewer"),
          ("POST", "/api/v1/logout", "viewer"), ("POST", "/api/v1/password", "viewer"),
          ("GET", "/api/v1/users", "admin"), ("POST", "/api/v1/users", "admin"),
          ("POST", "/api/v1/users/cameras", "admin"), ("GET", "/api/v1/audit", "viewer"),
          ("POST", "/api/v1/cameras/cam-1/events", "operator")]


def raw_status(port, data):
    """The status code the server answers to raw bytes (it may close early)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        reply = b""
        try:
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else None


class Sessions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = temp_dir()
        cls.demo = Process([VIGIL, "demo", "--data", cls.data.name, "--listen", "127.0.0.1:0", "--cameras", "1"])
        cls.base = cls.demo.wait_for_line(r"URL:\s+(http://\S+)/", timeout=240).group(1)
        cls.port = int(cls.base.rsplit(":", 1)[1])
        cls.admin = cls.login("admin", cls.demo.wait_for_line(r"admin password: (\S+)").group(1))
        cls.db = os.path.join(cls.data.name, "access.db")

    @classmethod
    def tearDownClass(cls):
        code = cls.demo.stop()
        cls.data.cleanup()
        assert code == 0, "\n".join(cls.demo.stderr_lines[-20:])

    @classmethod
    def login(cls, user, password):
        status, _, body = call(cls.base, "POST", "/api/v1/login", {"user": user, "password": password})
        assert status == 200, (status, body)
        return body["token"]

    def add_user(self, name, role, password="password for " + "tests", cameras=()):
        status, _, body = call(self.base, "POST", "/api/v1/users",
                               {"id": name, "role": role, "password": password, "cameras": list(cameras)},
                               token=self.admin)
        self.assertEqual(status, 201, body)
        return self.login(name, password)

    def test_login_gives_a_strict_cookie_and_a_bearer_token_until_logout(self):
        status, headers, body = call(self.base, "POST", "/api/v1/login",
                                     {"user": "admin", "password": "wrong password"})
        self.assertEqual((status, body["error"]), (401, "wrong user name or password"))
        token = self.add_user("lou", "operator")
        status, headers, body = call(self.base, "POST", "/api/v1/login",
                                     {"user": "lou", "password": "password for tests"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Set-Cookie"], f"vigil_session={body['token']}; HttpOnly; SameSite=Strict; Path=/")
        self.assertEqual(call(self.base, "GET", "/api/v1/me", token=token)[2],
                         {"user": "lou", "role": "operator", "cameras": [], "node": "house1", "tier": "household"})
        self.assertEqual(call(self.base, "POST", "/api/v1/logout", token=token)[0], 200)
        self.assertEqual(call(self.base, "GET", "/api/v1/me", token=token)[0], 401)
        self.assertEqual(call(self.base, "GET", "/api/v1/me", token=body["token"])[0], 200)  # the other session

    def test_every_route_answers_401_without_a_session_and_403_to_a_lower_role(self):
        viewer = self.add_user("vera", "viewer", cameras=["cam-1"])
        for method, path, least in ROUTES:
            status, _, body = call(self.base, method, path, body=b"{}" if method == "POST" else None)
            self.assertEqual((status, body), (401, {"error": "authentication required"}), path)
            if least == "admin":
                self.assertEqual(call(self.base, method, path, body=b"{}" if method == "POST" else None,
                                      token=viewer)[0], 403, path)
        self.assertEqual([c["id"] for c in call(self.base, "GET", "/api/v1/cameras", token=viewer)[2]], ["cam-1"])
        status, _, body = call(self.base, "POST", "/api/v1/users/cameras", {"id": "vera", "cameras": []},
                               token=self.admin)
        self.assertEqual(status, 200, body)
        self.assertEqual(call(self.base, "GET", "/api/v1/cameras", token=viewer)[2], [])
        rows = call(self.base, "GET", "/api/v1/audit?user=admin&limit=1", token=self.admin)[2]
        self.assertEqual((rows[0]["action"], rows[0]["detail"]), ("permissions_change", {"target": "vera", "cameras": []}))

    def test_cookie_sessions_need_a_matching_origin_to_change_state(self):
        token = self.add_user("cody", "viewer")
        host = self.base.split("//")[1]
        cookie = {"Cookie": f"vigil_session={token}"}
        self.assertEqual(call(self.base, "GET", "/api/v1/me", headers=cookie)[0], 200)
        self.assertEqual(call(self.base, "POST", "/api/v1/logout", headers=cookie)[0], 403)
        self.assertEqual(call(self.base, "POST", "/api/v1/logout",
                              headers={**cookie, "Origin": "http://attacker.example"})[0], 403)
        self.assertEqual(call(self.base, "POST", "/api/v1/logout", headers={**cookie, "Origin": f"http://{host}"})[0],
                         200)

    def test_repeated_failures_get_429_with_retry_after(self):
        self.add_user("tess", "viewer")
        for i in range(3):
            status, _, _ = call(self.base, "POST", "/api/v1/login", {"user": "tess", "password": f"guess {i} ....."})
            self.assertEqual(status, 401)
        status, headers, body = call(self.base, "POST", "/api/v1/login",
                                     {"user": "tess", "password": "password for tests"})
        self.assertEqual(status, 429, body)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        time.sleep(int(headers["Retry-After"]) + 0.2)
        self.assertEqual(call(self.base, "POST", "/api/v1/login",
                              {"user": "tess", "password": "password for tests"})[0], 200)

    def test_bodies_are_validated(self):
        status, _, body = call(self.base, "POST", "/api/v1/login", {"user": 7, "password": "x"})
        self.assertEqual((status, body), (400, {"error": "user: must be a string"}))
        status, _, body = call(self.base, "POST", "/api/v1/users", {"id": "Bad Name", "role": "viewer",
                                                                   "password": "long enough pw"}, token=self.admin)
        self.assertEqual((status, body), (400, {"error": "id: must match [a-z0-9_-]{1,64}"}))
        big = b"x" * (2 << 20)
        self.assertEqual(raw_status(self.port, b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                    + str(len(big)).encode() + b"\r\n\r\n" + big), 413)

    def test_idle_session_expires(self):
        token = self.add_user("ida", "viewer")
        with sqlite3.connect(self.db, timeout=10) as db:
            db.execute("UPDATE session SET last_seen_at = last_seen_at - 3600000000 WHERE user_id = 'ida'")
        self.assertEqual(call(self.base, "GET", "/api/v1/me", token=token)[0], 401)

    def test_password_change_from_the_cli_ends_every_session(self):
        t1 = self.add_user("pat", "operator")
        t2 = self.login("pat", "password for tests")
        with temp_dir() as d:
            path = os.path.join(d, "pw")
            with open(path, "w") as f:
                f.write("a brand new password\n")
            r = run([VIGIL, "user", "passwd", "pat", "--password-file", path, "--data", self.data.name])
        self.assertEqual(r.returncode, 0, r.stderr)
        for t in (t1, t2):
            self.assertEqual(call(self.base, "GET", "/api/v1/me", token=t)[0], 401)
        self.login("pat", "a brand new password")

    def test_own_password_change_needs_the_current_one(self):
        token = self.add_user("owen", "viewer")
        status, _, body = call(self.base, "POST", "/api/v1/password", {"current": "nope", "new": "another password"},
                               token=token)
        self.assertEqual((status, body), (403, {"error": "current: wrong password"}))
        status, _, body = call(self.base, "POST", "/api/v1/password", {"current": "password for tests", "new": "short"},
                               token=token)
        self.assertEqual((status, body), (400, {"error": "password: must have at least 12 characters"}))
        self.assertEqual(call(self.base, "POST", "/api/v1/password",
                              {"current": "password for tests", "new": "another password"}, token=token)[0], 200)
        self.assertEqual(call(self.base, "GET", "/api/v1/me", token=token)[0], 401)

    def test_logins_and_user_changes_are_in_the_audit_log(self):
        self.add_user("aud", "viewer")
        call(self.base, "POST", "/api/v1/login", {"user": "aud", "password": "wrong password"})
        status, _, rows = call(self.base, "GET", "/api/v1/audit?user=aud", token=self.admin)
        self.assertEqual(status, 200)
        self.assertEqual([r["action"] for r in rows], ["login_failed", "login"])  # newest first
        status, _, rows = call(self.base, "GET", "/api/v1/audit?user=admin", token=self.admin)
        adds = [r["detail"]["target"] for r in rows if r["action"] == "user_add"]
        self.assertIn("aud", adds)
        self.assertEqual(call(self.base, "GET", "/api/v1/audit?start=yesterday", token=self.admin)[2],
                         {"error": "start: must be an RFC 3339 time"})
        r = run([VIGIL, "audit", "verify", "--data", self.data.name])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^audit log intact: \d+ rows\n$")


class Cli(unittest.TestCase):
    def test_user_add_and_audit_verify_names_a_tampered_row(self):
        with temp_dir() as d:
            r = run([VIGIL, "user", "add", "ann", "--role", "admin", "--data", d])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"password: [A-Za-z0-9]{16}\n")
            pw = os.path.join(d, "pw")
            with open(pw, "w") as f:
                f.write("short\n")
            r = run([VIGIL, "user", "add", "bob", "--role", "viewer", "--password-file", pw, "--data", d])
            self.assertEqual((r.returncode, r.stderr), (2, "vigil user add: password: must have at least 12 characters\n"))
            r = run([VIGIL, "user", "add", "ann", "--role", "viewer", "--data", d])
            self.assertEqual((r.returncode, r.stderr), (1, 'vigil user add: user "ann" exists\n'))
            for name in ("bob", "cy", "dee"):
                self.assertEqual(run([VIGIL, "user", "add", name, "--role", "viewer", "--camera", "gate",
                                      "--data", d]).returncode, 0)
            r = run([VIGIL, "audit", "verify", "--data", d])
            self.assertEqual((r.returncode, r.stdout), (0, "audit log intact: 4 rows\n"), r.stderr)
            with sqlite3.connect(os.path.join(d, "access.db")) as db:
                db.execute("""UPDATE audit SET detail = '{"target":"eve"}' WHERE seq = 3""")
            r = run([VIGIL, "audit", "verify", "--data", d])
            self.assertEqual((r.returncode, r.stderr),
                             (1, "vigil audit verify: audit row 3: content does not match its hash\n"))

    def test_config_without_data_dir_is_refused(self):
        with temp_dir() as d:
            path = os.path.join(d, "vigil.toml")
            with open(path, "w") as f:
                f.write('[node]\nname = "x"\n')
            r = run([VIGIL, "audit", "verify", "--config", path])
        self.assertEqual((r.returncode, r.stderr), (2, f"vigil audit verify: {path}: node.data_dir is not set\n"))


class Serve(unittest.TestCase):
    def test_first_run_creates_admin_once_and_serves_http(self):
        with temp_dir() as d:
            port = free_port()
            path = os.path.join(d, "vigil.toml")
            with open(path, "w") as f:
                f.write(f'[node]\nname = "t"\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n')
            p = Process([VIGIL, "serve", "--config", path])
            try:
                password = p.wait_for_line(r"admin password: (\S+)").group(1)
                p.wait_for_line(r"serve\.http ", stream="stderr")
                base = f"http://127.0.0.1:{port}"
                status, _, body = call(base, "POST", "/api/v1/login", {"user": "admin", "password": password})
                self.assertEqual(status, 200, body)
                self.assertEqual(call(base, "GET", "/api/v1/cameras", token=body["token"])[:3:2], (200, []))
            finally:
                self.assertEqual(p.stop(), 0)
            p = Process([VIGIL, "serve", "--config", path])
            try:
                p.wait_for_line(r"serve\.http ", stream="stderr")
                self.assertFalse(any("password" in line for line in p.stdout_lines))
            finally:
                self.assertEqual(p.stop(), 0)

    def test_https_with_hsts_and_a_secure_cookie(self):
        with temp_dir() as d:
            cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                     "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            self.assertEqual(r.returncode, 0, r.stderr)
            port = free_port()
            path = os.path.join(d, "vigil.toml")
            with open(path, "w") as f:
                f.write(f'[node]\ndata_dir = "{d}/data"\n[http]\nlisten = "127.0.0.1:{port}"\n'
                        f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
            p = Process([VIGIL, "serve", "--config", path])
            try:
                password = p.wait_for_line(r"admin password: (\S+)").group(1)
                p.wait_for_line(r"serve\.http .*tls=true", stream="stderr")
                base = f"https://127.0.0.1:{port}"
                r = run(["curl", "-sS", "-i", "--cacert", cert, base + "/healthz"])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("HTTP/1.1 200 OK", r.stdout)
                self.assertIn("Strict-Transport-Security: max-age=31536000", r.stdout)
                r = run(["curl", "-sS", "-i", "--cacert", cert, "-H", "Content-Type: application/json",
                         "--data", json.dumps({"user": "admin", "password": password}), base + "/api/v1/login"])
                self.assertRegex(r.stdout, r"Set-Cookie: vigil_session=[0-9a-f]{64}; HttpOnly; SameSite=Strict; "
                                           r"Path=/; Secure")
                s = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", cert,
                                    "-verify_return_error", "-brief"], input="", capture_output=True, text=True,
                                   timeout=60)
                self.assertIn("Verification: OK", s.stderr + s.stdout)
                s = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_1"], input="",
                                   capture_output=True, text=True, timeout=60)
                self.assertNotEqual(s.returncode, 0)  # TLS 1.1 is refused
                # Plain HTTP on the HTTPS port gets no HTTP answer.
                self.assertIsNone(raw_status(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            finally:
                self.assertEqual(p.stop(), 0)


class SharedPostgres(unittest.TestCase):
    """Nodes of one platform sharing users and one audit chain in PostgreSQL
    ([access] database), and the config-change row written at start-up."""

    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def write_config(self, d, node, port, uri, tier="county"):
        path = os.path.join(d, f"{node}.toml")
        with open(path, "w") as f:
            f.write(f'[node]\nname = "{node}"\ntier = "{tier}"\ndata_dir = "{d}/{node}"\n'
                    f'[http]\nlisten = "127.0.0.1:{port}"\n[access]\ndatabase = "{uri}"\n')
        return path

    def serve(self, path):
        p = Process([VIGIL, "serve", "--config", path])
        p.wait_for_line(r"serve\.http ", stream="stderr")
        return p

    def test_two_nodes_share_accounts_and_one_audit_chain(self):
        uri = self.pg.create_database("shared")
        with temp_dir() as d:
            ports = free_port(), free_port()
            east = self.write_config(d, "east", ports[0], uri)
            west = self.write_config(d, "west", ports[1], uri)
            nodes = []
            try:
                nodes.append(Process([VIGIL, "serve", "--config", east]))
                password = nodes[0].wait_for_line(r"admin password: (\S+)").group(1)
                nodes[0].wait_for_line(r"serve\.http ", stream="stderr")
                nodes.append(self.serve(west))
                # The admin made by the first node logs in at both.
                self.assertFalse(any("password" in line for line in nodes[1].stdout_lines))
                self.assertFalse(os.path.exists(os.path.join(d, "east", "access.db")))
                bases = [f"http://127.0.0.1:{p}" for p in ports]
                tokens = []
                for base in bases:
                    status, _, body = call(base, "POST", "/api/v1/login", {"user": "admin", "password": password})
                    self.assertEqual(status, 200, body)
                    tokens.append(body["token"])
                # A user added at one node is known at the other.
                status, _, body = call(bases[0], "POST", "/api/v1/users",
                                       {"id": "ann", "role": "viewer", "password": "password for tests"},
                                       token=tokens[0])
                self.assertEqual(status, 201, body)
                # Both nodes append to the chain at once.
                failures = []

                def logins(base):
                    for _ in range(15):
                        status, _, body = call(base, "POST", "/api/v1/login",
                                               {"user": "ann", "password": "password for tests"})
                        if status != 200:
                            failures.append((base, status, body))
                threads = [threading.Thread(target=logins, args=(base,)) for base in bases]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
                self.assertEqual(failures, [])
                status, _, rows = call(bases[1], "GET", "/api/v1/audit?user=ann&limit=100", token=tokens[1])
                self.assertEqual(status, 200, rows)
                self.assertEqual([r["action"] for r in rows], ["login"] * 30)
            finally:
                for p in nodes:
                    self.assertEqual(p.stop(), 0, "\n".join(p.stderr_lines[-20:]))
            # 2 config changes, user_add admin, 2 admin logins, user_add ann, 30 logins;
            # each node signs its own rows, so west is told east's key.
            east_key = nodes[0].wait_for_line(r"serve\.access .*node_key=([0-9a-f]{64})", stream="stderr").group(1)
            r = run([VIGIL, "audit", "verify", "--config", west, "--trust", east_key])
            self.assertEqual((r.returncode, r.stdout), (0, "audit log intact: 36 rows\n"), r.stderr)
            # An edit in the database is caught and named.
            self.pg.sql("shared", "UPDATE audit SET client = '10.6.6.6' WHERE seq = 20")
            r = run([VIGIL, "audit", "verify", "--config", west, "--trust", east_key])
            self.assertEqual((r.returncode, r.stderr),
                             (1, "vigil audit verify: audit row 20: content does not match its hash\n"))

    def test_config_change_is_audited_at_start(self):
        uri = self.pg.create_database("config_change")
        with temp_dir() as d:
            port = free_port()
            path = self.write_config(d, "east", port, uri)
            for tier in ("county", "county", "township"):
                self.write_config(d, "east", port, uri, tier=tier)
                p = self.serve(path)
                self.assertEqual(p.stop(), 0)
            rows = self.pg.sql("config_change", "SELECT detail FROM audit WHERE action = 'config_change' ORDER BY seq")
            details = [json.loads(line) for line in rows.splitlines()]
            self.assertEqual(len(details), 2)  # the unchanged second start wrote nothing
            self.assertEqual((details[0]["added"], details[0]["changed"]), (["access", "http", "node"], []))
            self.assertEqual((details[1]["added"], details[1]["removed"], details[1]["changed"]), ([], [], ["node"]))
            self.assertNotIn("postgresql://", rows)  # the database URI is not in the log
            # No fast hash of the file (it may hold passwords): Argon2id.
            fingerprint = json.loads(self.pg.sql("config_change", "SELECT fingerprint FROM node_config"))
            self.assertTrue(fingerprint["file"].startswith("$argon2id$"), fingerprint)
            self.assertNotIn("sha256", details[1])
            r = run([VIGIL, "user", "add", "bob", "--role", "viewer", "--config", path])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.pg.sql("config_change", "SELECT action FROM audit ORDER BY seq DESC LIMIT 1"),
                             "user_add\n")
            r = run([VIGIL, "audit", "verify", "--config", path])
            self.assertEqual((r.returncode, r.stdout), (0, "audit log intact: 4 rows\n"), r.stderr)

    def test_each_node_signs_its_rows_and_tampering_is_named(self):
        """psql plays the intruder (design/AUDIT.md, threat model)."""
        uri = self.pg.create_database("tamper")

        def verify(path, *trust):
            r = run([VIGIL, "audit", "verify", "--config", path, *(a for k in trust for a in ("--trust", k))])
            return r.returncode, r.stdout + r.stderr

        def restore(rows):
            for r in rows:
                self.pg.sql("tamper", f"UPDATE audit SET client = '{r['client']}', prev_hash = '{r['prev_hash']}', "
                                      f"hash = '{r['hash']}' WHERE seq = {r['seq']}")
        with temp_dir() as d:
            east, west = self.write_config(d, "east", free_port(), uri), self.write_config(d, "west", free_port(), uri)
            keys = []
            for path in (east, west):  # east: config_change, user_add admin; west: config_change
                p = self.serve(path)
                keys.append(p.wait_for_line(r"serve\.access .*node_key=([0-9a-f]{64})", stream="stderr").group(1))
                self.assertEqual(p.stop(), 0)
            east_key, west_key = keys
            for name in ("ann", "bob"):
                self.assertEqual(run([VIGIL, "user", "add", name, "--role", "viewer", "--config", east]).returncode, 0)
            columns = ", ".join('"user"' if c == "user" else c for c in AUDIT_COLUMNS)
            rows = [dict(zip(AUDIT_COLUMNS, line.split("|")))
                    for line in self.pg.sql("tamper", f"SELECT {columns} FROM audit ORDER BY seq").splitlines()]
            for r in rows:
                r["seq"] = int(r["seq"])
            self.assertEqual([r["signer"] for r in rows], [east_key, east_key, west_key, east_key, east_key])
            # West does not vouch for east's rows until told east's key.
            code, out = verify(west)
            self.assertEqual(code, 1)
            self.assertIn("audit row 1: signed by key " + east_key[:16], out)
            self.assertEqual(verify(west, east_key), (0, "audit log intact: 5 rows\n"))
            self.assertEqual(verify(east, west_key), (0, "audit log intact: 5 rows\n"))
            # West's row 3 rewritten and the chain recomputed from there.
            restore(rechained(rows, 3, lambda r: r.update(client="10.6.6.6")))
            self.assertEqual(verify(east, west_key), (1, "vigil audit verify: audit row 3: signature does not match\n"))
            restore(rows[2:])
            self.assertEqual(verify(east, west_key), (0, "audit log intact: 5 rows\n"))
            # The last rows deleted: east's checkpoint counted 5.
            self.pg.sql("tamper", "DELETE FROM audit WHERE seq >= 4")
            code, out = verify(east, west_key)
            self.assertEqual(code, 1)
            self.assertRegex(out, r"^vigil audit verify: audit rows 4\.\.5 missing: the log ends at row 3, "
                                  r"the checkpoint of \S+ counted 5 rows\n$")

    def test_unreachable_database_is_a_clear_error(self):
        with temp_dir() as d:
            path = self.write_config(d, "east", free_port(), f"postgresql://vigil:hunter2@/nodb?host={d}/nosocket")
            r = run([VIGIL, "serve", "--config", path])
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot connect to postgresql://vigil:***@/nodb", r.stderr)
            self.assertNotIn("hunter2", r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main()
