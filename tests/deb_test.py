"""The Debian package on this machine (issue 17 item 8, design/PACKAGING.md):
built with CPack from the build tree this test runs against (the debug
preset in CI: the same program the other tests check, stripped), installed
with dpkg, started as the unit starts it, upgraded, removed and purged.

systemd is not PID 1 here, so the unit is checked with `systemd-analyze
verify` and vigil is started as the unit would start it: as the user vigil,
no new privileges, the installed config, $NOTIFY_SOCKET set (Type=notify),
everything read-only but /var/lib/vigil (ProtectSystem=strict).

Needs root and dpkg (exit 77, skipped, otherwise), and a machine where vigil
was never installed: it leaves it that way (package purged, /var/lib/vigil
deleted, the user vigil removed).
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from vigil_testlib import Process, run

BUILD_DIR = os.environ.get("VIGIL_BUILD_DIR", "")
CONFIG = "/etc/vigil/vigil.toml"
DATA = "/var/lib/vigil"
UNIT = "/lib/systemd/system/vigil.service"
PORT = 8443  # the installed config's
TIMEOUT = 60
DPKG_ENV = {"DEBIAN_FRONTEND": "noninteractive"}


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (dpkg -i)"
    for tool in ("dpkg", "dpkg-deb", "cpack", "setpriv", "unshare"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if run(["unshare", "--mount", "true"]).returncode != 0:
        return "cannot make a mount namespace (the unit's read-only file system)"
    if not os.path.isfile(os.path.join(BUILD_DIR, "CPackConfig.cmake")):
        return "VIGIL_BUILD_DIR has no CPackConfig.cmake"
    if run(["dpkg-query", "-W", "-f=${Status}", "vigil"]).stdout.strip():
        return "a vigil package is on this machine: not touching it"
    for path in (DATA, "/etc/vigil"):
        if os.path.exists(path):
            return f"{path} exists: not touching it"
    if run(["getent", "passwd", "vigil"]).returncode == 0:
        return "a user vigil exists: not touching it"
    return None


def dpkg(*args):
    r = run(["dpkg", *args], timeout=300, env=DPKG_ENV)
    if r.returncode != 0:
        raise AssertionError(f"dpkg {' '.join(args)}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r.stdout + r.stderr


def set_purge_answer(delete):
    r = subprocess.run(
        ["debconf-set-selections"], input=f"vigil vigil/purge_data boolean {'true' if delete else 'false'}\n",
        capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr


def purge_everything():
    """Leaves the machine as it was: the package purged, its data deleted
    (the purge question answered yes) and the user vigil removed."""
    status = run(["dpkg-query", "-W", "-f=${Status}", "vigil"]).stdout
    if " installed" in status or "config-files" in status:
        if " installed" in status:
            set_purge_answer(True)
        run(["dpkg", "-P", "vigil"], timeout=300, env=DPKG_ENV)
    shutil.rmtree(DATA, ignore_errors=True)
    shutil.rmtree("/etc/vigil", ignore_errors=True)
    if run(["getent", "passwd", "vigil"]).returncode == 0:
        run(["deluser", "--system", "vigil"])
    if run(["getent", "group", "vigil"]).returncode == 0:
        run(["delgroup", "--system", "vigil"])


def build_packages(out):
    """The package of this build tree, and the same contents as the next
    version (an upgrade). Returns their paths."""
    r = run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", out],
            timeout=400)
    assert r.returncode == 0, r.stdout + r.stderr
    first = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".deb")]
    assert len(first) == 1, os.listdir(out)
    tree = os.path.join(out, "tree")
    assert run(["dpkg-deb", "-R", first[0], tree]).returncode == 0
    control = os.path.join(tree, "DEBIAN", "control")
    with open(control) as f:
        text = f.read()
    version = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Version: "))
    with open(control, "w") as f:
        f.write(text.replace(f"Version: {version}\n", f"Version: {version}+upgrade1\n"))
    second = os.path.join(out, "vigil_upgrade.deb")
    r = run(["dpkg-deb", "-Znone", "-b", tree, second], timeout=300)
    assert r.returncode == 0, r.stderr
    shutil.rmtree(tree)
    return first[0], second


# The unit's file system as systemd makes it (ProtectSystem=strict,
# ReadWritePaths=/var/lib/vigil, PrivateTmp), in a mount namespace of its
# own: everything read-only but the data directory, a fresh /tmp. The shell
# execs the rest, so the PID is vigil's.
SANDBOX = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
           f"mount --bind {DATA} {DATA} && mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp"
           ' && exec "$@"', "sandbox"]


class Unit:
    """vigil started as vigil.service starts it: in its file system, as the
    user vigil without new privileges, a socket standing in for systemd's
    notify socket."""

    def __init__(self):
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        name = f"vigil-deb-test-{os.getpid()}"
        self.notify.bind("\0" + name)
        self.notify.settimeout(TIMEOUT)
        self.process = Process(
            [*SANDBOX, "setpriv", "--reuid=vigil", "--regid=vigil", "--init-groups", "--no-new-privs", "--",
             "env", "-C", "/", "/usr/bin/vigil", "serve", "--config", CONFIG],
            env={"NOTIFY_SOCKET": "@" + name})

    def wait_ready(self):
        """Returns at READY=1; fails as soon as vigil exits, or after TIMEOUT."""
        self.notify.settimeout(0.2)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and self.process.proc.poll() is None:
            try:
                message = self.notify.recv(4096)
            except socket.timeout:
                continue
            assert message == b"READY=1", message
            self.notify.settimeout(TIMEOUT)
            return
        raise AssertionError("no READY=1:\n" + "\n".join(self.process.stdout_lines + self.process.stderr_lines))

    def stop(self):
        code = self.process.stop()
        self.notify.close()
        return code


def https(method, path, body=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the self-signed certificate made at install
    request = urllib.request.Request(f"https://127.0.0.1:{PORT}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=TIMEOUT) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def owner(path):
    st = os.stat(path)
    return run(["id", "-nu", str(st.st_uid)]).stdout.strip(), oct(st.st_mode & 0o7777)


class DebianPackage(unittest.TestCase):
    def test_install_start_upgrade_remove_purge(self):
        with tempfile.TemporaryDirectory(prefix="vigil-deb-") as out:
            first, upgrade = build_packages(out)
            try:
                self.check_install(first)
                password = self.check_first_and_second_start()
                self.check_upgrade_keeps_data_and_config(upgrade, password)
                self.check_remove_stops_vigil_and_purge_asks()
                self.check_purge_answered_yes_deletes_data_and_user(first)
            finally:
                purge_everything()
            self.assertEqual(run(["getent", "passwd", "vigil"]).returncode, 2)
            self.assertFalse(os.path.exists(DATA))

    def check_install(self, deb):
        dpkg("-i", deb)
        for path in ("/usr/bin/vigil", "/usr/share/vigil/web/index.html", "/usr/share/vigil/nanodet.onnx", UNIT):
            self.assertTrue(os.path.isfile(path), path)
        self.assertIn(CONFIG, run(["dpkg-query", "-W", "-f=${Conffiles}", "vigil"]).stdout)
        user = run(["getent", "passwd", "vigil"]).stdout.strip().split(":")
        self.assertLess(int(user[2]), 1000, user)  # a system user
        self.assertEqual((user[5], user[6]), (DATA, "/usr/sbin/nologin"))
        self.assertEqual(owner(DATA), ("vigil", "0o750"))
        self.assertEqual(owner(f"{DATA}/tls/key.pem"), ("vigil", "0o600"))
        self.assertEqual((owner(CONFIG), os.stat(CONFIG).st_gid), (("root", "0o640"), int(user[3])))
        self.assertTrue(os.path.islink("/etc/systemd/system/multi-user.target.wants/vigil.service"))
        with open(UNIT) as f:
            unit = f.read().splitlines()
        for directive in ("Type=notify", "User=vigil", "Restart=on-failure", "NoNewPrivileges=yes",
                          "ProtectSystem=strict", "ReadWritePaths=/var/lib/vigil",
                          f"ExecStart=/usr/bin/vigil serve --config {CONFIG}"):
            self.assertIn(directive, unit)
        if shutil.which("systemd-analyze"):
            r = run(["systemd-analyze", "verify", UNIT])
            self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(CONFIG) as f:
            self.assertNotIn("\n[[camera]]", f.read())  # records nothing until cameras are added

    def check_first_and_second_start(self):
        unit = Unit()
        try:
            unit.wait_ready()
            password = unit.process.wait_for_line(r"admin password: (\S+)").group(1)
            status, body = https("GET", "/")
            self.assertEqual(status, 200)
            with open("/usr/share/vigil/web/index.html", "rb") as f:
                self.assertEqual(body, f.read())  # the packaged web UI
            self.assertEqual(https("POST", "/api/v1/login", {"user": "admin", "password": password})[0], 200)
        finally:
            self.assertEqual(unit.stop(), 0)
        self.assertEqual(owner(f"{DATA}/access.db")[0], "vigil")
        unit = Unit()
        try:
            unit.wait_ready()
        finally:
            self.assertEqual(unit.stop(), 0)
        self.assertFalse([line for line in unit.process.stdout_lines if "password" in line])
        return password

    def check_upgrade_keeps_data_and_config(self, deb, password):
        with open(CONFIG, "a") as f:
            f.write("# edited by deb_test\n")
        dpkg("-i", deb)
        self.assertIn("+upgrade1", run(["dpkg-query", "-W", "-f=${Version}", "vigil"]).stdout)
        with open(CONFIG) as f:
            self.assertTrue(f.read().endswith("# edited by deb_test\n"))
        self.assertFalse(os.path.exists(CONFIG + ".dpkg-new") or os.path.exists(CONFIG + ".dpkg-dist"))
        unit = Unit()
        try:
            unit.wait_ready()
            self.assertEqual(https("POST", "/api/v1/login", {"user": "admin", "password": password})[0], 200)
        finally:
            self.assertEqual(unit.stop(), 0)
        self.assertFalse([line for line in unit.process.stdout_lines if "password" in line])

    def check_remove_stops_vigil_and_purge_asks(self):
        unit = Unit()
        try:
            unit.wait_ready()
            dpkg("-r", "vigil")
            # prerm stopped it (SIGTERM: a clean exit) before its program went.
            self.assertEqual(unit.process.proc.wait(TIMEOUT), 0)
        finally:
            unit.stop()
        self.assertFalse(os.path.exists("/usr/bin/vigil"))
        self.assertTrue(os.path.isfile(CONFIG))  # remove keeps the config...
        self.assertTrue(os.path.isfile(f"{DATA}/access.db"))  # ...and the data
        # Purge asks; the default answer (noninteractive here) keeps the data.
        output = dpkg("-P", "vigil")
        self.assertIn(f"kept in {DATA}", output)
        self.assertTrue(os.path.isfile(f"{DATA}/access.db"))
        self.assertFalse(os.path.exists(CONFIG))
        self.assertEqual(run(["getent", "passwd", "vigil"]).returncode, 0)

    def check_purge_answered_yes_deletes_data_and_user(self, deb):
        dpkg("-i", deb)  # over the kept data: a reinstall after a purge
        self.assertTrue(os.path.isfile(f"{DATA}/access.db"))
        set_purge_answer(True)
        dpkg("-P", "vigil")
        self.assertFalse(os.path.exists(DATA))
        self.assertEqual(run(["getent", "passwd", "vigil"]).returncode, 2)
        self.assertEqual(run(["getent", "group", "vigil"]).returncode, 2)


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print(f"deb_test: skipped: {reason}")
        sys.exit(77)
    unittest.main()
