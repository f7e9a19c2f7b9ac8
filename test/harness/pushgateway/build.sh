#!/usr/bin/env bash
# Builds the Prometheus Pushgateway once from the Go module proxy (its module at a pinned version: no
# clone, no release tarball) and caches it outside the repo, like the test cluster's binaries:
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/pushgateway/<version>/bin/pushgateway
# Prints that bin directory on stdout (progress and timings go to stderr); returns at once when the
# binary is there. PUSHGATEWAY_BUILD_CHECK_ONLY=1 only prints the directory (a test never builds).
set -euo pipefail
# v1.11.3 is the newest tag (go 1.25 in its go.mod). The module proxy serves it, but answers 403 to the
# module's version list, which `go install module@version` reads (for deprecations) and then fails on.
# So the module is downloaded at that exact version and built in place, with its own go.mod and go.sum.
PUSHGATEWAY_VERSION="${PUSHGATEWAY_VERSION:-v1.11.3}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
bin="$cache/pushgateway/$PUSHGATEWAY_VERSION/bin"

if [ -x "$bin/pushgateway" ] || [ -n "${PUSHGATEWAY_BUILD_CHECK_ONLY:-}" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "build.sh: Go is required to build the Pushgateway" >&2; exit 1; }
mkdir -p "$bin"
t=$SECONDS
export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
module="github.com/prometheus/pushgateway@$PUSHGATEWAY_VERSION"
src=$(go mod download -json "$module" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
[ -d "$src" ] || { echo "build.sh: go mod download gave no directory for the Pushgateway" >&2; exit 1; }
# Without the version stamp, --version and /api/v1/status say nothing of the release.
v=github.com/prometheus/common/version
ldflags="-s -w -X $v.Version=${PUSHGATEWAY_VERSION#v} -X $v.Branch=HEAD -X $v.BuildUser=latency-scaler-tests"
# The temporary name keeps a half-built binary from passing for a built one.
(cd "$src" && go build -trimpath -ldflags="$ldflags" -o "$bin/pushgateway.tmp" .) >&2
mv "$bin/pushgateway.tmp" "$bin/pushgateway"
echo "build.sh: pushgateway $PUSHGATEWAY_VERSION built in $((SECONDS - t))s" >&2
echo "$bin"
