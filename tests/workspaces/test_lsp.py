#!/usr/bin/env python3
"""The language server's workspace index (MG310 across files).

The server gets a fixture workspace as its workspace folder, builds the
index on the libuv thread pool, and re-publishes an open document once the
index is there: MG310 then follows calls into other files, with the path
as relatedInformation (other files by URI). Saving an edited file of the
workspace changes the findings of a caller in another open file.

Usage: test_lsp.py MARGIN
"""
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import lspclient  # noqa: E402

MARGIN = None


def uri(path):
    return "file://" + path


class WorkspaceIndex(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.root = os.path.realpath(os.path.join(self.tmp, "ws"))
        shutil.copytree(os.path.join(HERE, "cross_module"), self.root,
                        ignore=shutil.ignore_patterns("edit", "expected*.json"))
        self.c = lspclient.Client(MARGIN)

    def tearDown(self):
        self.c.close()
        shutil.rmtree(self.tmp)

    def wait_codes(self, u, pred, what):
        def ok(m):
            p = m.get("params", {})
            return p.get("uri") == u and pred(p.get("diagnostics", []))
        return self.c.wait_notification("textDocument/publishDiagnostics", ok,
                                        timeout=60)["params"]["diagnostics"]

    def test_index_follows_files_and_saves(self):
        caps = {"textDocument": {"publishDiagnostics": {"relatedInformation": True}}}
        self.c.result("initialize", {
            "processId": os.getpid(), "rootUri": uri(self.root), "capabilities": caps,
            "workspaceFolders": [{"uri": uri(self.root), "name": "ws"}]})
        self.c.notify("initialized", {})
        api = os.path.join(self.root, "pkg", "api.py")
        api_uri = uri(api)
        with open(api) as f:
            self.c.open(api_uri, f.read())

        def conflict_in_load_trunk(ds):
            return any(d["code"] == "MG310" and "`load_trunk`" in d["message"] for d in ds)

        ds = self.wait_codes(api_uri, conflict_in_load_trunk, "MG310 across files")
        d = next(d for d in ds if d["code"] == "MG310" and "`load_trunk`" in d["message"])
        self.assertIn("`Conflict` may escape `load_trunk`", d["message"])
        rel = d["relatedInformation"]
        self.assertEqual(rel[0]["location"]["uri"], api_uri)
        plugin_uri = uri(os.path.join(self.root, "pkg", "sub", "plugin.py"))
        self.assertEqual(rel[-1]["location"]["uri"], plugin_uri)
        self.assertIn("`raise Conflict` in `_check` at plugin.py:14", rel[-1]["message"])
        self.assertEqual(rel[-1]["location"]["range"]["start"], {"line": 13, "character": 8})
        self.assertFalse(any(d["code"] == "MG310" and "`guarded`" in d["message"] for d in ds))

        # Edit errors.py in the editor and save: TrunkNotFound leaves KeyError,
        # so `except LookupError` in api.guarded no longer catches it.
        errors = os.path.join(self.root, "pkg", "errors.py")
        with open(os.path.join(HERE, "cross_module", "edit", "pkg", "errors.py")) as f:
            new = f.read()
        errors_uri = uri(errors)
        with open(errors) as f:
            self.c.open(errors_uri, f.read())
        self.c.change(errors_uri, 2, [{"text": new}])
        with open(errors, "w") as f:
            f.write(new)
        self.c.notify("textDocument/didSave", {"textDocument": {"uri": errors_uri}})
        ds = self.wait_codes(
            api_uri, lambda ds: any(d["code"] == "MG310" and "`guarded`" in d["message"]
                                    for d in ds), "guarded after the edit")
        self.assertIn("`TrunkNotFound` may escape `guarded`",
                      [d["message"] for d in ds if d["code"] == "MG310"][1])
        self.c.shutdown_exit()


if __name__ == "__main__":
    MARGIN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
