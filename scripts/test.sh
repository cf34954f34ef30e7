#!/usr/bin/env bash
# Set everything up, then run every check: ruff, mypy, and pytest (unit, Gherkin, service, harness).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser.sh
mkdir -p reports
# A missing browser fails the browser test rather than skipping it.
export CLINRULES_REQUIRE_BROWSER=1
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"
exec .venv/bin/pytest --cucumberjson=reports/cucumber.json --junitxml=reports/junit.xml "$@"
