#!/usr/bin/env bash
# Install what margin needs on a Debian 12 machine and fetch the pinned
# tree-sitter-python grammar into subprojects/. Idempotent; silent when all is there.
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

# --- the grammar ------------------------------------------------------------
pin="$root/subprojects/tree-sitter-python.pin"
version="$(sed -n 's/^version=//p' "$pin")"
sha="$(sed -n 's/^sha256=//p' "$pin")"
dest="$root/subprojects/tree-sitter-python"
stamp="$dest/.stamp"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version $sha" ] && [ -f "$dest/src/parser.c" ]; then
    exit 0
fi

say "fetching tree-sitter-python@$version"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "tree-sitter-python@$version" >/dev/null)
tgz="$tmp/tree-sitter-python-$version.tgz"
got="$(sha256sum "$tgz" | cut -d' ' -f1)"
if [ "$got" != "$sha" ]; then
    say "tree-sitter-python-$version.tgz has sha256 $got, expected $sha: refusing it"
    exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/LICENSE package/src/parser.c package/src/scanner.c \
    package/src/tree_sitter
abi="$(sed -n 's/^#define LANGUAGE_VERSION \([0-9]*\).*/\1/p' "$tmp/package/src/parser.c")"
if [ "$abi" != 14 ]; then
    say "tree-sitter-python@$version has ABI $abi; Debian's tree-sitter 0.20 needs 14"
    exit 1
fi
rm -rf "$dest/src"
mkdir -p "$dest/src"
cp -r "$tmp/package/src/parser.c" "$tmp/package/src/scanner.c" "$tmp/package/src/tree_sitter" \
    "$dest/src/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "$version $sha" >"$stamp"
