#!/usr/bin/env bash
# Print the interpreter scripts/setup.sh makes .venv from: $PYTHON when set; else the operating system's own
# CPython 3.12 or 3.11, when it can make a venv and has its C headers (durable-rules builds against them);
# else python3 on the PATH. Distributions build CPython with profile-guided and link-time optimisation;
# pyenv and source builds skip both unless asked, and run clinrules about a quarter slower
# (benchmarks/RESULTS.md, "interpreter").
set -euo pipefail
if [ -n "${PYTHON:-}" ]; then
  echo "$PYTHON"
  exit 0
fi
for candidate in /usr/bin/python3.12 /usr/bin/python3.11; do
  if [ -x "$candidate" ] && "$candidate" - 2>/dev/null <<'PY'
import ensurepip, os, sys, sysconfig, venv
assert (3, 11) <= sys.version_info[:2] < (3, 13)
assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))
PY
  then
    echo "$candidate"
    exit 0
  fi
done
echo python3
