# Multi-stage: build the single-file bundle, then ship only it on a small Node 24 image,
# running as a non-root user (works with readOnlyRootFilesystem: the bundle writes nothing).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json esbuild.config.mjs ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist/scale.js /src/dist/package.json /app/
USER 65532:65532
ENTRYPOINT ["node", "/app/scale.js"]
CMD ["run"]
