"""The audit log against whoever can write the database (issue 13, item 5;
design/AUDIT.md, threat model): sqlite3 plays the attacker, who
rewrites rows and recomputes the SHA-256 chain, deletes the last rows, or
(with the data directory too) replaces the node key; `vigil audit verify`
must name the row or the missing tail. The same on a shared PostgreSQL:
access_test.py, SharedPostgres."""
import os
import secrets
import sqlite3
import unittest

from vigil_testlib import AUDIT_COLUMNS, VIGIL, chain_hash, rechained, run, temp_dir


def verify(*args):
    r = run([VIGIL, "audit", "verify", *args])
    return r.returncode, r.stdout + r.stderr


class Sqlite(unittest.TestCase):
    """One node's access.db, written by `vigil user add`."""

    def setUp(self):
        self.tmp = temp_dir()
        self.data = self.tmp.name
        for name in ("ann", "bob", "cy", "dee", "eve"):
            r = run([VIGIL, "user", "add", name, "--role", "viewer", "--camera", "gate", "--data", self.data])
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(verify("--data", self.data), (0, "audit log intact: 5 rows\n"))

    def tearDown(self):
        self.tmp.cleanup()

    def db(self):
        return sqlite3.connect(os.path.join(self.data, "access.db"))

    def rows(self):
        with self.db() as db:
            return [dict(zip(AUDIT_COLUMNS, r)) for r in
                    db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY seq")]

    def test_rewritten_and_rechained_rows_are_named(self):
        changed = rechained(self.rows(), 3, lambda r: r.update(client="10.6.6.6"))
        with self.db() as db:
            for r in changed:
                db.execute("UPDATE audit SET client = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                           (r["client"], r["prev_hash"], r["hash"], r["seq"]))
        self.assertEqual(verify("--data", self.data), (1, "vigil audit verify: audit row 3: signature does not match\n"))

    def test_deleted_last_rows_are_named(self):
        with self.db() as db:
            db.execute("DELETE FROM audit WHERE seq >= 4")
        code, out = verify("--data", self.data)
        self.assertEqual(code, 1)
        self.assertRegex(out, r"^vigil audit verify: audit rows 4\.\.5 missing: the log ends at row 3, "
                              r"the checkpoint of \S+ counted 5 rows\n$")
        # A later `user add` appends row 4 again: the checkpoint is not moved back or over the hole.
        self.assertEqual(run([VIGIL, "user", "add", "fay", "--role", "viewer", "--data", self.data]).returncode, 0)
        self.assertEqual(run([VIGIL, "user", "add", "gus", "--role", "viewer", "--data", self.data]).returncode, 0)
        code, out = verify("--data", self.data)
        self.assertEqual(code, 1)
        self.assertRegex(out, r"^vigil audit verify: audit row 5: differs from the row the checkpoint of \S+ saw\n$")

    def test_replaced_key_file_is_named(self):
        old = self.rows()[0]["signer"]
        key = os.path.join(self.data, "node.key")
        os.remove(key)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, f"ed25519-seed:{secrets.token_hex(32)}\n".encode())
        os.close(fd)
        code, out = verify("--data", self.data)
        self.assertEqual(code, 1)
        self.assertRegex(out, rf"^vigil audit verify: audit row 1: signed by key {old[:16]}…, which is not this "
                              r"node's \([0-9a-f]{16}…\) nor trusted\n$")
        # The owner who knows the old key was theirs says so.
        self.assertEqual(verify("--data", self.data, "--trust", old), (0, "audit log intact: 5 rows\n"))

    def test_key_readable_by_others_is_refused(self):
        os.chmod(os.path.join(self.data, "node.key"), 0o644)
        code, out = verify("--data", self.data)
        self.assertEqual(code, 1)
        self.assertIn("node.key: mode 644 lets others read or write it", out)
        r = run([VIGIL, "user", "add", "fay", "--role", "viewer", "--data", self.data])
        self.assertEqual(r.returncode, 1)

class Upgrade(unittest.TestCase):
    def test_rows_from_before_signing_are_kept_and_the_log_goes_on(self):
        """An access.db made before rows were signed: the node adds the
        columns, its old rows verify as a prefix, new rows are signed."""
        with temp_dir() as d:
            with sqlite3.connect(os.path.join(d, "access.db")) as db:
                db.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY NOT NULL, at INTEGER NOT NULL, "
                           "user TEXT NOT NULL, action TEXT NOT NULL, camera TEXT NOT NULL, client TEXT NOT NULL, "
                           "detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)")
                row = {"seq": 1, "at": 1700000000000000, "user": "", "action": "user_add", "camera": "",
                       "client": "cli", "detail": '{"target":"old"}'}
                db.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (*row.values(), "0" * 64, chain_hash("0" * 64, row)))
            r = run([VIGIL, "user", "add", "ann", "--role", "viewer", "--data", d])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(verify("--data", d), (0, "audit log intact: 2 rows\n"))
            with sqlite3.connect(os.path.join(d, "access.db")) as db:
                signers = [s for (s,) in db.execute("SELECT signer FROM audit ORDER BY seq")]
            self.assertEqual(signers[0], "")
            self.assertRegex(signers[1], r"^[0-9a-f]{64}$")


if __name__ == "__main__":
    unittest.main()
