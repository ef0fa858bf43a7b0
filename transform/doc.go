// Package transform turns streamed worksheet rows into canonical facts
// (company, segment, metric, quarter, value in base units, unit, lineage) as
// Arrow records, by recognising period headers, section and segment rows,
// scale captions and the metric and segment dictionaries.
package transform
