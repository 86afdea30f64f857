#!/usr/bin/env python3
"""Compare margin's findings with Ruff's on real code, rule by rule.

Runs `margin check --format json --select CODES` and Ruff's WebAssembly
build (the npm package @astral-sh/ruff-wasm-nodejs, a developer tool that
margin never depends on) over the same Python files, then prints, per code,
how many findings each reports and how many agree, and lists every
difference as `file:line CODE message  [margin|ruff]`. Findings are matched
by (file, line, code): columns and messages may differ.

Ruff is asked for exactly the selected codes with its default settings
otherwise. Its WebAssembly build checks text, not files: it cannot know a
file is an `__init__.py` or a stub, so rules that behave differently there
are compared as if every file were a plain module.

usage: bench/ruff_compare.py --select F401 --path /usr/lib/python3.11 [--path DIR...]
           [--margin PATH] [--ruff-dir DIR] [--install] [--limit N] [--only margin|ruff]
           [--quiet] [--check-fixes]

--ruff-dir is where node_modules/@astral-sh/ruff-wasm-nodejs lives (default
bench/out/ruff-wasm, then /tmp/ruff-wasm); --install runs `npm install` there
when it is missing. Files Ruff cannot parse are listed apart and left out of
the comparison.

--check-fixes also applies, one at a time, the first fix of every margin
finding (as `margin check --format json` gives it) to its file, and lists the
fixes after which Python's own parser (ast.parse) rejects a file it accepted.
"""

import argparse
import ast
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PACKAGE = "@astral-sh/ruff-wasm-nodejs"

# Reads a JSON list of paths on stdin, prints one JSON line per finding.
NODE_SCRIPT = r"""
const path = require('path');
const fs = require('fs');
const ruff = require(path.join(process.argv[2], 'node_modules', '@astral-sh/ruff-wasm-nodejs'));
const codes = process.argv[3].split(',');
const files = JSON.parse(fs.readFileSync(0, 'utf8'));
const ws = new ruff.Workspace({lint: {select: codes}}, ruff.PositionEncoding.Utf32);
for (const f of files) {
    let src;
    try { src = fs.readFileSync(f, 'utf8'); } catch (e) { continue; }
    let diags;
    try { diags = ws.check(src); } catch (e) {
        process.stdout.write(JSON.stringify({file: f, error: String(e)}) + '\n');
        continue;
    }
    for (const d of diags) {
        process.stdout.write(JSON.stringify({file: f, line: d.start_location.row,
            column: d.start_location.column, code: d.code, message: d.message}) + '\n');
    }
}
"""


def find_margin(explicit):
    if explicit:
        return explicit
    for d in sorted(os.listdir(ROOT)):
        cand = os.path.join(ROOT, d, "server", "margin")
        if d.startswith("build") and os.access(cand, os.X_OK):
            return cand
    sys.exit("ruff_compare: no margin binary found; pass --margin BUILD/server/margin")


def find_ruff(explicit, install):
    dirs = [explicit] if explicit else [os.path.join(HERE, "out", "ruff-wasm"), "/tmp/ruff-wasm"]
    for d in dirs:
        if os.path.isdir(os.path.join(d, "node_modules", PACKAGE)):
            return d
    if not install:
        sys.exit("ruff_compare: %s not found under %s; rerun with --install (needs npm)"
                 % (PACKAGE, " or ".join(dirs)))
    d = dirs[0]
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "package.json")):
        with open(os.path.join(d, "package.json"), "w") as f:
            f.write('{"name": "margin-ruff-compare", "private": true}\n')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", PACKAGE], cwd=d, check=True)
    return d


def python_files(paths):
    out = []
    for p in paths:
        if os.path.isfile(p):
            out.append(os.path.abspath(p))
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.endswith(".py"):
                    out.append(os.path.abspath(os.path.join(dirpath, name)))
    return out


def apply_fix(text, fix):
    """Apply a fix's edits (1-based lines, columns in code points)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)

    def off(line, col):
        if line - 1 >= len(starts):
            return len(text)
        return min(starts[line - 1] + col - 1, len(text))

    edits = sorted(fix["edits"], key=lambda e: (e["line"], e["column"]), reverse=True)
    for e in edits:
        a, b = off(e["line"], e["column"]), off(e["end_line"], e["end_column"])
        text = text[:a] + e["content"] + text[b:]
    return text


def check_fixes(raw):
    """Fixes after which a file that parsed no longer does."""
    bad, n = [], 0
    for path, fixes in sorted(raw.items()):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            ast.parse(text)
        except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
            continue
        for line, code, fix in fixes:
            n += 1
            try:
                ast.parse(apply_fix(text, fix))
            except (SyntaxError, ValueError) as e:
                bad.append((path, line, code, fix["title"], str(e)))
    return n, bad


def run_margin(margin, codes, files, fixes=None):
    found = []
    for i in range(0, len(files), 500):
        chunk = files[i:i + 500]
        r = subprocess.run([margin, "check", "--format", "json", "--exit-zero", "--select",
                            ",".join(codes)] + chunk, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            sys.stderr.write(r.stderr)
        if not r.stdout.strip():
            continue
        for d in json.loads(r.stdout):
            found.append((os.path.abspath(d["file"]), d["line"], d["code"], d["message"]))
            if fixes is not None and d.get("fix"):
                fixes.setdefault(os.path.abspath(d["file"]), []).append(
                    (d["line"], d["code"], d["fix"]))
    return found


def run_ruff(ruff_dir, codes, files):
    found, broken = [], {}
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(NODE_SCRIPT)
        script = f.name
    try:
        r = subprocess.run(["node", script, ruff_dir, ",".join(codes)], input=json.dumps(files),
                           capture_output=True, text=True, check=True)
    finally:
        os.unlink(script)
    for line in r.stdout.splitlines():
        d = json.loads(line)
        if "error" in d:
            broken[d["file"]] = d["error"]
        elif d["code"] is None:  # a syntax error
            broken.setdefault(d["file"], "line %d: %s" % (d["line"], d["message"]))
        elif d["code"] in codes or any(d["code"].startswith(c) for c in codes):
            found.append((d["file"], d["line"], d["code"], d["message"]))
    return found, broken


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--select", required=True, help="comma-separated rule codes")
    ap.add_argument("--path", action="append", required=True, help="a file or folder (repeat)")
    ap.add_argument("--margin", help="the margin binary (default: the first build*/server/margin)")
    ap.add_argument("--ruff-dir", help="folder holding node_modules/" + PACKAGE)
    ap.add_argument("--install", action="store_true", help="npm install Ruff's wasm if missing")
    ap.add_argument("--limit", type=int, default=0, help="list at most N differences per code")
    ap.add_argument("--only", choices=["margin", "ruff"], help="list one side's differences")
    ap.add_argument("--quiet", action="store_true", help="counts only")
    ap.add_argument("--check-fixes", action="store_true",
                    help="apply each finding's first fix and check the file still parses")
    args = ap.parse_args()

    codes = [c.strip() for c in args.select.split(",") if c.strip()]
    margin = find_margin(args.margin)
    ruff_dir = find_ruff(args.ruff_dir, args.install)
    files = python_files(args.path)
    if not files:
        sys.exit("ruff_compare: no Python files under " + ", ".join(args.path))

    raw_fixes = {} if args.check_fixes else None
    ours = run_margin(margin, codes, files, raw_fixes)
    if args.check_fixes:
        n, bad = check_fixes(raw_fixes)
        print("%d fixes applied one at a time: %d leave a file Python cannot parse" % (n, len(bad)))
        for path, line, code, title, err in bad:
            print("  %s:%d %s %s: %s" % (path, line, code, title, err))
    theirs, broken = run_ruff(ruff_dir, codes, files)
    ours = [f for f in ours if f[0] not in broken]

    key = lambda f: (f[0], f[1], f[2])
    mine = collections.Counter(key(f) for f in ours)
    them = collections.Counter(key(f) for f in theirs)
    msgs = collections.defaultdict(list)  # key -> [(side, message)]
    for f in ours:
        msgs[key(f)].append(("margin", f[3]))
    for f in theirs:
        msgs[key(f)].append(("ruff", f[3]))

    print("%d files, %d left out (Ruff cannot parse them)" % (len(files), len(broken)))
    for path, err in sorted(broken.items()):
        print("  left out: %s: %s" % (path, err))
    all_codes = sorted({k[2] for k in mine} | {k[2] for k in them} | set(codes))
    print("%-8s %8s %8s %8s %12s %10s" % ("code", "margin", "ruff", "both", "margin only",
                                          "ruff only"))
    diffs = collections.defaultdict(list)
    for code in all_codes:
        m = collections.Counter({k: v for k, v in mine.items() if k[2] == code})
        t = collections.Counter({k: v for k, v in them.items() if k[2] == code})
        both = sum((m & t).values())
        only_m, only_t = m - t, t - m
        print("%-8s %8d %8d %8d %12d %10d" % (code, sum(m.values()), sum(t.values()), both,
                                              sum(only_m.values()), sum(only_t.values())))
        for k in sorted(set(only_m) | set(only_t)):
            diffs[code].append((k, "margin" if k in only_m else "ruff"))
    if args.quiet:
        return 0
    for code in all_codes:
        rows = [d for d in diffs[code] if args.only in (None, d[1])]
        if args.limit:
            rows = rows[:args.limit]
        if rows:
            print("\n%s differences (file:line, then what each side reports there):" % code)
        for (path, line, c), side in rows:
            print("  %s:%d %s  [%s reports more]" % (path, line, c, side))
            for who, text in sorted(msgs[(path, line, c)]):
                print("      %-6s %s" % (who, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
