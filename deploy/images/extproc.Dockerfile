# syntax=docker/dockerfile:1
# aigw-extproc: the ext_proc sidecar (routing, translation, credentials, token usage).
# Build from the repository root (see docs/images.md):
#   docker build -f deploy/images/extproc.Dockerfile -t aigw-extproc:dev .
# Image contract (docs/webhook.md "Image contract"): the webhook injects this image with no
# `command`, only `args`, so the ENTRYPOINT must run the extproc's dist/bin.js with those args.

# Node and pnpm of the build stage: Node 24 LTS (what scripts/bootstrap.sh installs) and the pnpm
# of package.json "packageManager" (e2e/src/images.test.ts checks that they agree).
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION=10.34.8
RUN npm install --global --no-fund --no-audit pnpm@${PNPM_VERSION}
WORKDIR /src
COPY . .
# The lockfile as committed; build the app and the workspace packages it depends on (tsc only:
# generated code is committed), then `pnpm deploy` it with production dependencies only.
# --legacy: this workspace does not inject workspace packages (pnpm 10's default deploy wants
# inject-workspace-packages=true); the legacy deploy copies each workspace dependency's published
# files (dist/) into the deployed node_modules. It also leaves one link back into the workspace,
# node_modules/.pnpm/node_modules/@aigw/<app> → /src/apps/<app> (the app's own hoisted entry,
# dangling in the runtime stage and never used): removed.
RUN pnpm install --frozen-lockfile
RUN pnpm --filter "@aigw/extproc..." run build
RUN pnpm --filter @aigw/extproc --prod deploy --legacy /out \
  && rm -f /out/node_modules/.pnpm/node_modules/@aigw/extproc

# distroless Node 24: no shell, no package manager; user nonroot = 65532:65532.
FROM ${RUNTIME_IMAGE}
WORKDIR /app
# Owned by root and not writable: the app writes nothing under /app (readOnlyRootFilesystem: true
# works; sockets and caches go to mounted volumes).
COPY --from=build /out /app
ENV NODE_ENV=production
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bin.js"]
