// Package fact is the canonical fact: its record type, the one table of its
// columns (from which the Arrow schema, the SQL column list, the key and the
// sort order are derived) and the vocabulary of metrics and units.
package fact
