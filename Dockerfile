# Sagaport's services (orchestrator and workers) in one image, built from the monorepo.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc turbo.json tsconfig.json vitest.shared.ts ./
COPY rabbitmq/package.json rabbitmq/
COPY db/package.json db/
COPY runtime/package.json runtime/
COPY orchestrator/package.json orchestrator/
COPY workers/package.json workers/
COPY admin-ui/package.json admin-ui/
COPY e2e/package.json e2e/
# The postinstall step applies these patches (postgres.js) during npm ci.
COPY patches patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN TURBO_TELEMETRY_DISABLED=1 npx turbo run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 3000
CMD ["node", "orchestrator/dist/main.js"]
