# Sagaport's services (orchestrator and workers) in one image, built from the monorepo.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Every workspace manifest and the patches first: `npm ci` installs the whole workspace tree and
# its postinstall (patch-package) applies patches/ (postgres.js, amqplib), cached until they change.
COPY package.json package-lock.json .npmrc turbo.json tsconfig.json vitest.shared.ts ./
COPY rabbitmq/package.json rabbitmq/
COPY db/package.json db/
COPY runtime/package.json runtime/
COPY admin-api/package.json admin-api/
COPY orchestrator/package.json orchestrator/
COPY workers/package.json workers/
COPY admin-ui/package.json admin-ui/
COPY e2e/package.json e2e/
COPY patches patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN TURBO_TELEMETRY_DISABLED=1 npx turbo run build --filter=@sagaport/orchestrator... \
    --filter=@sagaport/workers... --filter=@sagaport/admin-ui \
  && npm prune --omit=dev --no-audit --no-fund

# The runtime image: production dependencies, the built packages, the console and the migrations.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules/
COPY --from=build /app/rabbitmq/package.json /app/rabbitmq/definitions.json rabbitmq/
COPY --from=build /app/rabbitmq/dist rabbitmq/dist/
COPY --from=build /app/db/package.json db/
COPY --from=build /app/db/dist db/dist/
COPY --from=build /app/db/migrations db/migrations/
COPY --from=build /app/runtime/package.json runtime/
COPY --from=build /app/runtime/dist runtime/dist/
COPY --from=build /app/admin-api/package.json admin-api/
COPY --from=build /app/admin-api/dist admin-api/dist/
COPY --from=build /app/orchestrator/package.json orchestrator/
COPY --from=build /app/orchestrator/dist orchestrator/dist/
COPY --from=build /app/workers/package.json workers/
COPY --from=build /app/workers/dist workers/dist/
COPY --from=build /app/admin-ui/package.json admin-ui/
COPY --from=build /app/admin-ui/dist admin-ui/dist/
# The image's `node` user (uid 1000), never root.
USER node
EXPOSE 3000 9464
CMD ["node", "orchestrator/dist/main.js"]
