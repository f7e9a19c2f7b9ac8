#!/usr/bin/env bash
# What `npm test` needs beside the npm packages, prepared on first use and cached: Java (DynamoDB
# Local), openssl (test certificates), Chromium (the history picture), the test cluster's binaries
# (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok), the Prometheus Pushgateway,
# Prometheus itself, kustomize and AWS's Lambda Runtime Interface Emulator (all built from the Go module
# proxy), Locust (a venv from PyPI), moto and cfn-lint (another venv from PyPI). System packages come from apt when run as
# root; otherwise a missing one stops here with the one line that installs it. Idempotent and quick
# once everything is there. Cache: ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
say() { printf 'test/prepare.sh: %s\n' "$*" >&2; }

apt_updated=
need() { # need <command> <Debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "missing '$1': install it first (sudo apt-get install -y $2), then run npm test again"
    exit 1
  fi
  say "installing $2 (for '$1') with apt-get"
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || { say "apt-get installed $2 but '$1' is still missing"; exit 1; }
}

need java default-jre-headless
need openssl openssl
need chromium chromium
need go golang-go
need python3 python3
python3 -c 'import venv, ensurepip' 2>/dev/null || need_venv=1
if [ -n "${need_venv:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
    apt-get install -y -qq python3-venv >/dev/null
  else
    say "python3 cannot make a venv: install it first (sudo apt-get install -y python3-venv)"; exit 1
  fi
fi

t=$SECONDS
bash test/harness/kube/build.sh >/dev/null
bash test/harness/pushgateway/build.sh >/dev/null
bash test/harness/prometheus/build.sh >/dev/null
bash test/harness/kustomize/build.sh >/dev/null
bash test/harness/locust/install.sh >/dev/null
bash test/harness/aws/install.sh >/dev/null
bash test/harness/lambda-rie/build.sh >/dev/null
[ $((SECONDS - t)) -lt 2 ] || say "test servers ready in $((SECONDS - t))s (cached for next time)"
