#!/usr/bin/env python3
"""End-to-end tests of `margin check`: run the built binary on trees made in
temporary directories. Usage: test_check.py /path/to/margin [unittest args].

Fixtures use plain syntax errors (rule E999); the tests assert codes, lines
and columns, never the exact message text."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

MARGIN = None
BAD = "x = 1\ny = 2\ndef f(:\n    pass\n"  # E999 on line 3
GOOD = "def f(a):\n    return a + 1\n"
LINE_RE = re.compile(r"^(.+):(\d+):(\d+): ([A-Z]+[0-9]+) (.+)$")
SUMMARY_RE = re.compile(
    r"^(Found (\d+) findings? in (\d+) files? |All checks passed |No findings )"
    r"\((\d+) files? checked(; (\d+) paths? could not be checked)?\)\.$")


def run(args, cwd, timeout=120):
    # These tests are about walking, output and exit codes, not the rules:
    # only E999 counts, unless a test selects rules itself.
    args = list(args)
    if not any(a.split("=")[0] in ("--select", "--ignore", "--extend-select", "--help")
               for a in args):
        args = ["--select=E999"] + args
    p = subprocess.run([MARGIN, "check"] + args, cwd=cwd, capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def write(root, rel, text, mode="w"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)
    return path


def findings(stdout):
    """(path, line, col, code) of each finding line of text output."""
    out = []
    for line in stdout.splitlines():
        m = LINE_RE.match(line)
        if m:
            out.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)))
    return out


def summary(stdout):
    lines = stdout.splitlines()
    m = SUMMARY_RE.match(lines[-1]) if lines else None
    assert m, "no summary line in %r" % stdout
    return {"findings": int(m.group(2) or 0), "files": int(m.group(3) or 0),
            "checked": int(m.group(4)), "errors": int(m.group(6) or 0)}


def files_with_findings(stdout):
    return sorted({f[0] for f in findings(stdout)})


def path_key(p):
    return p.split("/")


class Tree(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="margin-check-")

    def tearDown(self):
        for dirpath, dirnames, _ in os.walk(self.root):
            for d in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, d), 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def w(self, rel, text=BAD, mode="w"):
        return write(self.root, rel, text, mode)

    def check(self, *args):
        return run(args, self.root)


class Usage(Tree):
    def test_help(self):
        rc, out, err = self.check("--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: margin check", out)
        self.assertIn("--select", out)

    def test_unknown_option(self):
        rc, out, err = self.check("--frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("unknown option '--frobnicate'", err)
        self.assertEqual(out, "")

    def test_bad_format(self):
        rc, out, err = self.check("--format", "xml")
        self.assertEqual(rc, 2)
        self.assertIn("xml", err)

    def test_missing_value(self):
        rc, out, err = self.check("--select")
        self.assertEqual(rc, 2)
        self.assertIn("needs a value", err)


class ExitCodes(Tree):
    def test_clean_tree_exits_0(self):
        self.w("a.py", GOOD)
        self.w("pkg/b.py", GOOD)
        self.w("pkg/__init__.py", "")
        rc, out, err = self.check()
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip().splitlines()[-1], "All checks passed (3 files checked).")

    def test_findings_exit_1(self):
        self.w("a.py", GOOD)
        self.w("bad.py")
        rc, out, err = self.check()
        self.assertEqual(rc, 1, err)
        f = findings(out)
        self.assertTrue(f)
        self.assertTrue(all(x[0] == "bad.py" and x[3] == "E999" for x in f), f)
        self.assertEqual(f[0][1], 3)  # `def f(:` is line 3
        s = summary(out)
        self.assertEqual(s["findings"], len(f))
        self.assertEqual(s["files"], 1)
        self.assertEqual(s["checked"], 2)

    def test_exit_zero(self):
        self.w("bad.py")
        rc, out, err = self.check("--exit-zero")
        self.assertEqual(rc, 0)
        self.assertTrue(findings(out))

    def test_missing_path_exits_2_and_others_run(self):
        self.w("bad.py")
        rc, out, err = self.check("nope.py", "bad.py")
        self.assertEqual(rc, 2)  # 2 wins over 1
        self.assertIn("margin check: 'nope.py': no such file or directory", err)
        self.assertEqual(files_with_findings(out), ["bad.py"])
        s = summary(out)
        self.assertEqual((s["checked"], s["errors"]), (1, 1))

    def test_empty_directory(self):
        os.mkdir(os.path.join(self.root, "empty"))
        rc, out, err = self.check("empty")
        self.assertEqual(rc, 0)
        self.assertEqual(summary(out)["checked"], 0)


class Walking(Tree):
    def test_skips_and_extensions(self):
        self.w("top.py")
        self.w("pkg/sub/deep.py")
        self.w("build/gen.py")  # build dirs are walked
        self.w("dist/d.py")
        self.w(".hidden/h.py")  # hidden dirs are walked
        self.w(".git/hooks/x.py")
        self.w("__pycache__/c.py")
        self.w("node_modules/pkg/n.py")
        self.w(".venv/lib/v.py")
        self.w("venv/lib/v.py")
        self.w(".tox/t.py")
        self.w(".mypy_cache/m.py")
        self.w("myenv/pyvenv.cfg", "home = /usr/bin\n")  # a venv by its marker
        self.w("myenv/lib/site.py")
        self.w("notes.txt")
        self.w("stub.pyi")
        self.w("script")
        rc, out, err = self.check()
        self.assertEqual(rc, 1, err)
        self.assertEqual(files_with_findings(out), sorted(
            [".hidden/h.py", "build/gen.py", "dist/d.py", "pkg/sub/deep.py", "top.py"]))
        self.assertEqual(summary(out)["checked"], 5)

    def test_named_file_any_extension(self):
        self.w("notes.txt")
        self.w("script")
        self.w("venv/inside.py")
        rc, out, err = self.check("notes.txt", "script", "venv/inside.py", "venv")
        self.assertEqual(rc, 1, err)
        self.assertEqual(files_with_findings(out), ["notes.txt", "script", "venv/inside.py"])
        self.assertEqual(summary(out)["checked"], 3)  # venv/inside.py once

    def test_paths_printed_as_given(self):
        self.w("src/a.py")
        rc, out, _ = self.check("src")
        self.assertEqual(files_with_findings(out), ["src/a.py"])
        rc, out, _ = self.check("src/")
        self.assertEqual(files_with_findings(out), ["src/a.py"])
        rc, out, _ = self.check("./src")
        self.assertEqual(files_with_findings(out), ["./src/a.py"])
        rc, out, _ = self.check(".")
        self.assertEqual(files_with_findings(out), ["src/a.py"])
        rc, out, _ = run([os.path.join(self.root, "src")], "/")
        self.assertEqual(files_with_findings(out), [os.path.join(self.root, "src/a.py")])

    def test_symlinks(self):
        outside = tempfile.mkdtemp(prefix="margin-check-out-")
        try:
            write(outside, "loop/x.py", BAD)
            write(outside, "target.py", BAD)
            os.makedirs(os.path.join(self.root, "d"))
            os.symlink(os.path.join(outside, "loop"), os.path.join(self.root, "d/linkdir"))
            os.symlink(self.root, os.path.join(self.root, "d/self"))  # a loop
            os.symlink(os.path.join(outside, "target.py"), os.path.join(self.root, "d/link.py"))
            os.symlink("/nonexistent/x.py", os.path.join(self.root, "d/dangling.py"))
            rc, out, err = self.check()
            self.assertEqual(rc, 1, err)
            self.assertEqual(files_with_findings(out), ["d/link.py"])
        finally:
            shutil.rmtree(outside)

    @unittest.skipIf(os.geteuid() == 0, "root reads everything")
    def test_unreadable_file(self):
        self.w("bad.py")
        p = self.w("secret.py", GOOD)
        os.chmod(p, 0)
        rc, out, err = self.check()
        self.assertEqual(rc, 2)
        self.assertIn("secret.py: cannot read: permission denied", err)
        self.assertEqual(files_with_findings(out), ["bad.py"])

    @unittest.skipIf(os.geteuid() == 0, "root reads everything")
    def test_unreadable_directory(self):
        self.w("bad.py")
        self.w("locked/x.py")
        os.chmod(os.path.join(self.root, "locked"), 0)
        rc, out, err = self.check()
        self.assertEqual(rc, 2)
        self.assertIn("locked: cannot read directory: permission denied", err)
        self.assertEqual(files_with_findings(out), ["bad.py"])


class Gitignore(Tree):
    def test_patterns(self):
        self.w(".gitignore", "\n".join([
            "# comment",
            "",
            "ignored_dir/",
            "*.gen.py",
            "!keep.gen.py",
            "/rootonly.py",
            "sub/anchored.py",
            "**/deep/*.py",
            "x?.py",
            "[ab]c.py",
            "mod.py/",
            "",
        ]))
        expect = []
        for rel, ignored in [
            ("ignored_dir/a.py", True),
            ("pkg/ignored_dir/a.py", True),
            ("a.gen.py", True),
            ("pkg/b.gen.py", True),
            ("keep.gen.py", False),
            ("pkg/keep.gen.py", False),
            ("rootonly.py", True),
            ("pkg/rootonly.py", False),
            ("sub/anchored.py", True),
            ("pkg/sub/anchored.py", False),
            ("deep/m.py", True),
            ("x/deep/m.py", True),
            ("x/deep/more/m.py", False),
            ("x1.py", True),
            ("x12.py", False),
            ("ac.py", True),
            ("cc.py", False),
            ("mod.py", False),  # "mod.py/" matches directories only
        ]:
            self.w(rel)
            if not ignored:
                expect.append(rel)
        rc, out, err = self.check()
        self.assertEqual(files_with_findings(out), sorted(expect))

    def test_nested_gitignore_and_negation_order(self):
        self.w(".gitignore", "*.py\n!keep*.py\n")
        self.w("keep1.py")
        self.w("drop.py")
        self.w("sub/.gitignore", "keep2.py\n!drop.py\n")  # deeper file wins
        self.w("sub/keep1.py")
        self.w("sub/keep2.py")
        self.w("sub/drop.py")
        rc, out, err = self.check()
        self.assertEqual(files_with_findings(out), ["keep1.py", "sub/drop.py", "sub/keep1.py"])

    def test_repository_root_gitignore_applies_below(self):
        os.makedirs(os.path.join(self.root, ".git"))
        self.w(".gitignore", "gen/\n/src/skip.py\n")
        self.w("src/gen/x.py")
        self.w("src/skip.py")
        self.w("src/ok.py")
        rc, out, err = run(["."], os.path.join(self.root, "src"))
        self.assertEqual(files_with_findings(out), ["ok.py"])
        rc, out, err = self.check("src")
        self.assertEqual(files_with_findings(out), ["src/ok.py"])

    def test_named_file_is_checked_even_if_ignored(self):
        self.w(".gitignore", "*.py\n")
        self.w("a.py")
        rc, out, err = self.check()
        self.assertEqual(findings(out), [])
        rc, out, err = self.check("a.py")
        self.assertEqual(files_with_findings(out), ["a.py"])


class Output(Tree):
    def make_tree(self):
        names = ["a.py", "a/b.py", "a-b.py", "B.py", "a/c/d.py", "a0.py", "z/y/x.py",
                 "é.py", "m/__init__.py"]
        for n in names:
            self.w(n, "x = 1\ndef f(:\n    pass\ny = (\n")
        for i in range(40):
            self.w("many/m%02d.py" % i, "x = 1\n" * i + "def g(:\n")
        return names

    def test_sorted_by_path_then_position(self):
        self.make_tree()
        rc, out, err = self.check()
        f = findings(out)
        paths = [x[0] for x in f]
        self.assertEqual(paths, sorted(paths, key=path_key))
        for p in set(paths):
            pos = [(x[1], x[2], x[3]) for x in f if x[0] == p]
            self.assertEqual(pos, sorted(pos))
        self.assertLess(paths.index("a/b.py"), paths.index("a-b.py"))

    def test_deterministic_across_threads(self):
        self.make_tree()
        outs = {run(args, self.root)[1] for args in (["-j1"], ["-j2"], ["-j8"], [], [])}
        self.assertEqual(len(outs), 1)
        outs = {run(["--format", "json"] + a, self.root)[1] for a in (["-j1"], ["-j3"], [])}
        self.assertEqual(len(outs), 1)

    def test_json_fields(self):
        self.w("bad.py")
        self.w("sub/good.py", GOOD)
        rc, out, err = self.check("--format", "json")
        self.assertEqual(rc, 1)
        data = json.loads(out)  # the whole of stdout: no summary line
        self.assertIsInstance(data, list)
        self.assertTrue(data)
        for d in data:
            for k in ("file", "line", "column", "end_line", "end_column", "code", "message",
                      "severity", "fix"):
                self.assertIn(k, d)
            self.assertEqual(d["file"], "bad.py")
            self.assertEqual(d["code"], "E999")
            self.assertEqual(d["severity"], "error")
            self.assertIsInstance(d["message"], str)
            self.assertGreaterEqual(d["line"], 1)
            self.assertGreaterEqual(d["column"], 1)
            self.assertLessEqual((d["line"], d["column"]), (d["end_line"], d["end_column"]))
            if d["fix"] is not None:
                self.assertIsInstance(d["fix"]["title"], str)
                self.assertIsInstance(d["fix"]["safe"], bool)
                for e in d["fix"]["edits"]:
                    for k in ("line", "column", "end_line", "end_column", "content"):
                        self.assertIn(k, e)
        self.assertEqual(data[0]["line"], 3)
        # the text format shows the same positions
        rc, text, _ = self.check()
        self.assertEqual([(x[0], x[1], x[2], x[3]) for x in findings(text)],
                         [(d["file"], d["line"], d["column"], d["code"]) for d in data])

    def test_json_clean(self):
        self.w("good.py", GOOD)
        rc, out, err = self.check("--format=json")
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out), [])

    def test_columns_count_code_points(self):
        # Same code-point layout, different byte lengths: same columns.
        self.w("ascii.py", 'x = 1\ns = "eee" + )\n')
        self.w("wide.py", 'x = 1\ns = "\u00e9\u00e9\U0001F600" + )\n')
        rc, out, err = self.check("--format", "json")
        data = json.loads(out)
        pos = {}
        for d in data:
            pos.setdefault(d["file"], []).append(
                (d["line"], d["column"], d["end_line"], d["end_column"]))
        self.assertEqual(pos["ascii.py"], pos["wide.py"])
        self.assertEqual(pos["ascii.py"][0][0], 2)
        self.assertEqual(pos["ascii.py"][0][1], 13)  # the ')' (byte column 17 in wide.py)

    def test_bom_is_not_a_column(self):
        self.w("plain.py", "x = (\n]\n")
        self.w("bom.py", "\ufeffx = (\n]\n", mode="w")
        rc, out, err = self.check("--format", "json")
        data = json.loads(out)
        strip = lambda f: [(d["line"], d["column"], d["end_line"], d["end_column"], d["code"])
                           for d in data if d["file"] == f]
        self.assertTrue(strip("plain.py"))
        self.assertEqual(strip("bom.py"), strip("plain.py"))


class Selection(Tree):
    def setUp(self):
        super().setUp()
        self.w("bad.py")

    def codes(self, *args):
        rc, out, err = self.check(*args)
        return rc, sorted({f[3] for f in findings(out)})

    def test_select(self):
        self.assertEqual(self.codes("--select", "E999"), (1, ["E999"]))
        self.assertEqual(self.codes("--select=E9"), (1, ["E999"]))
        self.assertEqual(self.codes("--select", "F401,D1"), (1, ["D100", "D103"]))
        self.assertEqual(self.codes("--select", "F401"), (0, []))
        self.assertEqual(self.codes("--select", "F401", "--select", "E"), (1, ["E999"]))
        rc, codes = self.codes("--select", "ALL")
        self.assertEqual(rc, 1)
        self.assertTrue({"E999", "D100", "D103"} <= set(codes), codes)

    def test_ignore(self):
        rc, codes = self.codes("--ignore", "E999")
        self.assertNotIn("E999", codes)
        self.assertIn("D100", codes)
        self.assertEqual(self.codes("--ignore=E,D,ANN"), (0, []))
        self.assertEqual(self.codes("--ignore", "E", "--select", "E999"), (1, ["E999"]))
        self.assertIn("E999", self.codes("--ignore", "F401")[1])


class BadInput(Tree):
    def test_not_utf8_reported_and_others_checked(self):
        self.w("latin1.py", b'x = "caf\xe9"\n', mode="wb")
        self.w("bad.py")
        self.w("good.py", GOOD)
        rc, out, err = self.check()
        self.assertEqual(rc, 2)
        self.assertIn("latin1.py: not valid UTF-8 (byte 8)", err)
        self.assertEqual(files_with_findings(out), ["bad.py"])
        s = summary(out)
        self.assertEqual((s["checked"], s["errors"]), (2, 1))

    def test_binary_file_named_py(self):
        self.w("blob.py", bytes(range(256)) * 64, mode="wb")
        rc, out, err = self.check()
        self.assertEqual(rc, 2)
        self.assertIn("blob.py: not valid UTF-8", err)

    def test_empty_and_odd_files(self):
        self.w("empty.py", "")
        self.w("nul.py", b"x = 1\x00\n", mode="wb")
        self.w("crlf.py", "x = 1\r\ny = (\r\n")
        self.w("cr.py", "x = 1\ry = (\r")
        rc, out, err = self.check()
        self.assertIn(rc, (0, 1), err)
        self.assertEqual(summary(out)["checked"], 4)

    def test_deep_nesting(self):
        self.w("deep.py", "x = " + "(" * 10000 + "\n")
        self.w("deep_ok.py", "x = " + "(" * 10000 + "1" + ")" * 10000 + "\n")
        self.w("deep_list.py", "x = " + "[" * 10000 + "]" * 10000 + "\n")
        rc, out, err = self.check()
        self.assertIn(rc, (0, 1), err)
        self.assertEqual(summary(out)["checked"], 3)

    def test_too_deep_for_tree_sitter_is_refused_not_crashed(self):
        self.w("deeper.py", "x = " + "(" * 70000 + "\n")
        self.w("bad.py")
        rc, out, err = self.check()
        self.assertEqual(rc, 2, err)
        self.assertIn("deeper.py: nested too deeply to parse", err)
        self.assertEqual(files_with_findings(out), ["bad.py"])

    def test_long_single_line(self):
        self.w("line.py", "x = [" + ",".join(str(i) for i in range(150000)) + "]")
        rc, out, err = self.check()
        self.assertEqual(rc, 0, err)
        self.assertEqual(summary(out)["checked"], 1)

    def test_fifo_is_not_walked(self):
        os.mkfifo(os.path.join(self.root, "pipe.py"))
        self.w("good.py", GOOD)
        rc, out, err = self.check()
        self.assertEqual(rc, 0, err)
        self.assertEqual(summary(out)["checked"], 1)


def main():
    global MARGIN
    if len(sys.argv) < 2:
        sys.exit("usage: test_check.py /path/to/margin [unittest args]")
    MARGIN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
