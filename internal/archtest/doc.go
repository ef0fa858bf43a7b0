// Package archtest holds the test that keeps the packages' imports pointing
// downstream, as docs/architecture.md draws them.
package archtest
