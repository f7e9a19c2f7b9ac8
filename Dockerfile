# Multi-stage: build the single-file bundle, then ship only it on a small Node 24 image,
# running as a non-root user (works with readOnlyRootFilesystem: the bundle writes nothing).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json esbuild.config.mjs ./
COPY src ./src
RUN npm run build

# The same program with Locust beside it, for a locustfile (loadTest.locust.locustfile, LPA's
# locustFilePath): docker build --target locust -t latency-scaler:0.1.0-locust .
# Read-only root filesystem friendly: Locust's statistics go to /tmp (the CronJob's emptyDir).
FROM node:24-bookworm-slim AS locust
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.compile-cache \
    NODE_COMPILE_CACHE_PORTABLE=1 \
    NODE_OPTIONS=--max-semi-space-size=16 \
    PATH=/opt/locust/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/locust && /opt/locust/bin/pip install --no-cache-dir locust==2.47.0
WORKDIR /app
COPY --from=build /src/dist/scale.js /src/dist/package.json /app/
RUN mkdir /app/.compile-cache && chown 65532:65532 /app/.compile-cache
USER 65532:65532
RUN node /app/scale.js --version && node --input-type=module -e "await import('/app/scale.js')" && locust --version
ENTRYPOINT ["node", "/app/scale.js"]
CMD ["run"]

# The default image: Node only.
FROM node:24-bookworm-slim
# NODE_COMPILE_CACHE: the V8 code cache of the 3 MB bundle, so a cold start does not compile it.
# NODE_OPTIONS: a young generation of at most 3 × 16 MB; V8's default lets it grow to 3 × 32 MB under a
# 1,000-user load test (README, Performance: the figures and the CPU cost).
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.compile-cache \
    NODE_COMPILE_CACHE_PORTABLE=1 \
    NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY --from=build /src/dist/scale.js /src/dist/package.json /app/
RUN mkdir /app/.compile-cache && chown 65532:65532 /app/.compile-cache
USER 65532:65532
# Written now, by this image's Node, as the user that runs it: Node keys the cache by its version and
# the user id. At run time a read-only root filesystem only reads it (test/integration/cli.test.ts).
RUN node /app/scale.js --version && node --input-type=module -e "await import('/app/scale.js')"
ENTRYPOINT ["node", "/app/scale.js"]
CMD ["run"]
