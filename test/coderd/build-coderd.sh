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

# A version already built is found without the lock, so a tier waiting for
# the newest version can start while an older one is still being built.
built() { [ "$(cat "$cache/coderd-$1/.built" 2>/dev/null)" = "$1" ] && [ -x "$cache/coderd-$1/coder" ] && [ -x "$cache/coderd-$1/echotar" ]; }
# echotar is rebuilt alone (seconds, not the server's minutes) when its source changed.
echotar_sum() { cat "$here"/go/echotar/*.go | sha256sum | cut -c1-16; }
echotar_current() { [ "$(cat "$cache/coderd-$1/.echotar" 2>/dev/null)" = "$(echotar_sum)" ]; }
todo=""
for v in $versions; do
  if built "$v" && echotar_current "$v"; then log "coderd $v: cached"; else todo="$todo $v"; fi
done
if [ -z "$todo" ]; then echo "$cache"; exit 0; fi

exec 9>"$cache/.coderd-lock"
flock 9

buildlog="$cache/coderd-build.log"
quiet() {
  if ! "$@" >>"$buildlog" 2>&1; then
    log "failed: $*"; tail -n 40 "$buildlog" >&2; return 1
  fi
}

# Copies the coder module of $1 into $2/coder, with stubs for the modules the
# proxy refuses and our echotar as cmd/cwo-echotar; prints the echotar build tags.
prepare_source() {
  local version=$1 work=$2 dir
  dir=$(go mod download -json "github.com/coder/coder/v2@$version" 2>>"$buildlog" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$dir" ] || { log "go mod download of coder $version failed"; tail -n 20 "$buildlog" >&2; return 1; }
  # The module cache is read-only, and -mod=mod rewrites go.mod/go.sum.
  cp -r "$dir" "$work/coder"; chmod -R u+w "$work/coder"
  (
    cd "$work/coder"
    # Modules the Go module proxy refuses (403) are replaced by stubs of our
    # own, one per module in go/stubs/ (its go.mod names the module, its
    # package comments say why nothing we test needs the real one). A stub is
    # used only by a version that requires its module, at whatever version.
    for stub in "$here"/go/stubs/*/; do
      local module name
      module=$(awk '$1 == "module" {print $2; exit}' "$stub/go.mod")
      awk -v m="$module" '$1 == m || ($1 == "require" && $2 == m) {found = 1} END {exit !found}' go.mod || continue
      name=$(basename "$stub")
      mkdir -p "$work/stubs"; cp -r "$stub" "$work/stubs/$name"
      go mod edit -replace="$module=$work/stubs/$name"
      log "coderd $version: $module replaced by the stub in go/stubs/$name"
    done
    mkdir -p cmd/cwo-echotar; cp "$here"/go/echotar/*.go cmd/cwo-echotar/
    # From v2.30 the provisioner reports parameters in a graph step of its own.
    if grep -q '^type GraphComplete struct' provisionersdk/proto/provisioner.pb.go; then echo cwo_graph; else echo; fi
  )
}

build_echotar() {
  local version=$1 out=$2 work=$3 tags
  tags=$(prepare_source "$version" "$work" | tail -n 1)
  # Built beside and moved in: a tier running meanwhile never sees half a binary.
  (cd "$work/coder" && GOFLAGS=-mod=mod quiet go build -trimpath -tags "$tags" -o "$out/echotar.new" ./cmd/cwo-echotar)
  mv "$out/echotar.new" "$out/echotar"
  echotar_sum > "$out/.echotar"
}

build_one() {
  local version=$1 out="$cache/coderd-$1"
  # Again under the lock: another run may have built it while we waited.
  if built "$version" && echotar_current "$version"; then log "coderd $version: cached"; return; fi
  local started=$SECONDS work
  work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
  if built "$version"; then
    log "coderd $version: rebuilding echotar (its source changed)"
    build_echotar "$version" "$out" "$work"
    log "coderd $version: echotar built in $((SECONDS - started)) s"
    return
  fi
  log "building coderd $version (cold: about 9 CPU-minutes, 2 GB of memory)"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  build_echotar "$version" "$out.tmp" "$work"
  # Without the tag the binary reports v0.0.0-devel and runs in dev mode.
  (cd "$work/coder" && GOFLAGS=-mod=mod quiet go build -trimpath \
    -ldflags "-s -w -X 'github.com/coder/coder/v2/buildinfo.tag=${version#v}'" \
    -o "$out.tmp/coder" ./enterprise/cmd/coder)
  # Read whole first: `| grep -q` under pipefail can fail on SIGPIPE.
  local said; said=$("$out.tmp/coder" --version)
  grep -qF "Coder ${version}" <<<"$said"
  echo "$version" > "$out.tmp/.built"
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "coderd $version built in $((SECONDS - started)) s"
}

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
for v in $todo; do build_one "$v"; done
echo "$cache"
