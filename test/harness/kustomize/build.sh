#!/usr/bin/env bash
# Builds kustomize once from the Go module proxy (no clones, no other downloads) and caches it outside
# the repo, as kube/build.sh does the test cluster's binaries:
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/kustomize/<version>/kustomize
# Prints that path on stdout (progress and timings go to stderr); returns at once when it is there.
# The tests render jobs/fleet/ with it, as `kubectl apply -k` would.
set -euo pipefail
# v5.8.2: the newest whose go directive (1.26.0) this machine's Go accepts; v5.8.3 wants Go 1.27.
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
out="$cache/kustomize/$KUSTOMIZE_VERSION/kustomize"
if [ -x "$out" ]; then echo "$out"; exit 0; fi
# A test asks where it is without building: it must not start a build of its own.
if [ -n "${KUSTOMIZE_BUILD_CHECK_ONLY:-}" ]; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "kustomize/build.sh: Go is required to build kustomize" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
t=$SECONDS
cd "$work"
go mod init kustomizebuild >/dev/null 2>&1
go get "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
# The release build sets the version from git; without it `kustomize version` says (devel).
go build -trimpath -ldflags="-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION" \
  -o "$out.tmp" sigs.k8s.io/kustomize/kustomize/v5 >&2
mv "$out.tmp" "$out"
echo "kustomize/build.sh: kustomize $KUSTOMIZE_VERSION built in $((SECONDS - t))s" >&2
echo "$out"
