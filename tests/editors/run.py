#!/usr/bin/env python3
"""Run one editor test headless: `run.py nvim|emacs MARGIN_EXE`.

Copies tests/editors/workspace to a temporary directory (so the root the
client finds is its pyproject.toml, not the repository), puts a `margin` on
PATH that runs MARGIN_EXE with a debug log, isolates the editor from the
user's configuration (HOME and the XDG directories point into the temporary
directory), runs the editor's test script, and bounds the whole run in time.

Exit status: 0 passed, 1 failed, 77 skipped (meson's skip code). The test is
skipped only when the editor is not installed, and never under CI=true:
scripts/setup.sh installs the editors, so there a missing editor is a failure.
On failure the editor's output and the ends of margin's and the client's logs
are printed.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = float(os.environ.get("MARGIN_EDITOR_TEST_TIMEOUT", "100"))
SKIP = 77


def unavailable(why):
    if os.environ.get("CI"):
        print("FAIL: %s; scripts/setup.sh installs it, so CI must have it" % why)
        return 1
    print("SKIP: %s (scripts/setup.sh installs it)" % why)
    return SKIP


def tail(path, n=60):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return "(no %s)\n" % path
    return "".join(lines[-n:])


def nvim_command(tmp, env):
    # To try another Neovim: MARGIN_NVIM="/path/to/nvim" (a command line).
    nvim = shlex.split(os.environ.get("MARGIN_NVIM", "")) or [shutil.which("nvim")]
    if nvim[0] is None:
        return None, "nvim is not installed (Debian package neovim)"
    env["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    env["XDG_STATE_HOME"] = os.path.join(tmp, "state")
    env["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    plugin = os.path.join(SOURCE_ROOT, "editors", "nvim")
    cmd = nvim + ["--headless", "--clean", "-n", "-i", "NONE",
           "--cmd", "set rtp^=" + plugin.replace(" ", "\\ "),
           "-c", "luafile " + os.path.join(HERE, "nvim_test.lua").replace(" ", "\\ ")]
    return cmd, None


def emacs_command(tmp, env):
    emacs = shutil.which("emacs")
    if emacs is None:
        return None, "emacs is not installed (Debian packages emacs-nox and elpa-eglot)"
    # -q, not -Q: Debian's site-start puts elpa-eglot on the load path.
    cmd = [emacs, "--batch", "-q"]
    # To try another eglot: MARGIN_EMACS_LOAD_PATH=dir:dir (searched first).
    for d in filter(None, os.environ.get("MARGIN_EMACS_LOAD_PATH", "").split(os.pathsep)):
        cmd += ["-L", d]
    probe = subprocess.run(cmd + ["--eval", "(kill-emacs (if (require 'eglot nil t) 0 3))"],
                           env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
    if probe.returncode == 3:
        return None, "Emacs has no eglot (Debian package elpa-eglot; built in from Emacs 29)"
    cmd += ["-L", os.path.join(SOURCE_ROOT, "editors", "emacs"),
            "-l", os.path.join(HERE, "emacs_test.el")]
    return cmd, None


EDITORS = {"nvim": nvim_command, "emacs": emacs_command}


def client_logs(editor, tmp):
    if editor == "nvim":
        for sub in ("state", "cache"):
            log = os.path.join(tmp, sub, "nvim", "lsp.log")
            if os.path.exists(log):
                return log
    return os.path.join(tmp, "emacs-events.log")


def main(argv):
    if len(argv) != 3 or argv[1] not in EDITORS:
        print("usage: run.py nvim|emacs MARGIN_EXE", file=sys.stderr)
        return 2
    editor, margin = argv[1], os.path.abspath(argv[2])
    if not os.access(margin, os.X_OK):
        print("FAIL: %s is not an executable" % margin)
        return 1

    with tempfile.TemporaryDirectory(prefix="margin-%s-" % editor) as tmp:
        tmp = os.path.realpath(tmp)
        env = dict(os.environ)
        env["HOME"] = os.path.join(tmp, "home")
        os.makedirs(env["HOME"])
        cmd, why = EDITORS[editor](tmp, env)
        if cmd is None:
            return unavailable(why)

        workspace = os.path.join(tmp, "workspace")
        shutil.copytree(os.path.join(HERE, "workspace"), workspace)
        # A repository, as projects are: Emacs's project.el finds its root
        # by version control, Neovim's plugin by pyproject.toml or .git.
        os.makedirs(os.path.join(workspace, ".git"))
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        margin_log = os.path.join(tmp, "margin.log")
        wrapper = os.path.join(bindir, "margin")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec %s --log=debug --log-file %s \"$@\"\n"
                    % (shlex.quote(margin), shlex.quote(margin_log)))
        os.chmod(wrapper, 0o755)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env["MARGIN_TEST_ROOT"] = workspace
        env["MARGIN_TEST_FILE"] = os.path.join(workspace, "src", "greet.py")
        env["MARGIN_TEST_EVENTS_LOG"] = os.path.join(tmp, "emacs-events.log")
        env["MARGIN_TEST_WAIT_MS"] = str(int(min(20, TIMEOUT / 4) * 1000))
        env.pop("DISPLAY", None)
        env["TERM"] = "dumb"

        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=workspace, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        timed_out = False
        try:
            out, _ = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        elapsed = time.monotonic() - start
        # Whatever the editor left running in its session (a server it did
        # not stop) goes too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

        text = out.decode("utf-8", "replace")
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        if timed_out:
            print("FAIL: %s did not finish within %.0f s" % (editor, TIMEOUT))
        elif proc.returncode != 0:
            print("FAIL: %s exited with status %d after %.1f s" % (editor, proc.returncode, elapsed))
        else:
            print("PASS: %s test in %.1f s" % (editor, elapsed))
            return 0
        print("--- margin log (end): %s" % margin_log)
        sys.stdout.write(tail(margin_log))
        log = client_logs(editor, tmp)
        print("--- client log (end): %s" % log)
        sys.stdout.write(tail(log))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
