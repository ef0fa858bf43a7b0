# duckdb-go's Arrow interface is compiled only with the duckdb_arrow build
# tag; every target here passes it, so nobody has to remember it.
GO       ?= go
# VERSION is stamped into the binary (--version, the manifest, metrics).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TAGS     := duckdb_arrow
GOFLAGS  += -tags=$(TAGS)
export GOFLAGS

.PHONY: run test vet build fuzz bench fixtures clean

## run: build marginmix and run it on the bundled sample workbooks into ./out
run: build
	./marginmix run
	@echo
	@echo "The datasets are in ./out (read from the sample workbooks built into the binary;"
	@echo "they are made from fixtures/samples, so edits there show after 'make build')."
	@echo "Next:"
	@echo "  ./marginmix report --html report.html     # a one-page report; open report.html"
	@echo "  ./marginmix query \"SELECT company, segment, calendar_quarter, operating_margin FROM segment_margins ORDER BY 1, 2, 3\""
	@echo "  ./marginmix run --inbox DIR --specs DIR   # your own workbooks (README, docs/specs.md)"

## build: compile ./marginmix
build:
	$(GO) build -ldflags "-X github.com/marginmix/marginmix/pipeline.version=$(VERSION)" -o marginmix ./cmd/marginmix

## test: the whole test suite (unit, end-to-end, corpus when ../shared/corpus exists)
test:
	$(GO) test ./...

## vet: go vet with the build tag
vet:
	$(GO) vet ./...

## fixtures: regenerate the sample workbooks in fixtures/samples
fixtures:
	$(GO) run ./fixtures/gen

clean:
	rm -rf marginmix out
