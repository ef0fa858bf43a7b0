# duckdb-go's Arrow interface is compiled only with the duckdb_arrow build
# tag; every target here passes it, so nobody has to remember it.
GO       ?= go
TAGS     := duckdb_arrow
GOFLAGS  += -tags=$(TAGS)
export GOFLAGS

.PHONY: run test vet build fuzz bench fixtures clean

## run: build marginmix and run it on the bundled sample workbooks into ./out
run: build
	./marginmix run

## build: compile ./marginmix
build:
	$(GO) build -o marginmix ./cmd/marginmix

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
