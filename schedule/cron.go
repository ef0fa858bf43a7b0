package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Parse reads a standard five-field cron expression ("30 2 * * *") or a
// descriptor ("@daily", "@every 1h") and returns its schedule in loc. A
// CRON_TZ= or TZ= prefix in the expression overrides loc.
//
// Daylight-saving time is handled by the wall clock for expressions that name
// their hours (not every hour): a time that falls in a spring-forward gap
// (02:30 on a day the clocks go from 02:00 to 03:00) runs once, at the end of
// the gap, instead of never; a time that occurs twice when the clocks go back
// runs once, the first time. Expressions that run every hour ("0 * * * *")
// and @every intervals follow elapsed time, as robfig/cron does.
func Parse(expr string, loc *time.Location) (cron.Schedule, error) {
	if loc == nil {
		return nil, fmt.Errorf("cron %q: no time zone", expr)
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return s, nil // @every: elapsed time, no wall clock
	}
	z := &zoned{spec: *spec, wall: *spec}
	if spec.Location != time.Local { // CRON_TZ= in the expression
		loc = spec.Location
	}
	z.spec.Location = loc
	z.wall.Location = time.UTC // the wall clock, on which no DST happens
	z.loc = loc
	const day = 1<<24 - 1
	z.fixedHours = spec.Hour&day != day
	return z, nil
}

// zoned is a cron expression evaluated on the wall clock of a time zone,
// with the DST fixes Parse describes.
type zoned struct {
	spec       cron.SpecSchedule // in loc: what robfig/cron computes
	wall       cron.SpecSchedule // in UTC: the same expression on a wall clock without DST
	loc        *time.Location
	fixedHours bool // the expression names hours, so each wall-clock match runs exactly once
}

var _ cron.Schedule = (*zoned)(nil)

// Next returns the first activation after t, in the schedule's zone.
func (z *zoned) Next(t time.Time) time.Time {
	t = t.In(z.loc)
	n := z.spec.Next(t)
	if !z.fixedHours {
		return n
	}
	for i := 0; i < 4 && !n.IsZero(); i++ {
		// Clocks going back: a wall-clock time of the repeated hour
		// already ran (or was due) at its first occurrence.
		again, ok := repeated(n)
		if !ok {
			break
		}
		n = z.spec.Next(again.Add(-time.Second))
	}
	limit := n
	if limit.IsZero() {
		limit = t.AddDate(5, 0, 0)
	}
	// Clocks going forward: a match inside a gap between t and n runs at
	// the end of the gap.
	for at := t; ; {
		_, end := at.ZoneBounds()
		if end.IsZero() || !end.Before(limit) {
			return n
		}
		_, before := end.Add(-time.Nanosecond).Zone()
		_, after := end.Zone()
		if gap := time.Duration(after-before) * time.Second; gap > 0 {
			w := wallClock(end, before)
			if m := z.wall.Next(w.Add(-time.Second)); !m.IsZero() && m.Before(w.Add(gap)) {
				return end
			}
		}
		at = end
	}
}

// repeated reports whether n lies in the second occurrence of an hour the
// clocks went back over, and if so returns the end of that repetition.
func repeated(n time.Time) (time.Time, bool) {
	start, _ := n.ZoneBounds()
	if start.IsZero() {
		return time.Time{}, false
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, after := start.Zone()
	back := time.Duration(before-after) * time.Second
	if back <= 0 || !n.Before(start.Add(back)) {
		return time.Time{}, false
	}
	return start.Add(back), true
}

// wallClock returns the wall-clock reading of t at the given UTC offset as
// a UTC time.
func wallClock(t time.Time, offset int) time.Time {
	w := t.In(time.FixedZone("", offset))
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
}

// Prev returns the latest activation of s at or before now, or the zero
// time if there is none in the five years before now.
func Prev(s cron.Schedule, now time.Time) time.Time {
	for d := time.Minute; d <= 5*366*24*time.Hour; d *= 2 {
		t := s.Next(now.Add(-d))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}
