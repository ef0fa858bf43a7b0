package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/robfig/cron/v3" // the zones below, whatever the machine has installed
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses "2006-01-02 15:04:05 -0700" (an instant with its offset).
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04:05 -0700", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestNextDST pins the activations around daylight-saving changes, one
// after the other from From, against instants with their offsets.
func TestNextDST(t *testing.T) {
	for _, tc := range []struct {
		Name string
		Expr string
		Zone string
		From string
		Want []string
	}{{
		// 2026-03-29: Berlin goes from 02:00 CET to 03:00 CEST. 02:30
		// never happens; it runs once, at 03:00, then as usual.
		Name: "spring-forward gap runs late, once",
		Expr: "30 2 * * *", Zone: "Europe/Berlin", From: "2026-03-27 12:00:00 +0100",
		Want: []string{"2026-03-28 02:30:00 +0100", "2026-03-29 03:00:00 +0200", "2026-03-30 02:30:00 +0200"},
	}, {
		Name: "several matches in the gap run once",
		Expr: "*/15 2 * * *", Zone: "Europe/Berlin", From: "2026-03-29 01:50:00 +0100",
		Want: []string{"2026-03-29 03:00:00 +0200", "2026-03-30 02:00:00 +0200", "2026-03-30 02:15:00 +0200"},
	}, {
		Name: "started just before the gap",
		Expr: "30 2 * * *", Zone: "Europe/Berlin", From: "2026-03-29 01:59:59 +0100",
		Want: []string{"2026-03-29 03:00:00 +0200", "2026-03-30 02:30:00 +0200"},
	}, {
		Name: "a time just after the gap is not doubled",
		Expr: "0 2,3 * * *", Zone: "Europe/Berlin", From: "2026-03-29 01:00:00 +0100",
		Want: []string{"2026-03-29 03:00:00 +0200", "2026-03-30 02:00:00 +0200", "2026-03-30 03:00:00 +0200"},
	}, {
		// 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET;
		// 02:30 happens twice and runs the first time only.
		Name: "fall-back repeat runs once",
		Expr: "30 2 * * *", Zone: "Europe/Berlin", From: "2026-10-24 12:00:00 +0200",
		Want: []string{"2026-10-25 02:30:00 +0200", "2026-10-26 02:30:00 +0100"},
	}, {
		Name: "started inside the repeated hour after the first 02:30",
		Expr: "30 2 * * *", Zone: "Europe/Berlin", From: "2026-10-25 02:10:00 +0100",
		Want: []string{"2026-10-26 02:30:00 +0100"},
	}, {
		Name: "New York springs forward at 02:00",
		Expr: "0 2 * * *", Zone: "America/New_York", From: "2026-03-07 12:00:00 -0500",
		Want: []string{"2026-03-08 03:00:00 -0400", "2026-03-09 02:00:00 -0400"},
	}, {
		// Lord Howe moves its clocks by 30 minutes at 02:00.
		Name: "a half-hour gap",
		Expr: "15 2 * * *", Zone: "Australia/Lord_Howe", From: "2026-10-03 12:00:00 +1030",
		Want: []string{"2026-10-04 02:30:00 +1100", "2026-10-05 02:15:00 +1100"},
	}, {
		// Every hour: elapsed time, as robfig/cron does; no extra run.
		Name: "hourly follows elapsed time",
		Expr: "30 * * * *", Zone: "Europe/Berlin", From: "2026-03-29 01:00:00 +0100",
		Want: []string{"2026-03-29 01:30:00 +0100", "2026-03-29 03:30:00 +0200", "2026-03-29 04:30:00 +0200"},
	}, {
		Name: "hourly through the repeated hour",
		Expr: "30 * * * *", Zone: "Europe/Berlin", From: "2026-10-25 01:45:00 +0200",
		Want: []string{"2026-10-25 02:30:00 +0200", "2026-10-25 02:30:00 +0100", "2026-10-25 03:30:00 +0100"},
	}, {
		Name: "UTC has no DST",
		Expr: "0 2 * * *", Zone: "UTC", From: "2026-03-29 01:00:00 +0000",
		Want: []string{"2026-03-29 02:00:00 +0000", "2026-03-30 02:00:00 +0000"},
	}, {
		Name: "CRON_TZ in the expression wins over the zone",
		Expr: "CRON_TZ=Europe/Berlin 30 2 * * *", Zone: "UTC", From: "2026-03-28 12:00:00 +0000",
		Want: []string{"2026-03-29 03:00:00 +0200", "2026-03-30 02:30:00 +0200"},
	}, {
		Name: "@every follows elapsed time",
		Expr: "@every 90m", Zone: "Europe/Berlin", From: "2026-03-29 01:00:00 +0100",
		Want: []string{"2026-03-29 02:30:00 +0100", "2026-03-29 04:00:00 +0100"},
	}} {
		t.Run(tc.Name, func(t *testing.T) {
			s, err := Parse(tc.Expr, zone(t, tc.Zone))
			if err != nil {
				t.Fatal(err)
			}
			now := at(t, tc.From)
			for i, w := range tc.Want {
				want := at(t, w)
				next := s.Next(now)
				if !next.Equal(want) {
					t.Fatalf("activation %d after %s: got %s, want %s", i+1, now, next, want)
				}
				now = next
			}
		})
	}
}

// robfig/cron alone never runs a time that falls in the gap: the reason
// for Parse's wrapper.
func TestRobfigSkipsTheGap(t *testing.T) {
	s, err := cron.ParseStandard("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	from := at(t, "2026-03-28 12:00:00 +0100").In(zone(t, "Europe/Berlin"))
	if got, want := s.Next(from), at(t, "2026-03-30 02:30:00 +0200"); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// The scheduler's clock passes times in any zone; the answer is the same
// instant.
func TestNextAnyInputZone(t *testing.T) {
	s, err := Parse("30 2 * * *", zone(t, "Europe/Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	from := at(t, "2026-03-28 12:00:00 +0100")
	want := s.Next(from)
	for _, z := range []string{"UTC", "America/Los_Angeles", "Asia/Tokyo"} {
		if got := s.Next(from.In(zone(t, z))); !got.Equal(want) {
			t.Errorf("from %s: %s, want %s", z, got, want)
		}
	}
	if want.Format("2006-01-02 15:04 -0700") != "2026-03-29 03:00 +0200" {
		t.Errorf("got %s", want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		Expr    string
		WantErr string
	}{
		{"61 2 * * *", `cron "61 2 * * *": end of range (61) above maximum (59): 61`},
		{"0 2 * *", `cron "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *]`},
		{"@fortnightly", `cron "@fortnightly": unrecognized descriptor: @fortnightly`},
		{"", `cron "": empty spec string`},
	} {
		_, err := Parse(tc.Expr, time.UTC)
		if err == nil || err.Error() != tc.WantErr {
			t.Errorf("Parse(%q): %v, want %s", tc.Expr, err, tc.WantErr)
		}
	}
	if _, err := Parse("0 2 * * *", nil); err == nil || !strings.Contains(err.Error(), "no time zone") {
		t.Errorf("nil zone: %v", err)
	}
}

func TestPrev(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	for _, tc := range []struct {
		Name string
		Expr string
		Now  string
		Want string
	}{
		{"earlier today", "0 2 * * *", "2026-05-10 09:00:00 +0200", "2026-05-10 02:00:00 +0200"},
		{"yesterday", "0 2 * * *", "2026-05-10 01:59:59 +0200", "2026-05-09 02:00:00 +0200"},
		{"exactly now", "0 2 * * *", "2026-05-10 02:00:00 +0200", "2026-05-10 02:00:00 +0200"},
		{"weekly, Mondays", "0 2 * * 1", "2026-05-10 09:00:00 +0200", "2026-05-04 02:00:00 +0200"},
		{"yearly", "0 0 1 1 *", "2026-05-10 09:00:00 +0200", "2026-01-01 00:00:00 +0100"},
		{"the gap's late run", "30 2 * * *", "2026-03-29 09:00:00 +0200", "2026-03-29 03:00:00 +0200"},
		{"every minute", "* * * * *", "2026-05-10 09:00:30 +0200", "2026-05-10 09:00:00 +0200"},
	} {
		t.Run(tc.Name, func(t *testing.T) {
			s, err := Parse(tc.Expr, berlin)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := Prev(s, at(t, tc.Now)), at(t, tc.Want); !got.Equal(want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
	// Never in five years: no previous time.
	s, _ := Parse("0 0 30 2 *", time.UTC)
	if got := Prev(s, at(t, "2026-05-10 09:00:00 +0000")); !got.IsZero() {
		t.Fatalf("30 February: %s", got)
	}
}
