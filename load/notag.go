//go:build !duckdb_arrow

package load

// marginmix uses duckdb-go's Arrow interface, which is compiled only with the
// build tag duckdb_arrow. Build and test through the Makefile (make run, make
// test) or pass -tags duckdb_arrow to go build, go test and go vet.
var _ = build_with_tags_duckdb_arrow__see_Makefile
