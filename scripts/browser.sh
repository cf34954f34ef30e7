#!/usr/bin/env bash
# The browser tests (tests/ui/) drive Debian's Chromium; install it when missing (as root, with apt-get).
# The tests never download a browser of their own.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
