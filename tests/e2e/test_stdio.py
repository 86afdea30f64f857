"""margin over real pipes: lifecycle, exit codes, command lines, framing
under any split of the input, malformed and oversized frames, stdin as a
regular file, bad JSON, cancellation, and the exactly-once rule.

usage: test_stdio.py MARGIN_BINARY [unittest args]
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lspclient as L  # noqa: E402

URI = "file:///w/app.py"
TEXT = ("import os\n\n"
        "class Store:\n"
        "    def get(self, key):\n"
        "        return key\n\n"
        "def main(:\n"
        "    pass\n")

INIT_PARAMS = {"processId": None, "rootUri": None, "capabilities": {
    "textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": True}}}}


def msg(method, params=None, id=None):
    m = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        m["id"] = id
    if params is not None:
        m["params"] = params
    return m


def session_messages(uri=URI, text=TEXT):
    """A whole session: initialize(1), didOpen, documentSymbol(2), shutdown(3), exit."""
    return [
        msg("initialize", INIT_PARAMS, id=1),
        msg("initialized", {}),
        msg("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}}),
        msg("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, id=2),
        msg("shutdown", id=3),
        msg("exit"),
    ]


def symbol_names(symbols):
    out = []
    for s in symbols or []:
        out.append(s["name"])
        out += symbol_names(s.get("children"))
    return out


class Base(unittest.TestCase):
    def spawn(self, args=("lsp",), **kw):
        c = L.Client(L.MARGIN, args, **kw)
        self.addCleanup(c.close)
        return c

    def assert_error(self, reply, code):
        self.assertIn("error", reply, reply)
        self.assertEqual(reply["error"]["code"], code, reply)

    def check_session_replies(self, c, rc):
        """The replies of session_messages()."""
        init = c.wait_response(1)
        self.assertIn("capabilities", init["result"])
        r = c.wait_response(2)
        # documentSymbol was read before shutdown: it deserves its result.
        self.assertNotIn("error", r, r)
        syms = r["result"]
        self.assertIn("Store", symbol_names(syms))
        self.assertIn("get", symbol_names(syms))
        diags = c.wait_diagnostics(URI, 1, timeout=0)
        self.assertIsInstance(diags["diagnostics"], list)
        self.assertIsNone(c.wait_response(3)["result"])
        self.assertEqual(rc, 0)


class Lifecycle(Base):
    def test_full_lifecycle(self):
        c = self.spawn()
        init = c.initialize()
        caps = init["capabilities"]
        self.assertEqual(caps["positionEncoding"], "utf-16")
        self.assertTrue(caps["documentSymbolProvider"])
        self.assertEqual(init["serverInfo"]["name"], "margin")
        c.open(URI, TEXT)
        pd = c.wait_diagnostics(URI, 1)
        self.assertIsInstance(pd["diagnostics"], list)
        for d in pd["diagnostics"]:
            self.assertIn("range", d)
            self.assertIn("message", d)
        # The syntax error `def main(:` is on line 6 (0-based); the message
        # and the exact columns are the syntax analyzer's business.
        e999 = [d for d in pd["diagnostics"] if d.get("code") == "E999"]
        self.assertTrue(e999, pd["diagnostics"])
        self.assertTrue(all(d["range"]["start"]["line"] == 6 for d in e999), e999)
        syms = c.symbols(URI)
        self.assertEqual(symbol_names(syms)[:3], ["Store", "get", "main"])
        self.assertEqual(c.shutdown_exit(), 0)
        self.assertEqual(c.server_requests, [])

    def test_exit_without_shutdown_is_status_1(self):
        c = self.spawn()
        c.initialize()
        c.notify("exit")
        self.assertEqual(c.wait_exit(5), 1)

    def test_exit_before_initialize_is_status_1(self):
        c = self.spawn()
        c.notify("exit")
        self.assertEqual(c.wait_exit(5), 1)

    def test_eof_without_exit_ends_promptly_with_status_1(self):
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        c.wait_diagnostics(URI, 1)
        t0 = time.monotonic()
        c.close_stdin()
        rc = c.wait_exit(10)
        took = time.monotonic() - t0
        self.assertLess(took, 5.0)
        self.assertEqual(rc, 1)

    def test_eof_after_shutdown_is_status_0(self):
        c = self.spawn()
        c.initialize()
        self.assertIsNone(c.result("shutdown"))
        c.close_stdin()
        self.assertEqual(c.wait_exit(5), 0)

    def test_eof_answers_pending_requests(self):
        # A request read just before EOF is still answered (exactly once).
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        data = L.frame(msg("textDocument/documentSymbol", {"textDocument": {"uri": URI}}, id=7))
        c.write(data)
        c.close_stdin()
        c.wait_exit(10)
        self.assertLessEqual(c.reply_counts[L._idkey(7)], 1)

    def test_command_lines(self):
        for args in (["--stdio"], ["lsp", "--stdio"], ["lsp"], ["--log=debug", "lsp"]):
            with self.subTest(args=args):
                c = self.spawn(args)
                c.initialize()
                c.open(URI, TEXT)
                c.wait_diagnostics(URI, 1)
                self.assertIn("main", symbol_names(c.symbols(URI)))
                self.assertEqual(c.shutdown_exit(), 0)

    def test_debug_log_stays_off_stdout(self):
        # --log=debug writes a lot to stderr; stdout must stay frames only.
        c = self.spawn(["--log=debug", "lsp"])
        for m in session_messages()[:4]:
            c.send(m)
        c.wait_response(2)
        c.responses[L._idkey(2)] = [{"result": [{"name": "Store", "children": [{"name": "get"}]}]}]
        for m in session_messages()[4:]:
            c.send(m)
        rc = c.wait_exit()
        self.check_session_replies(c, rc)
        self.assertTrue(c.stderr_text(), "expected debug output on stderr")


class Framing(Base):
    def test_one_byte_at_a_time(self):
        c = self.spawn()
        data = b"".join(L.frame(m) for m in session_messages())
        c.write(data, chunks=1, pause=0.0002)
        rc = c.wait_exit()
        self.check_session_replies(c, rc)

    def test_random_chunks(self):
        rng = random.Random(1234)
        c = self.spawn()
        data = b"".join(L.frame(m) for m in session_messages())
        c.write(data, chunks=rng, pause=0.0005)
        rc = c.wait_exit()
        self.check_session_replies(c, rc)

    def test_many_messages_in_one_write(self):
        c = self.spawn()
        data = b"".join(L.frame(m) for m in session_messages())
        c.write(data)
        rc = c.wait_exit()
        self.check_session_replies(c, rc)

    def test_content_type_and_header_case(self):
        c = self.spawn()
        ct = b"application/vscode-jsonrpc; charset=utf-8"
        variants = [
            b"Content-Length: %d\r\nContent-Type: " + ct + b"\r\n\r\n",
            b"Content-Type: " + ct + b"\r\nContent-Length: %d\r\n\r\n",
            b"content-length: %d\r\ncontent-type: " + ct + b"\r\n\r\n",
            b"CONTENT-LENGTH: %d\r\n\r\n",
            b"Content-Length:%d\r\n\r\n",
            b"Content-Length: %d\n\n",
        ]
        msgs = session_messages()
        out = b""
        # initialize, initialized, didOpen with the first headers; then one
        # documentSymbol per variant; then shutdown and exit.
        for i, m in enumerate(msgs[:3]):
            body = json.dumps(m).encode()
            out += variants[i] % len(body) + body
        ids = []
        for i, v in enumerate(variants):
            id = 100 + i
            ids.append(id)
            body = json.dumps(msg("textDocument/documentSymbol",
                                  {"textDocument": {"uri": URI}}, id=id)).encode()
            out += v % len(body) + body
        c.write(out)
        self.assertIn("capabilities", c.wait_response(1)["result"])
        for id in ids:
            self.assertIn("Store", symbol_names(c.wait_response(id)["result"]), id)
        self.assertEqual(c.shutdown_exit(), 0)

    def test_malformed_headers_then_good_message(self):
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        good = lambda id: L.frame(msg("textDocument/documentSymbol",  # noqa: E731
                                      {"textDocument": {"uri": URI}}, id=id))
        body = json.dumps(msg("textDocument/documentSymbol", {"textDocument": {"uri": URI}},
                              id=999)).encode()
        bad_blocks = [
            b"Content-Lenght: %d\r\n\r\n" % len(body) + body,         # misspelt name
            b"Content-Length: abc\r\n\r\n" + body,                      # not a number
            b"Content-Length: -5\r\n\r\n" + body,                       # a sign
            b"Content-Length: 12\r\nContent-Length: 13\r\n\r\n" + body,  # conflicting
            b"hello world\r\n\r\n",                                     # not a header
            b"\x00\xff\xfe garbage \x01\x02\r\n",                       # binary junk
            b"X-Whatever: 1\r\n\r\n" + body,                            # no Content-Length
            b"{\"jsonrpc\":\"2.0\",\"id\":998}",                          # a body, no header
            b"Content-Length: 99999999999999999999999999\r\n\r\n",     # overflow
            b"B" * 20000 + b"\r\n",                                     # an endless line
            b"\r\n\r\n\n\n",                                            # blank lines
        ]
        for i, bad in enumerate(bad_blocks):
            with self.subTest(i=i, bad=bad[:40]):
                id = 200 + i
                c.write(bad + good(id))
                r = c.wait_response(id, timeout=10)
                self.assertIn("Store", symbol_names(r["result"]))
        c.check_clean()
        # Neither junk body was taken for a request.
        self.assertEqual(c.reply_counts[L._idkey(999)], 0)
        self.assertEqual(c.reply_counts[L._idkey(998)], 0)
        self.assertEqual(c.shutdown_exit(), 0)

    def test_junk_glued_to_the_next_header(self):
        # Junk that the reader has already recognised as junk (an endless
        # line, or the body of a header block without Content-Length), glued
        # to the next message's "Content-Length:" without a line break: the
        # reader should resynchronise at that Content-Length, as frame.c
        # means to for "{...}Content-Length: 5".
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        cases = [
            b"A" * 20000,                        # trimmed as junk, then glued
            b"X-Whatever: 1\r\n\r\nabc",          # junk body ending in a letter
        ]
        for i, junk in enumerate(cases):
            with self.subTest(i=i, junk=junk[:40]):
                id = 300 + i
                c.write(junk + L.frame(msg("textDocument/documentSymbol",
                                           {"textDocument": {"uri": URI}}, id=id)))
                r = c.wait_response(id, timeout=5)
                self.assertIn("Store", symbol_names(r["result"]))
        self.assertEqual(c.shutdown_exit(), 0)

    def test_body_over_the_cap_is_skipped(self):
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        c.wait_diagnostics(URI, 1)
        self.assertIn("Store", symbol_names(c.symbols(URI)))
        hwm0 = c.peak_rss_kb()
        n = 70000000
        head = json.dumps(msg("textDocument/documentSymbol",
                              {"textDocument": {"uri": URI}}, id=77))[:-1].encode()
        head += b',"pad":"'
        c.write(b"Content-Length: %d\r\n\r\n" % n + head)
        chunk = b"x" * (1 << 20)
        left = n - len(head) - 2
        t0 = time.monotonic()
        while left > 0:
            k = min(left, len(chunk))
            c.write(chunk[:k])
            left -= k
        c.write(b'"}')
        after = c.request("textDocument/documentSymbol", {"textDocument": {"uri": URI}})
        r = c.wait_response(after, timeout=60)
        took = time.monotonic() - t0
        self.assertIn("Store", symbol_names(r["result"]))
        hwm1 = c.peak_rss_kb()
        sys.stderr.write("\n  70 MB body skipped in %.2f s; peak RSS %s kB -> %s kB\n"
                         % (took, hwm0, hwm1))
        # The refused body is dropped as it streams: no 64 MiB buffer. (Not
        # measurable under ASan: its quarantine keeps the freed read buffers.)
        if hwm0 is not None and hwm1 is not None and not L.sanitized(L.MARGIN):
            self.assertLess(hwm1 - hwm0, 32 * 1024, "peak RSS grew by %d kB" % (hwm1 - hwm0))
        self.assertEqual(c.reply_counts[L._idkey(77)], 0)
        self.assertEqual(c.shutdown_exit(), 0)

    def test_body_just_under_the_cap_is_read(self):
        # A big but allowed body (a 2 MB document) is taken whole.
        c = self.spawn()
        c.initialize()
        text = "x = 1\n" * ((2 << 20) // 6)
        c.open(URI, text)
        c.wait_diagnostics(URI, 1, timeout=60)
        self.assertEqual(c.shutdown_exit(), 0)


class Stdin(Base):
    def test_stdin_regular_file(self):
        with tempfile.TemporaryFile() as f:
            f.write(b"".join(L.frame(m) for m in session_messages()))
            f.seek(0)
            p = subprocess.run([L.MARGIN, "lsp"], stdin=f, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
        msgs = L.parse_frames(p.stdout)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        by_id = {}
        for m in msgs:
            if "id" in m and "method" not in m:
                self.assertNotIn(m["id"], by_id, "answered twice")
                by_id[m["id"]] = m
        self.assertEqual(sorted(by_id), [1, 2, 3])
        # documentSymbol was read before shutdown: it deserves its result.
        self.assertNotIn("error", by_id[2], by_id[2])
        self.assertIn("Store", symbol_names(by_id[2]["result"]))
        pubs = [m for m in msgs if m.get("method") == "textDocument/publishDiagnostics"]
        self.assertTrue(pubs)

    def test_stdin_regular_file_without_exit(self):
        # The file ends without exit: status 1, and the requests answered.
        with tempfile.TemporaryFile() as f:
            f.write(b"".join(L.frame(m) for m in session_messages()[:4]))
            f.seek(0)
            p = subprocess.run([L.MARGIN, "lsp"], stdin=f, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=30)
        msgs = L.parse_frames(p.stdout)
        self.assertEqual(p.returncode, 1)
        ids = [m["id"] for m in msgs if "id" in m and "method" not in m]
        self.assertEqual(sorted(ids), [1, 2])

    def test_stdin_dev_null(self):
        p = subprocess.run([L.MARGIN, "lsp"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(p.returncode, 1)


class BadJson(Base):
    def test_invalid_utf8_and_lone_surrogates(self):
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        bodies = [
            b'{"jsonrpc":"2.0","id":5,"method":"textDocument/documentSymbol","params":'
            b'{"textDocument":{"uri":"file:///\xff\xfe.py"}}}',
            b'{"jsonrpc":"2.0","id":6,"method":"x\xc3","params":{}}',           # cut sequence
            b'{"jsonrpc":"2.0","id":7,"method":"\xed\xa0\x80","params":{}}',    # CESU surrogate
            b'{"jsonrpc":"2.0","id":8,"method":"\xc0\xaf","params":{}}',        # overlong
            b'{"jsonrpc":"2.0","id":9,"method":"textDocument/didOpen","params":'
            b'{"textDocument":{"uri":"file:///s.py","languageId":"python","version":1,'
            b'"text":"x = \\ud800\\n"}}}',                                       # lone high
            b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":'
            b'{"textDocument":{"uri":"file:///s.py","languageId":"python","version":1,'
            b'"text":"x = \\udc00\\n"}}}',                                       # lone low
            b'{"jsonrpc":"2.0","id":10,"method":"initialize","params":{"a":"\\ud800\\u0041"}}',
            b'{"jsonrpc":"2.0","id":11,',                                       # truncated
            b'',                                                                 # empty
            b'{"jsonrpc":"2.0","id":12,"method":"shutdown"} x',                  # trailing junk
        ]
        for i, body in enumerate(bodies):
            with self.subTest(i=i, body=body[:60]):
                c.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                id = c.request("textDocument/documentSymbol", {"textDocument": {"uri": URI}},
                               id="after-%d" % i)
                r = c.wait_response(None)
                self.assert_error(r, -32700)
                self.assertIsNone(r["id"])
                self.assertIn("Store", symbol_names(c.wait_response(id)["result"]))
        # None of the bad messages took effect: s.py was never opened, and the
        # server is still running (shutdown in the BOM body was not taken).
        r = c.call("textDocument/documentSymbol", {"textDocument": {"uri": "file:///s.py"}})
        self.assert_error(r, -32602)
        for id in (5, 6, 7, 8, 9, 10, 11, 12):
            self.assertEqual(c.reply_counts[L._idkey(id)], 0, id)
        self.assertEqual(c.shutdown_exit(), 0)

    def test_valid_escapes_are_fine(self):
        # A surrogate pair written as escapes is one code point (U+1F600).
        c = self.spawn()
        c.initialize()
        body = (b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":'
                b'{"uri":"file:///e.py","languageId":"python","version":1,'
                b'"text":"s = \'\\ud83d\\ude00\'\\n"}}}')
        c.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        d = c.dump("file:///e.py")
        self.assertEqual(d["text"], "s = '\U0001F600'\n")
        self.assertEqual(c.shutdown_exit(), 0)


class Requests(Base):
    def test_cancel_in_the_same_write(self):
        c = self.spawn()
        c.initialize()
        c.open(URI, TEXT)
        c.wait_diagnostics(URI, 1)
        req = msg("textDocument/documentSymbol", {"textDocument": {"uri": URI}}, id=42)
        cancel = msg("$/cancelRequest", {"id": 42})
        c.write(L.frame(req) + L.frame(cancel))
        r = c.wait_response(42)
        self.assert_error(r, -32800)
        # A string id, and a change in the same write too.
        req = msg("textDocument/documentSymbol", {"textDocument": {"uri": URI}}, id="s-1")
        change = msg("textDocument/didChange", {
            "textDocument": {"uri": URI, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                          "end": {"line": 0, "character": 0}}, "text": "#\n"}]})
        c.write(L.frame(change) + L.frame(req) + L.frame(msg("$/cancelRequest", {"id": "s-1"})))
        self.assert_error(c.wait_response("s-1"), -32800)
        # Cancelling an answered request changes nothing.
        self.assertIn("Store", symbol_names(c.symbols(URI)))
        c.notify("$/cancelRequest", {"id": c._next_id})
        self.assertIn("Store", symbol_names(c.symbols(URI)))
        self.assertEqual(c.reply_counts[L._idkey(42)], 1)
        self.assertEqual(c.reply_counts[L._idkey("s-1")], 1)
        self.assertEqual(c.shutdown_exit(), 0)

    def test_every_request_answered_exactly_once(self):
        c = self.spawn()
        rng = random.Random(7)
        expect = {}  # id key -> expected error code or None for a result

        def req(method, params, code, id=None):
            if id is None:
                id = c.new_id()
            m = msg(method, params, id=id)
            expect[L._idkey(id)] = code
            return L.frame(m)

        td = {"textDocument": {"uri": URI}}
        out = b""
        # Before initialize: refused.
        out += req("textDocument/documentSymbol", td, -32002)
        out += req("shutdown", None, -32002)
        out += req("initialize", INIT_PARAMS, None)
        out += L.frame(msg("initialized", {}))
        out += req("initialize", INIT_PARAMS, -32600)
        out += L.frame(msg("textDocument/didOpen", {"textDocument": {
            "uri": URI, "languageId": "python", "version": 1, "text": TEXT}}))
        for i in range(300):
            k = rng.randrange(10)
            if k == 0:
                out += req("no/such/method", {}, -32601)
            elif k == 1:
                out += req("textDocument/documentSymbol", {"textDocument": {"uri": "file:///nope"}},
                           -32602)
            elif k == 2:
                out += req("textDocument/documentSymbol", {}, -32602)
            elif k == 3:
                # Cancelled: -32800, or the result when the cancel came too
                # late (the chunks below may split the two).
                id = "str-%d" % i
                out += req("textDocument/documentSymbol", td, "cancelled", id=id)
                out += L.frame(msg("$/cancelRequest", {"id": id}))
            elif k == 4:
                out += req("textDocument/codeAction", dict(td, range={
                    "start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                    context={"diagnostics": []}), None)
            elif k == 5:
                out += req("textDocument/diagnostic", td, None)
            elif k == 6:
                out += req("margin/dumpDocument", td, None)
            elif k == 7:
                v = i + 2
                out += L.frame(msg("textDocument/didChange", {
                    "textDocument": {"uri": URI, "version": v},
                    "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                                  "end": {"line": 0, "character": 0}},
                                        "text": "# %d\n" % i}]}))
                out += L.frame(msg("$/cancelRequest", {"id": "never-sent-%d" % i}))
            elif k == 8:
                # An invalid request that still carries a usable id.
                id = c.new_id()
                expect[L._idkey(id)] = -32600
                out += L.frame({"jsonrpc": "2.0", "id": id, "method": 17})
            else:
                out += req("textDocument/documentSymbol", td, None)
            if rng.random() < 0.2:
                c.write(out, chunks=rng)
                out = b""
        # Let every request be answered before shutdown (that requests read
        # in the same chunk as shutdown are answered properly is checked by
        # Framing.test_many_messages_in_one_write).
        last = c.request("textDocument/documentSymbol", td)
        expect[L._idkey(last)] = None
        c.write(out)
        out = b""
        c.wait_response(last, timeout=60)
        c.responses[L._idkey(last)] = [{"result": None}]
        out += req("shutdown", None, None)
        out += req("textDocument/documentSymbol", td, -32600)  # after shutdown
        out += L.frame(msg("exit"))
        c.write(out)
        rc = c.wait_exit(60)
        self.assertEqual(rc, 0)
        self.assertEqual(set(c.reply_counts), set(expect))
        for key, n in c.reply_counts.items():
            self.assertEqual(n, 1, "id %s answered %d times" % (key, n))
        for key, code in expect.items():
            r = c.responses[key][0]
            if code == "cancelled":
                self.assertIn(r.get("error", {}).get("code", "result"), (-32800, "result"), r)
            elif code is None:
                self.assertNotIn("error", r, key)
            else:
                self.assertEqual(r.get("error", {}).get("code"), code, (key, r))


if __name__ == "__main__":
    L.main()
