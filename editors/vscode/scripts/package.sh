#!/usr/bin/env bash
# Build margin's VS Code extension and package it as a .vsix.
#
#   editors/vscode/scripts/package.sh [MARGIN_EXE] [OUT.vsix]
#
# With MARGIN_EXE, that binary goes into the package as bin/linux-x64/margin
# (for the machine's architecture), and the .vsix is made for that platform
# only (vsce --target). Without it, the package has no binary and is for any
# platform: margin then comes from margin.path or PATH. OUT defaults to
# editors/vscode/margin-VERSION.vsix.
#
# Installs the npm dependencies into editors/vscode/node_modules with `npm ci`
# when package-lock.json changed since the last install, type-checks with tsc,
# bundles with esbuild and packages in a temporary folder, so the source tree
# gets no out/ or bin/.
set -euo pipefail

ext="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="${1:-}"
version="$(node -p 'require(process.argv[1]).version' "$ext/package.json")"
out="$(realpath -m "${2:-$ext/margin-$version.vsix}")"
say() { printf 'package: %s\n' "$*" >&2; }

if [ -n "$exe" ] && [ ! -x "$exe" ]; then
    say "$exe is not an executable"
    exit 1
fi

# npm ci, once per package-lock.json (and under a lock: two runs may share the tree).
stamp="$ext/node_modules/.margin-lock-sha256"
want="$(sha256sum "$ext/package-lock.json" | cut -d' ' -f1)"
exec 9<"$ext/package-lock.json"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "npm ci in $ext"
    (cd "$ext" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" >"$stamp"
fi
flock -u 9

stage="$(mktemp -d "${TMPDIR:-/tmp}/margin-vscode-package.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
# Type-check, then bundle the extension and vscode-languageclient into one file.
(cd "$ext" && node_modules/.bin/tsc -p .)
"$ext/node_modules/.bin/esbuild" "$ext/src/extension.ts" --bundle --platform=node --target=node18 \
    --format=cjs --external:vscode --outfile="$stage/out/extension.js" --log-level=warning
# vscode-languageclient runs this beside itself to end a server that will not exit.
cp "$ext/node_modules/vscode-languageclient/lib/node/terminateProcess.sh" "$stage/out/"
cp "$ext/package.json" "$ext/.vscodeignore" "$ext/README.md" "$stage/"

target=()
if [ -n "$exe" ]; then
    case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
    esac
    mkdir -p "$stage/bin/linux-$arch"
    cp "$exe" "$stage/bin/linux-$arch/margin"
    chmod 755 "$stage/bin/linux-$arch/margin"
    target=(--target "linux-$arch")
fi
mkdir -p "$(dirname "$out")"
(cd "$stage" && "$ext/node_modules/.bin/vsce" package --no-dependencies --skip-license --allow-missing-repository \
    "${target[@]}" --out "$out" >&2)
say "wrote $out"
