#!/usr/bin/env bash
# Builds (or reuses) the pinned kube-apiserver, kubectl, etcd and helm for the
# e2e tier, and our kstatus probe (test/e2e/kstatus), from the Go module proxy with the plain go client: no container
# engine, no release downloads. Idempotent: a binary whose --version already
# prints the pin is kept. Binaries go to the user's cache, never the repo:
#   ${XDG_CACHE_HOME:-~/.cache}/coder-workspace-operator/test-bin/<name>-<version>/
# Prints the cache directory on the last line of stdout.
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${CWO_TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-workspace-operator/test-bin}
mkdir -p "$cache"

log() { printf '[build-binaries] %s\n' "$*" >&2; }

# One build at a time per cache, even if two test runs start together.
exec 9>"$cache/.lock"
flock 9

# A directory is complete when its binaries are there and its stamp names
# the pinned version (written only after the version check passed).
have() { # have DIR VERSION BINARY...
  local dir=$1 version=$2; shift 2
  [ "$(cat "$dir/.built" 2>/dev/null)" = "$version" ] || return 1
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

# version_has WANT CMD...: CMD's output contains WANT. The output is read
# whole first: `CMD | grep -q` under pipefail fails at random when grep
# exits before CMD has written its last line (SIGPIPE), which aborted cold
# builds without a word.
version_has() {
  local want=$1 out; shift
  out=$("$@" 2>&1) || return 1
  grep -qF -- "$want" <<<"$out"
}

# go's download and build chatter goes to a log, shown only when a step fails.
buildlog="$cache/build.log"
quiet() {
  if ! "$@" >>"$buildlog" 2>&1; then
    log "failed: $*"; tail -n 40 "$buildlog" >&2; return 1
  fi
}

build_kube() {
  local out="$cache/kube-$KUBE_VERSION"
  if have "$out" "$KUBE_VERSION" kube-apiserver kubectl; then
    log "kube-apiserver and kubectl $KUBE_VERSION: cached"; return
  fi
  log "building kube-apiserver and kubectl $KUBE_VERSION (cold: 10-25 min on 2 cores)"
  local work staging minor ldflags
  work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
  staging="v0.${KUBE_VERSION#v1.}"
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  (
    cd "$work"
    go mod init example.invalid/kube-build >/dev/null 2>&1
    # k8s.io/kubernetes requires its staging modules at v0.0.0 via replace
    # directives; map each one to its published version instead.
    kmod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" 2>>"$buildlog" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$kmod"); do
      go mod edit -replace="$m=$m@$staging"
    done
    quiet go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION"
    # Without these the server reports v0.0.0-master as its version.
    ldflags="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    quiet go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$out.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
  )
  version_has "Kubernetes $KUBE_VERSION" "$out.tmp/kube-apiserver" --version
  version_has "$KUBE_VERSION" "$out.tmp/kubectl" version --client
  echo "$KUBE_VERSION" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION"
  if have "$out" "$ETCD_VERSION" etcd; then log "etcd $ETCD_VERSION: cached"; return; fi
  log "building etcd $ETCD_VERSION"
  local work; work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
  (
    cd "$work"
    go mod init example.invalid/etcd-build >/dev/null 2>&1
    quiet go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    quiet go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  version_has "${ETCD_VERSION#v}" "$out.tmp/etcd" --version
  echo "$ETCD_VERSION" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_helm() {
  local out="$cache/helm-$HELM_VERSION"
  if have "$out" "$HELM_VERSION" helm; then log "helm $HELM_VERSION: cached"; return; fi
  log "building helm $HELM_VERSION"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  GOBIN="$out.tmp" quiet go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  # helm prints only major.minor (e.g. v4.2) as its version.
  version_has "${HELM_VERSION%.*}" "$out.tmp/helm" version --short
  echo "$HELM_VERSION" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# Our kstatus probe: its own module (test/e2e/kstatus/go.mod pins cli-utils),
# so the stamp is the hash of its sources and go.sum, not a version.
build_kstatus() {
  local src="$here/../e2e/kstatus" stamp
  stamp=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
  local out="$cache/kstatus-$stamp"
  if have "$out" "$stamp" kstatus; then log "kstatus probe $stamp: cached"; return; fi
  log "building the kstatus probe $stamp (sigs.k8s.io/cli-utils from the module proxy)"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  (cd "$src" && quiet go build -mod=readonly -trimpath -ldflags "-s -w" -o "$out.tmp/kstatus" .)
  # Answers a Workspace that has not observed its generation with InProgress.
  local said
  local probe='{"apiVersion":"coderops.dev/v1alpha1","kind":"Workspace",'
  probe+='"metadata":{"name":"probe","generation":2},"status":{"observedGeneration":1}}'
  said=$(echo "$probe" \
    | "$out.tmp/kstatus")
  grep -q "^probe	InProgress	" <<<"$said"
  echo "$stamp" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
  # control-plane.ts finds it by this name, whatever the stamp.
  ln -sfn "kstatus-$stamp" "$cache/kstatus"
}

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
build_etcd
build_helm
build_kube
build_kstatus
echo "$cache"
