package gen

import (
	"encoding/json"
	"testing"

	"parley/domain"
)

func records(cfg Config) []domain.StatementImport {
	d := New(cfg)
	var out []domain.StatementImport
	for r, ok := d.Next(); ok; r, ok = d.Next() {
		out = append(out, r)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	a, _ := json.Marshal(records(Config{N: 500, Seed: 7}))
	b, _ := json.Marshal(records(Config{N: 500, Seed: 7}))
	c, _ := json.Marshal(records(Config{N: 500, Seed: 8}))
	if string(a) != string(b) {
		t.Fatal("the same seed gave different data")
	}
	if string(a) == string(c) {
		t.Fatal("different seeds gave the same data")
	}
}

func TestWorkloadShape(t *testing.T) {
	const n = 20000
	for _, chrono := range []bool{false, true} {
		recs := records(Config{N: n, Seed: 1, Chronological: chrono})
		if len(recs) != n {
			t.Fatalf("%d records, want %d", len(recs), n)
		}
		speakers, sources, ext := map[string]int{}, map[string]bool{}, map[string]bool{}
		prec := map[domain.Precision]int{}
		positions := 0
		var last domain.Day
		for i, r := range recs {
			speakers[r.Speaker.Key]++
			for _, s := range r.Sources {
				sources[s.URL] = true
			}
			if ext[r.ExternalID] {
				t.Fatalf("duplicate externalId %s", r.ExternalID)
			}
			ext[r.ExternalID] = true
			d, err := domain.ParsePartialDate(r.SaidOn)
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if d.Start() < domain.DayOf(2000, 1, 1) || d.End() > domain.DayOf(2026, 12, 31) {
				t.Fatalf("record %d: date %s outside 2000-2026", i, d)
			}
			if chrono && d.Precision() == domain.PrecisionDay {
				if d.Start() < last {
					t.Fatalf("chronological record %d on %s after %s", i, d, last)
				}
				last = d.Start()
			}
			prec[d.Precision()]++
			words := len(domain.Tokens(r.Text))
			if words < 15 || words > 40 {
				t.Fatalf("record %d has %d words", i, words)
			}
			if nt := len(r.Topics); nt < 1 || nt > 3 {
				t.Fatalf("record %d has %d topics, want 1-3", i, nt)
			}
			positions += len(r.Positions)
		}
		if len(speakers) > max(20, n/200) {
			t.Fatalf("%d speakers, want at most %d", len(speakers), max(20, n/200))
		}
		if len(sources) > n/5 {
			t.Fatalf("%d sources, want at most %d", len(sources), n/5)
		}
		within := func(got int, want float64) bool { f := float64(got) / n; return f > want-0.02 && f < want+0.02 }
		if !within(prec[domain.PrecisionDay], 0.80) || !within(prec[domain.PrecisionMonth], 0.15) || !within(prec[domain.PrecisionYear], 0.05) {
			t.Fatalf("precisions %v, want about 80/15/5%%", prec)
		}
		if !within(positions, 0.30) {
			t.Fatalf("%d positions, want about 30%%", positions)
		}
	}
}
