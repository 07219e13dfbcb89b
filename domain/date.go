package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Day is a calendar day counted from 1970-01-01 (day 0) in the proleptic
// Gregorian calendar. Days are the unit of every date interval in Parley.
type Day int32

// DayOf returns the Day of the calendar date y-m-d.
func DayOf(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Today returns the current day in UTC.
func Today() Day { return DayFromTime(time.Now()) }

// DayFromTime returns the UTC day that contains t.
func DayFromTime(t time.Time) Day {
	t = t.UTC()
	return DayOf(t.Year(), t.Month(), t.Day())
}

// Time returns midnight UTC at the start of the day.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the day as YYYY-MM-DD.
func (d Day) String() string { return string(d.appendTo(make([]byte, 0, 10))) }

// AppendText implements encoding.TextAppender: it appends YYYY-MM-DD.
func (d Day) AppendText(b []byte) ([]byte, error) { return d.appendTo(b), nil }

// appendTo appends YYYY-MM-DD without the allocations of time.Format:
// API responses write thousands of dates.
func (d Day) appendTo(b []byte) []byte {
	y, m, dd := d.Time().Date()
	return append(b,
		byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-',
		byte('0'+dd/10), byte('0'+dd%10))
}

// Limits of the years Parley accepts: EDTF level 0 years are four digits.
const (
	MinYear = 1
	MaxYear = 9999
)

// Precision says how much of a partial date is known.
type Precision string

// The precisions of a partial date.
const (
	PrecisionDay      Precision = "DAY"
	PrecisionMonth    Precision = "MONTH"
	PrecisionYear     Precision = "YEAR"
	PrecisionInterval Precision = "INTERVAL"
)

// PartialDate is a date known to the day, month or year, or a closed
// interval of days. It is always the interval [Start, End] of days plus the
// precision it was given with, and it never invents precision: a month is
// never stored or shown as its first day.
//
// The zero value is the unknown date; IsZero reports it.
type PartialDate struct {
	start, end Day
	prec       Precision
}

// IsZero reports whether the date is unknown.
func (p PartialDate) IsZero() bool { return p.prec == "" }

// Start is the first day of the interval.
func (p PartialDate) Start() Day { return p.start }

// End is the last day of the interval (inclusive).
func (p PartialDate) End() Day { return p.end }

// Precision is how the date was given.
func (p PartialDate) Precision() Precision { return p.prec }

// DayDate returns the day-precision date d.
func DayDate(d Day) PartialDate { return PartialDate{d, d, PrecisionDay} }

// ParsePartialDate parses the text forms of DESIGN.md (a subset of
// ISO 8601-2 / EDTF level 0): YYYY-MM-DD, YYYY-MM, YYYY and
// YYYY-MM-DD/YYYY-MM-DD. Surrounding white space is not accepted: input is
// either canonical or rejected with an error that says what is wrong.
func ParsePartialDate(s string) (PartialDate, error) {
	if s == "" {
		return PartialDate{}, dateErr(s, "is empty; use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD")
	}
	// Reject stray characters up front: the length-based dispatch below
	// would otherwise blame "2025 " or "+2025" on their shape, which hides
	// the one character the user has to delete.
	if i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '-' && r != '/' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return PartialDate{}, dateErr(s, "contains white space; write the date without it")
		}
		return PartialDate{}, dateErr(s, fmt.Sprintf("contains %q; only digits 0-9, '-' and '/' may appear", r))
	}
	if strings.Count(s, "/") > 1 {
		return PartialDate{}, dateErr(s, "has more than one '/'; write a day as YYYY-MM-DD and an interval as YYYY-MM-DD/YYYY-MM-DD")
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		start, err := parseDay(a)
		if err != nil {
			return PartialDate{}, dateErr(s, fmt.Sprintf("has an invalid interval start %q: %v", a, err))
		}
		end, err := parseDay(b)
		if err != nil {
			return PartialDate{}, dateErr(s, fmt.Sprintf("has an invalid interval end %q: %v", b, err))
		}
		if end < start {
			return PartialDate{}, dateErr(s, "is an interval whose end precedes its start")
		}
		return PartialDate{start, end, PrecisionInterval}, nil
	}
	switch len(s) {
	case 4:
		y, err := parseYear(s)
		if err != nil {
			return PartialDate{}, dateErr(s, err.Error())
		}
		return PartialDate{DayOf(y, 1, 1), DayOf(y, 12, 31), PrecisionYear}, nil
	case 7:
		y, m, err := parseYearMonth(s)
		if err != nil {
			return PartialDate{}, dateErr(s, err.Error())
		}
		return PartialDate{DayOf(y, m, 1), DayOf(y, m+1, 1) - 1, PrecisionMonth}, nil
	case 10:
		d, err := parseDay(s)
		if err != nil {
			return PartialDate{}, dateErr(s, err.Error())
		}
		return DayDate(d), nil
	}
	return PartialDate{}, dateErr(s, "is not a date; use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD")
}

// MustParsePartialDate is ParsePartialDate for constants in tests and
// fixtures; it panics on invalid text.
func MustParsePartialDate(s string) PartialDate {
	p, err := ParsePartialDate(s)
	if err != nil {
		panic(err)
	}
	return p
}

// NewInterval returns the interval precision date [start, end].
func NewInterval(start, end Day) (PartialDate, error) {
	if end < start {
		return PartialDate{}, Errorf(CodeBadUserInput, "date interval %s/%s ends before it starts", start, end)
	}
	return PartialDate{start, end, PrecisionInterval}, nil
}

func dateErr(s, msg string) error {
	return Errorf(CodeBadUserInput, "date %q %s", s, msg)
}

func parseYear(s string) (int, error) {
	if len(s) != 4 || !allDigits(s) {
		return 0, fmt.Errorf("has a year that is not four digits")
	}
	y := atoi(s)
	if y < MinYear {
		return 0, fmt.Errorf("has year %s; years are %04d to %04d", s, MinYear, MaxYear)
	}
	return y, nil
}

func parseYearMonth(s string) (int, time.Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, 0, fmt.Errorf("must be YYYY-MM")
	}
	y, err := parseYear(s[:4])
	if err != nil {
		return 0, 0, err
	}
	if !allDigits(s[5:7]) {
		return 0, 0, fmt.Errorf("has a month that is not two digits")
	}
	m := atoi(s[5:7])
	if m < 1 || m > 12 {
		return 0, 0, fmt.Errorf("has month %02d; months are 01 to 12", m)
	}
	return y, time.Month(m), nil
}

func parseDay(s string) (Day, error) {
	if len(s) != 10 || s[7] != '-' {
		return 0, fmt.Errorf("is not YYYY-MM-DD")
	}
	y, m, err := parseYearMonth(s[:7])
	if err != nil {
		return 0, err
	}
	if !allDigits(s[8:10]) {
		return 0, fmt.Errorf("has a day that is not two digits")
	}
	d := atoi(s[8:10])
	if last := daysIn(y, m); d < 1 || d > last {
		return 0, fmt.Errorf("has day %02d; %04d-%02d has days 01 to %02d", d, y, int(m), last)
	}
	return DayOf(y, m, d), nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// String returns the canonical text form, or "" for the unknown date.
func (p PartialDate) String() string {
	if p.prec == "" {
		return ""
	}
	return string(p.appendTo(make([]byte, 0, 21)))
}

// AppendText implements encoding.TextAppender: it appends the canonical
// text form, nothing for the unknown date.
func (p PartialDate) AppendText(b []byte) ([]byte, error) { return p.appendTo(b), nil }

func (p PartialDate) appendTo(b []byte) []byte {
	switch p.prec {
	case PrecisionDay:
		return p.start.appendTo(b)
	case PrecisionMonth:
		return p.start.appendTo(b)[:len(b)+7]
	case PrecisionYear:
		return p.start.appendTo(b)[:len(b)+4]
	case PrecisionInterval:
		return p.end.appendTo(append(p.start.appendTo(b), '/'))
	}
	return b
}

// Overlaps reports whether the date's interval shares at least one day with
// [from, to]. The unknown date overlaps nothing.
func (p PartialDate) Overlaps(from, to Day) bool {
	return !p.IsZero() && p.start <= to && p.end >= from
}

// Contains reports whether day d lies inside the date's interval.
func (p PartialDate) Contains(d Day) bool { return p.Overlaps(d, d) }

// Width is the number of days in the interval minus one (0 for a day).
func (p PartialDate) Width() int32 { return int32(p.end - p.start) }

// Compare orders dates by start, then the narrower interval first (the
// earlier end); the unknown date sorts before every known date. Equal
// intervals compare equal whatever their precision: callers break ties by
// record id. It returns -1, 0 or +1.
func (p PartialDate) Compare(q PartialDate) int {
	switch {
	case p.IsZero() && q.IsZero():
		return 0
	case p.IsZero():
		return -1
	case q.IsZero():
		return 1
	case p.start != q.start:
		return cmp3(p.start, q.start)
	}
	return cmp3(p.end, q.end)
}

func cmp3(a, b Day) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (p PartialDate) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the unknown date.
func (p *PartialDate) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = PartialDate{}
		return nil
	}
	q, err := ParsePartialDate(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// RestorePartialDate rebuilds a date from its parts, as a store decodes
// what it wrote. It checks that the parts are consistent, so a damaged
// record is reported rather than shown.
func RestorePartialDate(start, end Day, prec Precision) (PartialDate, error) {
	// Every stored record's date passes here: the checks are arithmetic,
	// not a format and a parse of the text form.
	y, m, d := start.Time().Date()
	ok := y >= MinYear && y <= MaxYear
	switch prec {
	case PrecisionInterval:
		ey := end.Time().Year()
		ok = ok && end >= start && ey >= MinYear && ey <= MaxYear
	case PrecisionDay:
		ok = ok && end == start
	case PrecisionMonth:
		ok = ok && d == 1 && end == DayOf(y, m, daysIn(y, m))
	case PrecisionYear:
		ok = ok && m == time.January && d == 1 && end == DayOf(y, time.December, 31)
	default:
		return PartialDate{}, Errorf(CodeInternal, "unknown date precision %q", prec)
	}
	if !ok {
		return PartialDate{}, Errorf(CodeInternal, "inconsistent date %s..%s (%s)", start, end, prec)
	}
	return PartialDate{start, end, prec}, nil
}
