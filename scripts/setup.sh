#!/usr/bin/env bash
# Create .venv (if needed) and install exactly the locked stack (requirements.lock: hashed pins of
# clinrules' dependencies and its test tools), then clinrules itself from this checkout. Safe to run
# repeatedly. Installs no browser: scripts/browser.sh does, for the tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.clinrules-installed
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  touch "$stamp"
fi
