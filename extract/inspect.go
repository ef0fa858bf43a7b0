package extract

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/richardlehane/mscfb"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Limits bound what one workbook may cost to read. The zero value of a field
// means its default (see DefaultLimits).
type Limits struct {
	MaxFileBytes     int64 // size of the file on disk
	MaxUnzippedBytes int64 // all parts together, uncompressed
	MaxPartBytes     int64 // one part, uncompressed
	MaxParts         int   // number of zip entries
	MaxRatio         int64 // uncompressed/compressed for parts over 1 MiB
	MaxSheets        int   // worksheets in the workbook
	// MaxSharedStrings bounds the shared string table: excelize keeps it
	// in memory, about 100 bytes a string whatever its length (40 million
	// short strings took 4.2 GB).
	MaxSharedStrings int64
}

// DefaultLimits are generous for real investor-relations workbooks and
// analysts' models, and small enough that a hostile file cannot exhaust a
// 2-core, few-GiB worker.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:     256 << 20,
		MaxUnzippedBytes: 2 << 30,
		MaxPartBytes:     1 << 30,
		MaxParts:         20000,
		MaxRatio:         1000,
		MaxSheets:        5000,
		MaxSharedStrings: 2_000_000,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes == 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxUnzippedBytes == 0 {
		l.MaxUnzippedBytes = d.MaxUnzippedBytes
	}
	if l.MaxPartBytes == 0 {
		l.MaxPartBytes = d.MaxPartBytes
	}
	if l.MaxParts == 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxSheets == 0 {
		l.MaxSheets = d.MaxSheets
	}
	if l.MaxSharedStrings == 0 {
		l.MaxSharedStrings = d.MaxSharedStrings
	}
	return l
}

// Merge is a merged cell range, 1-based and inclusive.
type Merge struct {
	Top, Left, Bottom, Right int
}

// SheetInfo describes one worksheet of a workbook.
type SheetInfo struct {
	Name   string
	Hidden bool   // state="hidden" or "veryHidden"
	part   string // the part's name, as partName makes it
	exact  string // and as the relationship names it, for the fast reader
	Merges []Merge
	// Formulas: the sheet holds at least one formula cell.
	Formulas bool
	// MaxCol is the rightmost column the sheet's cells use; merged ranges
	// are filled no further. 0: not known (no bound).
	MaxCol int
}

// pkg is what the integrity pass learns about a workbook package.
type pkg struct {
	sha256   string
	size     int64
	sheets   []SheetInfo
	date1904 bool
	dates    [][]dateRun // date cells of each sheet
	zr       *zip.Reader // over the file inspect was given, for the fast reader
	sst      *zip.File   // the shared strings part, nil without
	kept     map[*zip.File][]byte
}

var (
	zipMagic      = []byte("PK\x03\x04")
	zipEmptyMagic = []byte("PK\x05\x06") // an archive with no entries
	cfbMagic      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// inspect checks the whole file before excelize sees it: its format, every
// zip entry decompressed and checked against its CRC within the limits, and
// the workbook's sheet list, 1904 flag and merged ranges. excelize v2.11.1
// returns partial rows with a nil error for a truncated or bit-flipped sheet,
// so this pass is what makes such damage an error.
func inspect(name string, f *os.File, lim Limits) (*pkg, error) {
	c := &inspection{name: name, f: f, lim: lim}
	p, err := c.hashAndSniff()
	if err != nil {
		return nil, err
	}
	if err := c.openZip(); err != nil {
		return nil, err
	}
	sheets, date1904, err := c.workbook()
	if err != nil {
		return nil, err
	}
	p.dates = make([][]dateRun, len(sheets))
	if err := c.verifyParts(sheets, p.dates); err != nil {
		return nil, err
	}
	p.sheets, p.date1904, p.zr, p.sst = sheets, date1904, c.zr, c.byName["xl/sharedstrings.xml"]
	p.kept = c.kept
	return p, nil
}

// inspection is one pass of inspect over a file.
type inspection struct {
	name   string
	f      *os.File
	lim    Limits
	size   int64
	zr     *zip.Reader
	byName map[string]*zip.File // parts by partName
	// kept holds the bytes of the small sheets and shared strings as
	// verifyParts decompressed them, for the fast reader to read instead of
	// decompressing them again; keptBytes is what was set aside for them,
	// at most maxKept.
	kept      map[*zip.File][]byte
	keptBytes int64
}

// What verifyParts keeps for the fast reader: parts of up to maxKeptPart
// bytes, maxKept a workbook. (A sheet of an earnings supplement is about
// 100 KB; decompressing each sheet twice was 5% of reading one.)
const (
	maxKeptPart = 4 << 20
	maxKept     = 16 << 20
)

// keepBuf collects a part's bytes up to its limit; past it, it keeps none.
type keepBuf struct {
	b     []byte
	limit int
	over  bool
}

func (k *keepBuf) Write(p []byte) (int, error) {
	if !k.over && len(k.b)+len(p) > k.limit {
		k.over, k.b = true, nil
	}
	if !k.over {
		k.b = append(k.b, p...)
	}
	return len(p), nil
}

// keeper is a keepBuf for a part worth keeping, nil otherwise. Its
// declared size counts against maxKept whether or not the part turns out
// to be that size, so that sizes that lie cannot make a workbook allocate
// more than maxKept.
func (c *inspection) keeper(zf *zip.File, wanted bool) *keepBuf {
	size := int64(zf.UncompressedSize64)
	if !wanted || size > maxKeptPart || c.keptBytes+size > maxKept {
		return nil
	}
	c.keptBytes += size
	return &keepBuf{b: make([]byte, 0, size), limit: int(size)}
}

// keep records what a keepBuf collected, when it is the whole part.
func (c *inspection) keep(zf *zip.File, k *keepBuf) {
	if k == nil || k.over || uint64(len(k.b)) != zf.UncompressedSize64 {
		return
	}
	if c.kept == nil {
		c.kept = map[*zip.File][]byte{}
	}
	c.kept[zf] = k.b
}

func (c *inspection) fail(cause error, format string, args ...any) error {
	return &CellError{File: c.name, Err: fmt.Errorf("%w: %s", cause, fmt.Sprintf(format, args...))}
}

// hashAndSniff checks the file's size, hashes it and tells a zip package
// from a compound (legacy or encrypted) file and from anything else.
func (c *inspection) hashAndSniff() (*pkg, error) {
	st, err := c.f.Stat()
	if err != nil {
		return nil, &CellError{File: c.name, Err: err}
	}
	c.size = st.Size()
	if c.size > c.lim.MaxFileBytes {
		return nil, c.fail(ErrTooLarge, "file is %d bytes, limit %d", c.size, c.lim.MaxFileBytes)
	}
	h := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(c.f, 0, c.size), *buf); err != nil {
		return nil, &CellError{File: c.name, Err: fmt.Errorf("read: %w", err)}
	}
	p := &pkg{sha256: hex.EncodeToString(h.Sum(nil)), size: c.size}
	head := make([]byte, 8)
	n, _ := c.f.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, cfbMagic):
		return nil, classifyCompound(c.name, c.f, c.size)
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, zipEmptyMagic):
		return p, nil
	case len(head) == 0:
		return nil, c.fail(ErrCorrupt, "empty file")
	}
	// Say what it looks like, never what it holds: a rejected file may be
	// anything (a link to a secret), and the reason is published.
	return nil, c.fail(ErrFormat, "not a zip package (%s)", looksLike(head))
}

// looksLike names the kind of file a head of bytes suggests, without
// echoing them.
func looksLike(head []byte) string {
	if bytes.HasPrefix(head, []byte("%PDF")) {
		return "it looks like a PDF"
	}
	for _, b := range head {
		if b < 0x09 || (b > 0x0d && b < 0x20) || b == 0x7f {
			return "its first bytes are no zip signature"
		}
	}
	return "it looks like text, such as a CSV file"
}

// openZip reads the zip directory and refuses the packages that are not
// spreadsheets excelize reads (.xlsb, OpenDocument).
func (c *inspection) openZip() error {
	zr, err := zip.NewReader(io.NewSectionReader(c.f, 0, c.size), c.size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return c.fail(ErrCorrupt, "%v", err)
	}
	if len(zr.File) > c.lim.MaxParts {
		return c.fail(ErrTooLarge, "%d zip entries, limit %d", len(zr.File), c.lim.MaxParts)
	}
	c.zr = zr
	// Part names are matched as OPC does: case-insensitively; some writers
	// also use backslashes.
	c.byName = make(map[string]*zip.File, len(zr.File))
	for _, zf := range zr.File {
		c.byName[partName(zf.Name)] = zf
	}
	if _, ok := c.byName["xl/workbook.bin"]; ok {
		return c.fail(ErrFormat, "binary workbook (.xlsb)")
	}
	if mt, ok := c.byName["mimetype"]; ok {
		if b, err := readPart(mt, 256, c.lim); err == nil && bytes.HasPrefix(b, []byte("application/vnd.oasis.opendocument")) {
			return c.fail(ErrFormat, "OpenDocument file (%s)", b)
		}
	}
	return nil
}

// workbook locates the workbook part through the package relationships and
// reads its sheet list and 1904 flag.
func (c *inspection) workbook() ([]SheetInfo, bool, error) {
	wbPath := "xl/workbook.xml"
	if rels, ok := c.byName["_rels/.rels"]; ok {
		b, err := readPart(rels, 16<<20, c.lim)
		if err != nil {
			return nil, false, c.fail(causeOf(err), "_rels/.rels: %v", err)
		}
		if t := officeDocument(b); t != "" {
			wbPath = partName(t)
		}
	}
	wbFile, ok := c.byName[partName(wbPath)]
	if !ok {
		for _, other := range []struct{ part, kind string }{{"word/document.xml", "Word document"}, {"ppt/presentation.xml", "PowerPoint presentation"}} {
			if _, ok := c.byName[other.part]; ok {
				return nil, false, c.fail(ErrFormat, "%s", other.kind)
			}
		}
		return nil, false, c.fail(ErrCorrupt, "no workbook part %s", wbPath)
	}
	wbXML, err := readPart(wbFile, 64<<20, c.lim)
	if err != nil {
		return nil, false, c.fail(causeOf(err), "%s: %v", wbPath, err)
	}
	if bytes.HasPrefix(wbXML, []byte{0xFF, 0xFE}) || bytes.HasPrefix(wbXML, []byte{0xFE, 0xFF}) {
		// Valid OOXML, but excelize reads parts as UTF-8 only.
		return nil, false, c.fail(ErrFormat, "%s is encoded in UTF-16, which the reader does not support", wbPath)
	}
	relsPath := path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels")
	var wbRels []byte
	if rf, ok := c.byName[partName(relsPath)]; ok {
		if wbRels, err = readPart(rf, 64<<20, c.lim); err != nil {
			return nil, false, c.fail(causeOf(err), "%s: %v", relsPath, err)
		}
	}
	sheets, date1904, err := parseWorkbook(wbXML, wbRels, path.Dir(wbPath))
	if err != nil {
		return nil, false, c.fail(ErrCorrupt, "%s: %v", wbPath, err)
	}
	if len(sheets) == 0 {
		return nil, false, c.fail(ErrCorrupt, "%s lists no sheets", wbPath)
	}
	if len(sheets) > c.lim.MaxSheets {
		return nil, false, c.fail(ErrTooLarge, "%d sheets, limit %d", len(sheets), c.lim.MaxSheets)
	}
	return sheets, date1904, nil
}

// dateStyle reads which cell formats show dates, so that the sheets' date
// cells can be noted as they stream past. excelize reads the styles from
// this fixed path. A styles part that cannot be read here (damaged, which
// verifyParts reports, or over 64 MiB, which no spreadsheet program writes)
// or parsed leaves every cell a plain number, as excelize would.
func (c *inspection) dateStyle() []bool {
	sf, ok := c.byName["xl/styles.xml"]
	if !ok {
		return nil
	}
	b, err := readPart(sf, 64<<20, c.lim)
	if err != nil {
		return nil
	}
	dateStyle, _ := dateStyles(b)
	return dateStyle
}

// verifyParts decompresses every entry once, so that a damaged part
// anywhere fails the whole workbook instead of yielding silently truncated
// rows. On the way it notes each sheet's merged ranges, formulas and date
// cells.
func (c *inspection) verifyParts(sheets []SheetInfo, dates [][]dateRun) error {
	partSheet := make(map[string]int, len(sheets))
	for i, s := range sheets {
		partSheet[partName(s.part)] = i
	}
	dateStyle := c.dateStyle()
	var total int64
	for _, zf := range c.zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		name := partName(zf.Name)
		i, isSheet := partSheet[name]
		sc := newPartScanners(name, isSheet, dateStyle)
		kb := c.keeper(zf, isSheet || sc.strings != nil)
		sinks := sc.sinks
		if kb != nil {
			sinks = append(sinks, kb)
		}
		n, err := copyPart(io.MultiWriter(sinks...), zf, c.lim, c.lim.MaxUnzippedBytes-total)
		total += n
		if err != nil {
			return c.fail(causeOf(err), "part %s: %v", zf.Name, err)
		}
		if err := sc.check(c, zf.Name); err != nil {
			return err
		}
		c.keep(zf, kb)
		if sc.merges != nil {
			sc.extent.flush()
			sheets[i].Merges = sc.merges.merges
			sheets[i].Formulas = sc.formulas.found
			sheets[i].MaxCol = sc.extent.bound()
		}
		if sc.dates != nil {
			dates[i] = sc.dates.runs
		}
	}
	return nil
}

// partScanners watch one part's bytes as they are decompressed.
type partScanners struct {
	sinks    []io.Writer
	prolog   *prologScanner
	merges   *mergeScanner   // sheets only
	formulas *formulaScanner // sheets only
	extent   *extentScanner  // sheets only
	dates    *dateScanner    // sheets, when the styles name date formats
	strings  *stringScanner  // the shared strings part
}

func newPartScanners(name string, sheet bool, dateStyle []bool) *partScanners {
	sc := &partScanners{prolog: &prologScanner{}}
	sc.sinks = []io.Writer{sc.prolog}
	if sheet {
		sc.merges, sc.formulas, sc.extent = &mergeScanner{}, &formulaScanner{}, &extentScanner{}
		sc.sinks = append(sc.sinks, sc.merges, sc.formulas, sc.extent)
		if dateStyle != nil {
			sc.dates = &dateScanner{date: dateStyle}
			sc.sinks = append(sc.sinks, sc.dates)
		}
	}
	if strings.HasSuffix(name, "sharedstrings.xml") {
		sc.strings = &stringScanner{}
		sc.sinks = append(sc.sinks, sc.strings)
	}
	return sc
}

// check finishes the scanners and reports what they found wrong.
func (sc *partScanners) check(c *inspection, part string) error {
	if sc.prolog.hasDTD() {
		return c.fail(ErrTooLarge, "part %s declares a DTD (entity expansion is refused)", part)
	}
	if sc.strings != nil {
		sc.strings.flush()
		if sc.strings.longest > maxSharedString {
			return c.fail(ErrTooLarge, "part %s: a shared string of %d bytes, over the %d-byte limit (string amplification)", part, sc.strings.longest, maxSharedString)
		}
		if sc.strings.count > c.lim.MaxSharedStrings {
			return c.fail(ErrTooLarge, "part %s: %d shared strings, over the limit of %d", part, sc.strings.count, c.lim.MaxSharedStrings)
		}
	}
	if sc.merges != nil {
		sc.merges.flush()
		if sc.merges.err != nil {
			return c.fail(ErrCorrupt, "part %s: %v", part, sc.merges.err)
		}
	}
	if sc.dates != nil {
		sc.dates.flush()
		if sc.dates.err != nil {
			return c.fail(ErrTooLarge, "part %s: %v", part, sc.dates.err)
		}
	}
	return nil
}

// errLimit marks a size-limit failure inside copyPart/readPart.
type errLimit struct{ msg string }

func (e errLimit) Error() string { return e.msg }

func causeOf(err error) error {
	var l errLimit
	if errors.As(err, &l) {
		return ErrTooLarge
	}
	return ErrCorrupt
}

// copyPart decompresses one entry into w, enforcing the per-part, total and
// ratio limits on the bytes actually produced (declared sizes can lie).
// budget is what is left of the total limit.
func copyPart(w io.Writer, zf *zip.File, lim Limits, budget int64) (int64, error) {
	max := lim.MaxPartBytes
	if budget < max {
		max = budget
	}
	if zf.UncompressedSize64 > uint64(max) {
		return 0, errLimit{fmt.Sprintf("declares %d bytes uncompressed, limit %d", zf.UncompressedSize64, max)}
	}
	rc, err := zf.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	n, err := io.CopyBuffer(w, io.LimitReader(rc, max+1), *buf)
	if err != nil {
		return n, err
	}
	if n > max {
		return n, errLimit{fmt.Sprintf("expands past %d bytes", max)}
	}
	if n > 1<<20 && zf.CompressedSize64 > 0 && uint64(n)/zf.CompressedSize64 > uint64(lim.MaxRatio) {
		return n, errLimit{fmt.Sprintf("compression ratio %d:1 over limit %d:1", uint64(n)/zf.CompressedSize64, lim.MaxRatio)}
	}
	return n, nil
}

// copyBufs recycles copyPart's buffers: io.Copy allocated 32 KiB for each
// part of each workbook, a quarter of the bytes reading allocated.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func readPart(zf *zip.File, max int64, lim Limits) ([]byte, error) {
	if lim.MaxPartBytes < max {
		max = lim.MaxPartBytes
	}
	var buf bytes.Buffer
	l := lim
	l.MaxPartBytes = max
	if _, err := copyPart(&buf, zf, l, max); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// classifyCompound tells an encrypted OOXML package (a compound file holding
// EncryptionInfo and EncryptedPackage streams) from a legacy .xls or other
// compound document.
func classifyCompound(name string, f *os.File, size int64) error {
	r, err := mscfb.New(io.NewSectionReader(f, 0, size))
	if err != nil {
		return &CellError{File: name, Err: fmt.Errorf("%w: damaged compound file: %v", ErrCorrupt, err)}
	}
	var streams []string
	for e, err := r.Next(); err == nil; e, err = r.Next() {
		switch e.Name {
		case "EncryptionInfo", "EncryptedPackage":
			return &CellError{File: name, Err: ErrEncrypted}
		}
		streams = append(streams, e.Name)
		if len(streams) > 1000 {
			break
		}
	}
	kind := "compound file"
	for _, s := range streams {
		switch s {
		case "Workbook", "Book":
			kind = "legacy Excel 97-2003 workbook (.xls)"
		case "WordDocument":
			kind = "Word document"
		}
	}
	return &CellError{File: name, Err: fmt.Errorf("%w: %s", ErrFormat, kind)}
}

// partName normalises a zip entry or relationship target to an OPC part
// name: no leading slash, forward slashes, lower case.
func partName(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(s, "\\", "/"), "/"))
}

// decodeXML unmarshals a small XML part written in UTF-8, UTF-16 (with a
// byte order mark) or a legacy charset named in its declaration.
func decodeXML(b []byte, v any) error {
	return xmlDecoder(bytes.NewReader(b)).Decode(v)
}

// xmlDecoder reads an XML part written in UTF-8, UTF-16 (with a byte order
// mark) or a legacy charset named in its declaration.
func xmlDecoder(b *bytes.Reader) *xml.Decoder {
	var r io.Reader = b
	var bom [2]byte
	if n, _ := b.ReadAt(bom[:], 0); n == 2 && (bom == [2]byte{0xFF, 0xFE} || bom == [2]byte{0xFE, 0xFF}) {
		r = transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	}
	dec := xml.NewDecoder(r)
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.HasPrefix(strings.ToLower(label), "utf-16") {
			return in, nil // already transcoded above
		}
		return charset.NewReaderLabel(label, in)
	}
	return dec
}

type relationships struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

func officeDocument(b []byte) string {
	var r relationships
	if decodeXML(b, &r) != nil {
		return ""
	}
	for _, rel := range r.Rels {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			return rel.Target
		}
	}
	return ""
}

// parseWorkbook reads the sheet list (name, visibility, part path) and the
// 1904 date flag from workbook.xml and its relationships.
func parseWorkbook(wbXML, relsXML []byte, base string) ([]SheetInfo, bool, error) {
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			RID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
			RIDs  string `xml:"http://purl.oclc.org/ooxml/officeDocument/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodeXML(wbXML, &wb); err != nil {
		return nil, false, err
	}
	var rels relationships
	if len(relsXML) > 0 {
		if err := decodeXML(relsXML, &rels); err != nil {
			return nil, false, fmt.Errorf("relationships: %w", err)
		}
	}
	target := make(map[string]string, len(rels.Rels))
	exact := make(map[string]string, len(rels.Rels))
	for _, r := range rels.Rels {
		t := r.Target
		t = strings.ReplaceAll(t, "\\", "/")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(base, t)
		}
		target[r.ID], exact[r.ID] = partName(t), t
	}
	out := make([]SheetInfo, 0, len(wb.Sheets))
	for _, s := range wb.Sheets {
		id := s.RID
		if id == "" {
			id = s.RIDs
		}
		out = append(out, SheetInfo{
			Name:   s.Name,
			Hidden: s.State == "hidden" || s.State == "veryHidden",
			part:   target[id],
			exact:  exact[id],
		})
	}
	d := strings.ToLower(wb.Pr.Date1904)
	return out, d == "1" || d == "true", nil
}
