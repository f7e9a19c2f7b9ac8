#!/usr/bin/env bash
# Builds AWS's Lambda Runtime Interface Emulator (the Runtime API a Lambda function's runtime talks to,
# with the function timeout and the invocation endpoint) once from the Go module proxy, and caches it
# outside the repo like the other harness binaries:
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/lambda-rie/<version>/bin/aws-lambda-rie
# Prints that bin directory on stdout; returns at once when the binary is there.
# LAMBDA_RIE_BUILD_CHECK_ONLY=1 only prints the directory (a test never builds).
set -euo pipefail
# The repository has no tags: the proxy serves it at a pseudo-version (its @latest on 2026-12-02).
LAMBDA_RIE_VERSION="${LAMBDA_RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
bin="$cache/lambda-rie/$LAMBDA_RIE_VERSION/bin"

if [ -x "$bin/aws-lambda-rie" ] || [ -n "${LAMBDA_RIE_BUILD_CHECK_ONLY:-}" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "build.sh: Go is required to build the Lambda RIE" >&2; exit 1; }
mkdir -p "$bin"
t=$SECONDS
export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
module="github.com/aws/aws-lambda-runtime-interface-emulator@$LAMBDA_RIE_VERSION"
src=$(go mod download -json "$module" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
[ -d "$src" ] || { echo "build.sh: go mod download gave no directory for the emulator" >&2; exit 1; }
(cd "$src" && go build -trimpath -ldflags="-s -w" -o "$bin/aws-lambda-rie.tmp" ./cmd/aws-lambda-rie) >&2
mv "$bin/aws-lambda-rie.tmp" "$bin/aws-lambda-rie"
echo "build.sh: aws-lambda-rie $LAMBDA_RIE_VERSION built in $((SECONDS - t))s" >&2
echo "$bin"
