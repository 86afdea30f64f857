#!/usr/bin/env bash
# Take the screenshots of docs/editors.md: Neovim and Emacs in tmux on
# tests/editors/screenshot/inventory.py, showing margin's diagnostics and the
# code-action menu, rendered to PNG by ansi2png.py.
#
#   tests/editors/screenshots.sh [MARGIN_EXE] [OUT_DIR]
#
# Defaults: build/server/margin and docs/img. Needs tmux, nvim, emacs with
# eglot, and Pillow for Debian's python3 (apt-get install tmux python3-pil).
# A documentation step, not a test: run it by hand when the editors' look
# changes, and review the PNGs before committing them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
margin="$(realpath "${1:-$root/build/server/margin}")"
out="$(mkdir -p "${2:-$root/docs/img}" && cd "${2:-$root/docs/img}" && pwd)"
cols=100
rows=28

die() {
    printf 'screenshots: %s\n' "$*" >&2
    exit 1
}
[ -x "$margin" ] || die "no margin binary at $margin (build it, or pass its path)"
for cmd in tmux nvim emacs; do
    command -v "$cmd" >/dev/null || die "$cmd is not installed"
done
/usr/bin/python3 -c 'import PIL' 2>/dev/null || die "Pillow is missing: apt-get install python3-pil"

tmp="$(mktemp -d)"
session="margin-shot-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

cp -r "$here/screenshot" "$tmp/shop"
mkdir -p "$tmp/shop/.git" "$tmp/bin" "$tmp/home"
ln -s "$margin" "$tmp/bin/margin"
run_env=(env -i "HOME=$tmp/home" "PATH=$tmp/bin:/usr/bin:/bin" "TERM=tmux-256color"
    "LANG=C.UTF-8" "XDG_CONFIG_HOME=$tmp/home/.config" "XDG_CACHE_HOME=$tmp/home/.cache"
    "XDG_STATE_HOME=$tmp/home/.state" "XDG_DATA_HOME=$tmp/home/.local/share"
    "MARGIN_NVIM_PLUGIN=$root/editors/nvim")

# wait_for TEXT [SECONDS]: until the pane shows TEXT.
wait_for() {
    local deadline=$((SECONDS + ${2:-20}))
    until tmux capture-pane -p -t "$session" | grep -qF -- "$1"; do
        ((SECONDS < deadline)) || {
            tmux capture-pane -p -t "$session" >&2
            die "timed out waiting for '$1'"
        }
        sleep 0.2
    done
}

# shot NAME TITLE: the pane, with its cursor, as OUT/NAME.png.
shot() {
    sleep 0.5 # let the editor finish drawing
    tmux capture-pane -p -e -t "$session" >"$tmp/$1.ans"
    local cursor
    cursor="$(tmux display-message -p -t "$session" '#{cursor_x},#{cursor_y}')"
    /usr/bin/python3 "$here/ansi2png.py" "$tmp/$1.ans" "$out/$1.png" --cols "$cols" \
        --cursor "$cursor" --title "$2"
    printf 'screenshots: %s\n' "$out/$1.png"
}

start() { # command...
    tmux kill-session -t "$session" 2>/dev/null || true
    tmux new-session -d -s "$session" -x "$cols" -y "$rows" -c "$tmp/shop" \
        "$(printf '%q ' "${run_env[@]}" "$@")"
}

nvim_version="$(nvim --version | head -1)"
emacs_version="$(emacs --version | head -1)"

# --- Neovim -----------------------------------------------------------------
start nvim --clean -n -i NONE -u "$here/screenshot/init.lua" inventory.py
wait_for "E722 Do not use bare"
tmux send-keys -t "$session" ':10' Enter '5|'
tmux send-keys -t "$session" ':lua vim.diagnostic.open_float()' Enter
wait_for "margin: D103"
shot nvim-diagnostics "$nvim_version: margin's diagnostics"
tmux send-keys -t "$session" Escape ':5' Enter '8|'
tmux send-keys -t "$session" ':lua vim.lsp.buf.code_action()' Enter
wait_for "Remove unused import"
shot nvim-code-action "$nvim_version: margin's quick fixes (vim.lsp.buf.code_action)"
tmux send-keys -t "$session" '1' Enter
wait_for "import json"
tmux send-keys -t "$session" ':qa!' Enter

# --- Emacs ------------------------------------------------------------------
start emacs -nw -q -L "$root/editors/emacs" -l "$here/screenshot/init.el" inventory.py
wait_for "[eglot:shop]" 30
wait_for "Flymake["
tmux send-keys -t "$session" 'M-x' 'flymake-show-buffer-diagnostics' Enter
wait_for "E722"
# Sort the list by line (the window is not selected: go there and back).
tmux send-keys -t "$session" 'C-x' 'o' 'M-<' 'C-n' 'S' 'C-x' 'o'
shot emacs-diagnostics "$emacs_version, eglot: margin's diagnostics in Flymake"
tmux send-keys -t "$session" 'C-x' '1' 'M-<' 'C-s' 'import os' Enter 'M-b'
tmux send-keys -t "$session" 'M-x' 'eglot-code-actions' Enter
wait_for "Pick an action"
tmux send-keys -t "$session" Tab
wait_for "Ignore F401"
shot emacs-code-action "$emacs_version, eglot: margin's quick fixes (eglot-code-actions)"
tmux send-keys -t "$session" 'C-g' 'C-g' 'C-x' 'C-c'
