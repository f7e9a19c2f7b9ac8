#!/usr/bin/env bash
# Builds the test cluster's binaries once from the Go module proxy (no clones, no other downloads) and
# caches them outside the repo: kube-apiserver, kube-controller-manager and kube-scheduler from one
# k8s.io/kubernetes pin, etcd, and kwok (simulated nodes and pod lifecycles):
#   ${LATENCY_SCALER_CACHE:-~/.cache/latency-scaler}/kube/<k8s version>/bin/
# Prints that bin directory on stdout (progress and timings go to stderr); returns at once when all
# five binaries are there. Needs only Go (>= the go directive of k8s.io/kubernetes, or GOTOOLCHAIN=auto).
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-v1.37.2}"   # newest stable k8s.io/kubernetes on the proxy when pinned
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}" # newest v3.6 patch; Kubernetes 1.37 supports etcd 3.5/3.6
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"  # newest sigs.k8s.io/kwok on the proxy when pinned
cache="${LATENCY_SCALER_CACHE:-$HOME/.cache/latency-scaler}"
bin="$cache/kube/$K8S_VERSION/bin"

# The directory is keyed by the Kubernetes version only, so etcd is checked by its own --version.
etcd_ok() { [ -x "$bin/etcd" ] && "$bin/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${ETCD_VERSION#v}"; }
kwok_ok() { [ -x "$bin/kwok" ] && [ "$(cat "$bin/kwok.version" 2>/dev/null)" = "$KWOK_VERSION" ]; }
KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)
kube_ok() { for b in "${KUBE_BINARIES[@]}"; do [ -x "$bin/$b" ] || return 1; done; }
if kube_ok && etcd_ok && kwok_ok; then echo "$bin"; exit 0; fi
# kube.ts asks where the binaries are without building: a test must not start a 10-minute build.
if [ -n "${KUBE_BUILD_CHECK_ONLY:-}" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: Go is required to build kube-apiserver and etcd" >&2; exit 1; }
mkdir -p "$bin"
# -mod=mod: the throwaway modules have no complete go.sum; go build may add to it.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-trimpath -ldflags='-s -w')

if ! etcd_ok; then
  t=$SECONDS
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init etcdbuild >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  # The server module's root package is etcd's main (the same binary as the release tarball's etcd).
  go build "${flags[@]}" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
  mv "$bin/etcd.tmp" "$bin/etcd"
  echo "build.sh: etcd $ETCD_VERSION built in $((SECONDS - t))s" >&2
fi

if ! kube_ok; then
  t=$SECONDS
  mkdir -p "$work/kube" && cd "$work/kube"
  go mod init kubebuild >/dev/null 2>&1
  # k8s.io/kubernetes is not meant to be a dependency: its go.mod requires the staging modules
  # (k8s.io/api, apimachinery, apiserver, client-go, …) at v0.0.0 and replaces them with ./staging,
  # and replaces only apply in the main module. So this module replaces each one with its published
  # twin: v1.X.Y -> v0.X.Y.
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  staging_version="v0${K8S_VERSION#v1}"
  replaces=()
  while read -r m; do replaces+=(-replace "$m=$m@$staging_version"); done \
    < <(sed -n 's#^\s*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod" | sort -u)
  [ "${#replaces[@]}" -gt 0 ] || { echo "build.sh: no staging replaces found in $gomod" >&2; exit 1; }
  echo "build.sh: replacing $((${#replaces[@]} / 2)) staging modules with $staging_version" >&2
  go mod edit -go="$(sed -n 's/^go //p' "$gomod")" "${replaces[@]}" -require "k8s.io/kubernetes@$K8S_VERSION"
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >&2
  # Without these, /version and --version say v0.0.0-master (the release build sets them from git).
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  v=k8s.io/component-base/version
  ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
  for b in "${KUBE_BINARIES[@]}"; do
    [ -x "$bin/$b" ] && continue
    tb=$SECONDS
    go build -trimpath -ldflags="$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b" >&2
    mv "$bin/$b.tmp" "$bin/$b"
    echo "build.sh: $b $K8S_VERSION built in $((SECONDS - tb))s" >&2
  done
  echo "build.sh: Kubernetes binaries ready in $((SECONDS - t))s" >&2
fi

if ! kwok_ok; then
  t=$SECONDS
  mkdir -p "$work/kwok" && cd "$work/kwok"
  go mod init kwokbuild >/dev/null 2>&1
  go get "sigs.k8s.io/kwok@$KWOK_VERSION" >&2
  go build "${flags[@]}" -o "$bin/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok >&2
  mv "$bin/kwok.tmp" "$bin/kwok"
  echo "$KWOK_VERSION" > "$bin/kwok.version"
  echo "build.sh: kwok $KWOK_VERSION built in $((SECONDS - t))s" >&2
fi
echo "build.sh: done in ${SECONDS}s" >&2
echo "$bin"
