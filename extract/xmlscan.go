package extract

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// xmlScanner is a strict, streaming XML tokenizer for the few parts the fast
// sheet reader reads (fast.go). It knows no DTD, CDATA or encodings but
// UTF-8: whatever it does not know, or any document that is not
// well-formed, is errUnsupported, and the sheet goes to excelize, which
// stays the reference for everything out of the ordinary.
type xmlScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool
	stack    []string          // names of the open elements (copies: the buffer moves)
	names    map[string]string // the names seen, so that a push does not allocate
	rootSeen bool
	started  bool    // a byte was read
	pooled   *[]byte // the buffer from scanBufs

	// Scratch for the fast reader: a cell's <v> and <f> text.
	vBuf, fBuf []byte
	// slab holds the cells of the rows read, each row a full slice of it
	// (a row's cells are never moved or reused; a full slab is left to
	// the rows that hold it and a new one begun).
	slab []Cell

	// The current token, valid until the next call of next.
	kind  tokenKind
	name  []byte // start and end: the qualified name
	attrs []byte // start: the attributes, raw
	empty bool   // start: <x/>
	text  []byte // text: raw, entities not yet decoded
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokStart
	tokEnd
	tokText
)

// errUnsupported: the part holds something the fast reader leaves to
// excelize.
var errUnsupported = errors.New("not for the fast reader")

// maxToken bounds one tag or text run held in memory (a shared string is
// limited far below this by inspect).
const maxToken = 32 << 20

func newXMLScanner(r io.Reader) *xmlScanner {
	p := scanBufs.Get().(*[]byte)
	return &xmlScanner{r: r, buf: *p, pooled: p}
}

// scanBufs recycles the scanners' 64 KiB buffers: a workbook's sheets
// would otherwise allocate one per pass.
var scanBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// release returns the buffer; the scanner and its tokens are done.
func (s *xmlScanner) release() {
	if s.pooled != nil {
		scanBufs.Put(s.pooled)
		s.pooled, s.buf = nil, nil
	}
}

// fill reads more input, keeping buf[pos:end]; it grows the buffer when the
// unread part fills it.
func (s *xmlScanner) fill() error {
	if s.eof {
		return io.EOF
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxToken {
			return errUnsupported
		}
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	if !s.started && n > 0 {
		s.started = true
		if bytes.HasPrefix(s.buf[s.end:s.end+n], []byte("\xEF\xBB\xBF")) {
			n = copy(s.buf[s.end:], s.buf[s.end+3:s.end+n]) // a byte order mark
		}
	}
	s.end += n
	if err == io.EOF {
		s.eof = true
		if n == 0 {
			return io.EOF
		}
		return nil
	}
	return err
}

// find returns the index in buf of the first sep at or after from
// (relative to pos), reading more as needed; -1 at the end of input.
func (s *xmlScanner) find(from int, sep []byte) (int, error) {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], sep); i >= 0 {
			return s.pos + from + i, nil
		}
		from = max(0, s.end-s.pos-len(sep)+1)
		if err := s.fill(); err == io.EOF {
			return -1, nil
		} else if err != nil {
			return -1, err
		}
	}
}

// next reads the next token. Comments and processing instructions are
// skipped; a document that ends with elements open is errUnsupported.
func (s *xmlScanner) next() error {
	for {
		if s.pos == s.end {
			if err := s.fill(); err == io.EOF {
				if len(s.stack) > 0 || !s.rootSeen {
					return errUnsupported
				}
				s.kind = tokEOF
				return nil
			} else if err != nil {
				return err
			}
		}
		if s.buf[s.pos] != '<' {
			return s.textToken()
		}
		skipped, err := s.markup()
		if err != nil || !skipped {
			return err
		}
	}
}

// textToken reads the text up to the next '<' (or the end).
func (s *xmlScanner) textToken() error {
	i, err := s.find(0, []byte{'<'})
	if err != nil {
		return err
	}
	if i < 0 {
		i = s.end
	}
	s.kind, s.text = tokText, s.buf[s.pos:i]
	s.pos = i
	if len(s.stack) == 0 && !isSpace(s.text) {
		return errUnsupported // text outside the root
	}
	return nil
}

// markup reads a tag at pos; skipped reports a comment or processing
// instruction, which make no token.
func (s *xmlScanner) markup() (skipped bool, err error) {
	for s.end-s.pos < 9 && !s.eof {
		if err := s.fill(); err != nil && err != io.EOF {
			return false, err
		}
	}
	rest := s.buf[s.pos:s.end]
	switch {
	case bytes.HasPrefix(rest, []byte("<?")):
		return true, s.skipTo(2, "?>", true)
	case bytes.HasPrefix(rest, []byte("<!--")):
		return true, s.skipTo(4, "-->", false)
	case bytes.HasPrefix(rest, []byte("<!")):
		return false, errUnsupported // CDATA, DOCTYPE
	}
	end, err := s.tagEnd()
	if err != nil {
		return false, err
	}
	tag := s.buf[s.pos+1 : end]
	s.pos = end + 1
	if len(tag) > 0 && tag[0] == '/' {
		return false, s.endTag(bytes.TrimRight(tag[1:], " \t\r\n"))
	}
	return false, s.startTag(tag)
}

// skipTo skips past the next sep; a declaration (<?xml) must name no
// encoding but UTF-8, and no version but 1.0 (encoding/xml, which excelize
// reads with, refuses any other, and excelize then gives no rows).
func (s *xmlScanner) skipTo(from int, sep string, decl bool) error {
	i, err := s.find(from, []byte(sep))
	if err != nil {
		return err
	}
	if i < 0 {
		return errUnsupported
	}
	body := s.buf[s.pos:i]
	if decl && bytes.HasPrefix(body, []byte("<?xml")) {
		if e := bytes.Index(body, []byte("encoding")); e >= 0 && !bytes.Contains(bytes.ToLower(body[e:]), []byte("utf-8")) {
			return errUnsupported
		}
		if bytes.Contains(body, []byte("version")) && !bytes.Contains(body, []byte(`version="1.0"`)) && !bytes.Contains(body, []byte(`version='1.0'`)) {
			return errUnsupported
		}
	}
	if _, ok := decodeText(nil, body, false); !ok {
		return errUnsupported
	}
	s.pos = i + len(sep)
	return nil
}

// tagEnd finds the '>' that closes the tag at pos, outside quotes.
func (s *xmlScanner) tagEnd() (int, error) {
	var quote byte
	for i := s.pos + 1; ; i++ {
		if i == s.end {
			off := i - s.pos
			if err := s.fill(); err == io.EOF {
				return -1, errUnsupported
			} else if err != nil {
				return -1, err
			}
			i = s.pos + off
		}
		c := s.buf[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '<' {
				return -1, errUnsupported
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i, nil
		case c == '<':
			return -1, errUnsupported
		}
	}
}

func (s *xmlScanner) startTag(tag []byte) error {
	empty := len(tag) > 0 && tag[len(tag)-1] == '/'
	if empty {
		tag = tag[:len(tag)-1]
	}
	n := nameLen(tag)
	if n == 0 || len(s.stack) == 0 && s.rootSeen {
		return errUnsupported
	}
	name, attrs := tag[:n], tag[n:]
	if !validAttrs(attrs) {
		return errUnsupported
	}
	s.kind, s.name, s.attrs, s.empty = tokStart, name, attrs, empty
	s.rootSeen = true
	if !empty {
		s.stack = append(s.stack, s.intern(name))
	}
	return nil
}

// intern returns name as a string, one copy per distinct name (a few dozen
// in a sheet; past 1,000 it stops remembering).
func (s *xmlScanner) intern(name []byte) string {
	if v, ok := s.names[string(name)]; ok {
		return v
	}
	v := string(name)
	if s.names == nil {
		s.names = map[string]string{}
	}
	if len(s.names) < 1000 {
		s.names[v] = v
	}
	return v
}

func (s *xmlScanner) endTag(name []byte) error {
	if len(s.stack) == 0 || s.stack[len(s.stack)-1] != string(name) {
		return errUnsupported
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.kind, s.name = tokEnd, name
	return nil
}

// nameLen is the length of the ASCII XML name at the start of b (0: none).
func nameLen(b []byte) int {
	for i, c := range b {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':')) {
			return i
		}
	}
	return len(b)
}

// local is a name without its prefix.
func local(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// eachAttr calls fn with each attribute's name and raw value, in order.
// The attributes are known to be valid (validAttrs).
func eachAttr(attrs []byte, fn func(name, value []byte)) {
	for {
		attrs = trimSpace(attrs, " \t\r\n")
		n := nameLen(attrs)
		if n == 0 {
			return
		}
		name := attrs[:n]
		attrs = trimSpace(attrs[n:], " \t\r\n")[1:] // '='
		attrs = trimSpace(attrs, " \t\r\n")
		q := attrs[0]
		end := bytes.IndexByte(attrs[1:], q) + 1
		fn(name, attrs[1:end])
		attrs = attrs[end+1:]
	}
}

// validAttrs checks attribute syntax: whitespace, name, =, a quoted value
// of valid text, and no name twice.
func validAttrs(b []byte) bool {
	var buf [8][]byte
	seen := buf[:0]
	for {
		trimmed := trimSpace(b, " \t\r\n")
		if len(trimmed) == 0 {
			return true
		}
		if len(trimmed) == len(b) {
			return false // no space before the attribute
		}
		b = trimmed
		n := nameLen(b)
		if n == 0 {
			return false
		}
		for _, s := range seen {
			if bytes.Equal(s, b[:n]) {
				return false
			}
		}
		seen = append(seen, b[:n])
		b = trimSpace(b[n:], " \t\r\n")
		if len(b) == 0 || b[0] != '=' {
			return false
		}
		b = trimSpace(b[1:], " \t\r\n")
		if len(b) == 0 || b[0] != '"' && b[0] != '\'' {
			return false
		}
		end := bytes.IndexByte(b[1:], b[0])
		if end < 0 || !validText(b[1:end+1]) {
			return false
		}
		b = b[end+2:]
	}
}

func isSpace(b []byte) bool {
	return len(trimSpace(b, " \t\r\n")) == 0
}

// trimSpace drops leading XML whitespace (the cutset is always " \t\r\n";
// bytes.TrimLeft builds a set for it on every call).
func trimSpace(b []byte, _ string) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// validText reports whether raw text holds only XML characters in valid
// UTF-8, and references that decode.
func validText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '&' {
			_, ok := decodeText(nil, b, true) // builds a copy: only when needed
			return ok
		}
	}
	return true // printable ASCII without references, as most attributes are
}

// decodeText appends raw text to dst with its references decoded (refs)
// and line ends normalised ("\r\n" and "\r" to "\n"), as an XML parser
// does.
func decodeText(dst, b []byte, refs bool) ([]byte, bool) {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '&' && refs:
			r, n := reference(b[i:])
			if n == 0 {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(b) && b[i] == '\n' {
				i++
			}
		case c < 0x80:
			if c < 0x20 && c != '\t' && c != '\n' {
				return dst, false
			}
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 || !xmlChar(r) {
				return dst, false
			}
			dst = append(dst, b[i:i+n]...)
			i += n
		}
	}
	return dst, true
}

// reference decodes the entity or character reference at the start of b
// and returns its length; 0 when it is not one.
func reference(b []byte) (rune, int) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0, 0
	}
	body := string(b[1:end])
	switch body {
	case "amp":
		return '&', end + 1
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	}
	if body[0] != '#' || len(body) < 2 {
		return 0, 0
	}
	base, digits := 10, body[1:]
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	if digits == "" {
		return 0, 0
	}
	var r rune
	for _, d := range digits {
		v := hexVal(d)
		if v < 0 || v >= base || r > 0x10FFFF {
			return 0, 0
		}
		r = r*rune(base) + rune(v)
	}
	if !xmlChar(r) {
		return 0, 0
	}
	return r, end + 1
}

func hexVal(d rune) int {
	switch {
	case d >= '0' && d <= '9':
		return int(d - '0')
	case d >= 'a' && d <= 'f':
		return int(d-'a') + 10
	case d >= 'A' && d <= 'F':
		return int(d-'A') + 10
	}
	return -1
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
