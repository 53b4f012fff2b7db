# syntax=docker/dockerfile:1
# dockwall as a daemon container: `dockwall watch` in the host's network and PID
# namespaces, as network-go ran (see README, "Running watch as a daemon").
#
#   docker build -t dockwall .
#   docker run -d --name dockwall --restart unless-stopped \
#     --network host --pid host --cap-add NET_ADMIN --cap-add SYS_ADMIN \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /etc/dockwall:/etc/dockwall:ro -v /var/lib/dockwall:/var/lib/dockwall \
#     --mount type=bind,source=/run/xtables.lock,target=/run/xtables.lock \
#     dockwall
#
# At the top of the repository (not in packaging/) because the build context is the
# whole repository and `docker build .` finds it there by convention; the systemd unit
# and the health check script live in packaging/.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript, generate the oclif manifest, keep runtime deps only ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts are optional native helpers of ssh2 (dockerode's
# ssh transport, unused) and protobufjs's version check; skipping them needs no compiler.
# (esbuild, which bundles dist/, ships its binary as an optional dependency: no script needed.)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY commands ./commands
COPY src ./src
COPY packaging/bundle.mjs packaging/prerender-help.mjs ./packaging/
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: node 20 slim + iptables (nft and legacy) + iproute2 + nsenter ----
FROM ${NODE_IMAGE}
# iptables: iptables-{nft,legacy}{,-save,-restore}; iproute2: `ip route` inside containers;
# util-linux: nsenter (already in the base image; listed so it stays).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables iproute2 util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/dockwall /var/lib/dockwall /var/cache/dockwall /run/dockwall
WORKDIR /opt/dockwall
ENV NODE_ENV=production \
    DOCKWALL_CACHE_DIR=/var/cache/dockwall
COPY --from=build /src/package.json /src/package-lock.json /src/oclif.manifest.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY packaging/healthcheck.mjs ./packaging/healthcheck.mjs
RUN ln -s /opt/dockwall/bin/run.js /usr/local/bin/dockwall

# The state must outlive the container: mount /var/lib/dockwall from the host.
VOLUME ["/var/lib/dockwall"]

# Healthy while the last reconciliation succeeded and the loop is alive (the status file
# is rewritten at least once per drift interval).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/opt/dockwall/packaging/healthcheck.mjs", "/run/dockwall/status.json"]

# SIGTERM lets the apply in progress finish, saves the state and exits 0 (no teardown).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dockwall"]
CMD ["watch", "--config", "/etc/dockwall", "--state", "/var/lib/dockwall/dockwall.state.json", "--status-file", "/run/dockwall/status.json"]
