#!/usr/bin/env bash
# Runs podman or buildah (as root) on this project's own container storage:
#   scripts/image/engine.sh podman|buildah ARGS...
# The storage driver is overlay where this kernel lets us mount an overlay
# (layers shared, a container starts in seconds), else vfs (every layer and
# every container a full copy: the same result, many times slower). Each driver
# has a root of its own, so the choice can change without a "database
# configuration mismatch". CWO_STORAGE_DRIVER=vfs|overlay forces one.
set -euo pipefail
tool=${1:?usage: engine.sh podman|buildah ARGS...}
shift
case $tool in podman | buildah) ;; *) echo "engine.sh: $tool is neither podman nor buildah" >&2; exit 2 ;; esac
base=${CWO_CONTAINERS_ROOT:-/var/lib/containers/coder-workspace-operator}
driver=${CWO_STORAGE_DRIVER:-}
if [ -z "$driver" ]; then
  mkdir -p "$base"
  probe=$(mktemp -d "$base/.overlay-probe.XXXXXX")
  mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  driver=vfs
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    driver=overlay
  fi
  rm -rf "$probe"
fi
exec "$tool" --root "$base/$driver" --runroot "/run/coder-workspace-operator-containers/$driver" --storage-driver "$driver" "$@"
