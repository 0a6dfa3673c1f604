# syntax=docker/dockerfile:1
# coder-workspace-operator image: `docker build -t ghcr.io/coderops/coder-workspace-operator:0.1.0 .`
# Runs `node dist/cli/main.js run` as the non-root user 65532.

# The base, pinned by digest so a rebuild gets the same Node and Debian. Any
# image with Debian's apt and Node 24 + npm in /usr/local fits: CI, which
# reaches no image registry, passes --build-arg NODE_IMAGE=<a base it made from
# Debian's packages and the npm `node` package> (scripts/image/local-base.sh).
# The digest is the multi-platform index of node:24-slim; refresh it deliberately
# (`docker buildx imagetools inspect node:24-slim`, or `crane digest node:24-slim`).
ARG NODE_IMAGE=docker.io/library/node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

# ---- build: compile TypeScript, then drop devDependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# Behind a TLS-inspecting proxy: --build-arg NODE_EXTRA_CA_CERTS=<path of a CA bundle
# mounted into the build> lets npm trust it. A build argument of this stage only: it
# is not in the runtime image.
ARG NODE_EXTRA_CA_CERTS
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script in the tree is the `node` devDependency's,
# which downloads a second Node 24 for machines whose system Node is older. This image
# already is Node 24, so skip it; the rm makes sure no node_modules/.bin/node shadows the
# image's node on the PATH of npm scripts, so `npm run build` runs tsc on Node 24 itself.
RUN npm ci --ignore-scripts \
 && rm -f node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Type declarations and source maps are for editors and debuggers, not for node: 51 MB
# of the production node_modules (34 MB .d.ts, 17 MB .map, mostly @kubernetes/client-node).
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete \
 && test -f dist/cli/main.js \
 && test ! -e dist/coder-sim \
 && test ! -e node_modules/node \
 && test ! -e node_modules/typescript

# ---- runtime: dist/ + production node_modules + package.json only ----
FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="coder-workspace-operator" \
      org.opencontainers.image.description="Declarative management of Coder workspaces: Kubernetes operator and GitOps CLI" \
      org.opencontainers.image.source="https://github.com/coderops/coder-workspace-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
ENV NODE_ENV=production
# glibc makes a malloc arena per thread that allocates, and returns little of
# it; with two, the operator's peak RSS at 10,000 Workspaces fell 375 -> 302 MB
# (npm run bench, which applies this image's ENV lines too).
ENV MALLOC_ARENA_MAX=2
# Fixed thresholds (setting them turns off glibc's sliding mmap threshold, which
# climbs to 32 MB after the first large free): a block over 128 KB, such as a
# list page's body, is mapped on its own and unmapped when freed, and free
# space at the top of the heap goes back to the system. Measured during a cold
# adopt of 10,000 Workspaces: the brk heap 73-101 MB -> 25 MB, RSS at the same
# progress 304 -> 246 MB (docs/performance.md).
ENV MALLOC_TRIM_THRESHOLD_=131072
ENV MALLOC_MMAP_THRESHOLD_=131072
# `sync` follows git repositories with the real git client (https and ssh).
# `apt-get clean` too: a base without Debian's docker-clean hook would keep the .debs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log
WORKDIR /app
# Owned by root and not writable by the runtime user; the Pod mounts an emptyDir at /tmp
# and runs with a read-only root filesystem.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
# A young generation of 4 MB semi-spaces instead of V8's default (sized from
# the host's memory): V8 otherwise keeps ~200 MB of heap committed after the
# allocation bursts of a cold adopt. Measured by `npm run bench` (which reads
# these flags from this line): operator peak RSS at 1,000 Workspaces 286 -> 199 MB,
# at no cost in CPU. --optimize-for-size makes V8 grow its old generation in
# smaller steps, so the heap it keeps committed stays near what is in use
# (60 MB committed for 57 MB live, where it kept 146 for 75). See docs/performance.md.
ENTRYPOINT ["node", "--max-semi-space-size=4", "--optimize-for-size", "dist/cli/main.js"]
CMD ["run"]
