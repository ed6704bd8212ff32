"""The durable outbox between real `vigil serve` processes (design/LINK.md,
"Outbox"): a household sends its audit checkpoints to its village while
logins make audit rows; the village is killed with SIGKILL while
checkpoints are pending and restarted, then the household is killed
mid-stream and restarted. The village ends with every checkpoint the
household made, each once, in order, verified against its pinned key."""
import os
import re
import time
import unittest

from link_test import LINK_UP, Node, wait_until
from vigil_testlib import temp_dir

CHECKPOINT_PERIOD = 2  # app/node_access.cpp: the audit log is checkpointed this often
DELIVERED = 120  # loose: sanitized builds on a shared machine are slow


def kill9(node):
    """SIGKILL, no clean shutdown; returns the process's stderr lines."""
    node.proc.proc.kill()
    node.proc.proc.wait(30)
    proc = node.proc
    node.stop()  # collects what it wrote
    return list(proc.stderr_lines)


def queued(lines):
    """The checkpoints the household queued for its parent, by sequence number."""
    return [int(m.group(1)) for line in lines if (m := re.search(r"link\.checkpoint_queued .*seq=(\d+)", line))]


def checkpoint_file_seq(node):
    with open(os.path.join(node.dir, "data", "audit.checkpoint")) as f:
        return int(re.search(r"^seq=(\d+)$", f.read(), re.M).group(1))


class OutboxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir()
        self.village = Node(self.tmp.name, "village-1", "village")
        self.house = Node(self.tmp.name, "house-1", "household")

    def tearDown(self):
        self.house.stop()
        self.village.stop()
        self.tmp.cleanup()

    def logins(self, rounds):
        """Audit rows, and a checkpoint of them after each round."""
        for _ in range(rounds):
            status, _ = self.house.api("POST", "/api/v1/login", {"user": "admin", "password": self.house.password})
            self.assertEqual(status, 200)
            time.sleep(CHECKPOINT_PERIOD + 0.5)

    def pending(self):
        return self.house.link()["parent"]["outbox_pending"]

    def test_checkpoints_survive_kill_9_of_either_side_exactly_once_in_order(self):
        village, house = self.village, self.house
        village.start()
        r = house.join(village, village.invite())
        self.assertEqual(r.returncode, 0, r.stderr)
        house.start()
        wait_until("house-1 linked", lambda: (c := village.child("house-1")) and c["state"] == "connected", LINK_UP)
        self.logins(2)
        made = []  # what the household queued, from its logs

        # The village dies while checkpoints are on their way, and stays down
        # while more are made: they wait in the household's outbox.
        self.logins(1)
        kill9(village)
        self.logins(3)
        self.assertGreater(self.pending(), 0)
        village.start()
        self.logins(1)

        # The household dies mid-stream; whatever it queued stays queued.
        status, _ = house.api("POST", "/api/v1/login", {"user": "admin", "password": house.password})
        self.assertEqual(status, 200)
        time.sleep(CHECKPOINT_PERIOD)
        made += queued(kill9(house))
        house.start()
        self.logins(2)

        def all_delivered():
            final = checkpoint_file_seq(house)  # the household's newest checkpoint
            status, kept = village.api("GET", "/api/v1/link/children/house-1/checkpoints")
            self.assertEqual(status, 200, kept)
            parent = house.link()["parent"]
            ack = parent["checkpoint_acknowledged"]
            return kept if kept and kept[-1]["seq"] == final and ack and ack["seq"] == final and \
                parent["outbox_pending"] == 0 else None

        kept, _ = wait_until("every checkpoint at the village", all_delivered, DELIVERED)
        key = house.link()["node"]["public_key"]
        proc = house.proc
        house.stop()
        made += queued(proc.stderr_lines)
        seqs = [c["seq"] for c in kept]
        self.assertEqual([c["problem"] for c in kept], [None] * len(kept))
        self.assertEqual(seqs, sorted(set(seqs)), "each checkpoint once, in order")
        self.assertGreaterEqual(len(seqs), 6)
        self.assertTrue(set(made) <= set(seqs), f"made {made}, kept {seqs}")
        # Each as the household signed it, with the key the village pinned.
        for c in kept:
            self.assertTrue(c["text"].startswith(f"vigil-audit-checkpoint/1\nkey={key}\nseq={c['seq']}\n"), c["text"])


if __name__ == "__main__":
    unittest.main()
