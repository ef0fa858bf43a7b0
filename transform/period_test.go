package transform

import (
	"testing"
	"time"
)

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func TestParseLabelAndResolve(t *testing.T) {
	dec := Calendar{FYEndMonth: time.December}
	jun := Calendar{FYEndMonth: time.June}
	may := Calendar{FYEndMonth: time.May}
	junCal := Calendar{FYEndMonth: time.June, CalendarLabels: true}
	for _, tc := range []struct {
		label string
		cal   Calendar
		kind  Kind
		end   time.Time
		fy    int
		fq    int
	}{
		{"Q1 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"1Q26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q1'26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q1’26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q1-26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q3-951", jun, KindQuarter, d(1995, 3, 31), 1995, 3}, // footnote 1 glued to Q3-95
		{"Q1-023", jun, KindQuarter, d(2001, 9, 30), 2002, 1},
		{"Q3-1995", jun, KindQuarter, d(1995, 3, 31), 1995, 3},
		{"Q1–26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"2026Q1", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"2026 Q4", dec, KindQuarter, d(2026, 12, 31), 2026, 4},
		{"Q3 FY26", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"FY26 Q3", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"FY2026 Q3", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"3QFY26", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"Q1 FY26", jun, KindQuarter, d(2025, 9, 30), 2026, 1},
		{"Q4 FY25", jun, KindQuarter, d(2025, 6, 30), 2025, 4},
		{"FY26 Q3", may, KindQuarter, d(2026, 2, 28), 2026, 3},
		{"FY24 Q3", may, KindQuarter, d(2024, 2, 29), 2024, 3},
		{"Q1 FY26", may, KindQuarter, d(2025, 8, 31), 2026, 1},
		{"Q3 fiscal 2026", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"third quarter of fiscal 2026", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		// Without FY, labels are fiscal unless the spec says calendar.
		{"Q1 2026", jun, KindQuarter, d(2025, 9, 30), 2026, 1},
		{"Q1 2026", junCal, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"Q3 FY26", junCal, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"CY26 Q1", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"Mar-26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Mar 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Sept 2025", dec, KindQuarter, d(2025, 9, 30), 2025, 3},
		{"Mar '26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Mar/26", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"March 31, 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Mar. 31, 2026", jun, KindQuarter, d(2026, 3, 31), 2026, 3},
		{"31 March 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"3/31/2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"2026-03-31", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Three Months Ended March 31, 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"3 Months Ended Mar. 31, 2026", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q1 2026 (1)", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Q1 2026*", dec, KindQuarter, d(2026, 3, 31), 2026, 1},
		{"Nine Months Ended March 31, 2026", jun, KindYTD, d(2026, 3, 31), 2026, 3},
		{"Six Months Ended June 30, 2025", dec, KindYTD, d(2025, 6, 30), 2025, 2},
		{"1 Months Ended Dec. 31, 2014", dec, KindOther, d(2014, 12, 31), 2014, 4},
		{"11 Months Ended Nov. 20, 2014", dec, KindOther, d(2014, 11, 20), 2014, 4},
		{"82 Months Ended Dec. 31, 2014", dec, KindOther, d(2014, 12, 31), 2014, 4},
		{"Seven Months Ended Dec. 31, 2013", dec, KindOther, d(2013, 12, 31), 2013, 4},
		{"13 Months Ended Dec. 31, 2014", dec, KindOther, d(2014, 12, 31), 2014, 4},
		{"YTD Q3 2025", dec, KindYTD, d(2025, 9, 30), 2025, 3},
		{"9M25", dec, KindYTD, d(2025, 9, 30), 2025, 3},
		{"H1 2025", dec, KindYTD, d(2025, 6, 30), 2025, 2},
		{"2H FY25", jun, KindYTD, d(2025, 6, 30), 2025, 4},
		{"TTM Q1 2026", dec, KindTTM, d(2026, 3, 31), 2026, 1},
		{"LTM Mar-26", dec, KindTTM, d(2026, 3, 31), 2026, 1},
		{"Year Ended December 31, 2025", dec, KindAnnual, d(2025, 12, 31), 2025, 4},
		{"Twelve Months Ended June 30, 2025", jun, KindAnnual, d(2025, 6, 30), 2025, 4},
		{"Fiscal Year 2025", jun, KindAnnual, d(2025, 6, 30), 2025, 4},
		{"FY25", may, KindAnnual, d(2025, 5, 31), 2025, 4},
		{"FY2025", dec, KindAnnual, d(2025, 12, 31), 2025, 4},
		{"2025", dec, KindAnnual, d(2025, 12, 31), 2025, 4},
		{"2026E", dec, KindAnnual, d(2026, 12, 31), 2026, 4},
		{"Q1 21/22", Calendar{FYEndMonth: time.March}, KindQuarter, d(2021, 6, 30), 2022, 1},
		{"Q4 22/23", Calendar{FYEndMonth: time.March}, KindQuarter, d(2023, 3, 31), 2023, 4},
		{"H1 22/23", Calendar{FYEndMonth: time.March}, KindYTD, d(2022, 9, 30), 2023, 2},
		{"January–June\n2023", dec, KindYTD, d(2023, 6, 30), 2023, 2},
		{"April-June 2025", dec, KindQuarter, d(2025, 6, 30), 2025, 2},
		{"Jan - Dec 2025", dec, KindAnnual, d(2025, 12, 31), 2025, 4},
	} {
		l, ok := ParseLabel(tc.label)
		if !ok {
			t.Errorf("ParseLabel(%q): not a period", tc.label)
			continue
		}
		p, ok := tc.cal.Resolve(l)
		if !ok || p.Kind != tc.kind || !p.End.Equal(tc.end) || p.FiscalYear != tc.fy || p.FiscalQuarter != tc.fq {
			t.Errorf("%q (FYE %v): %v end %s FY%d Q%d, ok=%v; want %v end %s FY%d Q%d", tc.label, tc.cal.FYEndMonth,
				p.Kind, p.End.Format("2006-01-02"), p.FiscalYear, p.FiscalQuarter, ok, tc.kind, tc.end.Format("2006-01-02"), tc.fy, tc.fq)
		}
	}
}

func TestParseLabelRejects(t *testing.T) {
	for _, s := range []string{
		"", "Net sales", "Three Months Ended", "AWS", "1234", "Q5 2026", "Q0 2026", "13/45/2026",
		"February 30, 2026", "2026-02-30", "Three Months Ended June 30,", "Mar 26", "Segment 2", "(in millions)", "12.5%", "Nine months 2025",
	} {
		if l, ok := ParseLabel(s); ok {
			t.Errorf("ParseLabel(%q) = %+v, want no period", s, l)
		}
	}
}

func TestCalendarQuarter(t *testing.T) {
	for _, tc := range []struct {
		end  time.Time
		want string
	}{{d(2026, 3, 31), "2026Q1"}, {d(2025, 8, 31), "2025Q3"}, {d(2024, 2, 29), "2024Q1"}, {d(2025, 12, 27), "2025Q4"},
		// 52/53-week years: up to a week after a quarter's end is that quarter.
		{d(2023, 7, 1), "2023Q2"}, {d(2015, 1, 3), "2014Q4"}, {d(2026, 4, 7), "2026Q1"}, {d(2026, 10, 1), "2026Q3"},
		{d(2026, 4, 8), "2026Q2"}, {d(2014, 11, 1), "2014Q4"}, {d(2015, 8, 1), "2015Q3"}, {d(2026, 2, 3), "2026Q1"}} {
		if got := (Period{End: tc.end}).CalendarQuarter(); got != tc.want {
			t.Errorf("CalendarQuarter(%s) = %s, want %s", tc.end.Format("2006-01-02"), got, tc.want)
		}
	}
}

func TestFiscal52_53Weeks(t *testing.T) {
	dec, jan, jun := Calendar{FYEndMonth: time.December}, Calendar{FYEndMonth: time.January}, Calendar{FYEndMonth: time.June}
	for _, tc := range []struct {
		cal    Calendar
		end    time.Time
		fy, fq int
	}{
		{dec, d(2023, 7, 1), 2023, 2}, // Intel's quarter ended 1 July 2023
		{dec, d(2015, 1, 3), 2014, 4}, // a year ending 3 January 2015 is fiscal 2014
		{dec, d(2015, 1, 8), 2015, 1},
		{jan, d(2015, 1, 31), 2015, 4},
		{jan, d(2015, 5, 2), 2016, 1}, // a retailer's quarters end in the first days of May, August, November and February
		{jan, d(2015, 8, 1), 2016, 2},
		{jan, d(2015, 10, 31), 2016, 3},
		{jan, d(2016, 1, 30), 2016, 4},
		{jan, d(2016, 2, 1), 2016, 4},
		{jun, d(2021, 10, 2), 2022, 1},
		{jun, d(2021, 9, 30), 2022, 1},
	} {
		if fy, fq := tc.cal.Fiscal(tc.end); fy != tc.fy || fq != tc.fq {
			t.Errorf("Fiscal(%s) with year end %s = FY%d Q%d, want FY%d Q%d", tc.end.Format("2006-01-02"), tc.cal.FYEndMonth, fy, fq, tc.fy, tc.fq)
		}
	}
}

// fiscal_year_named: most names a year for the calendar year that holds
// most of its months (retailers), both ways: dates to labels and labels to
// dates. Years ending June to December are named alike either way.
func TestFiscalYearNamedByMost(t *testing.T) {
	jan := Calendar{FYEndMonth: time.January, NamedByMost: true}
	feb := Calendar{FYEndMonth: time.February, NamedByMost: true}
	jun := Calendar{FYEndMonth: time.June, NamedByMost: true}
	for _, tc := range []struct {
		cal    Calendar
		end    time.Time
		fy, fq int
	}{
		{jan, d(2014, 2, 1), 2013, 4}, // Citi Trends: the year ended 1 February 2014 is fiscal 2013
		{jan, d(2014, 5, 3), 2014, 1},
		{jan, d(2015, 1, 31), 2014, 4},
		{feb, d(2014, 3, 1), 2013, 4}, // The Container Store: ended 1 March 2014, fiscal 2013
		{jun, d(2021, 6, 30), 2021, 4},
	} {
		if fy, fq := tc.cal.Fiscal(tc.end); fy != tc.fy || fq != tc.fq {
			t.Errorf("Fiscal(%s) with year end %s = FY%d Q%d, want FY%d Q%d", tc.end.Format("2006-01-02"), tc.cal.FYEndMonth, fy, fq, tc.fy, tc.fq)
		}
	}
	// "Q4 FY2014" of a retailer is the quarter ended in January 2015.
	p, ok := jan.Resolve(Label{Kind: KindQuarter, Year: 2014, Quarter: 4, Fiscal: true})
	if !ok || !p.End.Equal(d(2015, 1, 31)) || p.FiscalYear != 2014 || p.FiscalQuarter != 4 {
		t.Errorf("Resolve(Q4 FY2014) = %+v, %v", p, ok)
	}
}

func TestExcelDate(t *testing.T) {
	for _, tc := range []struct {
		serial float64
		d1904  bool
		want   time.Time
		ok     bool
	}{
		{46112, false, d(2026, 3, 31), true},
		{46112.75, false, d(2026, 3, 31), true},
		{44650, true, d(2026, 3, 31), true},
		{1, false, d(1900, 1, 1), true},
		{59, false, d(1900, 2, 28), true},
		{60, false, time.Time{}, false}, // Excel's 29 February 1900 never existed
		{61, false, d(1900, 3, 1), true},
		{0, false, time.Time{}, false},
		{-5, false, time.Time{}, false},
		{3e6, false, time.Time{}, false},
	} {
		got, ok := ExcelDate(tc.serial, tc.d1904)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ExcelDate(%v, %v) = %s, %v; want %s, %v", tc.serial, tc.d1904, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseLabel(f *testing.F) {
	for _, s := range []string{"Q1 2026", "1Q26", "FY26 Q3", "Three Months Ended March 31, 2026", "Mar-26", "3/31/2026", "9M25", "TTM"} {
		f.Add(s)
	}
	cal := Calendar{FYEndMonth: time.June}
	f.Fuzz(func(t *testing.T, s string) {
		l, ok := ParseLabel(s)
		if !ok {
			return
		}
		p, ok := cal.Resolve(l)
		if !ok {
			return
		}
		if p.FiscalQuarter < 1 || p.FiscalQuarter > 4 || p.End.Year() < 1899 || p.End.Year() > 2201 {
			t.Fatalf("ParseLabel(%q) resolved to %+v", s, p)
		}
		// Idempotence: the resolved end date, written as a date, is the same quarter.
		l2, ok := ParseLabel(p.End.Format("2006-01-02"))
		if !ok {
			t.Fatalf("end date of %q does not parse", s)
		}
		p2, _ := cal.Resolve(l2)
		if !p2.End.Equal(p.End) || p2.FiscalYear != p.FiscalYear || p2.FiscalQuarter != p.FiscalQuarter {
			t.Fatalf("%q: %+v, but its end date gives %+v", s, p, p2)
		}
	})
}
