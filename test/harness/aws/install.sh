#!/usr/bin/env bash
# Installs the AWS side of the harness from PyPI into a cached virtualenv (outside the repo), once:
# moto in server mode (the AWS API emulator the ECS, Auto Scaling and Lambda tests run against) and
# cfn-lint (the SAM template's check). Its own venv, not Locust's: moto's Flask pins must not move
# Locust's. Prints the venv's bin directory.
set -euo pipefail
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
venv="$cache/aws-venv"
installed() {
  "$venv/bin/python" - "$MOTO_VERSION" "$CFN_LINT_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if (version("moto"), version("cfn-lint")) == (sys.argv[1], sys.argv[2]) else 1)
PY
}
if [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/cfn-lint" ] && installed; then
  echo "$venv/bin"
  exit 0
fi
mkdir -p "$cache"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" >&2
"$venv/bin/cfn-lint" --version >&2
echo "$venv/bin"
