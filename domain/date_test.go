package domain

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestParsePartialDateValid(t *testing.T) {
	tests := []struct {
		in         string
		start, end string
		prec       Precision
	}{
		{"2025-12-02", "2025-12-02", "2025-12-02", PrecisionDay},
		{"2024-02-29", "2024-02-29", "2024-02-29", PrecisionDay},
		{"2000-02-29", "2000-02-29", "2000-02-29", PrecisionDay},
		{"0001-01-01", "0001-01-01", "0001-01-01", PrecisionDay},
		{"9999-12-31", "9999-12-31", "9999-12-31", PrecisionDay},
		{"1969-12-31", "1969-12-31", "1969-12-31", PrecisionDay},
		{"2025-12", "2025-12-01", "2025-12-31", PrecisionMonth},
		{"2025-01", "2025-01-01", "2025-01-31", PrecisionMonth},
		{"2025-02", "2025-02-01", "2025-02-28", PrecisionMonth},
		{"2024-02", "2024-02-01", "2024-02-29", PrecisionMonth},
		{"1900-02", "1900-02-01", "1900-02-28", PrecisionMonth},
		{"2025-04", "2025-04-01", "2025-04-30", PrecisionMonth},
		{"9999-12", "9999-12-01", "9999-12-31", PrecisionMonth},
		{"2025", "2025-01-01", "2025-12-31", PrecisionYear},
		{"0001", "0001-01-01", "0001-12-31", PrecisionYear},
		{"9999", "9999-01-01", "9999-12-31", PrecisionYear},
		{"2025-11-24/2025-11-30", "2025-11-24", "2025-11-30", PrecisionInterval},
		{"2025-11-24/2025-11-24", "2025-11-24", "2025-11-24", PrecisionInterval},
		{"2025-12-31/2026-01-01", "2025-12-31", "2026-01-01", PrecisionInterval},
		{"0001-01-01/9999-12-31", "0001-01-01", "9999-12-31", PrecisionInterval},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePartialDate(tt.in)
			if err != nil {
				t.Fatalf("ParsePartialDate(%q): %v", tt.in, err)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
			if got.Precision() != tt.prec {
				t.Errorf("Precision() = %s, want %s", got.Precision(), tt.prec)
			}
			if want := day(t, tt.start); got.Start() != want {
				t.Errorf("Start() = %s, want %s", got.Start(), tt.start)
			}
			if want := day(t, tt.end); got.End() != want {
				t.Errorf("End() = %s, want %s", got.End(), tt.end)
			}
			if got.IsZero() {
				t.Error("IsZero() = true for a known date")
			}
			if mp := MustParsePartialDate(tt.in); mp != got {
				t.Errorf("MustParsePartialDate = %#v, want %#v", mp, got)
			}
		})
	}
}

func TestParsePartialDateInvalid(t *testing.T) {
	tests := []struct {
		in  string
		msg string // a fragment the message must contain
	}{
		{"2025-13", "month 13"},
		{"2025-00", "month 00"},
		{"2025-02-30", "day 30; 2025-02 has days 01 to 28"},
		{"2023-02-29", "day 29; 2023-02 has days 01 to 28"},
		{"1900-02-29", "day 29"},
		{"2025-04-31", "day 31; 2025-04 has days 01 to 30"},
		{"2025-12-00", "day 00"},
		{"2025-12-0x", "contains 'x'"},
		{"12/02/2025", "more than one '/'"},
		{"2025-12-02/2025-12-01", "end precedes its start"},
		{"", "is empty"},
		{" 2025", "white space"},
		{"2025\n", "white space"},
		{"2025-12-02 ", "white space"},
		{"2025-1", "is not a date"},
		{"2025-1-01", "is not a date"},
		{"25-12-01", "is not a date"},
		{"20251", "is not a date"},
		{"0000", "year 0000"},
		{"0000-01-01", "year 0000"},
		{"2025-12-02/", `interval end ""`},
		{"/2025-12-02", `interval start ""`},
		{"/", `interval start ""`},
		{"2025-12-02/2025-12", `interval end "2025-12"`},
		{"2025/2026", `interval start "2025"`},
		{"2025-12-02/2025-12-1", `interval end "2025-12-1"`},
		{"+2025", `contains '+'`},
		{"-2025", "is not a date"},
		{"2025-", "is not a date"},
		{"2025-1-", "month that is not two digits"},
		{"20251-2", "must be YYYY-MM"},
		{"2025--1", "month that is not two digits"},
		{"2025-12--1", "day that is not two digits"},
		{"20-5-12-01", "year that is not four digits"},
		{"2025-12-02-", "is not a date"},
		{"２０２５", `contains '２'`},
		{"2025-12-02T10:00", "contains 'T'"},
		{"2025‐12", "contains '‐'"}, // U+2010 HYPHEN, not '-'
		{"\xff", "contains"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePartialDate(tt.in)
			if err == nil {
				t.Fatalf("ParsePartialDate(%q) = %q, want an error", tt.in, got)
			}
			if !got.IsZero() {
				t.Errorf("ParsePartialDate(%q) returned %#v alongside its error", tt.in, got)
			}
			// Every message quotes the input so a batch import's user can
			// tell which date is wrong.
			wantBadInput(t, err, nil, strconv.Quote(tt.in), tt.msg)
		})
	}
}

func TestMustParsePartialDatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParsePartialDate(\"2025-13\") did not panic")
		}
	}()
	MustParsePartialDate("2025-13")
}

func TestZeroPartialDate(t *testing.T) {
	var z PartialDate
	if !z.IsZero() {
		t.Error("zero value: IsZero() = false")
	}
	if s := z.String(); s != "" {
		t.Errorf("zero value: String() = %q, want \"\"", s)
	}
	if z.Precision() != "" {
		t.Errorf("zero value: Precision() = %q, want \"\"", z.Precision())
	}
	// The unknown date must not pass for 1970-01-01, which is day 0.
	if z.Contains(0) || z.Overlaps(-1_000_000, 1_000_000) {
		t.Error("zero value overlaps a day range")
	}
}

func TestDayDate(t *testing.T) {
	d := day(t, "2025-12-02")
	got := DayDate(d)
	if got != MustParsePartialDate("2025-12-02") {
		t.Errorf("DayDate(%s) = %#v, want the parsed day", d, got)
	}
}

func TestNewInterval(t *testing.T) {
	a, b := day(t, "2025-11-24"), day(t, "2025-11-30")
	got, err := NewInterval(a, b)
	if err != nil {
		t.Fatalf("NewInterval: %v", err)
	}
	if got != MustParsePartialDate("2025-11-24/2025-11-30") {
		t.Errorf("NewInterval = %q, want 2025-11-24/2025-11-30", got)
	}
	if one, err := NewInterval(a, a); err != nil || one.Precision() != PrecisionInterval || one.String() != "2025-11-24/2025-11-24" {
		t.Errorf("NewInterval(a, a) = %q, %v; want a one-day INTERVAL", one, err)
	}
	_, err = NewInterval(b, a)
	wantBadInput(t, err, nil, "2025-11-30/2025-11-24", "ends before it starts")
}

func TestPartialDateOverlaps(t *testing.T) {
	tests := []struct {
		date     string
		from, to string
		want     bool
	}{
		// A month-precision date matches a day range inside the month.
		{"2025-12", "2025-12-10", "2025-12-12", true},
		{"2025-12", "2025-12-01", "2025-12-01", true},
		{"2025-12", "2025-12-31", "2025-12-31", true},
		// A range that ends the day before the month starts does not.
		{"2025-12", "2025-11-01", "2025-11-30", false},
		{"2025-12", "2025-11-01", "2025-12-01", true},
		{"2025-12", "2026-01-01", "2026-01-31", false},
		{"2025-12", "2025-01-01", "2026-12-31", true},
		// A year is not 1 January: it does not reach back into December.
		{"2025", "2024-12-31", "2024-12-31", false},
		{"2025", "2024-12-31", "2025-01-01", true},
		{"2025", "2025-06-15", "2025-06-15", true},
		{"2025", "2026-01-01", "2026-01-01", false},
		{"2025-12-02", "2025-12-02", "2025-12-02", true},
		{"2025-12-02", "2025-12-03", "2025-12-31", false},
		{"2025-12-02", "2025-12-01", "2025-12-01", false},
		{"2025-11-24/2025-11-30", "2025-11-30", "2025-12-05", true},
		{"2025-11-24/2025-11-30", "2025-12-01", "2025-12-05", false},
		{"2025-11-24/2025-11-30", "2025-11-01", "2025-11-23", false},
		{"2025-11-24/2025-11-30", "2025-11-25", "2025-11-26", true},
	}
	for _, tt := range tests {
		d := MustParsePartialDate(tt.date)
		if got := d.Overlaps(day(t, tt.from), day(t, tt.to)); got != tt.want {
			t.Errorf("%s.Overlaps(%s, %s) = %t, want %t", tt.date, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestPartialDateContains(t *testing.T) {
	tests := []struct {
		date, day string
		want      bool
	}{
		{"2025-12", "2025-11-30", false},
		{"2025-12", "2025-12-01", true},
		{"2025-12", "2025-12-31", true},
		{"2025-12", "2026-01-01", false},
		{"2024-02", "2024-02-29", true},
		{"2024-02", "2024-03-01", false},
		{"2025", "2024-12-31", false},
		{"2025", "2025-01-01", true},
		{"2025", "2025-12-31", true},
		{"2025-12-02", "2025-12-02", true},
		{"2025-12-02", "2025-12-03", false},
		{"2025-11-24/2025-11-30", "2025-11-27", true},
		{"2025-11-24/2025-11-30", "2025-12-01", false},
	}
	for _, tt := range tests {
		if got := MustParsePartialDate(tt.date).Contains(day(t, tt.day)); got != tt.want {
			t.Errorf("%s.Contains(%s) = %t, want %t", tt.date, tt.day, got, tt.want)
		}
	}
}

func TestPartialDateWidth(t *testing.T) {
	tests := []struct {
		date string
		want int32
	}{
		{"", 0},
		{"2025-12-02", 0},
		{"2025-11-24/2025-11-24", 0},
		{"2025-11-24/2025-11-30", 6},
		{"2025-02", 27},
		{"2024-02", 28},
		{"2025-12", 30},
		{"2025", 364},
		{"2024", 365},
	}
	for _, tt := range tests {
		var d PartialDate
		if tt.date != "" {
			d = MustParsePartialDate(tt.date)
		}
		if got := d.Width(); got != tt.want {
			t.Errorf("%q.Width() = %d, want %d", tt.date, got, tt.want)
		}
	}
}

func TestPartialDateCompare(t *testing.T) {
	// Sorted by start, then narrower first; the unknown date leads.
	sorted := []string{
		"",
		"2024",
		"2024-12-31",
		"2025-01-01",
		"2025-01-01/2025-01-02",
		"2025-01",
		"2025",
		"2025-11-24/2025-11-30",
		"2025-12-01",
		"2025-12",
		"2025-12-02",
		"2026",
	}
	dates := make([]PartialDate, len(sorted))
	for i, s := range sorted {
		if s != "" {
			dates[i] = MustParsePartialDate(s)
		}
	}
	for i, a := range dates {
		for j, b := range dates {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}

	shuffled := slices.Clone(dates)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	slices.SortFunc(shuffled, PartialDate.Compare)
	if !slices.Equal(shuffled, dates) {
		t.Errorf("sorted = %q, want %q", shuffled, dates)
	}
}

func TestPartialDateCompareTies(t *testing.T) {
	// The same interval given with different precisions compares equal:
	// callers break the tie by id, so Compare must not pretend to know an
	// order.
	tests := [][2]string{
		{"2025-12", "2025-12-01/2025-12-31"},
		{"2025-12-02", "2025-12-02/2025-12-02"},
		{"2025", "2025-01-01/2025-12-31"},
	}
	for _, tt := range tests {
		a, b := MustParsePartialDate(tt[0]), MustParsePartialDate(tt[1])
		if a.Compare(b) != 0 || b.Compare(a) != 0 {
			t.Errorf("Compare(%s, %s) = %d, reverse %d; want 0 both ways", a, b, a.Compare(b), b.Compare(a))
		}
		if a == b {
			t.Errorf("%s and %s are equal values; precision must tell them apart", a, b)
		}
	}
}

func TestPartialDateTextRoundTrip(t *testing.T) {
	for _, s := range []string{"", "2025-12-02", "2025-12", "2025", "2025-11-24/2025-11-30", "2025-11-24/2025-11-24"} {
		var d PartialDate
		if s != "" {
			d = MustParsePartialDate(s)
		}
		b, err := d.MarshalText()
		if err != nil {
			t.Fatalf("%q.MarshalText: %v", s, err)
		}
		if string(b) != s {
			t.Errorf("MarshalText = %q, want %q", b, s)
		}
		// Start from a non-zero value so that UnmarshalText("") has to
		// reset it rather than leave it alone.
		got := MustParsePartialDate("1999")
		if err := got.UnmarshalText(b); err != nil {
			t.Fatalf("UnmarshalText(%q): %v", b, err)
		}
		if got != d {
			t.Errorf("UnmarshalText(%q) = %#v, want %#v", b, got, d)
		}
	}

	var d PartialDate
	wantBadInput(t, d.UnmarshalText([]byte("2025-13")), nil, "month 13")
}

func TestPartialDateJSON(t *testing.T) {
	type record struct {
		SaidOn PartialDate  `json:"saidOn"`
		AsOf   PartialDate  `json:"asOf"`
		From   *PartialDate `json:"from,omitempty"`
	}
	month := MustParsePartialDate("2025-12")
	in := record{
		SaidOn: MustParsePartialDate("2025-11-24/2025-11-30"),
		From:   &month,
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"saidOn":"2025-11-24/2025-11-30","asOf":"","from":"2025-12"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", b, err)
	}
	if out.SaidOn != in.SaidOn || out.AsOf != in.AsOf || out.From == nil || *out.From != month {
		t.Errorf("json round trip = %+v, want %+v", out, in)
	}

	err = json.Unmarshal([]byte(`{"saidOn":"2025-02-30"}`), &out)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeBadUserInput {
		t.Errorf("json.Unmarshal of an invalid date: error %v, want a BAD_USER_INPUT *Error", err)
	}
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		d    int
		want string
	}{
		{1970, 1, 1, "1970-01-01"},
		{1969, 12, 31, "1969-12-31"},
		{2025, 12, 2, "2025-12-02"},
		{2024, 2, 29, "2024-02-29"},
		{1, 1, 1, "0001-01-01"},
		{9999, 12, 31, "9999-12-31"},
	}
	for _, tt := range tests {
		d := DayOf(tt.y, tt.m, tt.d)
		if got := d.String(); got != tt.want {
			t.Errorf("DayOf(%d, %d, %d).String() = %q, want %q", tt.y, tt.m, tt.d, got, tt.want)
		}
		tm := d.Time()
		if y, m, dd := tm.Date(); y != tt.y || m != tt.m || dd != tt.d || tm.Location() != time.UTC || tm.Hour() != 0 {
			t.Errorf("DayOf(%d, %d, %d).Time() = %v, want midnight UTC that day", tt.y, tt.m, tt.d, tm)
		}
		if back := DayFromTime(tm); back != d {
			t.Errorf("DayFromTime(%v) = %d, want %d", tm, back, d)
		}
	}
	if got := DayOf(1970, 1, 1); got != 0 {
		t.Errorf("DayOf(1970-01-01) = %d, want day 0", got)
	}
	if got := DayOf(1969, 12, 31); got != -1 {
		t.Errorf("DayOf(1969-12-31) = %d, want day -1", got)
	}
}

func TestDayFromTimeUsesUTC(t *testing.T) {
	// 01:00 on 2 December in Kiritimati (UTC+14) is still 1 December in UTC.
	kiri := time.FixedZone("UTC+14", 14*3600)
	tm := time.Date(2025, 12, 2, 1, 0, 0, 0, kiri)
	if got := DayFromTime(tm).String(); got != "2025-12-01" {
		t.Errorf("DayFromTime(%v) = %s, want 2025-12-01", tm, got)
	}
	// The last nanosecond of a day belongs to it.
	tm = time.Date(2025, 12, 1, 23, 59, 59, 999_999_999, time.UTC)
	if got := DayFromTime(tm).String(); got != "2025-12-01" {
		t.Errorf("DayFromTime(%v) = %s, want 2025-12-01", tm, got)
	}
}

func TestToday(t *testing.T) {
	before := DayFromTime(time.Now())
	got := Today()
	after := DayFromTime(time.Now())
	if got < before || got > after {
		t.Errorf("Today() = %s, want between %s and %s", got, before, after)
	}
}

func FuzzParsePartialDate(f *testing.F) {
	// More seeds, one per form and per kind of mistake, live in
	// testdata/fuzz/FuzzParsePartialDate.
	for _, s := range []string{"2024-02-29", "9999-12-31", "", "/", "2025-12-0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePartialDate(s)
		if err != nil {
			if ErrorCode(err) != CodeBadUserInput {
				t.Fatalf("ParsePartialDate(%q): error %v has code %s, want %s", s, err, ErrorCode(err), CodeBadUserInput)
			}
			if !d.IsZero() {
				t.Fatalf("ParsePartialDate(%q) returned %#v alongside its error", s, d)
			}
			return
		}
		if d.IsZero() {
			t.Fatalf("ParsePartialDate(%q) succeeded with the unknown date", s)
		}
		if d.Start() > d.End() {
			t.Fatalf("ParsePartialDate(%q): start %s after end %s", s, d.Start(), d.End())
		}
		canon := d.String()
		if d.Precision() != PrecisionInterval && canon != s {
			t.Fatalf("ParsePartialDate(%q).String() = %q; %s dates must round-trip exactly", s, canon, d.Precision())
		}
		again, err := ParsePartialDate(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again != d {
			t.Fatalf("parse(%q) = %#v, but parse(its canonical form %q) = %#v", s, d, canon, again)
		}
		if again.String() != canon {
			t.Fatalf("format is not a fixed point: %q -> %q -> %q", s, canon, again.String())
		}
	})
}

// TestDayTextMatchesTimeFormat checks the hand-written day formatting
// against time.Format over the whole range of accepted years.
func TestDayTextMatchesTimeFormat(t *testing.T) {
	first, last := DayOf(MinYear, time.January, 1), DayOf(MaxYear, time.December, 31)
	for d := first; d <= last; d += 97 {
		want := d.Time().Format("2006-01-02")
		if got := d.String(); got != want {
			t.Fatalf("Day(%d).String() = %q, want %q", d, got, want)
		}
		if got, _ := d.AppendText([]byte("x")); string(got) != "x"+want {
			t.Fatalf("Day(%d).AppendText = %q", d, got)
		}
	}
	if got := last.String(); got != "9999-12-31" {
		t.Errorf("last day %q", got)
	}
	for _, s := range []string{"2025-12-02", "2025-12", "2025", "0001", "2025-11-24/2025-11-30"} {
		p := MustParsePartialDate(s)
		if got, _ := p.AppendText([]byte("x")); string(got) != "x"+s || p.String() != s {
			t.Errorf("%q: AppendText %q, String %q", s, got, p.String())
		}
	}
	if (PartialDate{}).String() != "" {
		t.Error("the unknown date has text")
	}
}

// TestRestorePartialDateMatchesTheTextForm checks the arithmetic checks of
// RestorePartialDate against the definition they stand for: a day, month
// or year is restored exactly when its text form parses back to it, an
// interval when it is ordered and within the years accepted.
func TestRestorePartialDateMatchesTheTextForm(t *testing.T) {
	reference := func(start, end Day, prec Precision) bool {
		p := PartialDate{start, end, prec}
		switch prec {
		case PrecisionInterval:
			q, err := ParsePartialDate(start.String() + "/" + end.String())
			return err == nil && q == p
		default:
			q, err := ParsePartialDate(p.String())
			return err == nil && q == p
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	days := []Day{DayOf(MinYear, 1, 1), DayOf(MaxYear, 12, 31), DayOf(2024, 2, 1), DayOf(2024, 2, 29), DayOf(2023, 2, 28),
		DayOf(2025, 12, 1), DayOf(2025, 12, 31), DayOf(2025, 1, 1), DayOf(1, 1, 1) - 1, DayOf(MaxYear, 12, 31) + 1}
	for range 20000 {
		days = append(days, DayOf(1990+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(31)))
	}
	for i := range 60000 {
		start := days[r.IntN(len(days))]
		end := start + Day(r.IntN(400)) - 30
		if i%3 == 0 {
			end = days[r.IntN(len(days))]
		}
		for _, prec := range []Precision{PrecisionDay, PrecisionMonth, PrecisionYear, PrecisionInterval} {
			_, err := RestorePartialDate(start, end, prec)
			if got, want := err == nil, reference(start, end, prec); got != want {
				t.Fatalf("RestorePartialDate(%s, %s, %s) ok = %v, want %v", start, end, prec, got, want)
			}
		}
	}
	for _, s := range []string{"2025-12-02", "2024-02", "2025", "2025-11-24/2025-11-30", "0001", "9999-12"} {
		p := MustParsePartialDate(s)
		if q, err := RestorePartialDate(p.Start(), p.End(), p.Precision()); err != nil || q != p {
			t.Errorf("%s: %v %v", s, q, err)
		}
	}
}
