#!/usr/bin/env python3
"""The reviewer's workflow end to end: `margin check` outputs (SARIF, GitHub,
Markdown, statistics, --fix), configuration from pyproject.toml, the diff
base (`--diff`), and the same through the language server over pipes.

Usage: test_review.py /path/to/margin [unittest args]. Standard library
only; every git repository is a throwaway one in a temporary folder. The
tests select stable rules (E722 bare except, E999 syntax errors, F401
unused imports) and assert codes and lines, not message texts."""

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

MARGIN = None
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               GIT_CONFIG_NOSYSTEM="1", HOME=tempfile.gettempdir())

BARE = "try:\n    pass\nexcept:\n    pass\n"  # E722 on line 3
BASE_A = "def f():\n    try:\n        return 1\n    except:\n        return 2\n"  # E722 line 4
# The change: a new function after f, with its own bare except on line 11.
CHANGED_A = BASE_A + "\n\ndef g():\n    try:\n        return 3\n    except:\n        return 4\n"
NEW_FILE = "import os\n\ntry:\n    x = 1\nexcept:\n    x = 2\n"  # F401 line 1, E722 line 5


def run(args, cwd, env=None, timeout=120):
    p = subprocess.run([MARGIN, "check"] + list(args), cwd=cwd, capture_output=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def git(cwd, *args):
    subprocess.run(["git"] + list(args), cwd=cwd, env=GIT_ENV, check=True,
                   capture_output=True, timeout=60)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


LINE_RE = re.compile(r"^(.+):(\d+):(\d+): ([A-Z]+[0-9]+) (.+)$")


def text_findings(out):
    res = []
    for line in out.splitlines():
        m = LINE_RE.match(line)
        if m:
            res.append((m.group(1), int(m.group(2)), m.group(4)))
    return sorted(res)


class Tmp(unittest.TestCase):
    def setUp(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="margin-review-"))

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def w(self, rel, text):
        return write(self.root, rel, text)

    def check(self, *args, env=None):
        return run(args, self.root, env=env)


class Repo(Tmp):
    """A repository with a.py committed, then changed, and new.py untracked."""

    def setUp(self):
        super().setUp()
        git(self.root, "init", "-q", "-b", "main")
        self.w("a.py", BASE_A)
        self.w("same.py", BARE)
        git(self.root, "add", ".")
        git(self.root, "commit", "-q", "-m", "base")
        self.w("a.py", CHANGED_A)
        self.w("new.py", NEW_FILE)

    WANT = [("a.py", 11, "E722"), ("new.py", 1, "F401"), ("new.py", 5, "E722")]


# ---- the diff base ---------------------------------------------------------

class Diff(Repo):
    SEL = ("--select", "E722,F401")

    def test_text_reports_changed_lines_only(self):
        rc, out, err = self.check("--diff", "HEAD", *self.SEL)
        self.assertEqual(rc, 1, err)
        self.assertEqual(text_findings(out), self.WANT)
        rc, out, err = self.check(*self.SEL)
        self.assertEqual(len(text_findings(out)), 5)  # without --diff: every line

    def test_every_format_agrees(self):
        rc, out, err = self.check("--diff", "HEAD", "--format", "json", *self.SEL)
        self.assertEqual(sorted((d["file"], d["line"], d["code"]) for d in json.loads(out)),
                         self.WANT)
        rc, out, err = self.check("--diff", "HEAD", "--format", "sarif", *self.SEL)
        res = json.loads(out)["runs"][0]["results"]
        got = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                      r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
                     for r in res)
        self.assertEqual(got, self.WANT)
        self.assertTrue(all(r["baselineState"] == "new" for r in res))
        rc, out, err = self.check("--diff", "HEAD", "--format", "github", *self.SEL)
        got = sorted((m.group(1), int(m.group(2)), m.group(3))
                     for m in re.finditer(r"file=([^,]+),line=(\d+),.*?title=margin (\w+)", out))
        self.assertEqual(got, self.WANT)
        rc, out, err = self.check("--diff", "HEAD", "--format", "markdown", *self.SEL)
        got = sorted((m.group(1), int(m.group(2)), m.group(3))
                     for m in re.finditer(r"^- `(.+?):(\d+)` \*\*(\w+)\*\*", out, re.M))
        self.assertEqual(got, self.WANT)
        self.assertIn("lines changed against `HEAD`", out.splitlines()[0])
        rc, out, err = self.check("--diff", "HEAD", "--statistics", *self.SEL)
        self.assertRegex(out, r"(?m)^\s+2\s+E722\s")
        self.assertRegex(out, r"(?m)^\s+1\s+F401\s")

    def test_committed_change_against_older_base(self):
        git(self.root, "add", ".")
        git(self.root, "commit", "-q", "-m", "change")
        rc, out, err = self.check("--diff", "HEAD", *self.SEL)
        self.assertEqual(text_findings(out), [], out + err)
        rc, out, err = self.check("--diff", "HEAD~1", *self.SEL)
        self.assertEqual(text_findings(out), self.WANT)

    def test_merge_base(self):
        git(self.root, "add", ".")
        git(self.root, "commit", "-q", "-m", "on main")
        git(self.root, "checkout", "-q", "-b", "topic")
        self.w("same.py", BARE + BARE)  # a second bare except on line 7
        rc, out, err = self.check("--diff", "merge-base", *self.SEL)
        self.assertEqual(text_findings(out), [("same.py", 7, "E722")], err)

    def test_subdirectory_and_paths(self):
        self.w("pkg/m.py", BARE)
        rc, out, err = self.check("--diff", "HEAD", "--select", "E722", "pkg")
        self.assertEqual(text_findings(out), [("pkg/m.py", 3, "E722")])

    def test_uncommitted_deletion_only_reports_nothing(self):
        self.w("a.py", "def f():\n    try:\n        return 1\n    except:\n        pass\n")
        rc, out, err = self.check("--diff", "HEAD", "--select", "E722", "a.py")
        self.assertEqual(text_findings(out), [])  # line 5 changed, the finding is on line 4

    def test_bad_base_one_message_and_every_line(self):
        rc, out, err = self.check("--diff", "no-such-branch", *self.SEL)
        self.assertEqual(err.count("no-such-branch"), 1, err)
        self.assertIn("reporting every line", err)
        self.assertEqual(len(text_findings(out)), 5)
        self.assertEqual(rc, 1)

    def test_option_like_base_is_refused(self):
        for bad in ("--output=/tmp/x", "-p", "a b", ""):
            rc, out, err = self.check("--diff", bad)
            self.assertEqual(rc, 2, bad)
            self.assertIn("bad review base", err)

    def test_not_a_repository(self):
        other = tempfile.mkdtemp(prefix="margin-norepo-")
        try:
            write(other, "x.py", BARE)
            rc, out, err = run(["--diff", "HEAD", "--select", "E722"], other)
            self.assertIn("not in a git repository", err)
            self.assertEqual(err.count("\n"), 1, err)
            self.assertEqual(text_findings(out), [("x.py", 3, "E722")])
        finally:
            shutil.rmtree(other, ignore_errors=True)

    def test_git_missing(self):
        empty = tempfile.mkdtemp(prefix="margin-nopath-")
        try:
            env = dict(os.environ, PATH=empty)
            rc, out, err = self.check("--diff", "HEAD", *self.SEL, env=env)
            self.assertIn("git is not installed", err)
            self.assertEqual(err.count("git is not installed"), 1, err)
            self.assertEqual(len(text_findings(out)), 5)
        finally:
            shutil.rmtree(empty, ignore_errors=True)

    def test_git_that_hangs_is_stopped(self):
        fake = tempfile.mkdtemp(prefix="margin-fakegit-")
        try:
            with open(os.path.join(fake, "git"), "w") as f:
                f.write("#!/bin/sh\nexec /bin/sleep 60\n")
            os.chmod(os.path.join(fake, "git"), 0o755)
            env = dict(os.environ, PATH=fake)
            t0 = time.monotonic()
            rc, out, err = self.check("--diff", "HEAD", "--select", "E722", "a.py", env=env)
            self.assertLess(time.monotonic() - t0, 40)
            self.assertIn("timed out", err)
            self.assertEqual(len(text_findings(out)), 2)
        finally:
            shutil.rmtree(fake, ignore_errors=True)


# ---- outputs ---------------------------------------------------------------

class Sarif(Repo):
    def sarif(self, *args):
        rc, out, err = self.check("--format", "sarif", *args)
        return json.loads(out)

    def test_structure(self):
        log = self.sarif("--select", "E722,F401")
        self.assertEqual(log["version"], "2.1.0")
        self.assertIn("sarif-schema-2.1.0", log["$schema"])
        self.assertEqual(len(log["runs"]), 1)
        run_ = log["runs"][0]
        driver = run_["tool"]["driver"]
        self.assertEqual(driver["name"], "margin")
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        self.assertEqual(len(ids), len(set(ids)))
        for r in rules:
            self.assertTrue(r["shortDescription"]["text"])
            self.assertIn(r["defaultConfiguration"]["level"], ("error", "warning", "note"))
        taxa = {t["id"] for tax in run_.get("taxonomies", []) for t in tax["taxa"]}
        cwe_rules = [r for r in rules if "relationships" in r]
        self.assertTrue(cwe_rules, "no rule carries a CWE")
        for r in cwe_rules:
            for rel in r["relationships"]:
                self.assertIn(rel["target"]["id"], taxa)
                idx = rel["target"]["toolComponent"]["index"]
                self.assertEqual(run_["taxonomies"][idx]["name"], "CWE")
                self.assertIn("external/cwe/cwe-" + rel["target"]["id"], r["properties"]["tags"])
        self.assertTrue(run_["results"])
        for res in run_["results"]:
            self.assertIn(res["level"], ("error", "warning", "note"))
            self.assertTrue(res["message"]["text"])
            self.assertEqual(rules[res["ruleIndex"]]["id"], res["ruleId"])
            loc = res["locations"][0]["physicalLocation"]
            self.assertEqual(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%")
            reg = loc["region"]
            self.assertGreaterEqual(reg["startLine"], 1)
            self.assertGreaterEqual(reg["startColumn"], 1)
            self.assertGreaterEqual(reg["endLine"], reg["startLine"])
        base = run_["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        self.assertTrue(base.startswith("file://") and base.endswith("/"))
        self.assertEqual(run_["columnKind"], "unicodeCodePoints")
        self.assertTrue(run_["invocations"][0]["executionSuccessful"])

    def test_fixes(self):
        log = self.sarif("--select", "F401", "new.py")
        res = log["runs"][0]["results"]
        self.assertEqual([r["ruleId"] for r in res], ["F401"])
        fix = res[0]["fixes"][0]
        self.assertTrue(fix["description"]["text"])
        change = fix["artifactChanges"][0]
        self.assertEqual(change["artifactLocation"]["uri"], "new.py")
        rep = change["replacements"][0]
        self.assertEqual(rep["deletedRegion"]["startLine"], 1)
        self.assertIn("text", rep["insertedContent"])

    def test_failures_are_notifications(self):
        self.w("bad.py", "\xff")
        with open(os.path.join(self.root, "bad.py"), "wb") as f:
            f.write(b"x = '\xff'\n")
        log = self.sarif("--select", "E722")
        inv = log["runs"][0]["invocations"][0]
        self.assertFalse(inv["executionSuccessful"])
        self.assertIn("UTF-8", inv["toolExecutionNotifications"][0]["message"]["text"])


class Github(Tmp):
    ANN = re.compile(r"^::(error|warning|notice) file=([^,:]+),line=(\d+),endLine=(\d+),"
                     r"col=(\d+),endColumn=(\d+),title=([^:]+)::(.+)$")

    def test_annotations(self):
        self.w("a.py", BARE + "def f(:\n")
        rc, out, err = self.check("--format", "github", "--select", "E722,E999")
        lines = out.splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, self.ANN)
        levels = {self.ANN.match(line).group(1) for line in lines}
        self.assertEqual(levels, {"warning", "error"})
        self.assertEqual(rc, 1)

    def test_escaping(self):
        self.w("a,b:c%.py", BARE)
        rc, out, err = self.check("--format", "github", "--select", "E722")
        self.assertIn("file=a%2Cb%3Ac%25.py,", out)
        self.assertRegex(out.splitlines()[0], self.ANN)


class Markdown(Tmp):
    def test_grouped_with_verdict(self):
        self.w("a.py", "import os\n" + BARE + "def f(:\n")
        rc, out, err = self.check("--format", "markdown", "--select", "E722,E999,F401")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^\*\*margin review: changes requested\*\* — 3 findings in 1 file")
        heads = [line for line in lines if line.startswith("### ")]
        self.assertEqual(heads, ["### Syntax (1)", "### Exceptions (1)", "### Imports (1)"])
        self.assertIn("- `a.py:4` **E722**", out)

    def test_clean(self):
        self.w("a.py", "x = 1\n")
        rc, out, err = self.check("--format", "markdown", "--select", "E722")
        self.assertEqual(out.splitlines()[0],
                         "**margin review: looks good** — no findings in 1 file.")
        self.assertEqual(rc, 0)


class Statistics(Tmp):
    def test_counts(self):
        self.w("a.py", BARE + BARE + "import os\n")
        rc, out, err = self.check("--statistics", "--select", "E722,F401")
        self.assertRegex(out, r"(?m)^\s+2\s+E722\s+bare-except$")
        self.assertRegex(out, r"(?m)^\s+1\s+F401\s+\[\*\] ")
        rc, out, err = self.check("--statistics", "--format", "json", "--select", "E722,F401")
        data = {d["code"]: d for d in json.loads(out)}
        self.assertEqual(data["E722"]["count"], 2)
        self.assertEqual(data["F401"]["fixable"], 1)
        rc, out, err = self.check("--statistics", "--format", "sarif")
        self.assertEqual(rc, 2)


class Fix(Repo):
    def test_only_with_the_flag(self):
        path = self.w("b.py", "import os\nx = 1\n")
        rc, out, err = self.check("--select", "F401", "b.py")
        self.assertEqual(open(path).read(), "import os\nx = 1\n")
        rc, out, err = self.check("--fix", "--select", "F401", "b.py")
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("import os", open(path).read())
        self.assertIn("Fixed 1 finding in 1 file.", out)

    def test_keeps_mode_and_bom(self):
        path = self.w("b.py", "\ufeffimport os\nx = 1\n")
        os.chmod(path, 0o750)
        self.check("--fix", "--select", "F401", "b.py")
        with open(path, "rb") as f:
            self.assertTrue(f.read().startswith(b"\xef\xbb\xbf"))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o750)

    def test_with_diff_fixes_the_change_only(self):
        self.w("c.py", "import os\nx = 1\n")
        git(self.root, "add", "c.py")
        git(self.root, "commit", "-q", "-m", "c")
        path = self.w("c.py", "import os\nimport sys\nx = 1\n")
        rc, out, err = self.check("--fix", "--diff", "HEAD", "--select", "F401", "c.py")
        self.assertEqual(open(path).read(), "import os\nx = 1\n", out + err)
        self.assertEqual(rc, 0)


# ---- configuration -----------------------------------------------------------

class Config(Tmp):
    def test_pyproject_settings(self):
        self.w("pyproject.toml", "[project]\nname = 'x'\n\n[tool.margin]\n"
               "select = ['E7', 'E9']\nextend-select = ['F401']\n"
               "[tool.margin.per-file-ignores]\n\"tests/*\" = ['E7']\n")
        self.w("a.py", "import os\n" + BARE)
        self.w("tests/t.py", BARE + "def f(:\n")
        rc, out, err = self.check()
        self.assertEqual(text_findings(out), [("a.py", 1, "F401"), ("a.py", 4, "E722"),
                                              ("tests/t.py", 5, "E999")], err)
        # The command line overrides the file; --isolated ignores it.
        rc, out, err = self.check("--select", "F401")
        self.assertEqual(text_findings(out), [("a.py", 1, "F401")])
        rc, out, err = self.check("--isolated", "--select", "E722")
        self.assertEqual(len(text_findings(out)), 2)

    def test_nearest_with_a_margin_table(self):
        self.w("pyproject.toml", "[tool.margin]\nselect = ['E722']\n")
        self.w("sub/pyproject.toml", "[project]\nname = 'sub'\n")  # skipped: no table
        self.w("sub/deeper/pyproject.toml", "[tool.margin]\nselect = ['F401']\n")
        self.w("sub/a.py", "import os\n" + BARE)
        self.w("sub/deeper/b.py", "import os\n" + BARE)
        rc, out, err = self.check()
        self.assertEqual(text_findings(out), [("sub/a.py", 4, "E722"),
                                              ("sub/deeper/b.py", 1, "F401")])

    def test_broken_pyproject_one_message_defaults_exit_2(self):
        self.w("pyproject.toml", "[tool.margin]\nselect = ['E722'\nignore = 3\n")
        self.w("a.py", BARE)
        rc, out, err = self.check("--select", "E722")
        self.assertEqual(rc, 2)
        self.assertRegex(err, r"pyproject\.toml:\d+:\d+: error: ")
        self.assertIn("[tool.margin] is not used", err)
        self.assertEqual(text_findings(out), [("a.py", 3, "E722")])  # still checked

    def test_bad_value_and_unknown_key(self):
        self.w("pyproject.toml", "[tool.margin]\ndocstring-style = 'klingon'\nfrobnicate = 1\n")
        self.w("a.py", BARE)
        rc, out, err = self.check("--select", "E722")
        self.assertIn("pyproject.toml:2:19: error: 'docstring-style' must be", err)
        self.assertIn("pyproject.toml:3:1: warning: unknown setting 'frobnicate'", err)
        self.assertEqual(rc, 2)


class FileNoqa(Tmp):
    def test_file_level(self):
        self.w("a.py", "# margin: noqa\n" + BARE)
        self.w("b.py", "import os\n# ruff: noqa: E722\n" + BARE)
        self.w("c.py", "s = '''\n# margin: noqa\n'''\n" + BARE)  # in a string: no effect
        rc, out, err = self.check("--select", "E722,F401")
        self.assertEqual(text_findings(out), [("b.py", 1, "F401"), ("c.py", 6, "E722")])


# ---- the language server ------------------------------------------------------

class Client:
    """A minimal LSP client over the margin binary's stdin/stdout."""

    def __init__(self, cwd):
        self.p = subprocess.Popen([MARGIN, "lsp"], cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.q = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        f = self.p.stdout
        while True:
            headers = {}
            while True:
                line = f.readline()
                if not line:
                    self.q.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
            body = f.read(int(headers["content-length"]))
            self.q.put(json.loads(body))

    def send(self, msg):
        msg = dict(msg, jsonrpc="2.0")
        data = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.p.stdin.flush()

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)

    def wait(self, pred, timeout=20):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for a message")
            m = self.q.get(timeout=left)
            if m is None:
                raise AssertionError("margin closed its output")
            if pred(m):
                return m

    def diags(self, uri):
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri)
        return m["params"]["diagnostics"]

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.p.stdin.close()
            self.p.wait(timeout=10)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
            self.p.stdout.close()


def lines_of(diags):
    return sorted((d["range"]["start"]["line"] + 1, d["code"]) for d in diags)


def uri(path):
    return "file://" + path


class Lsp(Repo):
    def start(self, options, caps=None):
        c = Client(self.root)
        self.addCleanup(c.close)
        c.request("initialize", {"rootUri": uri(self.root), "capabilities": caps or {},
                                 "initializationOptions": options})
        c.notify("initialized", {})
        return c

    def open(self, c, rel, version=1):
        path = os.path.join(self.root, rel)
        with open(path) as f:
            text = f.read()
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "python", "version": version, "text": text}})
        return uri(path)

    def test_review_base_with_edits_on_top(self):
        c = self.start({"select": ["E722"], "review": {"base": "HEAD"}})
        u = self.open(c, "a.py")
        status = c.wait(lambda m: m.get("method") == "window/showMessage")
        self.assertIn("reviewing the changes against 'HEAD'", status["params"]["message"])
        self.assertEqual(lines_of(c.diags(u)), [(11, "E722")])
        # An edit on top: a bare except inserted at the top of the file.
        c.notify("textDocument/didChange", {"textDocument": {"uri": u, "version": 2},
                 "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                               "end": {"line": 0, "character": 0}},
                                     "text": BARE}]})
        self.assertEqual(lines_of(c.diags(u)), [(3, "E722"), (15, "E722")])
        # Deleting the new function's lines leaves only the inserted block.
        c.notify("textDocument/didChange", {"textDocument": {"uri": u, "version": 3},
                 "contentChanges": [{"range": {"start": {"line": 9, "character": 0},
                                               "end": {"line": 16, "character": 0}},
                                     "text": ""}]})
        self.assertEqual(lines_of(c.diags(u)), [(3, "E722")])

    def test_untracked_file_is_wholly_changed_and_show_all(self):
        c = self.start({"select": ["E722", "F401"],
                        "review": {"base": "HEAD", "show": "all"}})
        u = self.open(c, "new.py")
        self.assertEqual(lines_of(c.diags(u)), [(1, "F401"), (5, "E722")])
        u = self.open(c, "a.py")
        d = c.diags(u)
        self.assertEqual(lines_of(d), [(4, "E722"), (11, "E722")])
        old = [x for x in d if x["range"]["start"]["line"] == 3][0]
        self.assertEqual(old["severity"], 4)
        self.assertIn("pre-existing", old["message"])
        self.assertNotEqual([x for x in d if x["range"]["start"]["line"] == 10][0]["severity"], 4)

    def test_set_base_command_and_save(self):
        c = self.start({"select": ["E722"]})
        u = self.open(c, "a.py")
        self.assertEqual(len(c.diags(u)), 2)  # no base: every line
        r = c.request("workspace/executeCommand",
                      {"command": "margin.review.setBase", "arguments": ["HEAD"]})
        self.assertEqual(r["result"], {"base": "HEAD", "source": "command"})
        self.assertEqual(lines_of(c.diags(u)), [(11, "E722")])
        # Commit the change: after a save, HEAD is re-resolved and nothing is new.
        git(self.root, "add", ".")
        git(self.root, "commit", "-q", "-m", "change")
        c.notify("textDocument/didSave", {"textDocument": {"uri": u}})
        self.assertEqual(lines_of(c.diags(u)), [])
        r = c.request("workspace/executeCommand",
                      {"command": "margin.review.setBase", "arguments": ["no-such-ref"]})
        msg = c.wait(lambda m: m.get("method") == "window/showMessage"
                     and "no-such-ref" in m["params"]["message"] and m["params"]["type"] == 2)
        self.assertIn("showing the findings of every line", msg["params"]["message"])
        self.assertEqual(len(c.diags(u)), 2)
        r = c.request("workspace/executeCommand",
                      {"command": "margin.review.setBase", "arguments": ["-x"]})
        self.assertEqual(r["error"]["code"], -32602)
        r = c.request("workspace/executeCommand", {"command": "margin.nope"})
        self.assertEqual(r["error"]["code"], -32602)

    def test_pyproject_errors_diagnostics_last_good_and_watch(self):
        pp = self.w("pyproject.toml", "[tool.margin]\nselect = ['E722']\n")
        c = self.start({}, caps={"workspace": {"didChangeWatchedFiles": {
            "dynamicRegistration": True}}})
        reg = c.wait(lambda m: m.get("method") == "client/registerCapability")
        self.assertEqual(reg["params"]["registrations"][0]["method"],
                         "workspace/didChangeWatchedFiles")
        c.send({"id": reg["id"], "result": None})
        u = self.open(c, "new.py")
        self.assertEqual(lines_of(c.diags(u)), [(5, "E722")])
        # Broken: reported on pyproject.toml; the last good settings stay.
        self.w("pyproject.toml", "[tool.margin]\nselect = ['F401'\n")
        c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(pp), "type": 2}]})
        d = c.diags(uri(pp))
        self.assertTrue(d)
        self.assertEqual(d[0]["severity"], 1)
        self.assertEqual(d[0]["range"]["start"]["line"], 1)
        self.assertEqual(lines_of(c.diags(u)), [(5, "E722")])
        # Fixed: the problems clear and the new settings apply.
        self.w("pyproject.toml", "[tool.margin]\nselect = ['F401']\n")
        c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": uri(pp), "type": 2}]})
        self.assertEqual(c.diags(uri(pp)), [])
        self.assertEqual(lines_of(c.diags(u)), [(1, "F401")])
        # Editor settings override the file.
        c.notify("workspace/didChangeConfiguration",
                 {"settings": {"margin": {"select": ["E722"]}}})
        self.assertEqual(lines_of(c.diags(u)), [(5, "E722")])

    def test_pyproject_review_base(self):
        self.w("pyproject.toml", "[tool.margin]\nselect = ['E722']\nreview.base = 'HEAD'\n")
        c = self.start({})
        u = self.open(c, "a.py")
        self.assertEqual(lines_of(c.diags(u)), [(11, "E722")])

    def test_ignore_quick_fix(self):
        c = self.start({"select": ["E722"]})
        u = self.open(c, "same.py")
        d = c.diags(u)
        r = c.request("textDocument/codeAction", {
            "textDocument": {"uri": u}, "range": d[0]["range"],
            "context": {"diagnostics": d}})
        acts = [a for a in r["result"] if a["title"] == "Ignore E722 on this line"]
        self.assertEqual(len(acts), 1)
        edit = acts[0]["edit"]["changes"][u][0]
        self.assertEqual(edit["newText"], "  # noqa: E722")
        self.assertEqual(edit["range"]["start"], {"line": 2, "character": 7})


def main():
    global MARGIN
    MARGIN = os.path.abspath(sys.argv.pop(1))
    if shutil.which("git") is None:
        print("1..0 # SKIP git is not installed")
        return 0
    unittest.main(verbosity=2)


if __name__ == "__main__":
    sys.exit(main())
