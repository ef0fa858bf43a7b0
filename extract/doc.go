// Package extract reads cells out of .xlsx workbooks as a stream, after
// checking that the file is an intact, unencrypted zip package within size
// limits, and reports every problem with the file, sheet and cell it concerns.
package extract
