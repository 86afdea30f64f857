"""A small LSP client for margin's end-to-end tests (Python 3 stdlib only).

It runs the margin binary with pipes, writes framed messages (whole, or cut
into arbitrary byte chunks with pauses) and reads what the server writes with
a strict parser: stdout is sacred, so anything on it that is not a
well-formed `Content-Length` frame holding a JSON-RPC 2.0 object is recorded
as a protocol error, and every later wait fails with it.

Every wait takes a timeout, so a server that hangs fails the test instead of
hanging CI. stderr is collected in the background (it is shown when a test
fails) so the server never blocks on a full stderr pipe.
"""

import collections
import json
import os
import re
import subprocess
import threading
import time

DEFAULT_TIMEOUT = float(os.environ.get("MARGIN_E2E_TIMEOUT", "20"))

# What the server may put in a header block: exactly these names.
_HEADER_RE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*): ?(.*)$")
_MAX_HEADER_BLOCK = 1024


class ProtocolError(AssertionError):
    """The server wrote something that is not a well-formed frame."""


class Timeout(AssertionError):
    """A wait ran out of time (the server hung or never answered)."""


def frame(body):
    """Frame `body` (bytes, str or a JSON-able object) as LSP does."""
    if not isinstance(body, (bytes, bytearray)):
        if not isinstance(body, str):
            body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        body = body.encode("utf-8", "surrogatepass")
    return b"Content-Length: %d\r\n\r\n" % len(body) + bytes(body)


def parse_frames(data):
    """Strictly parse a whole stdout capture into a list of message objects.

    Raises ProtocolError on anything that is not a sequence of frames."""
    p = _FrameParser()
    p.feed(data)
    p.finish()
    return p.messages


class _FrameParser:
    def __init__(self):
        self.buf = bytearray()
        self.body_len = None  # None: reading headers
        self.messages = []
        self.offset = 0  # bytes of stdout consumed so far, for error messages

    def _fail(self, why):
        ctx = bytes(self.buf[:80])
        raise ProtocolError("stdout is not a well-formed LSP stream at byte %d: %s (next bytes %r)"
                            % (self.offset, why, ctx))

    def feed(self, data):
        self.buf += data
        while True:
            if self.body_len is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > _MAX_HEADER_BLOCK:
                        self._fail("header block longer than %d bytes" % _MAX_HEADER_BLOCK)
                    # A partial header must already look like one.
                    if self.buf and not b"Content-Length: ".startswith(bytes(self.buf[:16])) \
                            and not self.buf.startswith(b"Content-"):
                        self._fail("bytes outside a frame")
                    return
                length = None
                for line in bytes(self.buf[:end]).split(b"\r\n"):
                    m = _HEADER_RE.match(line)
                    if m is None:
                        self._fail("malformed header line %r" % line)
                    name = m.group(1).lower()
                    if name == b"content-length":
                        if not m.group(2).isdigit() or length is not None:
                            self._fail("bad Content-Length %r" % line)
                        length = int(m.group(2))
                    elif name != b"content-type":
                        self._fail("unexpected header %r" % line)
                if length is None:
                    self._fail("header block without Content-Length")
                del self.buf[:end + 4]
                self.offset += end + 4
                self.body_len = length
            if len(self.buf) < self.body_len:
                return
            body = bytes(self.buf[:self.body_len])
            del self.buf[:self.body_len]
            self.offset += self.body_len
            self.body_len = None
            try:
                msg = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise ProtocolError("a frame's body is not UTF-8 JSON (%s): %r" % (e, body[:200]))
            if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
                raise ProtocolError("a frame's body is not a JSON-RPC 2.0 object: %r" % body[:200])
            self.messages.append(msg)

    def finish(self):
        if self.buf or self.body_len is not None:
            self._fail("the stream ended inside a frame")


def sanitized(exe):
    """Whether `exe` was built with AddressSanitizer (whose allocator keeps
    freed memory in quarantine, so RSS figures mean little)."""
    try:
        with open(exe, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def proc_status(pid, field):
    """A /proc/PID/status field in kB (VmHWM, VmRSS), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Client:
    """One margin process and the messages it sent.

    Responses are kept per id (with a count, for the exactly-once rule),
    notifications per method in arrival order, and requests from the server
    in a list."""

    def __init__(self, exe, args=("lsp",), stdin=None, env=None, log_level=None):
        argv = [exe]
        if log_level:
            argv.append("--log=" + log_level)
        argv += list(args)
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is None else stdin,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     bufsize=0)
        self._cond = threading.Condition()
        self._parser = _FrameParser()
        self.error = None  # the first ProtocolError, if any
        self.eof = False
        self.responses = {}  # id -> [message]; taken ones are removed
        self.reply_counts = collections.Counter()  # json id -> replies seen (never reset)
        self.notifications = collections.defaultdict(collections.deque)
        self.server_requests = []
        self.published = collections.defaultdict(set)  # uri -> versions published
        self.latest_diagnostics = {}  # uri -> params of its last publishDiagnostics
        self.n_messages = 0
        self.cpu_total = None  # user + system CPU seconds, once wait_exit() reaped it
        self._stderr = bytearray()
        self._next_id = 0
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    # --- reading ---------------------------------------------------------------

    def _read_stdout(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 1 << 20)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    if self.error is None:
                        try:
                            self._parser.finish()
                        except ProtocolError as e:
                            self.error = e
                    self.eof = True
                    self._cond.notify_all()
                    return
                if self.error is not None:
                    continue  # keep draining so the server never blocks
                n0 = len(self._parser.messages)
                try:
                    self._parser.feed(data)
                except ProtocolError as e:
                    self.error = e
                for msg in self._parser.messages[n0:]:
                    self._store(msg)
                del self._parser.messages[:]
                self._cond.notify_all()

    def _store(self, msg):
        self.n_messages += 1
        if "method" in msg:
            if "id" in msg:
                self.server_requests.append(msg)
            else:
                self.notifications[msg["method"]].append(msg)
                if msg["method"] == "textDocument/publishDiagnostics":
                    p = msg.get("params") or {}
                    self.published[p.get("uri")].add(p.get("version"))
                    self.latest_diagnostics[p.get("uri")] = p
        else:
            key = _idkey(msg.get("id"))
            self.reply_counts[key] += 1
            self.responses.setdefault(key, []).append(msg)

    def _read_stderr(self):
        fd = self.proc.stderr.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._cond:
                self._stderr += data
                if len(self._stderr) > 4 << 20:  # keep the tail only
                    del self._stderr[:len(self._stderr) - (2 << 20)]

    def stderr_text(self, tail=4000):
        """The end of what the server wrote to stderr; a sanitizer report,
        if there is one, from its start instead."""
        with self._cond:
            err = bytes(self._stderr)
        for mark in (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:"):
            i = err.find(mark)
            if i >= 0:
                i = err.rfind(b"\n", 0, i) + 1
                return err[i:i + 3 * tail].decode("utf-8", "replace")
        return err[-tail:].decode("utf-8", "replace")

    def _wait(self, find, timeout, what):
        """Wait until find() (called under the lock) returns non-None."""
        deadline = time.monotonic() + (DEFAULT_TIMEOUT if timeout is None else timeout)
        with self._cond:
            while True:
                if self.error is not None:
                    raise self.error
                r = find()
                if r is not None:
                    return r
                if self.eof:
                    raise Timeout("%s: the server closed stdout first (exit status %r)\n"
                                  "stderr tail:\n%s" % (what, self.proc.poll(), self.stderr_text()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("%s: no answer within %.1f s\nstderr tail:\n%s"
                                  % (what, DEFAULT_TIMEOUT if timeout is None else timeout,
                                     self.stderr_text()))
                self._cond.wait(min(left, 1.0))

    def wait_response(self, id, timeout=None):
        """The response to request `id` (removed from the store)."""
        key = _idkey(id)

        def find():
            lst = self.responses.get(key)
            if lst:
                return lst.pop(0)
            return None
        return self._wait(find, timeout, "waiting for the response to id %r" % (id,))

    def wait_notification(self, method, pred=None, timeout=None, drop_older=False):
        """The first notification `method` for which pred(msg) holds (removed
        from the store). With drop_older, the ones before it are dropped."""
        def find():
            q = self.notifications.get(method)
            if not q:
                return None
            for i, msg in enumerate(q):
                if pred is None or pred(msg):
                    if drop_older:
                        for _ in range(i + 1):
                            q.popleft()
                    else:
                        del q[i]
                    return msg
            return None
        return self._wait(find, timeout, "waiting for notification %r" % method)

    def wait_diagnostics(self, uri, version=None, timeout=None):
        """The publishDiagnostics for `uri` (and `version`, when given)."""
        def pred(m):
            p = m.get("params", {})
            return p.get("uri") == uri and (version is None or p.get("version") == version)
        return self.wait_notification("textDocument/publishDiagnostics", pred, timeout,
                                      drop_older=True)["params"]

    def published_versions(self, uri):
        """The versions of `uri` whose diagnostics were published so far."""
        with self._cond:
            return set(self.published.get(uri, ()))

    def latest_published(self, uri):
        """The params of the last publishDiagnostics for `uri`, or None."""
        with self._cond:
            return self.latest_diagnostics.get(uri)

    def clear_notifications(self, method=None):
        with self._cond:
            if method is None:
                self.notifications.clear()
            else:
                self.notifications.pop(method, None)

    def check_clean(self):
        """Raise the protocol error, if the server ever broke framing."""
        with self._cond:
            if self.error is not None:
                raise self.error

    # --- writing ---------------------------------------------------------------

    def write(self, data, chunks=None, pause=0.0):
        """Write raw bytes to stdin. `chunks`: None (one write), an int (that
        many bytes per write) or a random.Random (random sizes, 1..64)."""
        fd = self.proc.stdin.fileno()
        if chunks is None:
            _write_all(fd, data)
            return
        i = 0
        while i < len(data):
            n = chunks if isinstance(chunks, int) else chunks.randint(1, 64)
            _write_all(fd, data[i:i + n])
            i += n
            if pause:
                time.sleep(pause)

    def send(self, msg, **kw):
        self.write(frame(msg), **kw)

    def new_id(self):
        self._next_id += 1
        return self._next_id

    def request(self, method, params=None, id=None, **kw):
        """Send a request; returns its id (answer it with wait_response)."""
        if id is None:
            id = self.new_id()
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg, **kw)
        return id

    def call(self, method, params=None, timeout=None):
        """A request and its response (the whole message)."""
        return self.wait_response(self.request(method, params), timeout)

    def result(self, method, params=None, timeout=None):
        """A request's result; fails when the server answered an error."""
        r = self.call(method, params, timeout)
        if "error" in r:
            raise AssertionError("%s failed: %r" % (method, r["error"]))
        return r.get("result")

    def notify(self, method, params=None, **kw):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg, **kw)

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    # --- LSP helpers -----------------------------------------------------------

    def initialize(self, capabilities=None, encodings=None, init_options=None, timeout=None):
        caps = capabilities if capabilities is not None else {
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": True},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
            }
        }
        if encodings is not None:
            caps = dict(caps)
            caps["general"] = {"positionEncodings": list(encodings)}
        params = {"processId": os.getpid(), "rootUri": None, "capabilities": caps}
        if init_options is not None:
            params["initializationOptions"] = init_options
        result = self.result("initialize", params, timeout)
        self.notify("initialized", {})
        return result

    def open(self, uri, text, version=1):
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": text}})

    def change(self, uri, version, changes, **kw):
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": changes}, **kw)

    def symbols(self, uri, timeout=None):
        return self.result("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, timeout)

    def dump(self, uri, timeout=None):
        return self.result("margin/dumpDocument", {"textDocument": {"uri": uri}}, timeout)

    def peak_rss_kb(self):
        return proc_status(self.proc.pid, "VmHWM")

    def cpu_seconds(self):
        """User + system CPU time the server has used so far (None once gone)."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def shutdown_exit(self, timeout=None):
        """shutdown, exit; returns the exit status."""
        r = self.call("shutdown", None, timeout)
        if "error" in r:
            raise AssertionError("shutdown failed: %r" % (r["error"],))
        self.notify("exit")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout=None):
        """Wait for the process to end (and its stdout to close); returns the
        exit status. Fails (killing the process) when it takes too long."""
        t = DEFAULT_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + t
        while True:
            # os.wait4 rather than Popen.wait, for the CPU time it reports.
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == self.proc.pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_total = ru.ru_utime + ru.ru_stime
                rc = self.proc.returncode
                break
            if time.monotonic() > deadline:
                self.kill()
                raise Timeout("margin did not exit within %.1f s\nstderr tail:\n%s"
                              % (t, self.stderr_text()))
            time.sleep(0.005)
        self._out.join(t)
        self._err.join(t)
        self.check_clean()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        """Best-effort cleanup for tearDown: never leaves a process behind."""
        self.close_stdin()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _idkey(id):
    return json.dumps(id)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# --- positions -------------------------------------------------------------

_BREAK_RE = re.compile(r"\r\n|\r|\n")


def units(s, enc):
    """Length of `s` in code units of `enc` ('utf-8', 'utf-16', 'utf-32')."""
    if enc == "utf-16":
        return len(s.encode("utf-16-le", "surrogatepass")) // 2
    if enc == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s)


def position(text, index, enc="utf-16"):
    """LSP Position of code point `index` of `text`; line breaks are "\\n",
    "\\r\\n" and a lone "\\r". `index` must not split a "\\r\\n"."""
    line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index)
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return {"line": line, "character": units(text[start:index], enc)}


def line_starts(text):
    starts = [0]
    for m in _BREAK_RE.finditer(text):
        starts.append(m.end())
    return starts


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v else default


# --- running a test file -----------------------------------------------------

MARGIN = None  # the binary under test, set by main()


def main(setup=None):
    """Run the unittest cases of the calling script; argv[1] is the margin
    binary (the rest goes to unittest). `setup`, if given, is called once
    MARGIN is set."""
    import sys
    import unittest
    global MARGIN
    if len(sys.argv) < 2 or not os.path.exists(sys.argv[1]):
        sys.stderr.write("usage: %s MARGIN_BINARY [unittest args]\n" % sys.argv[0])
        sys.exit(2)
    MARGIN = os.path.abspath(sys.argv.pop(1))
    if setup is not None:
        setup()
    unittest.main(module="__main__", verbosity=2)
