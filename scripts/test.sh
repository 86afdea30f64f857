#!/usr/bin/env bash
# Set up (scripts/setup.sh), build and run margin's whole test suite twice:
# a gcc build with -Werror, and a clang build under AddressSanitizer and
# UndefinedBehaviorSanitizer. Also checks the C formatting. CI runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh

configure() { # dir, then meson options
    local dir="$1"
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

echo "== format (clang-format)"
git ls-files -z -- '*.c' '*.h' | xargs -0 -r clang-format --dry-run -Werror

echo "== gcc, -Werror"
CC=gcc configure build -Dwerror=true
meson compile -C build >/dev/null
meson test -C build --print-errorlogs --num-processes 2 --no-suite vscode
echo "== VS Code (code-server in headless Chromium), once, on the gcc build"
meson test -C build --print-errorlogs --suite vscode --logbase testlog-vscode

echo "== clang, -Werror, AddressSanitizer + UndefinedBehaviorSanitizer"
CC=clang configure build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    MARGIN_SANITIZED=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite vscode

# One closing line over both runs, in the plain form CI reads.
python3 - build/meson-logs/testlog.json build/meson-logs/testlog-vscode.json \
    build-asan/meson-logs/testlog.json <<'PY'
import json, sys
ok = bad = skip = 0
for log in sys.argv[1:]:
    with open(log) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r == "SKIP":
                skip += 1
            else:
                bad += 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
sys.exit(1 if bad else 0)
PY
