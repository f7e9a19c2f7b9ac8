#!/usr/bin/env bash
# Installs Locust from PyPI into a cached virtualenv (outside the repo), once. Prints the venv's bin
# directory. Used by the Locust-engine integration tests and the load-test benchmark.
set -euo pipefail
LOCUST_VERSION="${LOCUST_VERSION:-2.47.0}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
venv="$cache/venv"
if [ -x "$venv/bin/locust" ] && "$venv/bin/python" -c "import locust, sys; sys.exit(0 if locust.__version__ == '$LOCUST_VERSION' else 1)" 2>/dev/null; then
  echo "$venv/bin"
  exit 0
fi
mkdir -p "$cache"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "locust==$LOCUST_VERSION" >&2
"$venv/bin/locust" --version >&2
echo "$venv/bin"
