#!/usr/bin/env bash
# Set everything up, then run the service on its embedded defaults (http://127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/clinrules serve "$@"
