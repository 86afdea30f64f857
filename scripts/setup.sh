#!/usr/bin/env bash
# Install what margin needs on a Debian 12 machine and fetch the pinned
# tree-sitter grammars (Python, TOML) into subprojects/. Idempotent; silent when all is there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages ---------------------------------------------------------
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pc() { pkg-config --exists "$1" 2>/dev/null; }

have_cmd meson || need+=(meson)
have_cmd ninja || need+=(ninja-build)
have_cmd pkg-config || need+=(pkg-config)
have_cmd gcc || need+=(gcc)
have_cmd clang || need+=(clang)
have_cmd python3 || need+=(python3)
have_cmd git || need+=(git)
have_cmd clang-format || need+=(clang-format)
# clang's sanitizer runtimes are only a Recommends of clang.
dpkg -s libclang-rt-dev >/dev/null 2>&1 || need+=(libclang-rt-dev)
# npm may come from Debian or from NodeSource's nodejs (which conflicts with Debian's npm).
have_cmd npm || need+=(npm)
# The editors the editor tests drive (tests/editors): Neovim, Emacs with eglot.
have_cmd nvim || need+=(neovim)
have_cmd emacs || need+=(emacs-nox)
dpkg -s elpa-eglot >/dev/null 2>&1 || need+=(elpa-eglot)
# The VS Code test (tests/editors/vscode_run.py): code-server in headless
# Chromium; ripgrep for code-server's search, g++ and make for the native
# modules it builds from npm (node-gyp, against node's own headers).
have_cmd chromium || need+=(chromium)
have_cmd rg || need+=(ripgrep)
have_cmd g++ || need+=(g++)
have_cmd make || need+=(make)
if have_cmd pkg-config; then
    have_pc tree-sitter || need+=(libtree-sitter-dev)
    have_pc jansson || need+=(libjansson-dev)
    have_pc libuv || need+=(libuv1-dev)
    have_pc criterion || need+=(libcriterion-dev)
else
    need+=(libtree-sitter-dev libjansson-dev libuv1-dev libcriterion-dev)
fi

if ((${#need[@]})); then
    say "installing ${need[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the grammars -------------------------------------------------------------
# fetch NAME [FILE...]: the npm package pinned in subprojects/NAME.pin (its
# `package=` line, else NAME itself) at its `version=`, refused unless its
# sha256 matches and its parser.c is ABI 14; the listed files of package/src
# go to subprojects/NAME/src/ and the LICENSE beside them.
fetch() {
    local name="$1"
    shift
    local pin="$root/subprojects/$name.pin"
    local package version sha
    package="$(sed -n 's/^package=//p' "$pin")"
    package="${package:-$name}"
    version="$(sed -n 's/^version=//p' "$pin")"
    sha="$(sed -n 's/^sha256=//p' "$pin")"
    local dest="$root/subprojects/$name"
    local stamp="$dest/.stamp"

    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version $sha" ] && [ -f "$dest/src/parser.c" ]; then
        return 0
    fi

    say "fetching $package@$version"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
    # npm names a scoped package's tarball "scope-name-version.tgz".
    local tgz="$tmp/$(printf '%s' "$package" | sed 's/^@//; s,/,-,')-$version.tgz"
    local got
    got="$(sha256sum "$tgz" | cut -d' ' -f1)"
    if [ "$got" != "$sha" ]; then
        say "$package@$version has sha256 $got, expected $sha: refusing it"
        rm -rf "$tmp"
        exit 1
    fi
    local members=(package/LICENSE)
    for f in "$@"; do members+=("package/src/$f"); done
    tar -xzf "$tgz" -C "$tmp" "${members[@]}"
    local abi
    abi="$(sed -n 's/^#define LANGUAGE_VERSION \([0-9]*\).*/\1/p' "$tmp/package/src/parser.c")"
    if [ "$abi" != 14 ]; then
        say "$package@$version has ABI $abi; Debian's tree-sitter 0.20 needs 14"
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$dest/src"
    mkdir -p "$dest/src"
    for f in "$@"; do cp -r "$tmp/package/src/$f" "$dest/src/"; done
    cp "$tmp/package/LICENSE" "$dest/LICENSE"
    echo "$version $sha" >"$stamp"
    rm -rf "$tmp"
}

fetch tree-sitter-python parser.c scanner.c tree_sitter
fetch tree-sitter-toml parser.c scanner.c tree_sitter
