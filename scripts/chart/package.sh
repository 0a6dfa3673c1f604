#!/usr/bin/env bash
# Packages the Helm chart as a chart repository serves it: the archive
# (helm package) and index.yaml (helm repo index, merged with an index already
# in OUT_DIR, so older versions stay listed). Lints strictly first.
# Usage: scripts/chart/package.sh OUT_DIR [REPOSITORY_URL]
#   HELM=path/to/helm (default: helm on the PATH)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: scripts/chart/package.sh OUT_DIR [REPOSITORY_URL]}
url=${2:-https://coderops.github.io/coder-workspace-operator}
helm=${HELM:-helm}
chart=helm/coder-workspace-operator

mkdir -p "$out"
"$helm" lint --strict "$chart" >/dev/null
"$helm" package "$chart" --destination "$out"
merge=()
[ -f "$out/index.yaml" ] && merge=(--merge "$out/index.yaml")
"$helm" repo index "$out" --url "$url" "${merge[@]}"
echo "$out/index.yaml"
