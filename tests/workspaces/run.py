#!/usr/bin/env python3
"""Multi-file fixture workspaces for the escape analysis (MG310/MG311).

Each folder here is a workspace: it is copied to a temporary directory and
`margin check --format json --select MG310,MG311 .` runs there; the output
must equal the folder's expected.json. A folder with an edit/ subfolder is
then edited (edit/'s files copied over the copy) and checked again against
expected_edit.json: an edit in one file must change the findings of a
caller in another. UPDATE_GOLDENS=1 rewrites the expected files.

Usage: run.py MARGIN [CASE...]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def check(margin, root):
    out = subprocess.run(
        [margin, "check", "--isolated", "--format", "json", "--select", "MG310,MG311", "."],
        cwd=root, capture_output=True, text=True, timeout=120)
    if out.returncode not in (0, 1):
        raise SystemExit(f"margin check failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)


def compare(case, name, got):
    path = os.path.join(HERE, case, name)
    text = json.dumps(got, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDENS"):
        with open(path, "w") as f:
            f.write(text)
        return True
    try:
        with open(path) as f:
            want = f.read()
    except FileNotFoundError:
        want = ""
    if want != text:
        print(f"--- {case}/{name} differs; got:\n{text}")
        return False
    return True


def main():
    margin = os.path.abspath(sys.argv[1])
    cases = sys.argv[2:] or sorted(
        d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d)))
    ok = True
    for case in cases:
        src = os.path.join(HERE, case)
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "ws")
            shutil.copytree(src, root, ignore=shutil.ignore_patterns(
                "edit", "expected*.json"))
            ok &= compare(case, "expected.json", check(margin, root))
            edit = os.path.join(src, "edit")
            if os.path.isdir(edit):
                shutil.copytree(edit, root, dirs_exist_ok=True)
                ok &= compare(case, "expected_edit.json", check(margin, root))
        print(("ok " if ok else "FAIL ") + case)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
