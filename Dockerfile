# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, run with production dependencies only, as a non-root user.
# The base image is pinned to the exact Node release CI runs (package.json engines: >=20).

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/var/lib/modelgate \
    PORT=3000
WORKDIR /app
RUN groupadd --system modelgate && useradd --system --gid modelgate --home-dir /app modelgate \
 && mkdir -p /var/lib/modelgate && chown modelgate:modelgate /var/lib/modelgate
COPY --from=build --chown=modelgate:modelgate /app/node_modules ./node_modules
COPY --from=build --chown=modelgate:modelgate /app/dist ./dist
COPY --from=build --chown=modelgate:modelgate /app/package.json ./package.json
# `npm run cli -- create-user …` inside the container (runs the built dist/scripts/cli.js).
COPY --from=build --chown=modelgate:modelgate /app/scripts/launch.mjs ./scripts/launch.mjs
USER modelgate
EXPOSE 3000
VOLUME ["/var/lib/modelgate"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# The worker image is the same; compose/k8s run it with: node dist/apps/worker/src/main
CMD ["node", "dist/apps/api/src/main"]
