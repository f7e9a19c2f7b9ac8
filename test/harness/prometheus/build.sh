#!/usr/bin/env bash
# Builds Prometheus (the server, cmd/prometheus) once from the Go module proxy — its module at a pinned
# version, no clone, no release tarball — and caches it outside the repo, like the Pushgateway:
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/prometheus/<version>/bin/prometheus
# Prints that bin directory on stdout (progress and timings go to stderr); returns at once when the
# binary is there. PROMETHEUS_BUILD_CHECK_ONLY=1 only prints the directory (a test never builds).
set -euo pipefail
# Prometheus 3.x is published as module versions v0.3xx.y (3.16.0 is v0.316.0, the newest on the proxy).
# The web UI's assets are not built (no builtinassets tag): the tests use the HTTP API only. The
# remove_all_sd tag leaves out every service discovery but static_configs (the Kubernetes, AWS, Azure and
# GCE clients are most of the build's time); the tests scrape a static loopback target.
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
bin="$cache/prometheus/$PROMETHEUS_VERSION/bin"

if [ -x "$bin/prometheus" ] || [ -n "${PROMETHEUS_BUILD_CHECK_ONLY:-}" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "build.sh: Go is required to build Prometheus" >&2; exit 1; }
mkdir -p "$bin"
t=$SECONDS
# The module ships a go.work naming modules its zip leaves out: build with its go.mod alone.
export GOWORK=off CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
module="github.com/prometheus/prometheus@$PROMETHEUS_VERSION"
src=$(go mod download -json "$module" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
[ -d "$src" ] || { echo "build.sh: go mod download gave no directory for Prometheus" >&2; exit 1; }
# Without the version stamp, --version and /api/v1/status/buildinfo say nothing of the release.
v=github.com/prometheus/common/version
ldflags="-s -w -X $v.Version=$(cat "$src/VERSION") -X $v.Branch=HEAD -X $v.BuildUser=latency-scaler-tests"
# The temporary name keeps a half-built binary from passing for a built one.
(cd "$src" && go build -trimpath -tags remove_all_sd -ldflags="$ldflags" -o "$bin/prometheus.tmp" \
  ./cmd/prometheus) >&2
mv "$bin/prometheus.tmp" "$bin/prometheus"
echo "build.sh: prometheus $PROMETHEUS_VERSION built in $((SECONDS - t))s" >&2
echo "$bin"
