"""The command line: help for every subcommand, exit codes, config errors."""
import os
import unittest

from vigil_testlib import VIGIL, run, temp_dir

SUBCOMMANDS = [["demo"], ["serve"], ["testcam"], ["check"], ["user", "add"], ["user", "passwd"], ["audit", "verify"],
               ["version"]]


class Cli(unittest.TestCase):
    def test_top_level_help_lists_every_subcommand(self):
        r = run([VIGIL, "--help"])
        self.assertEqual(r.returncode, 0)
        for name in ("demo", "serve", "testcam", "check", "user", "audit", "version"):
            self.assertIn(name, r.stdout)

    def test_every_subcommand_has_help(self):
        for sub in SUBCOMMANDS:
            r = run([VIGIL, *sub, "--help"])
            self.assertEqual(r.returncode, 0, sub)
            self.assertIn("Usage", r.stdout, sub)

    def test_version(self):
        r = run([VIGIL, "version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^vigil \d+\.\d+\.\d+\n$")

    def test_bad_usage_exits_2_with_one_line(self):
        for args in ([], ["fly"], ["testcam", "--nope"], ["serve"], ["user", "add", "x", "--role", "king",
                                                                       "--data", "d"]):
            r = run([VIGIL, *args])
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, (args, r.stderr))


class ConfigErrors(unittest.TestCase):
    def check(self, text, expected):
        with temp_dir() as d:
            path = os.path.join(d, "vigil.toml")
            with open(path, "w") as f:
                f.write(text)
            r = run([VIGIL, "serve", "--config", path])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.strip(), f"vigil serve: {path}:{expected}")

    def test_unknown_key(self):
        self.check('[node]\nname = "x"\nzone = 1\n', "3: node.zone: unknown key (allowed: id, name, tier, data_dir)")

    def test_wrong_type(self):
        self.check('[[camera]]\nid = "gate"\nurl = "rtsp://h/x"\nretain_days = "many"\n',
                   "4: camera[0].retain_days: must be an integer")

    def test_bad_value(self):
        self.check('[[camera]]\nid = "gate"\nurl = "rtsp://h/x"\nrecord = "always"\n',
                   '4: camera[0].record: must be one of continuous, events, off (got "always")')

    def test_unreadable_file(self):
        r = run([VIGIL, "serve", "--config", "/nonexistent/vigil.toml"])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "vigil serve: /nonexistent/vigil.toml: cannot read config file")


if __name__ == "__main__":
    unittest.main()
