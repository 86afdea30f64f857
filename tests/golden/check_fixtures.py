#!/usr/bin/env python3
"""Configure-time check of the golden fixtures (run by tests/golden/meson.build).

Prints the fixtures, one per line, relative to the fixtures folder
("syntax/E999_0.py"), sorted. Exits non-zero, saying why on stderr, when
  - a rule code listed in analyzers/RULES.md has no fixture <CODE>_<n>.py,
  - a fixture .py has no sibling .expected,
  - a fixture is named for a code RULES.md does not list, or is not named
    <CODE>_<n>.py at all,
  - (with --was) the list differs from the one meson saw at configure time.
"""
import argparse
import os
import re
import sys

ROW = re.compile(r"^\|\s*([A-Z]+[0-9]+)\s*\|")
FIXTURE = re.compile(r"^([A-Z]+[0-9]+)_([0-9]+)\.py$")


def rule_codes(rules_md):
    codes = []
    with open(rules_md, encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line)
            if m:
                codes.append(m.group(1))
    return codes


def fixtures(root):
    found = []
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith(".py"):
                found.append((folder, name))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", required=True, help="analyzers/RULES.md")
    ap.add_argument("--fixtures", required=True, help="tests/fixtures")
    ap.add_argument("--was", help="comma-separated list seen at configure time")
    args = ap.parse_args()

    problems = []
    codes = rule_codes(args.rules)
    if not codes:
        problems.append(f"{args.rules}: no rule rows found ('| CODE | ...')")
    if not os.path.isdir(args.fixtures):
        print(f"check_fixtures: {args.fixtures}: not a folder", file=sys.stderr)
        return 1

    listed = fixtures(args.fixtures)
    covered = set()
    for folder, name in listed:
        rel = f"{folder}/{name}"
        m = FIXTURE.match(name)
        if not m:
            problems.append(f"tests/fixtures/{rel}: not named <CODE>_<n>.py")
            continue
        if m.group(1) not in codes:
            problems.append(f"tests/fixtures/{rel}: {m.group(1)} is not a rule in RULES.md")
        covered.add(m.group(1))
        expected = os.path.join(args.fixtures, folder, name[:-3] + ".expected")
        if not os.path.isfile(expected):
            problems.append(f"tests/fixtures/{rel}: no {name[:-3]}.expected next to it "
                            "(create it empty, then UPDATE_GOLDENS=1 meson test --suite golden)")
    for code in codes:
        if code not in covered:
            problems.append(f"rule {code} has no fixture: add tests/fixtures/<analyzer>/{code}_0.py "
                            "with the smallest case and near-misses")

    rels = [f"{folder}/{name}" for folder, name in listed]
    if args.was is not None:
        was = [r for r in args.was.split(",") if r]
        if was != rels:
            problems.append("the fixtures changed since meson configured: run "
                            "'meson setup --reconfigure <builddir>' so each gets a test")

    if problems:
        for p in problems:
            print(f"check_fixtures: {p}", file=sys.stderr)
        return 1
    if args.was is None:
        print("\n".join(rels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
