# syntax=docker/dockerfile:1
# Build: docker build -t marginmix .
# Run:   docker run --rm -v "$PWD/inbox:/data/inbox:ro" -v "$PWD/specs:/data/specs:ro" \
#          -v "$PWD/out:/data/out" marginmix run --inbox /data/inbox --specs /data/specs --out /data/out

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# cgo links DuckDB statically; the duckdb_arrow tag enables its Arrow interface.
RUN CGO_ENABLED=1 go build -tags duckdb_arrow -trimpath \
      -ldflags "-s -w -X github.com/marginmix/marginmix/pipeline.Version=$(git describe --always 2>/dev/null || echo docker)" \
      -o /out/marginmix ./cmd/marginmix

FROM debian:bookworm-slim
# DuckDB needs libstdc++ at run time; nothing is downloaded when marginmix runs.
RUN apt-get update && apt-get install -y --no-install-recommends libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home marginmix \
    && mkdir -p /data/inbox /data/specs /data/out && chown -R marginmix /data
COPY --from=build /out/marginmix /usr/local/bin/marginmix
USER marginmix
WORKDIR /data
VOLUME ["/data/inbox", "/data/out"]
ENTRYPOINT ["marginmix"]
CMD ["run", "--out", "/data/out"]
