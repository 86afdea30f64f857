#!/usr/bin/env bash
# Install code-server 4.100.3 (VS Code 1.100.3 in the browser) from npm into
# a cache folder outside the repository, for tests/editors/vscode_run.py.
#
#   tests/editors/install_code_server.sh CACHE_DIR
#
# Leaves CACHE_DIR/code-server-4.100.3/package/out/node/entry.js and does
# nothing when that install is complete already. Needs node 20, npm, a C++
# toolchain (g++, make) with Node's headers, and Debian's ripgrep.
#
# code-server's own postinstall downloads what this network cannot reach
# (ripgrep from GitHub, prebuilt native modules), so it is done by hand:
#   - npm ci / npm install --ignore-scripts of code-server and of its
#     lib/vscode, from the npm-shrinkwrap.json files they ship;
#   - the native modules the test needs built from source with node-gyp:
#     argon2 (loaded at start-up even with --auth none), @vscode/spdlog (the
#     server's and extension host's logs, so output channels), native-watchdog
#     (the extension host); the others (node-pty for terminals, kerberos for
#     proxy authentication, @vscode/deviceid) are never loaded by the test and
#     stay unbuilt, so libkrb5-dev is not needed;
#   - @vscode/ripgrep's binary: a link to Debian's rg;
#   - the links postinstall.sh makes (node_modules.asar, bin scripts).
# lib/vscode/extensions gets no npm install: it only adds TypeScript for the
# built-in TypeScript extension.
set -euo pipefail

VERSION=4.100.3
SHA256=a85138ac3a382a9ba1df652a751901ec598fed24f673b8a8653de7be8335bfaa

cache="${1:?usage: install_code_server.sh CACHE_DIR}"
dest="$cache/code-server-$VERSION"
stamp="$dest/.installed"
say() { printf 'install_code_server: %s\n' "$*" >&2; }

mkdir -p "$cache"
exec 9>"$cache/.code-server.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION $SHA256" ]; then
    exit 0
fi

rg="$(command -v rg)" || {
    say "ripgrep is missing (apt-get install ripgrep)"
    exit 1
}
# node-gyp compiles against the headers of the running node; Debian's and
# NodeSource's nodejs packages install them under /usr/include/node.
if [ -f /usr/include/node/node.h ]; then
    export npm_config_nodedir=/usr
fi
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

say "installing code-server $VERSION into $dest (once; about a minute)"
work="$cache/.code-server-$VERSION.tmp"
rm -rf "$work" "$dest"
mkdir -p "$work"
(cd "$work" && npm pack --silent "code-server@$VERSION" >/dev/null)
tgz="$work/code-server-$VERSION.tgz"
got="$(sha256sum "$tgz" | cut -d' ' -f1)"
if [ "$got" != "$SHA256" ]; then
    say "code-server-$VERSION.tgz has sha256 $got, expected $SHA256: refusing it"
    exit 1
fi
tar -xzf "$tgz" -C "$work"
rm "$tgz"
pkg="$work/package"

quiet() { # command...: its output only when it fails
    local log
    log="$(mktemp)"
    if ! "$@" >"$log" 2>&1; then
        grep -v 'Unknown user config' "$log" | tail -40 >&2
        rm -f "$log"
        say "failed: $*"
        exit 1
    fi
    rm -f "$log"
}

(cd "$pkg" && quiet npm ci --omit=dev --ignore-scripts)
(cd "$pkg" && quiet npm rebuild argon2 --build-from-source)
# (npm install, as postinstall.sh does: this shrinkwrap is not quite in sync
# with its package.json, which npm ci refuses.)
(cd "$pkg/lib/vscode" && quiet npm install --omit=dev --ignore-scripts --no-save)
(cd "$pkg/lib/vscode" && quiet npm rebuild @vscode/spdlog native-watchdog)
for f in "$pkg/node_modules/argon2/lib/binding/napi-v3/argon2.node" \
    "$pkg/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node" \
    "$pkg/lib/vscode/node_modules/native-watchdog/build/Release/watchdog.node"; do
    [ -f "$f" ] || {
        say "building $f failed"
        exit 1
    }
done

mkdir -p "$pkg/lib/vscode/node_modules/@vscode/ripgrep/bin"
ln -sfn "$rg" "$pkg/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$pkg/lib/vscode/node_modules.asar"
ln -sfn code-linux.sh "$pkg/lib/vscode/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$pkg/lib/vscode/bin/helpers/browser.sh"

mv "$work" "$dest"
echo "$VERSION $SHA256" >"$stamp"
say "done"
