# syntax=docker/dockerfile:1

# kmm-preflight: the admission webhook server (`serve`, the default command) and the CLI.
#   docker build -t kmm-preflight:latest .
# Nothing secret is baked in: the serving certificate is mounted at /certs at run time
# (manifests/server/deployment.yaml), and .dockerignore keeps certs/ out of the build context.
# `docker run -p 8443:8443 kmm-preflight:latest` with no mounts starts with a generated development
# certificate in /app/certs.

# Node.js major version, the current LTS. Every stage is Debian 12 (bookworm), so whatever npm installs
# in the build stages runs against the same libc in the runtime stage.
ARG NODE_MAJOR=24

# --- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# The runtime stage has no shell to make directories with: the default cert dir (/app/certs) is made here.
RUN mkdir -p /out/certs

# --- prod-deps: production dependencies only, installed afresh rather than pruned ---------------------
FROM node:${NODE_MAJOR}-bookworm-slim AS prod-deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# No production dependency has an install script, so none is allowed to run one.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------------
# Distroless rather than node:24-bookworm-slim: an admission webhook that fails closed should carry as
# little as possible. No shell, no package manager, no npm (nor its CVEs), and a built-in non-root user.
# To debug, attach an ephemeral container: kubectl debug -it <pod> --image=busybox --target=kmm-preflight
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
LABEL org.opencontainers.image.title="kmm-preflight" \
      org.opencontainers.image.description="KMM preflight validation admission webhook" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
# Owned by root and read-only to the server, which can't modify its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The one directory the server may write: `docker run <image>` with no mounts generates a development
# certificate here (CERT_DIR defaults to certs). In a cluster a Secret is mounted instead (at /certs,
# CERT_DIR=/certs, GENERATE_CERTS=false) and the root filesystem is read-only.
COPY --from=build --chown=65532:65532 /out/certs ./certs
# "type": "module" makes dist/**/*.js ES modules.
COPY package.json ./
# Numeric, so the kubelet can verify runAsNonRoot; the same uid as runAsUser in
# manifests/server/deployment.yaml (distroless's "nonroot").
USER 65532:65532
EXPOSE 8443
# Distroless has no `node` on PATH; the binary is /nodejs/bin/node.
ENTRYPOINT ["/nodejs/bin/node", "dist/cli/main.js"]
CMD ["serve"]
