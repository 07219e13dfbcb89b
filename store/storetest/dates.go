package storetest

import (
	"slices"
	"testing"

	"parley/domain"
)

var dateTests = []testCase{
	{"Boundaries", testDateBoundaries},
	{"RoundTrip", testDateRoundTrip},
}

// dated are statements whose dates meet at their edges, keyed by name,
// created in this order (so ids do not follow dates).
var dated = []struct{ name, saidOn string }{
	{"D", "2025-11-30"},
	{"I", "2025-11-24/2025-11-30"},
	{"M", "2025-11"},
	{"D1", "2025-11-01"},
	{"YI", "2025-01-01/2025-12-31"},
	{"Y", "2025"},
	{"U", ""},
}

func createDated(t *testing.T, s domain.Store) map[string]*domain.Statement {
	t.Helper()
	sp := createSpeaker(t, s, person("Marco Rubio", "US"))
	out := map[string]*domain.Statement{}
	for _, d := range dated {
		out[d.name] = createStatement(t, s, quote(sp.ID, "Statement "+d.name+" on talks.", d.saidOn))
	}
	return out
}

func testDateBoundaries(t *testing.T, s domain.Store) {
	ctx := t.Context()
	st := createDated(t, s)
	// Unknown first; then by start, the narrower first; equal intervals
	// (YI and Y) by id.
	ascending := []string{"U", "YI", "Y", "D1", "M", "I", "D"}
	tests := []struct {
		from, to string
		want     []string // names, any order
	}{
		{"", "", []string{"U", "YI", "Y", "D1", "M", "I", "D"}},
		{"2025-11-15", "2025-11-20", []string{"YI", "Y", "M"}},
		{"", "2025-10-31", []string{"YI", "Y"}},
		{"", "2024-12-31", nil},
		{"2025-11-30", "", []string{"YI", "Y", "M", "I", "D"}},
		{"2025-12-01", "", []string{"YI", "Y"}},
		{"", "2025-11-24", []string{"YI", "Y", "D1", "M", "I"}},
		{"", "2025-11-23", []string{"YI", "Y", "D1", "M"}},
		{"2025-11-24", "2025-11-24", []string{"YI", "Y", "M", "I"}},
		{"", "2025-11-01", []string{"YI", "Y", "D1", "M"}},
		{"", "2025-11", []string{"YI", "Y", "D1", "M", "I", "D"}},
		{"2025-11", "2025-11", []string{"YI", "Y", "D1", "M", "I", "D"}},
		{"2025-12", "", []string{"YI", "Y"}},
		{"2026", "", nil},
		{"2024", "2024", nil},
		{"2025-11-25/2025-11-26", "2025-11-27/2025-12-05", []string{"YI", "Y", "M", "I", "D"}},
	}
	for _, tt := range tests {
		var f domain.StatementFilter
		if tt.from != "" {
			f.SaidFrom = date(tt.from)
		}
		if tt.to != "" {
			f.SaidTo = date(tt.to)
		}
		var want []domain.ID
		for _, name := range ascending {
			if slices.Contains(tt.want, name) {
				want = append(want, st[name].ID)
			}
		}
		res, err := s.ListStatements(ctx, f, domain.SaidOnAsc, domain.Page{First: domain.MaxPageSize})
		noError(t, err, "ListStatements")
		if got := ids(res.Items, statementID); !slices.Equal(got, want) {
			t.Errorf("saidFrom %q saidTo %q: got %v, want %v (%v)", tt.from, tt.to, names(st, got), tt.want, want)
		}
		res, err = s.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: domain.MaxPageSize})
		noError(t, err, "ListStatements")
		if got := ids(res.Items, statementID); !slices.Equal(got, reversed(want)) {
			t.Errorf("saidFrom %q saidTo %q, SAID_ON_DESC: got %v, want the reverse of %v", tt.from, tt.to, names(st, got), tt.want)
		}
	}
}

func names(st map[string]*domain.Statement, list []domain.ID) []string {
	var out []string
	for _, id := range list {
		for name, s := range st {
			if s.ID == id {
				out = append(out, name)
			}
		}
	}
	return out
}

func reversed[T any](xs []T) []T {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

// testDateRoundTrip checks that dates come back with the precision they
// were given: a month is never returned as its first day.
func testDateRoundTrip(t *testing.T, s domain.Store) {
	ctx := t.Context()
	st := createDated(t, s)
	precision := map[string]domain.Precision{
		"D": domain.PrecisionDay, "D1": domain.PrecisionDay, "I": domain.PrecisionInterval,
		"M": domain.PrecisionMonth, "YI": domain.PrecisionInterval, "Y": domain.PrecisionYear, "U": "",
	}
	res, err := s.ListStatements(ctx, domain.StatementFilter{}, domain.SaidOnAsc, domain.Page{First: domain.MaxPageSize})
	noError(t, err, "ListStatements")
	listed := map[domain.ID]*domain.Statement{}
	for _, x := range res.Items {
		listed[x.ID] = x
	}
	for _, d := range dated {
		got, err := s.Statement(ctx, st[d.name].ID)
		noError(t, err, "Statement")
		for how, g := range map[string]*domain.Statement{"Statement": got, "ListStatements": listed[got.ID]} {
			if g == nil {
				t.Errorf("%s: statement %s missing", how, d.name)
				continue
			}
			if g.SaidOn.String() != d.saidOn || g.SaidOn.Precision() != precision[d.name] {
				t.Errorf("%s: saidOn %q (%q), want %q (%q)", how, g.SaidOn, g.SaidOn.Precision(), d.saidOn, precision[d.name])
			}
		}
	}

	topic := createTopic(t, s, "nato", "NATO", 0)
	for _, asOf := range []string{"2025", "2025-11", "2025-11-24/2025-11-30", "2025-11-30"} {
		ps := createPosition(t, s, stance(st["D"].SpeakerID, topic.ID, domain.StanceOpposes, asOf))
		got, err := s.Position(ctx, ps.ID)
		noError(t, err, "Position")
		if got.AsOf.String() != asOf || got.AsOf != date(asOf) {
			t.Errorf("position asOf %q (%q), want %q", got.AsOf, got.AsOf.Precision(), asOf)
		}
	}
}
