# Sanctuary hub image for linux/arm64 (Raspberry Pi 4/5) and linux/amd64.
# Build: docker buildx build --platform linux/arm64,linux/amd64 -t sanctuary-hub .
# Run:   docker run -d --name sanctuary --shm-size=512m -p 8080:8080 -v sanctuary-data:/data sanctuary-hub
# (--shm-size: the rolling buffer, the boot key and the plaintext work folder for cutting clips
#  live in /dev/shm, which Docker makes only 64 MiB by default: see README "Footage encrypted at rest")

FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY plugins/homebridge-sanctuary/package.json plugins/homebridge-sanctuary/
# Scripts are skipped so the optional tfjs-node does not try to download libtensorflow (and
# onnxruntime-node not its GPU provider; its CPU binaries are in the package);
# sqlite3 is then built from source for the target architecture.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild sqlite3
COPY . .
# onnxruntime-node ships every platform's binaries (288 MB): only this one's are kept.
RUN npm run build && npm prune --omit=dev --ignore-scripts \
  && ort=node_modules/onnxruntime-node/bin/napi-v6 \
  && if [ -d "$ort" ]; then \
       rm -rf "$ort/darwin" "$ort/win32" \
       && find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name "$(node -p process.arch)" -exec rm -rf {} +; \
     fi

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --create-home --home-dir /home/sanctuary sanctuary \
  && mkdir -p /data && chown sanctuary:sanctuary /data
ENV NODE_ENV=production \
    SANCTUARY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
USER sanctuary
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/sanctuary.mjs", "start"]
