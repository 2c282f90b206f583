#!/usr/bin/env bash
# Debian's chromium for the browser tests (tests/browser): installed with apt-get only when
# /usr/bin/chromium is missing. Playwright's own browser downloads are never used.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

fail() {
    echo "ensure_chromium: $*" >&2
    echo "ensure_chromium: the browser tests need Debian's chromium at $CHROMIUM;" \
        "install it by hand: apt-get update && apt-get install -y --no-install-recommends chromium" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available on this machine"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo to run apt-get with"
    SUDO="sudo -n"
fi

echo "ensure_chromium: $CHROMIUM is missing; installing Debian's chromium..." >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || fail "apt-get update failed"
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
    || fail "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || fail "chromium was installed but $CHROMIUM is still missing"
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
