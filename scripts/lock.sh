#!/usr/bin/env bash
# Re-resolve requirements.lock (hashed pins of clinrules and its dev tools) from pyproject.toml.
# Pins already in the lock are kept unless pyproject.toml rules them out; pass --upgrade to move everything
# to the newest allowed versions, or --upgrade-package NAME for one. Review the diff, run the tests, commit.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
  --generate-hashes --custom-compile-command "bash scripts/lock.sh" -o requirements.lock "$@"
