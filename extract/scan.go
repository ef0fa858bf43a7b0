package extract

import "bytes"

// maxSharedString bounds one shared string item. Excel's own limit is 32,767
// characters a cell; a far longer item referenced from many cells is a string
// amplification attack.
const maxSharedString = 256 << 10

// prologScanner keeps the start of a part to look for a document type
// declaration. OOXML never uses DTDs; one in a part can only serve entity
// expansion ("billion laughs") or external entities.
type prologScanner struct {
	head []byte
}

const prologBytes = 4096

func (p *prologScanner) Write(b []byte) (int, error) {
	if room := prologBytes - len(p.head); room > 0 {
		p.head = append(p.head, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

func (p *prologScanner) hasDTD() bool {
	h := bytes.ToUpper(bytes.ReplaceAll(p.head, []byte{0}, nil)) // UTF-16 as well
	return bytes.Contains(h, []byte("<!DOCTYPE")) || bytes.Contains(h, []byte("<!ENTITY"))
}

// stringScanner measures the longest <si> item of a shared strings part as
// it streams past.
type stringScanner struct {
	in      bool  // inside an <si> item
	cur     int64 // bytes of the current item so far
	longest int64
	carry   []byte
}

var (
	siOpen  = []byte("<si>")
	siClose = []byte("</si>")
)

func (s *stringScanner) Write(p []byte) (int, error) {
	b := append(s.carry, p...)
	i := 0
	for {
		if !s.in {
			j := bytes.Index(b[i:], siOpen)
			if j < 0 {
				// Keep what could be the start of a split "<si>".
				i = max(i, len(b)-(len(siOpen)-1))
				break
			}
			s.in, s.cur = true, 0
			i += j + len(siOpen)
			continue
		}
		j := bytes.Index(b[i:], siClose)
		if j < 0 {
			// Count all but what could be the start of a split "</si>".
			if n := len(b) - i - (len(siClose) - 1); n > 0 {
				s.cur += int64(n)
				i += n
			}
			break
		}
		s.cur += int64(j)
		s.longest = max(s.longest, s.cur)
		s.in = false
		i += j + len(siClose)
	}
	s.carry = append(s.carry[:0:0], b[i:]...)
	return len(p), nil
}

func (s *stringScanner) flush() {
	if s.in {
		s.longest = max(s.longest, s.cur+int64(len(s.carry)))
	}
}

// formulaScanner notes whether a worksheet part holds any formula, so that a
// blank cell of a sheet without formulas never costs a formula lookup.
type formulaScanner struct {
	found bool
	carry []byte
}

var formulaTags = [][]byte{[]byte("<f>"), []byte("<f "), []byte("<f/"), []byte(":f>"), []byte(":f "), []byte(":f/")}

func (f *formulaScanner) Write(p []byte) (int, error) {
	if f.found {
		return len(p), nil
	}
	b := append(f.carry, p...)
	for _, t := range formulaTags {
		if bytes.Contains(b, t) {
			f.found = true
			return len(p), nil
		}
	}
	f.carry = append(f.carry[:0:0], b[max(0, len(b)-2):]...)
	return len(p), nil
}
