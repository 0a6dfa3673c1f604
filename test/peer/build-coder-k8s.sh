#!/usr/bin/env bash
# Builds (or reuses) coder-k8s, the peer the benchmark's peer-k8s mode runs
# beside our operator (bench/peer-k8s-mode.ts), from the Go module proxy with
# the plain go client, into the same cache as the tier's other binaries:
#   ${XDG_CACHE_HOME:-~/.cache}/coder-workspace-operator/test-bin/coder-k8s-<v>/coder-k8s
# Not part of .ci/run or npm test: only `npm run bench -- --mode peer-k8s`
# needs it. Idempotent: a directory whose stamp names the version is kept.
# Prints the cache directory on the last line of stdout.
#
# coder-k8s v0.1.0 pins github.com/coder/coder/v2 v2.30.0. Its binary imports
# only codersdk (and what codersdk imports) of Coder, so none of the modules
# the proxy refuses for coderd v2.30.0 (github.com/coder/aibridge,
# github.com/coder/boundary) is in its build graph. The stubs of
# test/coderd/go/stubs are still wired in the way build-coderd.sh wires them,
# for any module the build would ask for: a version that starts to import one
# then builds against the same stub instead of failing on a 403.
set -euo pipefail
export GOTOOLCHAIN=local CGO_ENABLED=0

version=${1:-v0.1.0}
here=$(cd "$(dirname "$0")" && pwd)
stubs="$here/../coderd/go/stubs"
cache=${CWO_TEST_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/coder-workspace-operator/test-bin}
out="$cache/coder-k8s-$version"
mkdir -p "$cache"

log() { printf '[build-coder-k8s] %s\n' "$*" >&2; }

built() { [ "$(cat "$out/.built" 2>/dev/null)" = "$version" ] && [ -x "$out/coder-k8s" ]; }
if built; then log "coder-k8s $version: cached"; echo "$cache"; exit 0; fi

exec 9>"$cache/.coder-k8s-lock"
flock 9
# Again under the lock: another run may have built it while we waited.
if built; then log "coder-k8s $version: cached"; echo "$cache"; exit 0; fi

command -v go >/dev/null || { log "go is not on PATH"; exit 1; }
buildlog="$cache/coder-k8s-build.log"
quiet() {
  if ! "$@" >>"$buildlog" 2>&1; then
    log "failed: $*"; tail -n 40 "$buildlog" >&2; return 1
  fi
}

log "building coder-k8s $version (cold: 7 min on the shared 2-core machine at load 8-12, at nice 10)"
started=$SECONDS
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dir=$(go mod download -json "github.com/coder/coder-k8s@$version" 2>>"$buildlog" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[ -d "$dir" ] || { log "go mod download of coder-k8s $version failed"; tail -n 20 "$buildlog" >&2; exit 1; }
# The module cache is read-only, and -mod=mod rewrites go.mod/go.sum.
cp -r "$dir" "$work/coder-k8s"; chmod -R u+w "$work/coder-k8s"
cd "$work/coder-k8s"
for stub in "$stubs"/*/; do
  module=$(awk '$1 == "module" {print $2; exit}' "$stub/go.mod")
  name=$(basename "$stub")
  mkdir -p "$work/stubs"; cp -r "$stub" "$work/stubs/$name"
  # A replace of a module the build never loads changes nothing.
  go mod edit -replace="$module=$work/stubs/$name"
done
rm -rf "$out.tmp"; mkdir -p "$out.tmp"
# The machine is shared: the compile runs at a lower priority.
GOFLAGS=-mod=mod quiet nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out.tmp/coder-k8s" .
# Its flag set answers -h with the flags it knows (exit 0 or 2 depending on the version).
said=$("$out.tmp/coder-k8s" -h 2>&1 || true)
grep -qF -- '-coder-session-token' <<<"$said" || { log "the binary does not know --coder-session-token:"; echo "$said" >&2; exit 1; }
echo "$version" > "$out.tmp/.built"
rm -rf "$out"; mv "$out.tmp" "$out"
log "coder-k8s $version built in $((SECONDS - started)) s"
echo "$cache"
