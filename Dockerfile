# syntax=docker/dockerfile:1
# One image recipe for every app: `docker build --build-arg APP=order-service --build-arg PORT=3001 .`
# The build stage compiles the whole workspace once (shared by all six images through the layer
# cache); the runtime stage copies only the chosen app, the libs and production dependencies.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.base.json tsconfig.build.json ./
COPY tools/build.mjs tools/build.mjs
COPY apps apps
COPY libs libs
RUN node tools/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund

# The end-to-end suite against the running stack (compose.e2e.yml): full sources, dev dependencies
# and Chromium for the storefront test. With E2E_TARGET set, `npm run test:e2e` starts and builds
# nothing; it runs the files of test/e2e-targets.js that can run against a stack, listing the others.
FROM node:${NODE_VERSION}-slim AS e2e
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY . .
ENV E2E_TARGET=compose \
    CHROMIUM_PATH=/usr/bin/chromium
CMD ["npm", "run", "test:e2e"]

FROM node:${NODE_VERSION}-slim AS runtime
ARG APP
ARG PORT
RUN test -n "${APP}" && test -n "${PORT}" || (echo "build with --build-arg APP=<app> --build-arg PORT=<port>" >&2; exit 1)
ENV NODE_ENV=production \
    APP=${APP} \
    PORT=${PORT} \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist/libs dist/libs
COPY --from=build /app/dist/apps/${APP} dist/apps/${APP}
# The image's files belong to root and are read-only for the app's user.
USER node
EXPOSE ${PORT}
# No curl in the slim image: Node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# runService drains on SIGTERM (readiness off, consumers stopped, outbox flushed) within SHUTDOWN_TIMEOUT_MS.
STOPSIGNAL SIGTERM
# V8's heap budget in MB (libs/testing APP_HEAP_MB): the gateway's deployments set more.
ENV APP_HEAP_MB=160
# exec replaces the shell, so node itself receives SIGTERM.
CMD ["sh", "-c", "exec node --disable-warning=TimeoutNegativeWarning --max-semi-space-size=8 --max-old-space-size=${APP_HEAP_MB} dist/apps/${APP}/src/main.js"]
