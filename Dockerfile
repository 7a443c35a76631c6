# The hitl server (`hitl server`, docs/protocol.md §9) for docker-compose.yml.
FROM node:22-bookworm-slim
RUN corepack enable
WORKDIR /hitl
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build
USER node
ENTRYPOINT ["node", "cli/dist/bin.cjs"]
