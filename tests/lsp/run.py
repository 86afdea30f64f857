#!/usr/bin/env python3
"""Run one LSP transcript through `margin --test` and diff it with its golden.

usage: run.py MARGIN TRANSCRIPT.lsp
The golden is TRANSCRIPT.out beside it. UPDATE_GOLDENS=1 rewrites it.
"""
import difflib
import os
import subprocess
import sys


def main():
    margin, transcript = sys.argv[1], sys.argv[2]
    golden = transcript[: -len(".lsp")] + ".out"
    proc = subprocess.run([margin, "--test", transcript], capture_output=True, timeout=120)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        print(f"margin --test exited {proc.returncode}")
        return 1
    got = proc.stdout.decode()
    # Rule links point into this source tree; goldens must not depend on where it is.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    got = got.replace("file://" + root + "/docs/rules/", "$DOCS/")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        with open(golden, "w") as f:
            f.write(got)
        print(f"updated {golden}")
        return 0
    try:
        with open(golden) as f:
            want = f.read()
    except FileNotFoundError:
        print(f"no golden {golden}: run with UPDATE_GOLDENS=1 and review it")
        return 1
    if got != want:
        sys.stdout.writelines(
            difflib.unified_diff(want.splitlines(True), got.splitlines(True), golden, "got")
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
