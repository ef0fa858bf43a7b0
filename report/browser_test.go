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

// samplesReport publishes the bundled samples and writes their HTML report.
func samplesReport(t *testing.T) string {
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
		d, err = report.Load(ctx, q, report.Source{Out: cfg.Out, RunID: r.Manifest.RunID, Published: r.Manifest.FinishedAt})
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
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// The page's charts, measured after layout.
const inspect = `JSON.stringify({
  title: document.title,
  charts: Array.from(document.querySelectorAll('figure.chart')).map(f => {
    const svg = f.querySelector('svg');
    const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.id, svgs: f.querySelectorAll('svg').length,
            drawn: svg ? svg.querySelectorAll('path, line, rect, polygon, circle, text').length : 0,
            texts: svg ? svg.querySelectorAll('text').length : 0,
            width: r.width, height: r.height};
  }),
  dqRows: document.querySelectorAll('#data-quality tbody tr').length,
  summaryRows: document.querySelectorAll('#summary tbody tr').length,
  scripts: document.scripts.length
})`

// TestHTMLReportInChromium opens the samples' report in headless Chromium:
// it must load with no request but the page itself, no failed request, no
// console error, and every chart drawn.
func TestHTMLReportInChromium(t *testing.T) {
	bin := chromium(t)
	page := samplesReport(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

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
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "--enable-logging=stderr", "--v=0", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	c := &cdp{w: ours, wait: map[int]chan message{}, loaded: make(chan struct{})}
	go c.read(theirs)
	defer func() {
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
	}()

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
	s := att.SessionID
	for _, domain := range []string{"Page", "Network", "Runtime", "Log"} {
		if err := c.call(ctx, s, domain+".enable", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	url := "file://" + page
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := c.call(ctx, s, "Page.navigate", map[string]any{"url": url}, &nav); err != nil || nav.ErrorText != "" {
		t.Fatalf("navigate: %v %s", err, nav.ErrorText)
	}
	select {
	case <-c.loaded:
	case <-ctx.Done():
		t.Fatalf("the page did not load: %v", ctx.Err())
	}
	var res struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := c.call(ctx, s, "Runtime.evaluate", map[string]any{"expression": inspect, "returnByValue": true}, &res); err != nil || res.ExceptionDetails != nil {
		t.Fatalf("evaluate: %v %v", err, res.ExceptionDetails)
	}
	var got struct {
		Title       string       `json:"title"`
		Charts      []chartCheck `json:"charts"`
		DQRows      int          `json:"dqRows"`
		SummaryRows int          `json:"summaryRows"`
		Scripts     int          `json:"scripts"`
	}
	if err := json.Unmarshal([]byte(res.Result.Value), &got); err != nil {
		t.Fatal(err)
	}

	// Requests, failures and console errors.
	c.mu.Lock()
	events := append([]message(nil), c.events...)
	c.mu.Unlock()
	checkEvents(t, events, url, stderr.String())

	// The page and its charts.
	if got.Title != "marginmix report 2026Q1" || got.Scripts != 0 || got.DQRows != 12 || got.SummaryRows != 22 {
		t.Errorf("page: title %q, %d scripts, %d data-quality rows (want 12: 10 checks of the facts, each series out of range once, 2 reader findings), %d summary rows (want 22)", got.Title, got.Scripts, got.DQRows, got.SummaryRows)
	}
	want := []string{"chart-margins", "chart-mix-amzn-aws", "chart-bridge-amzn-aws", "chart-adjusted"}
	if len(got.Charts) != len(want) {
		t.Fatalf("charts %+v, want %v", got.Charts, want)
	}
	for i, ch := range got.Charts {
		if ch.ID != want[i] || ch.SVGs != 1 || ch.Drawn < 30 || ch.Texts < 10 || ch.Width < 300 || ch.Height < 150 {
			t.Errorf("chart %d: %+v; want %s drawn, at least 300x150 px", i, ch, want[i])
		}
	}
	t.Logf("%d charts: %+v", len(got.Charts), got.Charts)
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
	if len(requests) != 1 || requests[0] != url {
		t.Errorf("requests %q, want only the page %s", requests, url)
	}
	if strings.Contains(stderr, ":CONSOLE(") {
		t.Errorf("console output on stderr:\n%s", stderr)
	}
}
