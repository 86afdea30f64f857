#!/usr/bin/env python3
"""Typing latency of `margin lsp` on a ~15,000-line file.

Builds one file by concatenating CPython stdlib modules (MODULES below, from
/usr/lib/python3.11), opens it, then types lines of code into the middle of
it one character at a time: one didChange per keystroke with an incremental
range, and waits for the publishDiagnostics of that version before the next
keystroke. Latency is from the didChange written to the matching
publishDiagnostics read, so it includes the pipe and this client's framing;
server CPU per keystroke (from /proc/PID/stat) is reported beside it. Peak RSS
is VmHWM read from /proc/PID/status just before shutdown.

Variants: default (margin's default log level), info (--log=info), autopair
(the editor closes brackets and quotes, as VS Code does by default),
comment (the same lines typed as comments: no syntax change), tiny (the
same keystrokes into a 6-line file: the floor of pipe, framing and client),
treesitter and treesitter-comment (the default and comment keystrokes
replayed by bench/ts_reparse in tree-sitter alone: no margin, no pipe).
Each runs --repeat times with its keystrokes pooled. stderr goes to
/dev/null. At the end the server's text is checked against the client's.

The client is deliberately thin: one thread, blocking reads of stdout, and
no JSON parsing of the publishes (the version is found with a regex), so it
adds little to what it measures (see the tiny variant).

usage: bench/typing.py [--margin PATH] [--lines N] [--repeat N]
                       [--variants default,info,autopair,comment,tiny]
                       [--slowest] [--json FILE]
"""

import os
import sys

# This file is named like the stdlib's `typing`: keep its folder off the
# import path so that no module imported below picks it up instead.
sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

STDLIB = "/usr/lib/python3.11"
MODULES = ["argparse.py", "inspect.py", "typing.py", "subprocess.py", "tarfile.py",
           "functools.py"]
TYPED = [
    "        result = compute_total(items, discount=0.1)  # typed\n",
    "        if result is None or not isinstance(result, (int, float)):\n",
    "            raise ValueError(f'bad total {result!r} for {len(items)} items')\n",
    "        totals = {name: value * 2 for name, value in result.items() if value}\n",
    "        return sorted(totals, key=lambda k: (-totals[k], k))[:10]\n",
    "        logger.debug('computed %d totals in %.3f s', len(totals), elapsed)\n",
    "        self._cache[key] = Entry(value=result, stamp=time.monotonic())\n",
    "        for index, (left, right) in enumerate(zip(first, second), start=1):\n",
]
URI = "file:///bench/typing_target.py"
# The floor: the same keystrokes into a file of a few lines (pipe, framing,
# JSON and this client, with next to nothing to parse).
TINY = ("import os\n\n\ndef main(items, first, second):\n    total = 0\n"
        "    return total\n")


def build_text():
    parts = []
    for m in MODULES:
        with open(os.path.join(STDLIB, m), encoding="utf-8") as f:
            t = f.read()
        parts.append(t if t.endswith("\n") else t + "\n")
    return "".join(parts)


def insertion_line(lines):
    """A line near the middle inside a function body: 8 spaces of indent,
    code (not a string or comment), after a line of the same indent."""
    mid = len(lines) // 2
    for delta in range(0, len(lines) // 2):
        for i in (mid + delta, mid - delta):
            if 0 < i < len(lines):
                a, b = lines[i - 1], lines[i]
                if (b.startswith("        ") and b[8:9] not in (" ", "'", '"', "#", "\n", "")
                        and a.startswith("        ") and a[8:9] not in (" ", "", "\n")
                        and not a.rstrip().endswith(("\\", ",", "(", "[", "{"))
                        and not b.lstrip().startswith(("elif", "else", "except", "finally"))):
                    return i
    raise SystemExit("no insertion point found")


def frame(obj):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, bufsize=0)
        self.buf = bytearray()
        self.fd = self.p.stdout.fileno()

    def send(self, obj):
        data = frame(obj)
        view = memoryview(data)
        while view:
            view = view[os.write(self.p.stdin.fileno(), view):]

    def read_frame(self):
        """The next frame's body (bytes); strict about the framing."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.match(rb"Content-Length: (\d+)$", bytes(self.buf[:end]))
                if m is None:
                    raise SystemExit("bad header from margin: %r" % bytes(self.buf[:end]))
                n = int(m.group(1))
                if len(self.buf) >= end + 4 + n:
                    body = bytes(self.buf[end + 4:end + 4 + n])
                    del self.buf[:end + 4 + n]
                    return body
            data = os.read(self.fd, 1 << 20)
            if not data:
                raise SystemExit("margin closed stdout (status %r)" % self.p.poll())
            self.buf += data

    def wait_id(self, id):
        while True:
            msg = json.loads(self.read_frame())
            if msg.get("id") == id and "method" not in msg:
                return msg

    def wait_publish(self, version):
        """Read until the publishDiagnostics of `version`; returns its size."""
        pat = b'"version":%d' % version
        while True:
            body = self.read_frame()
            if b"textDocument/publishDiagnostics" in body[:200] and pat in body:
                return len(body)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.p.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_kb(self):
        with open("/proc/%d/status" % self.p.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


PAIRS = {"(": ")", "[": "]", "{": "}", "'": "'", '"': '"'}


def keystrokes(line, autopair):
    """The edits an editor sends for typing `line`: (insert_text, advance).
    With autopair, an opening bracket or quote inserts its closer too, and
    typing a closer that is already there only moves the cursor (no edit),
    as VS Code does by default."""
    out, pending = [], ""
    for ch in line:
        if autopair and pending and pending[0] == ch:
            pending = pending[1:]
            out.append((None, 1))
        elif autopair and ch in PAIRS:
            pending = PAIRS[ch] + pending
            out.append((ch + PAIRS[ch], 1))
        else:
            out.append((ch, 1))
    assert not pending, "unbalanced line %r" % line
    return out


def run(margin, extra_args, n_lines, label, tiny=False, autopair=False, comment=False):
    text = TINY if tiny else build_text()
    lines = text.splitlines(keepends=True)
    at = 3 if tiny else insertion_line(lines)
    srv = Server([margin] + extra_args + ["lsp"])
    srv.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": None, "capabilities": {}}})
    srv.wait_id(1)
    srv.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    t0 = time.perf_counter()
    srv.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": text}}})
    srv.wait_publish(1)
    open_ms = (time.perf_counter() - t0) * 1000

    # Type the lines, one after another, at the start of line `at`.
    version = 1
    line, col = at, 0
    latencies, sizes, shown = [], [], []
    cpu0 = srv.cpu_seconds()
    typed, typed_lines = "", []
    for k in range(n_lines):
        src = TYPED[k % len(TYPED)]
        if comment:
            src = "        # " + src.lstrip(" ")
        typed += src
        typed_lines.append(src)
        for i, ((ins, advance), ch) in enumerate(zip(keystrokes(src, autopair), src)):
            if ins is not None:
                version += 1
                pos = {"line": line, "character": col}
                msg = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": URI, "version": version},
                    "contentChanges": [{"range": {"start": pos, "end": pos}, "text": ins}]}}
                t = time.perf_counter()
                srv.send(msg)
                sizes.append(srv.wait_publish(version))
                latencies.append((time.perf_counter() - t) * 1000)
                shown.append((k, i))
            if ch == "\n":
                line, col = line + 1, 0
            else:
                col += utf16_len(ch) * advance
    cpu = srv.cpu_seconds() - cpu0

    # The server's text must be ours: otherwise the figures mean nothing.
    srv.send({"jsonrpc": "2.0", "id": 2, "method": "margin/dumpDocument",
              "params": {"textDocument": {"uri": URI}}})
    dump = srv.wait_id(2)["result"]
    expected = "".join(lines[:at]) + typed + "".join(lines[at:])
    if dump["text"] != expected:
        raise SystemExit("margin's text differs from the client's after typing")
    rss = srv.peak_rss_kb()
    srv.send({"jsonrpc": "2.0", "id": 3, "method": "shutdown"})
    srv.wait_id(3)
    srv.send({"jsonrpc": "2.0", "method": "exit"})
    rc = srv.p.wait(30)

    return {
        "variant": label, "args": extra_args, "lines": len(lines), "bytes": len(text.encode()),
        "insert_line": at + 1, "open_ms": [open_ms], "latencies": latencies,
        "cpu_s": cpu, "peak_rss_kb": rss, "exit": [rc],
        "publish_bytes_median": statistics.median(sizes),
        "slowest": slowest(latencies, shown, typed_lines),
    }


def run_treesitter(ts_reparse, n_lines, comment=False):
    """The default keystrokes (or the comment ones) through bench/ts_reparse:
    tree-sitter alone, no margin, no pipe."""
    import tempfile
    text = build_text()
    lines = text.splitlines(keepends=True)
    at = insertion_line(lines)
    typed = "".join(("        # " + TYPED[k % len(TYPED)].lstrip(" ")) if comment
                    else TYPED[k % len(TYPED)] for k in range(n_lines))
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "file.py"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(d, "typed.txt"), "w", encoding="utf-8") as f:
            f.write(typed)
        offset = len("".join(lines[:at]).encode("utf-8"))
        out = subprocess.run([ts_reparse, os.path.join(d, "file.py"), str(offset),
                              os.path.join(d, "typed.txt")], stdout=subprocess.PIPE,
                             check=True).stdout.decode().split()
    times = [float(x) for x in out]
    return {
        "variant": "tree-sitter alone" + (", comment" if comment else ""),
        "args": [], "lines": len(lines), "bytes": len(text.encode()), "insert_line": at + 1,
        "open_ms": [times[0]], "latencies": times[1:], "cpu_s": sum(times[1:]) / 1000,
        "peak_rss_kb": 0, "exit": [0], "publish_bytes_median": 0, "slowest": [],
    }


def merge(runs):
    """Pool the keystrokes of repeated runs of one variant; add statistics."""
    r = dict(runs[0])
    r["latencies"] = [x for run in runs for x in run["latencies"]]
    r["cpu_s"] = sum(run["cpu_s"] for run in runs)
    r["open_ms"] = [x for run in runs for x in run["open_ms"]]
    r["exit"] = [x for run in runs for x in run["exit"]]
    r["peak_rss_kb"] = max(run["peak_rss_kb"] or 0 for run in runs)
    r["slowest"] = sorted((x for run in runs for x in run["slowest"]), reverse=True)[:12]
    lat = sorted(r["latencies"])

    def pct(p):
        return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
    r.update(runs=len(runs), keystrokes=len(lat), median_ms=statistics.median(lat),
             p90_ms=pct(90), p99_ms=pct(99), max_ms=lat[-1], mean_ms=statistics.mean(lat),
             server_cpu_ms_per_key=r["cpu_s"] * 1000 / len(lat),
             open_ms_median=statistics.median(r["open_ms"]))
    return r


def slowest(latencies, shown, typed_lines, n=12):
    """The n slowest keystrokes: latency and the line as typed up to them."""
    out = []
    for i in sorted(range(len(latencies)), key=lambda i: -latencies[i])[:n]:
        k, j = shown[i]
        out.append((round(latencies[i], 3), typed_lines[k][:j + 1]))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--margin", default=os.path.join(here, "..", "build-bench", "server",
                                                     "margin"))
    ap.add_argument("--lines", type=int, default=8,
                    help="lines to type (default 8: about 530 keystrokes)")
    ap.add_argument("--variants",
                    default="default,info,autopair,comment,tiny,treesitter,treesitter-comment",
                    help="comma-separated: default (log level warn, margin's default), "
                         "info (--log=info), debug (--log=debug), autopair (brackets and "
                         "quotes closed by the editor, as VS Code does), comment (the same "
                         "lines typed as comments: no syntax change at all), tiny (the same "
                         "keystrokes into a 6-line file: the floor), treesitter and "
                         "treesitter-comment (the default and comment keystrokes through "
                         "bench/ts_reparse: tree-sitter alone, no margin); stderr goes to "
                         "/dev/null")
    ap.add_argument("--ts-reparse", help="the bench/ts_reparse binary (default: "
                    "ts_reparse beside the margin binary's build folder)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per variant, their keystrokes pooled (default 3)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--slowest", action="store_true",
                    help="also list the slowest keystrokes and what was typed")
    args = ap.parse_args()
    if not os.access(args.margin, os.X_OK):
        raise SystemExit("no margin binary at %s (meson setup build-bench --buildtype=release "
                         "&& ninja -C build-bench server/margin)" % args.margin)
    variants = {
        "default": ([], {}),
        "info": (["--log=info"], {}),
        "debug": (["--log=debug"], {}),
        "autopair": ([], {"autopair": True}),
        "tiny": ([], {"tiny": True}),
        "comment": ([], {"comment": True}),
    }
    results = []
    ts_reparse = args.ts_reparse or os.path.join(os.path.dirname(os.path.abspath(args.margin)),
                                                 "..", "ts_reparse")
    for v in args.variants.split(","):
        if v in ("treesitter", "treesitter-comment"):
            if not os.access(ts_reparse, os.X_OK):
                print("(no %s: see bench/README.md to build it)" % ts_reparse, file=sys.stderr)
                continue
            results.append(merge([run_treesitter(ts_reparse, args.lines, v.endswith("comment"))
                                  for _ in range(args.repeat)]))
            continue
        flags, kw = variants[v]
        results.append(merge([run(os.path.abspath(args.margin), flags, args.lines, v, **kw)
                              for _ in range(args.repeat)]))
    r0 = results[0]
    print("file: %d lines, %d bytes (%s); typing at line %d"
          % (r0["lines"], r0["bytes"], " + ".join(MODULES), r0["insert_line"]))
    print()
    print("| variant | runs | keys | open ms | median ms | p90 ms | p99 ms | max ms "
          "| server CPU ms/key | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print("| %s | %d | %d | %.1f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |"
              % (r["variant"] + (" (%s)" % " ".join(r["args"]) if r["args"] else ""),
                 r["runs"], r["keystrokes"], r["open_ms_median"], r["median_ms"], r["p90_ms"],
                 r["p99_ms"], r["max_ms"], r["server_cpu_ms_per_key"],
                 "%.1f" % (r["peak_rss_kb"] / 1024) if r["peak_rss_kb"] else "-"))
    if args.slowest:
        for r in results:
            if not r["slowest"]:
                continue
            print("\nslowest keystrokes (%s): latency ms, the line so far" % r["variant"])
            for ms, line in r["slowest"]:
                print("  %8.3f  %r" % (ms, line))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
