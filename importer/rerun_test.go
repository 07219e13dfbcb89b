package importer_test

import (
	"slices"
	"testing"

	"parley/domain"
	"parley/gen"
)

// The acceptance case: importing a generated file again reports every
// record UNCHANGED and writes nothing. The workload has speakers who take
// a position on one topic, as of one year, in several statements with
// different stances, within a batch and across batches.
func TestReimportingAGeneratedFileChangesNothing(t *testing.T) {
	d := gen.New(gen.Config{N: 3000, Seed: 7})
	var recs []domain.StatementImport
	for rec, ok := d.Next(); ok; rec, ok = d.Next() {
		recs = append(recs, rec)
	}
	s := newStore(t)
	importAll(t, s, recs, 1000, domain.ImportCreated)
	before := dump(t, s)
	importAll(t, s, recs, 1000, domain.ImportUnchanged)
	if dump(t, s) != before {
		t.Error("importing the same file again wrote to the store")
	}
}

// Statements that show one position (one speaker, topic and asOf) with
// different stances: the position is what the last said of them shows,
// whatever the order of the records, and the others get a warning.
func TestAPositionIsWhatItsLatestEvidenceSays(t *testing.T) {
	early := leavitt("early", "we have doubts about the plan")
	early.SaidOn = "2025-11-03"
	early.Positions = []domain.PositionRef{{Topic: "us-peace-plan", Stance: domain.StanceOpposes, AsOf: "2025-11"}}
	late := leavitt("late", "the plan has been significantly improved")
	late.SaidOn = "2025-11-28"
	late.Positions = []domain.PositionRef{{Topic: "us-peace-plan", Stance: domain.StanceSupports, AsOf: "2025-11", Summary: "improved"}}

	for _, tc := range []struct {
		name string
		recs []domain.StatementImport
		warn int // the record warned, the earlier statement's
	}{
		{"in date order", []domain.StatementImport{early, late}, -1},
		{"latest first", []domain.StatementImport{late, early}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			rep := run(t, s, tc.recs, atomic)
			wantStatuses(t, rep, domain.ImportCreated, domain.ImportCreated)
			if tc.warn >= 0 {
				wantIssue(t, "the earlier statement", rep.Results[tc.warn].Warnings, domain.CodeConflict, "positions", "0", "stance")
			}
			ps, err := s.ListPositions(t.Context(), domain.PositionFilter{}, domain.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ps.Items) != 1 || ps.Items[0].Stance != domain.StanceSupports || ps.Items[0].Summary != "improved" || len(ps.Items[0].EvidenceIDs) != 2 {
				t.Fatalf("positions %+v; want one, SUPPORTS as the later statement says, with both as evidence", ps.Items)
			}

			before := dump(t, s)
			rep = run(t, s, tc.recs, atomic)
			wantStatuses(t, rep, domain.ImportUnchanged, domain.ImportUnchanged)
			if dump(t, s) != before {
				t.Error("importing the same records again wrote")
			}
		})
	}

	// The latest evidence itself still changes the position.
	s := newStore(t)
	run(t, s, []domain.StatementImport{early, late}, atomic)
	late.Positions[0].Stance = domain.StanceMixed
	rep := run(t, s, []domain.StatementImport{late}, atomic)
	wantStatuses(t, rep, domain.ImportUpdated)
	ps, _ := s.ListPositions(t.Context(), domain.PositionFilter{}, domain.Page{})
	if ps.Items[0].Stance != domain.StanceMixed {
		t.Errorf("stance %s after the latest evidence changed it, want MIXED", ps.Items[0].Stance)
	}
}

// Two records of one batch that are one statement (no externalId, texts
// that differ only in case and punctuation): the later one is refused, as
// applying it would undo the earlier one on every run.
func TestOneBatchCannotGiveAStatementTwoVersions(t *testing.T) {
	a := leavitt("", "Hello world")
	b := leavitt("", "hello, world")
	same := leavitt("", "Hello world")
	s := newStore(t)
	rep := run(t, s, []domain.StatementImport{a, b, same}, lenient)
	wantStatuses(t, rep, domain.ImportCreated, domain.ImportFailed, domain.ImportUnchanged)
	if is := rep.Results[1].Errors; len(is) == 0 || is[0].Code != domain.CodeConflict || !slices.Equal(is[0].Path, []string{"text"}) {
		t.Fatalf("errors of the second record %+v, want a CONFLICT at text naming the first", is)
	}
	before := dump(t, s)
	rep = run(t, s, []domain.StatementImport{a, b, same}, lenient)
	wantStatuses(t, rep, domain.ImportUnchanged, domain.ImportFailed, domain.ImportUnchanged)
	if dump(t, s) != before {
		t.Error("the second run wrote")
	}
}

// A dry run, or an atomic batch that a failure rolled back, reports no id
// of a statement it would have created, including for a later record that
// matched it.
func TestUncommittedStatementsHaveNoID(t *testing.T) {
	a := leavitt("", "Hello world")
	same := leavitt("", "Hello world")
	bad := leavitt("bad", "bad date")
	bad.SaidOn = "2025-13"
	for _, tc := range []struct {
		name string
		recs []domain.StatementImport
		opts domain.ImportOptions
	}{
		{"dry run", []domain.StatementImport{a, same}, domain.ImportOptions{Atomic: true, DryRun: true}},
		{"rolled back", []domain.StatementImport{a, same, bad}, atomic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			rep := run(t, s, tc.recs, tc.opts)
			for _, r := range rep.Results {
				if r.ID != 0 {
					t.Errorf("record %d (%s) reports id %d, which was never committed", r.Index, r.Status, r.ID)
				}
			}
			if n := len(statements(t, s)); n != 0 {
				t.Fatalf("%d statements stored", n)
			}
		})
	}
}

// Filling an empty field of a stored statement, its externalId included,
// is no conflict: FAIL lets it through.
func TestFillingAStatementsEmptyFieldsIsNoConflict(t *testing.T) {
	s := newStore(t)
	r := leavitt("", "text")
	r.Context = ""
	run(t, s, []domain.StatementImport{r}, atomic)
	r.ExternalID, r.Context = "ext-1", "at the briefing"
	rep := run(t, s, []domain.StatementImport{r}, domain.ImportOptions{Atomic: true, OnConflict: domain.OnConflictFail})
	wantStatuses(t, rep, domain.ImportUpdated)
	st := statements(t, s)[0]
	if st.ExternalID != "ext-1" || st.Context != "at the briefing" {
		t.Errorf("stored %q, %q; want the filled externalId and context", st.ExternalID, st.Context)
	}
}
