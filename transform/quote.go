package transform

import (
	"strings"

	"github.com/marginmix/marginmix/extract"
)

// unquote drops the text-entry prefix from a row's cells, in place. In
// Excel a leading apostrophe typed into a cell says "keep this as text" and
// is not part of the value (OOXML stores it as the style's quotePrefix);
// some writers store it in the value instead: "'FedEx Corporation",
// "'10-Q", and a lone "'" for an empty cell. Such a cell reads as the text
// after the apostrophe, and a lone apostrophe as no cell at all.
func unquote(r *extract.Row) {
	kept := r.Cells[:0]
	for _, c := range r.Cells {
		if strings.HasPrefix(c.Raw, "'") && !c.Date {
			c.Raw = c.Raw[1:]
			if strings.TrimSpace(c.Raw) == "" {
				continue
			}
		}
		kept = append(kept, c)
	}
	r.Cells = kept
}
