"""The tier link between real `vigil serve` processes on loopback, each with
its own data directory, node key and self-signed certificate: enrolment by
CLI, the connection on both sides, wrong/used/expired codes, removal, a
parent restart, an impostor child and an impostor parent (design/LINK.md)."""
import asyncio
import json
import os
import re
import socket
import ssl
import time
import unittest
import urllib.error
import urllib.request

import websockets

from vigil_testlib import VIGIL, Process, free_port, run, temp_dir

# Loose bounds: sanitized builds on a shared machine are slow.
LINK_UP = 60
REMOVED = 3  # the issue asks for about 1 s


class Node:
    """One node: config with comments, cert, data dir, and its serve process."""

    def __init__(self, root, node_id, tier):
        self.id = node_id
        self.dir = os.path.join(root, node_id)
        os.makedirs(self.dir)
        self.port = free_port()
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"])
        assert r.returncode == 0, r.stderr
        self.config = os.path.join(self.dir, "vigil.toml")
        with open(self.config, "w") as f:
            f.write(f"# {node_id}: a comment that link join must keep\n"
                    f"[node]\nid = \"{node_id}\"\nname = \"Node {node_id}\"\ntier = \"{tier}\"\n"
                    f"data_dir = \"{self.dir}/data\"\n\n"
                    f"[http]\nlisten = \"127.0.0.1:{self.port}\"  # keep me too\n"
                    f"tls_cert = \"{cert}\"\ntls_key = \"{key}\"\n")
        self.url = f"https://127.0.0.1:{self.port}"
        self.prefix = []  # what runs vigil: ["ip", "netns", "exec", NS] puts it in a network namespace
        self.proc = None
        self.password = None
        self.token = None

    def start(self):
        self.proc = Process([*self.prefix, VIGIL, "serve", "--config", self.config])
        if self.password is None:
            self.password = self.proc.wait_for_line(r"admin password: (\S+)", timeout=120).group(1)
        self.proc.wait_for_line(r"serve\.http .*tls=true", stream="stderr", timeout=120)
        self.token = self.api("POST", "/api/v1/login", {"user": "admin", "password": self.password})[1]["token"]

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    def api(self, method, path, body=None):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # a self-signed certificate, as on a real node
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                text = r.read().decode()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "null")

    def link(self):
        status, state = self.api("GET", "/api/v1/link")
        assert status == 200, state
        return state

    def child(self, child_id):
        return next((c for c in self.link()["children"] if c["id"] == child_id), None)

    def cli(self, *args):
        return run([*self.prefix, VIGIL, "link", *args, "--config", self.config], timeout=120)

    def invite(self, name="Zhang family", expires="24h"):
        r = self.cli("invite", "--name", name, "--expires", expires)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip().splitlines()[-1]  # the code alone on the last line

    def join(self, parent, code):
        return self.cli("join", "--parent", parent.url, "--code", code)


def frame(kind, payload):
    """A link frame: version 1, kind, reserved, channel 0, length."""
    return bytes([1, kind, 0, 0, 0, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


async def forged_handshake(port, child_id):
    """Claims child_id with a forged proof; returns the parent's challenge and refusal."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    async with websockets.connect(f"wss://127.0.0.1:{port}/api/v1/link/connect", ssl=ctx, open_timeout=30) as ws:
        await ws.send(frame(1, bytes(32) + bytes([len(child_id)]) + child_id.encode()))
        challenge = await asyncio.wait_for(ws.recv(), 30)
        await ws.send(frame(3, bytes(64)))
        refuse = await asyncio.wait_for(ws.recv(), 30)
        return challenge, refuse


def wait_until(what, predicate, timeout):
    """Polls predicate() until it returns something true; returns it and the seconds it took."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        last = predicate()
        if last:
            return last, time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last})")


class NodesTestCase(unittest.TestCase):
    """Nodes in a temporary directory, each stopped after the test."""

    def setUp(self):
        self.tmp = temp_dir()
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.stop()
        self.tmp.cleanup()

    def node(self, node_id, tier, cameras=(), camera_url=None):
        """A node; each of `cameras` plays `camera_url`, unrecorded."""
        n = Node(self.tmp.name, node_id, tier)
        with open(n.config, "a") as f:
            for camera in cameras:
                f.write(f'\n[[camera]]\nid = "{camera}"\nname = "The {camera}"\n'
                        f'url = "{camera_url}"\nrecord = "off"\n')
        self.nodes.append(n)
        return n

    def linked(self, *chain):
        """Starts the nodes from the top, each joined to the one above it
        while that one runs; returns once every link is up."""
        for parent, child in zip(chain, chain[1:]):
            parent.start()
            r = child.join(parent, parent.invite())
            self.assertEqual(r.returncode, 0, r.stderr)
        chain[-1].start()
        for parent, child in zip(chain, chain[1:]):
            wait_until(f"{parent.id} sees {child.id}",
                       lambda: (c := parent.child(child.id)) and c["state"] == "connected", LINK_UP)


class LinkTest(NodesTestCase):
    def test_three_tiers_enrol_connect_remove_and_reconnect(self):
        township = self.node("township-1", "township")
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        house2 = self.node("house-2", "household")
        township.start()
        village.start()

        # Enrolment by CLI, while the parents run. The code pins the parent's key.
        code = village.invite()
        self.assertRegex(code, r"^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$")
        # join rewrites the config through a temporary file: one planted as
        # a symlink where the first version wrote it is not followed, and
        # the config keeps its mode.
        victim = os.path.join(self.tmp.name, "victim")
        with open(victim, "w") as f:
            f.write("untouched\n")
        os.symlink(victim, house.config + ".link-join.tmp")
        os.chmod(house.config, 0o640)
        r = house.join(village, code)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(victim) as f:
            self.assertEqual(f.read(), "untouched\n")
        self.assertFalse(os.path.islink(house.config))
        self.assertEqual(os.stat(house.config).st_mode & 0o7777, 0o640)
        with open(house.config) as f:
            text = f.read()
        self.assertIn(f'[link]\nparent = "{village.url}"', text)
        self.assertIn("a comment that link join must keep", text)
        self.assertIn("# keep me too", text)
        r = village.join(township, township.invite("Village one"))
        self.assertEqual(r.returncode, 0, r.stderr)

        # A used code, a wrong one, and one that names another parent's key.
        r = house2.join(village, code)
        self.assertEqual(r.returncode, 1)
        self.assertIn("this invitation code was already used", r.stderr)
        fresh = village.invite()
        wrong = ("A" if fresh[0] != "A" else "B") + fresh[1:]
        r = house2.join(village, wrong)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown invitation code", r.stderr)
        r = house2.join(township, fresh)  # the village's code, sent to the township
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not hold the key this invitation code names", r.stderr)
        # Tiers go downward only.
        r = self.node("village-2", "village").join(village, fresh)
        self.assertEqual(r.returncode, 1)
        self.assertIn("a village links only to a tier above it", r.stderr)
        r = house.cli("invite", "--name", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("a household has no tier below it", r.stderr)
        # An invitation binds its child's tier (by default the one below the
        # parent's) and, when named, its id.
        r = house2.join(township, township.invite("A village"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("this invitation is for a village, not a household", r.stderr)
        r = village.cli("invite", "--name", "x", "--id", "house-9")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = house2.join(village, r.stdout.strip().splitlines()[-1])
        self.assertEqual(r.returncode, 1)
        self.assertIn('this invitation is for node id "house-9", not "house-2"', r.stderr)
        # An expired code.
        short = village.invite(expires="5s")
        time.sleep(6)
        r = house2.join(village, short)
        self.assertEqual(r.returncode, 1)
        self.assertIn("this invitation code expired at", r.stderr)
        # The API: invitations listed without their codes.
        status, invites = village.api("GET", "/api/v1/link/invites")
        self.assertEqual(status, 200)
        self.assertEqual([i["state"] for i in invites], ["used", "pending", "pending", "expired"])
        self.assertEqual([(i["tier"], i["child_id"]) for i in invites],
                         [("household", ""), ("household", ""), ("household", "house-9"), ("household", "")])
        status, body = village.api("POST", "/api/v1/link/invites", {"name": "x", "tier": "village"})
        self.assertEqual(status, 400)
        self.assertIn("a village invites only tiers below it", body["error"])
        self.assertNotIn(code, json.dumps(invites))

        # The connection, on both sides. The village restarts to dial its parent.
        village.stop()
        village.start()
        house.start()
        state, took = wait_until("village sees house-1", lambda: (c := village.child("house-1")) and
                                 c["state"] == "connected" and c["rtt_ms"] is not None and c, LINK_UP)
        self.assertGreater(state["bytes_in"], 0)
        self.assertEqual(state["tier"], "household")
        up = wait_until("house-1 sees its parent", lambda: (p := house.link()["parent"]) and
                        p["state"] == "connected" and p["rtt_ms"] is not None and p, LINK_UP)[0]
        self.assertEqual(up["id"], "village-1")
        self.assertGreater(up["bytes_out"], 0)
        wait_until("township sees village-1",
                   lambda: (c := township.child("village-1")) and c["state"] == "connected", LINK_UP)

        # The parent restarts: the child reconnects by itself.
        village.stop()
        wait_until("house-1 notices", lambda: house.link()["parent"]["state"] == "retrying", LINK_UP)
        village.start()
        wait_until("house-1 reconnects", lambda: house.link()["parent"]["state"] == "connected", LINK_UP)
        wait_until("village sees house-1 again",
                   lambda: (c := village.child("house-1")) and c["state"] == "connected", LINK_UP)

        # Removal through the API ends the link at once, with a clear reason.
        status, _ = village.api("DELETE", "/api/v1/link/children/house-1")
        self.assertEqual(status, 200)
        parent, took = wait_until("house-1 is cut off", lambda: (p := house.link()["parent"]) and
                                  p["state"] != "connected" and p, REMOVED)
        print(f"removal seen by the child after {took:.2f} s")
        self.assertIn("removed", house.link()["parent"]["reason"])
        self.assertIsNone(village.child("house-1"))
        # ...and it stays out: the next attempts are refused for the same reason.
        time.sleep(3)
        p = house.link()["parent"]
        self.assertEqual(p["state"], "retrying")
        self.assertIn('node "house-1" was removed by this parent\'s admin', p["reason"])

        # Removal by the CLI, while the parent runs, ends the link too.
        r = township.cli("remove", "village-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until("village-1 is cut off", lambda: "removed" in (village.link()["parent"] or {}).get("reason", ""),
                   REMOVED + 2)

        # Each parent audited its invitations, enrolments and removals, from
        # the CLI and the API alike.
        def link_rows(node):
            status, rows = node.api("GET", "/api/v1/audit")
            self.assertEqual(status, 200)
            return [(r["action"], r["user"], r["client"], r["detail"].get("child", ""))
                    for r in reversed(rows) if r["action"].startswith("link_")]
        self.assertEqual(link_rows(township), [("link_invite", "", "cli", ""), ("link_enrol", "", "127.0.0.1", "village-1"),
                                               ("link_invite", "", "cli", ""), ("link_remove", "", "cli", "village-1")])
        rows = link_rows(village)
        self.assertIn(("link_join", "", "cli", ""), rows)  # on the child, of its own joining
        self.assertIn(("link_enrol", "", "127.0.0.1", "house-1"), rows)
        self.assertEqual(rows[-1], ("link_remove", "admin", "127.0.0.1", "house-1"))

    def test_join_from_the_api(self):
        """POST /api/v1/link/parent (the web UI's "Join a parent"): what
        `vigil link join` does, for an admin only, with the reason of a
        refusal and the config untouched; the node restarts itself in place
        (the same process) and dials its new parent."""
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        village.start()
        house.start()
        with open(house.config) as f:
            before = f.read()

        def join(parent, code):
            return house.api("POST", "/api/v1/link/parent", {"parent": parent, "code": code})

        # Not an admin (an operator): refused before anything is tried.
        status, body = house.api("POST", "/api/v1/users", {"id": "op", "role": "operator", "password": "operator password"})
        self.assertEqual(status, 201, body)
        admin = house.token
        house.token = house.api("POST", "/api/v1/login", {"user": "op", "password": "operator password"})[1]["token"]
        code = village.invite()
        status, body = join(village.url, code)
        self.assertEqual(status, 403, body)
        house.token = admin

        # Refusals, each a sentence, and nothing written.
        wrong = ("A" if code[0] != "A" else "B") + code[1:]
        status, body = join(village.url, wrong)
        self.assertEqual(status, 403, body)
        self.assertIn("unknown invitation code", body["error"])
        status, body = join(village.url, "not a code")
        self.assertEqual(status, 400, body)
        self.assertRegex(body["error"], r"^code: ")
        status, body = join("http://" + village.url[len("https://"):], code)
        self.assertEqual(status, 400, body)
        self.assertRegex(body["error"], r"^parent: ")
        status, body = join(f"https://127.0.0.1:{free_port()}", code)
        self.assertEqual(status, 502, body)
        self.assertIn("127.0.0.1", body["error"])
        with open(house.config) as f:
            self.assertEqual(f.read(), before)
        self.assertIsNone(house.link()["parent"])

        # The right code: the parent pinned, [link] parent written (the rest
        # kept), and the node restarts in place to dial it: connected on both
        # sides, with the same process.
        pid = house.proc.proc.pid
        status, body = join(village.url, code)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["restarting"], True)
        self.assertEqual((body["parent"]["id"], body["parent"]["tier"], body["parent"]["url"]),
                         ("village-1", "village", village.url))
        with open(house.config) as f:
            text = f.read()
        self.assertIn(f'[link]\nparent = "{village.url}"', text)
        self.assertIn("a comment that link join must keep", text)
        wait_until("village sees house-1", lambda: (c := village.child("house-1")) and c["state"] == "connected",
                   LINK_UP)

        def parent_state():
            try:
                return house.link()["parent"]
            except OSError:  # restarting
                return None
        parent, _ = wait_until("house-1 sees its parent", lambda: (p := parent_state()) and p["state"] == "connected" and p,
                               LINK_UP)
        self.assertEqual((parent["id"], parent["name"]), ("village-1", "Node village-1"))
        self.assertEqual(house.proc.proc.pid, pid)
        self.assertIsNone(house.proc.proc.poll())
        status, body = join(village.url, village.invite())
        self.assertEqual(status, 409, body)
        self.assertIn("this node already has a parent", body["error"])
        status, rows = house.api("GET", "/api/v1/audit")
        self.assertEqual(status, 200)
        joins = [r for r in rows if r["action"] == "link_join"]
        self.assertEqual([(r["user"], r["detail"]["parent"], r["detail"]["id"]) for r in joins],
                         [("admin", village.url, "village-1")])

    def test_impostors_are_refused(self):
        village = self.node("village-1", "village")
        house = self.node("house-1", "household")
        village.start()
        self.assertEqual(house.join(village, village.invite()).returncode, 0)
        house.start()
        wait_until("linked", lambda: (c := village.child("house-1")) and c["state"] == "connected", LINK_UP)

        # A child claiming house-1's id without its key: refused, and the
        # real house-1 stays connected.
        challenge, refuse = asyncio.run(forged_handshake(village.port, "house-1"))
        self.assertEqual(challenge[1], 2)  # the parent proves itself first
        self.assertEqual(refuse[1], 5)
        self.assertEqual(int.from_bytes(refuse[12:14], "big"), 4)  # bad proof
        self.assertIn(b"its proof matches no key enrolled here", refuse)
        time.sleep(1)
        self.assertEqual(village.child("house-1")["state"], "connected")

        # Another node at the parent's address (same port, its own key):
        # the child refuses it, whatever it says.
        village.stop()
        impostor = self.node("village-x", "village")
        impostor.port = village.port
        with open(impostor.config) as f:
            text = re.sub(r'listen = "127\.0\.0\.1:\d+"', f'listen = "127.0.0.1:{village.port}"', f.read())
        with open(impostor.config, "w") as f:
            f.write(text)
        impostor.url = village.url
        impostor.start()
        p, _ = wait_until("house-1 refuses the impostor",
                          lambda: (p := house.link()["parent"]) and "proof does not match" in p["reason"] and p,
                          LINK_UP)
        self.assertEqual(p["state"], "retrying")
        self.assertEqual(impostor.link()["children"], [])

    def test_a_connection_that_never_speaks_is_closed_without_spinning(self):
        """An outsider opens the connect WebSocket, sends nothing and never
        answers the close: the handshake times out, the parent closes the
        socket, and its timers do not spin meanwhile (they did: a core at
        100 % until the socket closed)."""
        village = self.node("village-1", "village")
        village.start()
        pid = village.proc.proc.pid

        def cpu_seconds():
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", village.port)), server_hostname="127.0.0.1") as s:
            s.sendall(f"GET /api/v1/link/connect HTTP/1.1\r\nHost: 127.0.0.1:{village.port}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            self.assertIn(b" 101 ", s.recv(4096))
            began, cpu0 = time.monotonic(), cpu_seconds()
            s.settimeout(1)
            closed = False
            while not closed and time.monotonic() - began < 90:
                try:
                    closed = s.recv(4096) == b""  # the close frame, then the end of the stream
                except socket.timeout:
                    pass
                except (ConnectionResetError, ssl.SSLError):
                    closed = True
            wall, cpu = time.monotonic() - began, cpu_seconds() - cpu0
        self.assertTrue(closed, "the parent never closed the silent connection")
        # Loose: a spinning timer costs a whole core for the wait.
        self.assertLess(cpu, 0.5 * wall, f"{cpu:.1f} s of CPU in {wall:.1f} s")


if __name__ == "__main__":
    unittest.main()
