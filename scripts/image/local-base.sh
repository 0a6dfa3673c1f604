#!/usr/bin/env bash
# Makes a local stand-in for the Dockerfile's public base image (node:24-slim):
# Debian's minimal root from the Debian mirror apt already uses (debootstrap
# --variant=minbase, slimmed as Debian's own -slim images are), Node 24 from
# the npm `node` package (the repository's devDependency put it in
# node_modules) and npm from the npm registry, in /usr/local as the official
# image has them. CI cannot reach an image registry, so it builds our
# Dockerfile on this base (scripts/image/build.sh passes it as NODE_IMAGE).
#
# Idempotent: an image whose label names the same Node, npm and Debian suite is
# kept. Prints the image name on the last line of stdout. Needs root, debootstrap
# and podman (run on the project's container storage by scripts/image/engine.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

SUITE=bookworm
# The npm that Node 24.21.0 bundles (its CHANGELOG: "upgrade npm to 11.19.0" in 24.20.0).
NPM_VERSION=11.19.0
node_bin=node_modules/node/bin/node
[ -x "$node_bin" ] || { echo "local-base: $node_bin missing; run npm ci first" >&2; exit 1; }
NODE_VERSION=$("$node_bin" -p process.versions.node)
case $NODE_VERSION in 24.*) ;; *) echo "local-base: node_modules has Node $NODE_VERSION, not 24" >&2; exit 1 ;; esac
# The mirror apt is configured with here (deb822 or one-line sources), else Debian's CDN.
mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
  sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p; s/^deb \(http[^ ]*\/debian\) .*/\1/p' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

IMAGE=localhost/cwo-node-base:${NODE_VERSION}-${SUITE}
stamp="node=$NODE_VERSION npm=$NPM_VERSION suite=$SUITE"
podman() { bash scripts/image/engine.sh podman "$@"; }
log() { printf '[image-base] %s\n' "$*" >&2; }

if [ "$(podman image inspect --format '{{ index .Labels "dev.coderops.base" }}' "$IMAGE" 2>/dev/null)" = "$stamp" ]; then
  log "$IMAGE: cached ($stamp)"
  echo "$IMAGE"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
log "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase --components=main "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# Slim as Debian's -slim images: no documentation, man pages or translations,
# now and for every package the Dockerfile installs later.
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
rm -rf "$root"/usr/share/{man,info,locale,lintian}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
  "$root"/var/cache/debconf/*-old "$root"/var/log/* "$root"/tmp/*
# The suite's updates and security fixes too, as debian:bookworm-slim has.
cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${mirror%/debian}/debian-security $SUITE-security main
SRC

# Node and npm where the official image puts them.
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null
chroot "$root" /usr/local/bin/npm --version >/dev/null

tar -C "$root" --numeric-owner -c . |
  podman import --quiet \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change "LABEL dev.coderops.base=\"$stamp\"" \
    --change 'CMD ["node"]' \
    - "$IMAGE" >/dev/null
log "$IMAGE made in $(($(date +%s) - start)) s ($stamp; $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
echo "$IMAGE"
