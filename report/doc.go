// Package report summarises a publication for an analyst: a terminal table of the latest quarter and a self-contained HTML page of charts and data-quality findings.
package report
