#!/usr/bin/env bash
# Builds kube-apiserver and etcd once from the Go module proxy and caches them outside the repo:
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/kube/<k8s>-<etcd>/bin/{kube-apiserver,etcd}
# k8s.io/kubernetes is not meant to be a dependency: its go.mod points the staging modules
# (k8s.io/api, apimachinery, …) at ./staging. A throwaway module replaces each with its published
# v0.X.Y twin, then builds cmd/kube-apiserver. Prints the bin directory.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
bin="$cache/kube/$K8S_VERSION-$ETCD_VERSION/bin"
if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ]; then echo "$bin"; exit 0; fi
# The harness asks where the binaries are without building (a test must not start a 20-minute build).
if [ -n "${KUBE_BUILD_CHECK_ONLY:-}" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "build.sh: Go is required to build kube-apiserver and etcd" >&2; exit 1; }
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

if [ ! -x "$bin/etcd" ]; then
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init etcdbuild >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  go build -trimpath -ldflags='-s -w' -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  mv "$bin/etcd.tmp" "$bin/etcd"
  echo "built etcd $ETCD_VERSION in $((SECONDS - start))s" >&2
fi

if [ ! -x "$bin/kube-apiserver" ]; then
  t=$SECONDS
  mkdir -p "$work/kube" && cd "$work/kube"
  go mod init kubebuild >/dev/null 2>&1
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  staging_version="v0${K8S_VERSION#v1}"
  # Every `k8s.io/x => ./staging/src/k8s.io/x` becomes `k8s.io/x => k8s.io/x v0.Y.Z`.
  grep -oE '^\s*k8s\.io/[a-z0-9-]+(/[a-z0-9-]+)* => \./staging' "$gomod" | awk '{print $1}' | sort -u | while read -r m; do
    go mod edit -replace "$m=$m@$staging_version"
  done
  go mod edit -require "k8s.io/kubernetes@$K8S_VERSION"
  # The main module must also require what kubernetes' go.mod pins, at those versions.
  go mod edit -go="$(sed -n 's/^go //p' "$gomod")"
  cp "$gomod" "$work/kubernetes.go.mod"
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >&2
  go build -trimpath -ldflags='-s -w' -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
  mv "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
  echo "built kube-apiserver $K8S_VERSION in $((SECONDS - t))s" >&2
fi
echo "$bin"
