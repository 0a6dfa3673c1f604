#!/usr/bin/env bash
# Builds the operator image from our Dockerfile with buildah (no Docker
# engine; scripts/image/engine.sh picks the storage), on the local base of
# scripts/image/local-base.sh, and prints what
# it measured: build time, size on disk, compressed size (the layers gzipped,
# as a registry stores them) and layer count. The image name is the last line
# of stdout. Usage: scripts/image/build.sh [IMAGE] (default localhost/coder-workspace-operator:ci)
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${1:-localhost/coder-workspace-operator:ci}
log() { printf '[image] %s\n' "$*" >&2; }

base=$(bash scripts/image/local-base.sh | tail -n1)
start=$(date +%s)
# Host network: the build's RUN steps reach the npm registry and the Debian mirror as the
# host does. Where the host trusts an extra CA (a TLS-inspecting egress proxy), npm in the
# build trusts it too: the bundle is mounted for the RUN steps only, never copied in.
ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  ca=(--volume "$NODE_EXTRA_CA_CERTS:/run/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt)
fi
bash scripts/image/engine.sh buildah bud --quiet --network host --layers "${ca[@]}" \
  --build-arg "NODE_IMAGE=$base" -t "$IMAGE" -f Dockerfile . >/dev/null
built=$(($(date +%s) - start))

podman() { bash scripts/image/engine.sh podman "$@"; }
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
layers=$(podman image inspect --format '{{len .RootFS.Layers}}' "$IMAGE")
# What a registry would store: the layers gzipped (docker-archive of the image, gzip -6).
gz=$(podman save --format docker-archive "$IMAGE" | gzip -6 | wc -c)
driver=$(podman info --format '{{.Store.GraphDriverName}}')
log "$IMAGE built in ${built} s on $base ($driver storage): $((size / 1000000)) MB on disk, $((gz / 1000000)) MB gzipped, $layers layers"
echo "$IMAGE"
