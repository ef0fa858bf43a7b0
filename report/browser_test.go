//go:build duckdb_arrow

package report_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marginmix/marginmix/load"
	"github.com/marginmix/marginmix/pipeline"
	"github.com/marginmix/marginmix/report"
)

// chromium finds Debian's chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: install Debian's chromium package (apt-get install chromium) to open the HTML report in a browser; .ci/run installs it in CI")
	return ""
}

// samplesReport publishes the bundled samples and writes their HTML report,
// narrowed to focus.
func samplesReport(t *testing.T, focus report.Focus) string {
	t.Helper()
	ctx := context.Background()
	cfg := pipeline.Default()
	cfg.Out = filepath.Join(t.TempDir(), "out")
	if _, err := pipeline.Run(ctx, cfg, nil); err != nil {
		t.Fatal(err)
	}
	var d *report.Data
	err := load.Read(ctx, cfg.Out, load.ReaderOptions{}, func(r *load.Reader) error {
		q := func(ctx context.Context, query string) ([]map[string]any, error) {
			tb, err := r.Query(ctx, query)
			if err != nil {
				return nil, err
			}
			return tb.Maps(), nil
		}
		var err error
		d, err = report.Load(ctx, q, report.Source{Out: cfg.Out, RunID: r.Manifest.RunID, Published: r.Manifest.FinishedAt}, focus)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("report.html: %d bytes", b.Len())
	return page
}

// cdp is a minimal Chrome DevTools Protocol client over --remote-debugging-pipe
// (JSON messages separated by NUL on file descriptors 3 and 4), so the test
// needs no WebSocket library.
type cdp struct {
	w      *os.File
	mu     sync.Mutex
	nextID int
	wait   map[int]chan message
	events []message
	loaded chan struct{}
	err    error
}

type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func (c *cdp) read(r *os.File) {
	br := bufio.NewReader(r)
	for {
		b, err := br.ReadBytes(0)
		if err != nil {
			c.mu.Lock()
			c.err = err
			for _, ch := range c.wait {
				close(ch)
			}
			c.wait = map[int]chan message{}
			c.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
			continue
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch, ok := c.wait[m.ID]; ok {
				ch <- m
				delete(c.wait, m.ID)
			}
		} else {
			c.events = append(c.events, m)
			if m.Method == "Page.loadEventFired" {
				select {
				case <-c.loaded:
				default:
					close(c.loaded)
				}
			}
		}
		c.mu.Unlock()
	}
}

func (c *cdp) call(ctx context.Context, session, method string, params any, result any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan message, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: browser closed the pipe: %v", method, c.err)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// chartCheck is what the page's script reports about each chart.
type chartCheck struct {
	ID     string  `json:"id"`
	SVGs   int     `json:"svgs"`
	Drawn  int     `json:"drawn"` // path, line, rect, polygon, circle and text elements
	Texts  int     `json:"texts"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// pageCheck is what the page's script reports after layout.
type pageCheck struct {
	Title        string       `json:"title"`
	Charts       []chartCheck `json:"charts"`
	DQRows       int          `json:"dqRows"`
	SummaryRows  int          `json:"summaryRows"`
	Scripts      int          `json:"scripts"`
	Headlines    []string     `json:"headlines"`
	Links        int          `json:"links"`
	BrokenLinks  []string     `json:"brokenLinks"`
	NM           []string     `json:"nm"` // the titles of the n/m cells
	ViewWidth    float64      `json:"viewWidth"`
	ScrollWidth  float64      `json:"scrollWidth"`
	Clipped      []string     `json:"clipped"` // tables or cells beyond the page or their box
	HasTerms     bool         `json:"hasTerms"`
	SmallestFont float64      `json:"smallestFont"` // px, of any text in a table or the headline
}

// The page measured after layout. A table is clipped when it reaches past
// the page's width, a cell when its content is wider than the cell.
const inspect = `JSON.stringify((() => {
  const vw = document.documentElement.clientWidth;
  const clipped = [];
  document.querySelectorAll('table').forEach(tb => {
    const r = tb.getBoundingClientRect();
    if (r.right > vw + 0.5 || r.left < -0.5) clipped.push('table ' + (tb.id || tb.className) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    tb.querySelectorAll('td, th').forEach(c => {
      if (c.scrollWidth > c.clientWidth + 1) clipped.push('cell ' + c.textContent.slice(0, 40) + ' ' + c.scrollWidth + '>' + c.clientWidth);
    });
  });
  let smallest = 1e9;
  document.querySelectorAll('table td, table th, #headline li').forEach(e => {
    if (e.getClientRects().length) smallest = Math.min(smallest, parseFloat(getComputedStyle(e).fontSize));
  });
  const links = Array.from(document.querySelectorAll('a[href]'));
  return {
    title: document.title,
    charts: Array.from(document.querySelectorAll('figure.chart')).map(f => {
      const svg = f.querySelector('svg');
      const r = svg ? svg.getBoundingClientRect() : {top: 0, width: 0, height: 0};
      return {id: f.id, svgs: f.querySelectorAll('svg').length,
              drawn: svg ? svg.querySelectorAll('path, line, rect, polygon, circle, text').length : 0,
              texts: svg ? svg.querySelectorAll('text').length : 0,
              top: r.top + window.scrollY, width: r.width, height: r.height};
    }),
    dqRows: document.querySelectorAll('#data-quality tbody tr').length,
    summaryRows: document.querySelectorAll('#summary tbody tr').length,
    scripts: document.scripts.length,
    headlines: Array.from(document.querySelectorAll('#headline li')).map(li => li.textContent),
    links: links.length,
    brokenLinks: links.map(a => a.getAttribute('href')).filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1))),
    nm: Array.from(document.querySelectorAll('#summary td')).filter(td => td.textContent === 'n/m').map(td => td.title),
    viewWidth: vw,
    scrollWidth: document.documentElement.scrollWidth,
    clipped: clipped,
    hasTerms: !!document.querySelector('dl#terms dt'),
    smallestFont: smallest
  };
})())`

// browser is headless Chromium driven over the DevTools protocol.
type browser struct {
	c       *cdp
	session string
	stderr  *bytes.Buffer
}

// startBrowser starts Chromium with a page to drive; it stops with the test.
func startBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	bin := chromium(t)
	toBrowser, ours, err := os.Pipe() // fd 3: the browser reads
	if err != nil {
		t.Fatal(err)
	}
	theirs, fromBrowser, err := os.Pipe() // fd 4: the browser writes
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		"--hide-scrollbars", "--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "--enable-logging=stderr", "--v=0", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	c := &cdp{w: ours, wait: map[int]chan message{}, loaded: make(chan struct{})}
	go c.read(theirs)
	t.Cleanup(func() {
		_ = c.call(ctx, "", "Browser.close", nil, nil)
		ours.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		theirs.Close()
	})
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatalf("%v\nchromium stderr:\n%s", err, stderr.String())
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	for _, domain := range []string{"Page", "Network", "Runtime", "Log"} {
		if err := c.call(ctx, att.SessionID, domain+".enable", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return &browser{c: c, session: att.SessionID, stderr: &stderr}
}

// open sets the viewport's width and media ("screen" or "print"), loads
// url and measures the page.
func (b *browser) open(t *testing.T, ctx context.Context, url string, width int, media string) pageCheck {
	t.Helper()
	metrics := map[string]any{"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 700}
	if err := b.c.call(ctx, b.session, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.c.call(ctx, b.session, "Emulation.setEmulatedMedia", map[string]any{"media": media}, nil); err != nil {
		t.Fatal(err)
	}
	b.c.mu.Lock()
	b.c.loaded = make(chan struct{})
	loaded := b.c.loaded
	b.c.mu.Unlock()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.c.call(ctx, b.session, "Page.navigate", map[string]any{"url": url}, &nav); err != nil || nav.ErrorText != "" {
		t.Fatalf("navigate: %v %s", err, nav.ErrorText)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		t.Fatalf("the page did not load: %v", ctx.Err())
	}
	var res struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := b.c.call(ctx, b.session, "Runtime.evaluate", map[string]any{"expression": inspect, "returnByValue": true}, &res); err != nil || res.ExceptionDetails != nil {
		t.Fatalf("evaluate: %v %v", err, res.ExceptionDetails)
	}
	var got pageCheck
	if err := json.Unmarshal([]byte(res.Result.Value), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// screenshot saves the whole page as a PNG in $MARGINMIX_SCREENSHOTS (or
// the test's temporary folder) and returns its path.
func (b *browser) screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	var shot struct {
		Data []byte `json:"data"`
	}
	if err := b.c.call(ctx, b.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("MARGINMIX_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(shot.Data) < 10000 || !bytes.HasPrefix(shot.Data, []byte("\x89PNG")) {
		t.Errorf("screenshot %s: %d bytes, not a drawn page", name, len(shot.Data))
	}
	return path
}

// chartRows counts the rows the charts are laid out in.
func chartRows(cs []chartCheck) int {
	tops := map[int]bool{}
	for _, c := range cs {
		tops[int(c.Top+0.5)] = true
	}
	return len(tops)
}

// TestHTMLReportInChromium opens the samples' report in headless Chromium
// at a desktop width (1400 px), a phone's (420 px) and as printed: it must
// load with no request but the page itself, no failed request, no console
// error, every chart drawn (two a row on the desktop, one on the phone and
// on paper), the headline block with its links, n/m margins with their
// reason, and no table or cell clipped at any width.
func TestHTMLReportInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := startBrowser(t, ctx)
	url := "file://" + samplesReport(t, report.Focus{})
	want := []string{"chart-margins", "chart-mix-amzn-aws", "chart-bridge-amzn-aws", "chart-adjusted"}
	for _, v := range []struct {
		width      int
		media      string
		chartsARow int
	}{{1400, "screen", 2}, {420, "screen", 1}, {1400, "print", 1}} {
		got := b.open(t, ctx, url, v.width, v.media)
		name := fmt.Sprintf("report-%d-%s.png", v.width, v.media)
		shot := b.screenshot(t, ctx, name)
		t.Logf("%s (%s): %d charts in %d rows, smallest text %.1f px", shot, v.media, len(got.Charts), chartRows(got.Charts), got.SmallestFont)
		checkPage(t, v.width, got)
		if len(got.Charts) != len(want) {
			t.Fatalf("charts %+v, want %v", got.Charts, want)
		}
		if rows := chartRows(got.Charts); rows != len(want)/v.chartsARow {
			t.Errorf("%d px %s: charts in %d rows, want %d a row: %+v", v.width, v.media, rows, v.chartsARow, got.Charts)
		}
		for i, ch := range got.Charts {
			minWidth := min(540.0, float64(v.width)-60)
			if ch.ID != want[i] || ch.SVGs != 1 || ch.Drawn < 30 || ch.Texts < 10 || ch.Width < minWidth || ch.Width > float64(v.width) || ch.Height < 150 {
				t.Errorf("%d px %s: chart %d: %+v; want %s drawn, %.0f to %d px wide", v.width, v.media, i, ch, want[i], minWidth, v.width)
			}
		}
	}
	// Requests, failures and console errors, over all three loads.
	b.c.mu.Lock()
	events := append([]message(nil), b.c.events...)
	b.c.mu.Unlock()
	checkEvents(t, events, url, b.stderr.String())
}

// checkPage: what every width must show.
func checkPage(t *testing.T, width int, got pageCheck) {
	t.Helper()
	if got.Title != "marginmix report 2026Q1" || got.Scripts != 0 || got.DQRows != 12 || got.SummaryRows != 22 || !got.HasTerms {
		t.Errorf("%d px: title %q, %d scripts, %d data-quality rows (want 12: 10 checks of the facts, each series out of range once, 2 reader findings), %d summary rows (want 22), definitions %v",
			width, got.Title, got.Scripts, got.DQRows, got.SummaryRows, got.HasTerms)
	}
	if got.ScrollWidth > got.ViewWidth || len(got.Clipped) > 0 {
		t.Errorf("%d px: page %v px wide in a %v px view; clipped: %q", width, got.ScrollWidth, got.ViewWidth, got.Clipped)
	}
	if got.SmallestFont < 11 {
		t.Errorf("%d px: text of %.1f px in a table or the headline; want 11 px or more", width, got.SmallestFont)
	}
	// The seed's story, in the headline: AWS's move and its mix, the TaaS
	// share, AWS the only rising cloud margin, the 5-year server life.
	for _, want := range []string{
		"AMZN AWS's operating margin rose 212.9 bp Q/Q to 37.13% (from 35.00%); +216.0 bp from the mix of revenue between its lines",
		"TaaS was 37.00% of AMZN AWS's AI revenue in 2026Q1, +15.91 pp Q/Q and +28.00 pp Y/Y; a TaaS run rate of 5.50 bn USD.",
		"AMZN AWS is the only one rising (+130.9 bp/q)",
		"At a common 6-year server life, AMZN AWS (5 years) would earn",
	} {
		if !slices.ContainsFunc(got.Headlines, func(h string) bool { return strings.Contains(h, want) }) {
			t.Errorf("%d px: no headline says %q; headlines:\n%s", width, want, strings.Join(got.Headlines, "\n"))
		}
	}
	// GOOGL's n/m margins stay out of the headline and show their reason.
	for _, h := range got.Headlines {
		if strings.Contains(h, "Other Bets") || strings.Contains(h, "Alphabet-level") {
			t.Errorf("%d px: an n/m margin in the headline: %q", width, h)
		}
	}
	if len(got.NM) != 2 || !strings.HasPrefix(got.NM[0], "n/m: ") || !strings.HasPrefix(got.NM[1], "n/m: ") {
		t.Errorf("%d px: n/m cells' titles %q, want GOOGL's two with their reason", width, got.NM)
	}
	if got.Links < 10 || len(got.BrokenLinks) > 0 {
		t.Errorf("%d px: %d links, broken: %q", width, got.Links, got.BrokenLinks)
	}
}

// checkEvents fails the test for any request but the page's, any failed
// request, exception, console or browser-log error or warning.
func checkEvents(t *testing.T, events []message, url, stderr string) {
	t.Helper()
	var requests []string
	for _, e := range events {
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
			ErrorText string `json:"errorText"`
			Type      string `json:"type"`
			Entry     struct {
				Level, Text, URL string
			} `json:"entry"`
			Args []struct {
				Value any `json:"value"`
			} `json:"args"`
			ExceptionDetails struct {
				Text string `json:"text"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(e.Params, &p)
		switch e.Method {
		case "Network.requestWillBeSent":
			requests = append(requests, p.Request.URL)
		case "Network.loadingFailed":
			t.Errorf("failed request: %s", e.Params)
		case "Runtime.exceptionThrown":
			t.Errorf("exception: %s", e.Params)
		case "Runtime.consoleAPICalled":
			if p.Type == "error" || p.Type == "warning" || p.Type == "assert" {
				t.Errorf("console %s: %v", p.Type, p.Args)
			}
		case "Log.entryAdded":
			if p.Entry.Level == "error" || p.Entry.Level == "warning" {
				t.Errorf("browser log %s: %s %s", p.Entry.Level, p.Entry.Text, p.Entry.URL)
			}
		}
	}
	if len(requests) == 0 || slices.ContainsFunc(requests, func(r string) bool { return r != url }) {
		t.Errorf("requests %q, want only the page %s", requests, url)
	}
	if strings.Contains(stderr, ":CONSOLE(") {
		t.Errorf("console output on stderr:\n%s", stderr)
	}
}
