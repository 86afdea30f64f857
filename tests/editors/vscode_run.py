#!/usr/bin/env python3
"""Run the VS Code test: `vscode_run.py MARGIN_EXE [SCREENSHOT_DIR]`.

Builds and packages editors/vscode with MARGIN_EXE bundled
(editors/vscode/scripts/package.sh: npm ci, tsc, esbuild, vsce), installs
code-server 4.100.3 into a cache outside the repository once
(install_code_server.sh; the cache is $MARGIN_CACHE_DIR, else
${XDG_CACHE_HOME:-~/.cache}/margin), installs the .vsix into a temporary
extensions folder, starts code-server on 127.0.0.1 with --auth none and a
temporary user-data-dir, and runs vscode_test.mjs, which drives Debian's
headless Chromium through playwright-core (from editors/vscode/node_modules)
in that VS Code.

The screenshots vscode-diagnostics.png and vscode-code-action.png go to
$MARGIN_SCREENSHOTS if set (MARGIN_SCREENSHOTS=docs/img retakes those of
docs/editors.md), else to SCREENSHOT_DIR, else nowhere.

Exit status: 0 passed, 1 failed, 77 skipped. Skipped only when a tool is
missing (Node.js 20, npm, Chromium, ripgrep, a C++ compiler), and never under
CI=true: scripts/setup.sh installs them, so there a missing tool is a
failure. On failure the driver's output and the ends of code-server's, the
extension host's and the output channel's logs are printed.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
EXT_DIR = os.path.join(SOURCE_ROOT, "editors", "vscode")
TIMEOUT = float(os.environ.get("MARGIN_VSCODE_TEST_TIMEOUT", "180"))
CODE_SERVER = "4.100.3"

sys.path.insert(0, HERE)
from run import SKIP, tail, unavailable  # noqa: E402  (the Neovim and Emacs runner's helpers)


def missing_tool():
    """What is missing to run the test, or None."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        return "Node.js 20 and npm are not installed"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("v20."):
        return "code-server %s needs Node.js 20, this is node %s" % (CODE_SERVER, version)
    if chromium() is None:
        return "Chromium is not installed (Debian package chromium)"
    if shutil.which("rg") is None:
        return "ripgrep is not installed (Debian package ripgrep)"
    for tool, pkg in (("g++", "g++"), ("make", "make"), ("flock", "util-linux")):
        if shutil.which(tool) is None:
            return "%s is not installed (Debian package %s)" % (tool, pkg)
    return None


def chromium():
    # To try another Chromium: MARGIN_CHROMIUM=/path/to/chromium.
    path = os.environ.get("MARGIN_CHROMIUM") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


def cache_dir():
    if os.environ.get("MARGIN_CACHE_DIR"):
        return os.environ["MARGIN_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "margin")


def step(what, cmd, timeout, **kw):
    """Run a set-up command; None when it worked, else what went wrong."""
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        return "%s did not finish within %.0f s:\n%s" % (
            what, timeout, (e.stdout or b"").decode("utf-8", "replace"))
    out = r.stdout.decode("utf-8", "replace")
    if r.returncode != 0:
        return "%s failed (status %d):\n%s" % (what, r.returncode, out)
    print("# %s: %.1f s" % (what, time.monotonic() - start))
    return None


def server_pids(exe):
    """The running processes of the margin binary at `exe` (this run's own copy)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % d) == exe:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: vscode_run.py MARGIN_EXE [SCREENSHOT_DIR]", file=sys.stderr)
        return 2
    margin = os.path.abspath(argv[1])
    shots = os.environ.get("MARGIN_SCREENSHOTS") or (argv[2] if len(argv) == 3 else "")
    if not os.access(margin, os.X_OK):
        print("FAIL: %s is not an executable" % margin)
        return 1
    why = missing_tool()
    if why is not None:
        return unavailable(why)

    started = time.monotonic()
    cache = cache_dir()
    err = step("code-server %s in %s" % (CODE_SERVER, cache),
               ["bash", os.path.join(HERE, "install_code_server.sh"), cache], 600)
    if err:
        print("FAIL: " + err)
        return 1
    entry = os.path.join(cache, "code-server-" + CODE_SERVER, "package", "out", "node", "entry.js")

    with tempfile.TemporaryDirectory(prefix="margin-vscode-") as tmp:
        tmp = os.path.realpath(tmp)
        vsix = os.path.join(tmp, "margin.vsix")
        err = step("the extension, packaged with %s" % margin,
                   ["bash", os.path.join(EXT_DIR, "scripts", "package.sh"), margin, vsix], 300)
        if err:
            print("FAIL: " + err)
            return 1

        home = os.path.join(tmp, "home")
        user_data = os.path.join(tmp, "user-data")
        extensions = os.path.join(tmp, "extensions")
        for d in (home, os.path.join(user_data, "User"), extensions):
            os.makedirs(d)
        env = dict(os.environ)
        env.update({
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            # No extension gallery: VS Code asks it nothing (no network here).
            "EXTENSIONS_GALLERY": "{}",
        })
        for var in ("DISPLAY", "VSCODE_IPC_HOOK_CLI", "NODE_OPTIONS"):
            env.pop(var, None)
        # The user's settings: no welcome page, tips, update or gallery checks.
        with open(os.path.join(user_data, "User", "settings.json"), "w") as f:
            f.write("""{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "files.autoSave": "off",
  "editor.hover.delay": 200,
  "editor.hover.above": false,
  "window.commandCenter": false
}
""")
        code_server = ["node", entry, "--user-data-dir", user_data, "--extensions-dir", extensions]
        err = step("code-server --install-extension",
                   code_server + ["--install-extension", vsix], 120, env=env)
        if err:
            print("FAIL: " + err)
            return 1
        bundled = glob.glob(os.path.join(extensions, "margin.margin-*", "bin", "linux-*", "margin"))
        if len(bundled) != 1:
            print("FAIL: the installed extension has no bundled margin binary: %s"
                  % os.listdir(extensions))
            return 1

        workspace = os.path.join(tmp, "workspace")
        shutil.copytree(os.path.join(HERE, "workspace"), workspace)
        shutil.copy(os.path.join(HERE, "screenshot", "inventory.py"),
                    os.path.join(workspace, "src", "inventory.py"))
        os.makedirs(os.path.join(workspace, ".git"))

        cs_log = os.path.join(tmp, "code-server.log")
        with open(cs_log, "wb") as log:
            server = subprocess.Popen(
                code_server + ["--auth", "none", "--bind-addr", "127.0.0.1:0", "--config", "/dev/null",
                               "--disable-telemetry", "--disable-update-check",
                               "--disable-workspace-trust", "--disable-getting-started-override"],
                cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            failure_shot = os.path.join(os.path.abspath(argv[2]) if len(argv) == 3 else tmp,
                                        "vscode-failure.png")
            return drive(server, cs_log, env, tmp, workspace, user_data, bundled[0], shots,
                         failure_shot, started)
        finally:
            # code-server, its extension host and the margin servers it started.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(server.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    server.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    pass
            for pid in server_pids(bundled[0]):
                os.kill(pid, signal.SIGKILL)


def drive(server, cs_log, env, tmp, workspace, user_data, bundled, shots, failure_shot, started):
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline and server.poll() is None:
        m = re.search(r"HTTP server listening on (http://127\.0\.0\.1:\d+/)", tail(cs_log, 20))
        if m:
            url = m.group(1)
        else:
            time.sleep(0.1)
    if url is None:
        print("FAIL: code-server did not start:\n" + tail(cs_log))
        return 1

    denv = dict(env)
    denv.update({
        "MARGIN_TEST_URL": url,
        "MARGIN_TEST_ROOT": workspace,
        "MARGIN_TEST_SERVER_EXE": bundled,
        "MARGIN_TEST_LOGS": os.path.join(user_data, "logs"),
        "MARGIN_TEST_CHROMIUM": chromium(),
        "MARGIN_TEST_PROFILE": os.path.join(tmp, "chromium-profile"),
        "MARGIN_TEST_SCREENSHOTS": os.path.abspath(shots) if shots else "",
        "MARGIN_TEST_FAILURE_SHOT": failure_shot,
        "MARGIN_TEST_MODULES": EXT_DIR,
    })
    start = time.monotonic()
    proc = subprocess.Popen(["node", os.path.join(HERE, "vscode_test.mjs")], cwd=tmp, env=denv,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # Chromium, if the driver left it
    except ProcessLookupError:
        pass
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    if timed_out:
        print("FAIL: the VS Code test did not finish within %.0f s" % TIMEOUT)
    elif proc.returncode != 0:
        print("FAIL: the VS Code test exited with status %d after %.1f s"
              % (proc.returncode, elapsed))
    else:
        print("PASS: VS Code test in %.1f s (%.1f s in all)" % (elapsed, time.monotonic() - started))
        return 0
    print("--- code-server log (end): %s" % cs_log)
    sys.stdout.write(tail(cs_log, 40))
    for pattern, what in (("*/exthost*/remoteexthost.log", "extension host log"),
                          ("*/exthost*/output_logging_*/*margin.log", "output channel 'margin'")):
        for log in sorted(glob.glob(os.path.join(user_data, "logs", pattern))):
            print("--- %s (end): %s" % (what, log))
            sys.stdout.write(tail(log, 40))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
