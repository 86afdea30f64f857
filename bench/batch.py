#!/usr/bin/env python3
"""Batch throughput of `margin check`: lines per second and peak RSS.

Runs `margin check TREE` (default /usr/lib/python3.11) under GNU time
(`/usr/bin/time -v`; Debian package `time`) several times after one warm-up
run, and reports the median wall time, lines per second, CPU time and the
largest "Maximum resident set size". Lines are counted over the files the
walker would check, found here the way server/walk.c finds them (*.py
files; no __pycache__, VCS, tool-cache or virtual-environment folders; no
symbolic links to folders); the count is compared with the "N files
checked" that margin prints.

usage: bench/batch.py [--margin PATH] [--runs N] [--jobs 0,1] [TREE]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

SKIP = {".git", ".hg", ".svn", ".bzr", "__pycache__", "node_modules", ".venv", "venv", ".tox",
        ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".pytype", ".eggs",
        "__pypackages__", ".direnv", ".ipynb_checkpoints"}


def python_files(tree):
    """(path, lines, bytes) of each file the walker checks (approximately:
    .gitignore files are not read here)."""
    out = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d not in SKIP
                         and not os.path.islink(os.path.join(root, d))
                         and not os.path.exists(os.path.join(root, d, "pyvenv.cfg")))
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(".py") and os.path.isfile(p):
                with open(p, "rb") as fh:
                    data = fh.read()
                out.append((p, data.count(b"\n") + (0 if data.endswith(b"\n") or not data
                                                    else 1), len(data)))
    return out


def run_once(margin, tree, jobs):
    argv = ["/usr/bin/time", "-v", margin, "check", "--exit-zero"]
    if jobs:
        argv += ["-j", str(jobs)]
    argv.append(tree)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 1):
        raise SystemExit("margin check failed (%d):\n%s" % (p.returncode, err[-3000:]))

    def field(name):
        m = re.search(r"^\s*%s: (.*)$" % re.escape(name), err, re.M)
        if m is None:
            raise SystemExit("no '%s' in /usr/bin/time's output" % name)
        return m.group(1)
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r"\((\d+) files? checked\)", out + err)
    return {
        "wall_s": secs,
        "cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "rss_kb": int(field("Maximum resident set size (kbytes)")),
        "files_reported": int(m.group(1)) if m else None,
        "findings_lines": len(re.findall(r"^.+?:\d+:\d+: [A-Z]+\d+ ", out, re.M)),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree", nargs="?", default="/usr/lib/python3.11")
    ap.add_argument("--margin", default=os.path.join(here, "..", "build-bench", "server",
                                                     "margin"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", default="0,1",
                    help="comma-separated -j values to try; 0 means margin's default "
                         "(one thread per CPU)")
    args = ap.parse_args()
    if not os.access("/usr/bin/time", os.X_OK):
        raise SystemExit("needs GNU time: apt-get install -y time")
    margin = os.path.abspath(args.margin)
    files = python_files(args.tree)
    n_lines = sum(f[1] for f in files)
    n_bytes = sum(f[2] for f in files)
    print("tree: %s: %d .py files, %d lines, %.1f MB; %d CPUs"
          % (args.tree, len(files), n_lines, n_bytes / 1e6, os.cpu_count()))
    print()
    print("| -j | runs | wall s (median) | lines/s | CPU s | peak RSS MB | files margin "
          "checked | findings |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for jobs in (int(j) for j in args.jobs.split(",")):
        run_once(margin, args.tree, jobs)  # warm the page cache
        runs = [run_once(margin, args.tree, jobs) for _ in range(args.runs)]
        wall = statistics.median(r["wall_s"] for r in runs)
        print("| %s | %d | %.3f | %.0f | %.3f | %.1f | %s | %d |"
              % (jobs or "default", len(runs), wall, n_lines / wall if wall else 0,
                 statistics.median(r["cpu_s"] for r in runs),
                 max(r["rss_kb"] for r in runs) / 1024, runs[0]["files_reported"],
                 runs[0]["findings_lines"]))
        if runs[0]["files_reported"] not in (None, len(files)):
            print("  (note: margin checked %d files, this script counted %d)"
                  % (runs[0]["files_reported"], len(files)), file=sys.stderr)


if __name__ == "__main__":
    main()
