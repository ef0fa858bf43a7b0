// Package pipeline plans and runs marginmix's stages (extract, transform,
// load, publish) over an inbox of workbooks, and decides what a bad workbook
// does to a run: it is quarantined and the run goes on.
package pipeline
