# syntax=docker/dockerfile:1
# Build: docker build -t marginmix --build-arg VERSION=$(git describe --always --dirty) .
#
# By default the container is the nightly scheduler (02:00 UTC), with
# /healthz and /metrics on port 9108 and a HEALTHCHECK:
#   docker run -d --name marginmix --stop-timeout 330 -p 127.0.0.1:9108:9108 \
#     -v "$PWD/inbox:/data/inbox:ro" -v "$PWD/specs:/data/specs:ro" -v "$PWD/pub:/data/pub" marginmix
# The output folder is /data/pub/out (on the host: ./pub/out). Mount the folder
# above it, never out/ itself: the next publication is built beside out/ and
# swapped in with one rename, and the writers' lock lives beside it too, so
# both must be on the volume. Without mounts it runs on the bundled samples.
# --stop-timeout covers --grace (5m): docker stop sends SIGTERM, and the run in
# progress may finish before the container exits 0.
#
# A one-shot run (exit status 0, 1, 2 or 3), or a manual run beside the
# scheduler (the lock on the shared volume keeps them from overlapping):
#   docker run --rm -v "$PWD/inbox:/data/inbox:ro" -v "$PWD/specs:/data/specs:ro" \
#     -v "$PWD/pub:/data/pub" marginmix run --inbox /data/inbox --specs /data/specs --out /data/pub/out

# Base images are pinned by digest, so that a build today and one next month
# start from the same bytes; the tag beside each digest says what it is. To
# move to newer images (security fixes), look the digests up and replace them:
#   docker buildx imagetools inspect golang:1.26.4-bookworm
#   docker buildx imagetools inspect debian:bookworm-slim
# Or override them for one build:
#   docker build --build-arg GO_IMAGE=golang:1.26-bookworm --build-arg RUNTIME_IMAGE=debian:bookworm-slim .
ARG GO_IMAGE=golang:1.26.4-bookworm@sha256:5d2b868674b57c9e48cdd39e891acce4196b6926ca6d11e9c270a8f85106203d
ARG RUNTIME_IMAGE=debian:bookworm-slim@sha256:96e378d7e6531ac9a15ad505478fcc2e69f371b10f5cdf87857c4b8188404716

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# cgo links DuckDB statically; the duckdb_arrow tag enables its Arrow interface.
# The version in --version, the manifest and marginmix_build_info: pass it with
#   docker build --build-arg VERSION=$(git describe --always --dirty) .
# (.git is not in the build context; see .dockerignore).
ARG VERSION=docker
RUN CGO_ENABLED=1 go build -tags duckdb_arrow -trimpath \
      -ldflags "-s -w -X github.com/marginmix/marginmix/pipeline.version=${VERSION}" \
      -o /out/marginmix ./cmd/marginmix

FROM ${RUNTIME_IMAGE}
# DuckDB needs libstdc++ at run time; nothing is downloaded when marginmix runs.
# Time zones for --tz are built into the binary.
RUN apt-get update && apt-get install -y --no-install-recommends libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home marginmix \
    && mkdir -p /data/inbox /data/specs /data/pub && chown -R marginmix /data
COPY --from=build /out/marginmix /usr/local/bin/marginmix
# The sample workbooks and their specs, until volumes replace them.
COPY --chown=marginmix fixtures/samples/ /data/inbox/
COPY --chown=marginmix fixtures/specs/ /data/specs/
USER marginmix
WORKDIR /data
VOLUME ["/data/inbox", "/data/pub"]
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["marginmix", "healthcheck", "--url", "http://127.0.0.1:9108/healthz"]
ENTRYPOINT ["marginmix"]
CMD ["schedule", "--cron", "0 2 * * *", "--tz", "UTC", "--listen", "0.0.0.0:9108", "--log-format", "json", \
     "--inbox", "/data/inbox", "--specs", "/data/specs", "--out", "/data/pub/out"]
