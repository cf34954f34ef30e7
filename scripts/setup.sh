#!/usr/bin/env bash
# Create .venv (if needed) and install exactly the locked stack (requirements.lock: hashed pins of
# clinrules' dependencies and its test tools), then clinrules itself from this checkout, byte-compiled.
# Safe to run repeatedly. Installs no browser: scripts/browser.sh does, for the tests only.
# The interpreter is scripts/python.sh's choice; to move an existing .venv, rm -rf .venv and run this again.
set -euo pipefail
cd "$(dirname "$0")/.."

install() {
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock \
    && .venv/bin/python -m pip install --quiet --no-deps -e .
}

stamp=.venv/.clinrules-installed
if [ ! -x .venv/bin/python ]; then
  chosen="$(bash scripts/python.sh)"
  echo "setup: making .venv from $chosen" >&2
  if "$chosen" -m venv .venv && install; then
    touch "$stamp"
  elif [ -z "${PYTHON:-}" ] && [ "$chosen" != python3 ]; then
    echo "setup: $chosen did not set up; making .venv from python3 instead" >&2
    rm -rf .venv
    python3 -m venv .venv
  else
    exit 1
  fi
fi
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  install
  touch "$stamp"
fi
# As a wheel install does: bytecode for clinrules' own modules, so that no run compiles them again (a run
# under PYTHONDONTWRITEBYTECODE=1 would, every time). Python still recompiles a module edited since.
.venv/bin/python -m compileall -q engine service >/dev/null
