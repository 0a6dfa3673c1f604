#!/usr/bin/env bash
# Builds (or reuses) the real coderd binaries of the real-coderd tier, one per
# version in versions.env (or the versions given as arguments), from the Go
# module proxy with the plain go client: no release download, no Docker.
#
# Per version it builds, into the same cache as the kube binaries:
#   ${XDG_CACHE_HOME:-~/.cache}/coder-workspace-operator/test-bin/coderd-<v>/
#     coder    the enterprise server/CLI, linked with the release tag so it
#              reports v<version> and does not run in dev mode
#     echotar  our template-archive writer for the echo provisioner, compiled
#              against the same version's provisioner/echo package
# Idempotent: a directory whose stamp names the version is kept. Prints the
# cache directory on the last line of stdout.
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
versions=${*:-$CODERD_VERSIONS}
cache=${CWO_TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-workspace-operator/test-bin}
mkdir -p "$cache"

log() { printf '[build-coderd] %s\n' "$*" >&2; }

exec 9>"$cache/.coderd-lock"
flock 9

buildlog="$cache/coderd-build.log"
quiet() {
  if ! "$@" >>"$buildlog" 2>&1; then
    log "failed: $*"; tail -n 40 "$buildlog" >&2; return 1
  fi
}

build_one() {
  local version=$1 out="$cache/coderd-$1"
  if [ "$(cat "$out/.built" 2>/dev/null)" = "$version" ] && [ -x "$out/coder" ] && [ -x "$out/echotar" ]; then
    log "coderd $version: cached"; return
  fi
  log "building coderd $version (cold: about 20 min on 2 cores)"
  local work dir
  work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
  dir=$(go mod download -json "github.com/coder/coder/v2@$version" 2>>"$buildlog" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$dir" ] || { log "go mod download of coder $version failed"; tail -n 20 "$buildlog" >&2; return 1; }
  # The module cache is read-only, and -mod=mod rewrites go.mod/go.sum.
  cp -r "$dir" "$work/coder"; chmod -R u+w "$work/coder"
  (
    cd "$work/coder"
    # The proxy refuses the pseudo-version of github.com/coder/boundary that
    # v2.27 pins; only an experimental subcommand imports it (see the stub).
    if grep -q 'github.com/coder/boundary ' go.mod; then
      mkdir -p "$work/boundary"; cp -r "$here/go/boundary-stub/." "$work/boundary/"
      serpent=$(awk '$1 == "github.com/coder/serpent" {print $2; exit}' go.mod)
      printf 'module github.com/coder/boundary\n\ngo 1.24\n\nrequire github.com/coder/serpent %s\n' "$serpent" > "$work/boundary/go.mod"
      go mod edit -replace="github.com/coder/boundary=$work/boundary"
    fi
    mkdir -p cmd/cwo-echotar; cp "$here/go/echotar/main.go" cmd/cwo-echotar/main.go
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    # Without the tag the binary reports v0.0.0-devel and runs in dev mode.
    GOFLAGS=-mod=mod quiet go build -trimpath \
      -ldflags "-s -w -X 'github.com/coder/coder/v2/buildinfo.tag=${version#v}'" \
      -o "$out.tmp/coder" ./enterprise/cmd/coder
    GOFLAGS=-mod=mod quiet go build -trimpath -o "$out.tmp/echotar" ./cmd/cwo-echotar
  )
  # Read whole first: `| grep -q` under pipefail can fail on SIGPIPE.
  local said; said=$("$out.tmp/coder" --version)
  grep -qF "Coder ${version}" <<<"$said"
  echo "$version" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
for v in $versions; do build_one "$v"; done
echo "$cache"
