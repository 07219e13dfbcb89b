package importer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"parley/domain"
	"parley/importer"
)

func TestImportCreatesEverythingThenReimportChangesNothing(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	rep := run(t, s, batch(), atomic)
	wantStatuses(t, rep, all(3, domain.ImportCreated)...)

	sts := statements(t, s)
	if len(sts) != 3 {
		t.Fatalf("%d statements stored, want 3", len(sts))
	}
	for i, r := range rep.Results {
		if r.ID != sts[i].ID {
			t.Errorf("result %d has id %d, want %d", i, r.ID, sts[i].ID)
		}
	}
	sp, err := s.SpeakerByKey(ctx, "karoline-leavitt")
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.SpeakerByKey(ctx, "white-house")
	if err != nil {
		t.Fatal(err)
	}
	if org.Kind != domain.SpeakerOrganization || org.Name != "White House" {
		t.Errorf("role organization created as %+v, want the ORGANIZATION White House", org)
	}
	if len(sp.Roles) != 1 || sp.Roles[0].OrgID != org.ID || sp.Roles[0].From.String() != "2025-01" {
		t.Errorf("speaker roles %+v, want one in %d from 2025-01", sp.Roles, org.ID)
	}
	plan, err := s.TopicByKey(ctx, "us-peace-plan")
	if err != nil {
		t.Fatal(err)
	}
	process, err := s.TopicByKey(ctx, "ukraine-peace-process")
	if err != nil {
		t.Fatal(err)
	}
	if plan.ParentID != process.ID {
		t.Errorf("us-peace-plan has parent %d, want ukraine-peace-process (%d): a parent listed later in the record counts", plan.ParentID, process.ID)
	}
	if sts[2].ExternalID != "" || sts[2].SaidOn.String() != "2025-11" || !slices.Equal(sts[2].TopicIDs, []domain.ID{process.ID}) {
		t.Errorf("third statement stored as %+v", sts[2])
	}
	// The first record's position holds as of its saidOn, with it as
	// evidence; the third's position has its own asOf.
	ps := walk(t, func(p domain.Page) (*domain.Result[*domain.Position], error) {
		return s.ListPositions(ctx, domain.PositionFilter{Topics: []string{"us-peace-plan"}}, p)
	})
	if len(ps) != 2 {
		t.Fatalf("%d positions, want 2", len(ps))
	}
	got := map[string]*domain.Position{}
	for _, p := range ps {
		got[p.AsOf.String()] = p
	}
	if p := got["2025-12-01"]; p == nil || p.Stance != domain.StanceSupports || !slices.Equal(p.EvidenceIDs, []domain.ID{sts[0].ID}) {
		t.Errorf("position as of 2025-12-01: %+v", p)
	}
	if p := got["2025-11-30"]; p == nil || p.Stance != domain.StanceMixed || !slices.Equal(p.EvidenceIDs, []domain.ID{sts[2].ID}) {
		t.Errorf("position as of 2025-11-30: %+v", p)
	}

	before := dump(t, s)
	for _, opts := range []domain.ImportOptions{atomic, lenient, {OnConflict: domain.OnConflictFail, Atomic: true}} {
		rep = run(t, s, batch(), opts)
		wantStatuses(t, rep, all(3, domain.ImportUnchanged)...)
		for i, r := range rep.Results {
			if r.ID != sts[i].ID || len(r.Errors)+len(r.Warnings) != 0 {
				t.Errorf("re-import result %d: %+v", i, r)
			}
		}
	}
	if after := dump(t, s); after != before {
		t.Errorf("re-importing wrote to the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// The acceptance case of the bulk import: one bad record in the middle of
// a batch gets a precise error; atomic imports write nothing, lenient ones
// everything else.
func TestBadRecordInTheMiddle(t *testing.T) {
	tests := []struct {
		name string
		bad  func(r *domain.StatementImport)
		code domain.Code
		path []string
	}{
		{"invalid date", func(r *domain.StatementImport) { r.SaidOn = "2025-02-30" }, domain.CodeBadUserInput, []string{"saidOn"}},
		{"unknown stance", func(r *domain.StatementImport) { r.Positions[0].Stance = "ENTHUSIASTIC" }, domain.CodeBadUserInput, []string{"positions", "0", "stance"}},
		{"empty text", func(r *domain.StatementImport) { r.Text = "  " }, domain.CodeBadUserInput, []string{"text"}},
		{"1 MB text", func(r *domain.StatementImport) { r.Text = strings.Repeat("peace ", 1<<20/6) }, domain.CodeBadUserInput, []string{"text"}},
		{"bad country code", func(r *domain.StatementImport) { r.Speaker.Country = "UK" }, domain.CodeBadUserInput, []string{"speaker", "country"}},
		{"bad topic key", func(r *domain.StatementImport) { r.Topics[1].Key = "Peace Process" }, domain.CodeBadUserInput, []string{"topics", "1", "key"}},
		{"bad role date", func(r *domain.StatementImport) { r.Speaker.Roles[0].From = "2025-1" }, domain.CodeBadUserInput, []string{"speaker", "roles", "0", "from"}},
		{"bad source url", func(r *domain.StatementImport) { r.Sources[0].URL = "example.org/news" }, domain.CodeBadUserInput, []string{"sources", "0", "url"}},
		{"bad publishedAt", func(r *domain.StatementImport) { r.Sources[0].PublishedAt = "1 Dec 2025" }, domain.CodeBadUserInput, []string{"sources", "0", "publishedAt"}},
		{"publishedAt out of range", func(r *domain.StatementImport) { r.Sources[0].PublishedAt = "2300-01-01T00:00:00Z" }, domain.CodeBadUserInput, []string{"sources", "0", "publishedAt"}},
		{"bad language", func(r *domain.StatementImport) { r.Language = "english!" }, domain.CodeBadUserInput, []string{"language"}},
		{"unknown kind", func(r *domain.StatementImport) { r.Kind = "RUMOUR" }, domain.CodeBadUserInput, []string{"kind"}},
		{"position topic unknown", func(r *domain.StatementImport) { r.Positions[0].Topic = "nato" }, domain.CodeBadUserInput, []string{"positions", "0", "topic"}},
		{"missing parent topic", func(r *domain.StatementImport) { r.Topics[1].Parent = "war" }, domain.CodeBadUserInput, []string{"topics", "1", "parent"}},
		{"new speaker without name", func(r *domain.StatementImport) {
			r.Speaker = domain.SpeakerRef{Key: "nobody", Kind: domain.SpeakerPerson}
		}, domain.CodeBadUserInput, []string{"speaker", "name"}},
		{"new organization without name", func(r *domain.StatementImport) { r.Speaker.Roles[0].Org, r.Speaker.Roles[0].OrgName = "nato", "" }, domain.CodeBadUserInput, []string{"speaker", "roles", "0", "orgName"}},
		{"asOf unknown", func(r *domain.StatementImport) { r.SaidOn = "" }, domain.CodeBadUserInput, []string{"positions", "0", "asOf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := []domain.StatementImport{leavitt("a", "first"), leavitt("b", "second"), leavitt("c", "third")}
			recs[1].Speaker = domain.SpeakerRef{Key: "maria-zakharova", Name: "Maria Zakharova", Kind: domain.SpeakerPerson, Country: "RU",
				Roles: []domain.RoleRef{{Title: "Spokeswoman", Org: "russian-mfa", OrgName: "Russian Foreign Ministry"}}}
			tt.bad(&recs[1])

			s := newStore(t)
			run(t, s, []domain.StatementImport{leavitt("existing", "already there")}, atomic)
			before := dump(t, s)

			rep := run(t, s, recs, atomic)
			wantStatuses(t, rep, domain.ImportSkipped, domain.ImportFailed, domain.ImportSkipped)
			wantIssue(t, "record 1", rep.Results[1].Errors, tt.code, tt.path...)
			for _, r := range rep.Results {
				if r.ID != 0 {
					t.Errorf("record %d reports id %d, but nothing was written", r.Index, r.ID)
				}
			}
			if after := dump(t, s); after != before {
				t.Errorf("atomic import with a failed record wrote:\n%s", after)
			}

			rep = run(t, s, recs, lenient)
			wantStatuses(t, rep, domain.ImportCreated, domain.ImportFailed, domain.ImportCreated)
			wantIssue(t, "record 1", rep.Results[1].Errors, tt.code, tt.path...)
			var texts []string
			for _, st := range statements(t, s) {
				texts = append(texts, st.Text)
			}
			if want := []string{"already there", "first", "third"}; !slices.Equal(texts, want) {
				t.Errorf("stored %q, want %q", texts, want)
			}
			if _, err := s.SpeakerByKey(t.Context(), "russian-mfa"); domain.ErrorCode(err) != domain.CodeNotFound {
				t.Errorf("the failed record's organization was created (err %v)", err)
			}
		})
	}
}

// One report lists every problem of a record, each at its own field.
func TestErrorsAreAllReported(t *testing.T) {
	r := leavitt("a", "text")
	r.SaidOn = "12/01/2025"
	r.Speaker.Country = "XX"
	r.Topics[0].Name = strings.Repeat("n", domain.MaxNameLen+1)
	r.Sources[0].URL = "ftp://example.org"
	r.Positions[0].Stance = ""
	rep := run(t, newStore(t), []domain.StatementImport{r}, atomic)
	wantStatuses(t, rep, domain.ImportFailed)
	var paths []string
	for _, e := range rep.Results[0].Errors {
		paths = append(paths, strings.Join(e.Path, "."))
	}
	want := []string{"saidOn", "speaker.country", "topics.0.name", "sources.0.url", "positions.0.stance"}
	if !slices.Equal(paths, want) {
		t.Errorf("errors at %q, want %q\n%s", paths, want, describe(rep))
	}
}

func TestDuplicateExternalIDsInOneBatch(t *testing.T) {
	s := newStore(t)
	recs := []domain.StatementImport{leavitt("x", "one"), leavitt("y", "two"), leavitt("x", "three")}
	rep := run(t, s, recs, lenient)
	wantStatuses(t, rep, domain.ImportCreated, domain.ImportCreated, domain.ImportFailed)
	wantIssue(t, "record 2", rep.Results[2].Errors, domain.CodeConflict, "externalId")
	if n := len(statements(t, s)); n != 2 {
		t.Errorf("%d statements, want 2", n)
	}
}

// An existing speaker is never overwritten: empty fields are filled, and a
// conflicting value is kept and reported.
func TestExistingSpeakerIsFilledNeverOverwritten(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	stored, err := s.CreateSpeaker(ctx, &domain.Speaker{Key: "karoline-leavitt", Name: "Karoline Leavitt", Kind: domain.SpeakerPerson, Aliases: []string{"Leavitt"}})
	if err != nil {
		t.Fatal(err)
	}
	r := leavitt("a", "text")
	r.Speaker.Kind = domain.SpeakerOrganization
	r.Speaker.Name = "K. Leavitt"
	r.Speaker.Aliases = []string{"Leavitt", "Karoline"}
	r.Speaker.Description = "White House Press Secretary"
	rep := run(t, s, []domain.StatementImport{r}, atomic)
	wantStatuses(t, rep, domain.ImportCreated)
	var paths []string
	for _, w := range rep.Results[0].Warnings {
		if w.Code != domain.CodeConflict {
			t.Errorf("warning %v has code %s, want CONFLICT", w.Path, w.Code)
		}
		paths = append(paths, strings.Join(w.Path, "."))
	}
	if want := []string{"speaker.name", "speaker.kind"}; !slices.Equal(paths, want) {
		t.Errorf("warnings at %q, want %q", paths, want)
	}
	got, err := s.Speaker(ctx, stored.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != domain.SpeakerPerson || got.Name != "Karoline Leavitt" {
		t.Errorf("stored speaker overwritten: %+v", got)
	}
	if got.Country != "US" || got.Description != "White House Press Secretary" || !slices.Equal(got.Aliases, []string{"Leavitt", "Karoline"}) || len(got.Roles) != 1 {
		t.Errorf("empty fields not filled: %+v", got)
	}

	// The same conflict on an otherwise unchanged record: a warning, and
	// nothing written.
	before := dump(t, s)
	rep = run(t, s, []domain.StatementImport{r}, atomic)
	wantStatuses(t, rep, domain.ImportUnchanged)
	if len(rep.Results[0].Warnings) != 2 {
		t.Errorf("warnings %+v, want name and kind again", rep.Results[0].Warnings)
	}
	if dump(t, s) != before {
		t.Error("an unchanged record with warnings wrote to the store")
	}

	// A speaker the store has can be named by key alone.
	r2 := leavitt("b", "other text")
	r2.Speaker = domain.SpeakerRef{Key: "karoline-leavitt"}
	wantStatuses(t, run(t, s, []domain.StatementImport{r2}, atomic), domain.ImportCreated)
}

// Filling a related record's empty field makes an otherwise unchanged
// record UPDATED; a conflicting value is a warning and changes nothing.
func TestRelatedRecordsOfAnExistingStatement(t *testing.T) {
	tests := []struct {
		name    string
		initial func(r *domain.StatementImport) // before the first import
		change  func(r *domain.StatementImport) // before the second
		want    domain.ImportStatus
		warn    []string
	}{
		{"speaker description filled", nil, func(r *domain.StatementImport) { r.Speaker.Description = "Press secretary" }, domain.ImportUpdated, nil},
		{"alias added", nil, func(r *domain.StatementImport) { r.Speaker.Aliases = []string{"Leavitt"} }, domain.ImportUpdated, nil},
		{"role end filled", nil, func(r *domain.StatementImport) { r.Speaker.Roles[0].To = "2029" }, domain.ImportUpdated, nil},
		{"role start differs", nil, func(r *domain.StatementImport) { r.Speaker.Roles[0].From = "2024" }, domain.ImportUnchanged, []string{"speaker.roles.0.from"}},
		{"role added", nil, func(r *domain.StatementImport) {
			r.Speaker.Roles = append(r.Speaker.Roles, domain.RoleRef{Title: "Campaign spokeswoman", Org: "trump-campaign", OrgName: "Trump campaign"})
		}, domain.ImportUpdated, nil},
		{"role organization named differently", nil, func(r *domain.StatementImport) { r.Speaker.Roles[0].OrgName = "The White House" }, domain.ImportUnchanged, []string{"speaker.roles.0.orgName"}},
		{"roles left out", nil, func(r *domain.StatementImport) { r.Speaker.Roles = nil }, domain.ImportUnchanged, nil},
		{"topic description filled", nil, func(r *domain.StatementImport) { r.Topics[0].Description = "The 28-point plan" }, domain.ImportUpdated, nil},
		{"topic parent filled", func(r *domain.StatementImport) { r.Topics[0].Parent = "" }, func(r *domain.StatementImport) {}, domain.ImportUpdated, nil},
		{"topic parent differs", nil, func(r *domain.StatementImport) {
			r.Topics = append(r.Topics, domain.TopicRef{Key: "diplomacy", Name: "Diplomacy"})
			r.Topics[0].Parent = "diplomacy"
		}, domain.ImportUpdated, []string{"topics.0.parent"}},
		{"source publisher filled", func(r *domain.StatementImport) { r.Sources[0].Publisher = "" }, func(r *domain.StatementImport) {}, domain.ImportUpdated, nil},
		{"source publisher differs", nil, func(r *domain.StatementImport) { r.Sources[0].Publisher = "Other News" }, domain.ImportUnchanged, []string{"sources.0.publisher"}},
		{"source published at another time", nil, func(r *domain.StatementImport) { r.Sources[0].PublishedAt = "2025-12-01T19:00:00+01:00" }, domain.ImportUnchanged, nil},
		{"position summary left out", nil, func(r *domain.StatementImport) { r.Positions[0].Summary = "" }, domain.ImportUnchanged, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			r := leavitt("a", "text")
			if tt.initial != nil {
				tt.initial(&r)
			}
			run(t, s, []domain.StatementImport{r}, atomic)
			r = leavitt("a", "text")
			tt.change(&r)
			before := dump(t, s)
			rep := run(t, s, []domain.StatementImport{r}, atomic)
			wantStatuses(t, rep, tt.want)
			var warns []string
			for _, w := range rep.Results[0].Warnings {
				warns = append(warns, strings.Join(w.Path, "."))
			}
			if !slices.Equal(warns, tt.warn) {
				t.Errorf("warnings %q, want %q\n%s", warns, tt.warn, describe(rep))
			}
			if changed := dump(t, s) != before; changed != (tt.want == domain.ImportUpdated) {
				t.Errorf("status %s, but the store changed: %v", tt.want, changed)
			}
			wantStatuses(t, run(t, s, []domain.StatementImport{r}, atomic), domain.ImportUnchanged)
		})
	}
}

func TestConflictPolicies(t *testing.T) {
	changes := []struct {
		name   string
		change func(r *domain.StatementImport)
		path   []string
	}{
		{"text", func(r *domain.StatementImport) { r.Text = "significantly improved, really" }, []string{"text"}},
		{"context cleared", func(r *domain.StatementImport) { r.Context = "" }, []string{"context"}},
		{"stance", func(r *domain.StatementImport) { r.Positions[0].Stance = domain.StanceMixed }, []string{"positions", "0", "stance"}},
		{"position dropped", func(r *domain.StatementImport) { r.Positions = nil }, []string{"positions"}},
	}
	for _, ch := range changes {
		for _, policy := range []domain.OnConflict{domain.OnConflictUpdate, domain.OnConflictSkip, domain.OnConflictFail} {
			t.Run(ch.name+"/"+string(policy), func(t *testing.T) {
				s := newStore(t)
				orig := leavitt("a", "significantly improved")
				untouched := leavitt("b", "untouched")
				untouched.Positions = nil
				run(t, s, []domain.StatementImport{orig, untouched}, atomic)
				before := conflicting(t, s, statements(t, s)[0].ID)

				changed := leavitt("a", "significantly improved")
				ch.change(&changed)
				recs := []domain.StatementImport{changed, untouched, leavitt("c", "new")}
				recs[2].Positions = nil
				rep := run(t, s, recs, domain.ImportOptions{OnConflict: policy, Atomic: false})
				id := statements(t, s)[0].ID

				switch policy {
				case domain.OnConflictUpdate:
					wantStatuses(t, rep, domain.ImportUpdated, domain.ImportUnchanged, domain.ImportCreated)
					if rep.Results[0].ID != id {
						t.Errorf("updated record reports id %d, want %d", rep.Results[0].ID, id)
					}
					// The record is now the truth: importing it again
					// changes nothing.
					wantStatuses(t, run(t, s, recs, lenient), domain.ImportUnchanged, domain.ImportUnchanged, domain.ImportUnchanged)
					return
				case domain.OnConflictSkip:
					wantStatuses(t, rep, domain.ImportSkipped, domain.ImportUnchanged, domain.ImportCreated)
					if rep.Results[0].ID != id || len(rep.Results[0].Errors) != 0 {
						t.Errorf("skipped record: %+v, want id %d and no error", rep.Results[0], id)
					}
				case domain.OnConflictFail:
					wantStatuses(t, rep, domain.ImportFailed, domain.ImportUnchanged, domain.ImportCreated)
					wantIssue(t, "record 0", rep.Results[0].Errors, domain.CodeConflict, ch.path...)
				}
				// Neither SKIP nor FAIL touched the conflicting record's
				// statement or positions.
				if got := conflicting(t, s, id); got != before {
					t.Errorf("policy %s changed stored records:\nbefore:\n%s\nafter:\n%s", policy, before, got)
				}
			})
		}
	}
}

// conflicting describes a statement and the positions citing it.
func conflicting(t *testing.T, s domain.Store, id domain.ID) string {
	t.Helper()
	st, err := s.Statement(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.PositionsCiting(t.Context(), []domain.ID{id})
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%+v\n", *st)
	for _, p := range ps[0] {
		out += fmt.Sprintf("%+v\n", *p)
	}
	return out
}

// With UPDATE, the record is the truth for its statement: a position it no
// longer lists stops citing it, one it lists starts.
func TestUpdatedRecordMovesEvidence(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	r := leavitt("a", "significantly improved")
	run(t, s, []domain.StatementImport{r}, atomic)
	r.Positions = []domain.PositionRef{{Topic: "ukraine-peace-process", Stance: domain.StanceSupports}}
	wantStatuses(t, run(t, s, []domain.StatementImport{r}, atomic), domain.ImportUpdated)

	id := statements(t, s)[0].ID
	citing, err := s.PositionsCiting(ctx, []domain.ID{id})
	if err != nil {
		t.Fatal(err)
	}
	if len(citing[0]) != 1 {
		t.Fatalf("statement cited by %d positions, want 1", len(citing[0]))
	}
	process, err := s.TopicByKey(ctx, "ukraine-peace-process")
	if err != nil {
		t.Fatal(err)
	}
	if citing[0][0].TopicID != process.ID {
		t.Errorf("statement cited by a position on topic %d, want %d", citing[0][0].TopicID, process.ID)
	}
	// The dropped position stays, without evidence.
	if n, err := s.CountPositions(ctx, domain.PositionFilter{Topics: []string{"us-peace-plan"}}); err != nil || n != 1 {
		t.Errorf("%d positions on us-peace-plan (%v), want the dropped one kept", n, err)
	}
}

func TestMatching(t *testing.T) {
	s := newStore(t)
	orig := leavitt("", "Significantly improved!")
	run(t, s, []domain.StatementImport{orig}, atomic)
	id := statements(t, s)[0].ID

	// Without an externalId, the natural key matches: same speaker and
	// date, text equal once case and punctuation are folded.
	same := leavitt("", "significantly  improved")
	rep := run(t, s, []domain.StatementImport{same}, atomic)
	wantStatuses(t, rep, domain.ImportUpdated)
	if rep.Results[0].ID != id {
		t.Errorf("natural key matched statement %d, want %d", rep.Results[0].ID, id)
	}

	// An externalId attaches to the statement with the same natural key...
	rep = run(t, s, []domain.StatementImport{leavitt("ext-1", "significantly  improved")}, atomic)
	wantStatuses(t, rep, domain.ImportUpdated)
	if st := statements(t, s)[0]; st.ExternalID != "ext-1" || rep.Results[0].ID != id {
		t.Errorf("externalId not attached: %+v", st)
	}
	// ...a record without one leaves it...
	wantStatuses(t, run(t, s, []domain.StatementImport{same}, atomic), domain.ImportUnchanged)
	// ...and another externalId for the same natural key is a conflict.
	rep = run(t, s, []domain.StatementImport{leavitt("ext-2", "significantly improved")}, atomic)
	wantStatuses(t, rep, domain.ImportFailed)
	wantIssue(t, "record 0", rep.Results[0].Errors, domain.CodeConflict, "externalId")

	// Moving a statement onto another's natural key is a conflict too.
	run(t, s, []domain.StatementImport{leavitt("ext-3", "very optimistic")}, atomic)
	rep = run(t, s, []domain.StatementImport{leavitt("ext-3", "significantly improved")}, atomic)
	wantStatuses(t, rep, domain.ImportFailed)
	wantIssue(t, "record 0", rep.Results[0].Errors, domain.CodeConflict, "text")
}

func TestDryRunReportsWithoutWriting(t *testing.T) {
	s := newStore(t)
	run(t, s, []domain.StatementImport{leavitt("a", "old text")}, atomic)

	changed := leavitt("a", "new text")
	bad := leavitt("c", "bad")
	bad.SaidOn = "2025-13"
	recs := []domain.StatementImport{changed, leavitt("b", "new"), bad}
	for _, opts := range []domain.ImportOptions{{DryRun: true, Atomic: true}, {DryRun: true}} {
		before := dump(t, s)
		dry := run(t, s, recs, opts)
		if dump(t, s) != before {
			t.Fatalf("dry run %+v wrote to the store", opts)
		}
		if opts.Atomic {
			wantStatuses(t, dry, domain.ImportSkipped, domain.ImportSkipped, domain.ImportFailed)
			continue
		}
		wantStatuses(t, dry, domain.ImportUpdated, domain.ImportCreated, domain.ImportFailed)
		if dry.Results[1].ID != 0 {
			t.Errorf("dry run reports id %d for a statement it did not create", dry.Results[1].ID)
		}

		real := run(t, s, recs, lenient)
		if !slices.Equal(statuses(real), statuses(dry)) {
			t.Errorf("dry run reported %v, the real run %v", statuses(dry), statuses(real))
		}
		if real.Results[0].ID != dry.Results[0].ID {
			t.Errorf("dry run and real run report ids %d and %d for the updated statement", dry.Results[0].ID, real.Results[0].ID)
		}
	}
}

// A write the store refuses inside the transaction fails that record
// alone: the batch is written again without it.
func TestStoreRefusalFailsOnlyItsRecord(t *testing.T) {
	s := newStore(t)
	if _, err := s.CreateSpeaker(t.Context(), &domain.Speaker{Key: "donald-trump", Name: "Donald Trump", Kind: domain.SpeakerPerson, WikidataID: "Q22686"}); err != nil {
		t.Fatal(err)
	}
	bad := leavitt("b", "second")
	bad.Speaker.WikidataID = "Q22686" // Trump's: unique, which only the store checks
	recs := []domain.StatementImport{leavitt("a", "first"), bad, leavitt("c", "third")}

	rep := run(t, s, recs, lenient)
	wantStatuses(t, rep, domain.ImportCreated, domain.ImportFailed, domain.ImportCreated)
	wantIssue(t, "record 1", rep.Results[1].Errors, domain.CodeConflict, "speaker", "wikidataId")
	sts := statements(t, s)
	if len(sts) != 2 || rep.Results[0].ID != sts[0].ID || rep.Results[2].ID != sts[1].ID {
		t.Errorf("stored %d statements; report %s", len(sts), describe(rep))
	}
}

func TestTopicTrees(t *testing.T) {
	tests := []struct {
		name   string
		topics []domain.TopicRef
		path   []string // of the error; nil: imports
	}{
		{"parent first", []domain.TopicRef{{Key: "war", Name: "War"}, {Key: "peace", Name: "Peace", Parent: "war"}}, nil},
		{"parent later", []domain.TopicRef{{Key: "peace", Name: "Peace", Parent: "war"}, {Key: "war", Name: "War"}}, nil},
		{"grandparent", []domain.TopicRef{{Key: "plan", Name: "Plan", Parent: "peace"}, {Key: "peace", Name: "Peace", Parent: "war"}, {Key: "war", Name: "War"}}, nil},
		{"missing parent", []domain.TopicRef{{Key: "peace", Name: "Peace", Parent: "war"}}, []string{"topics", "0", "parent"}},
		{"cycle", []domain.TopicRef{{Key: "peace", Name: "Peace", Parent: "war"}, {Key: "war", Name: "War", Parent: "peace"}}, []string{"topics", "1", "parent"}},
		{"own parent", []domain.TopicRef{{Key: "war", Name: "War", Parent: "war"}}, []string{"topics", "0", "parent"}},
		{"twice", []domain.TopicRef{{Key: "war", Name: "War"}, {Key: "war", Name: "War"}}, []string{"topics", "1", "key"}},
		{"new without name", []domain.TopicRef{{Key: "war"}}, []string{"topics", "0", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			r := leavitt("a", "text")
			r.Topics, r.Positions = tt.topics, nil
			rep := run(t, s, []domain.StatementImport{r}, atomic)
			if tt.path != nil {
				wantStatuses(t, rep, domain.ImportFailed)
				wantIssue(t, "record 0", rep.Results[0].Errors, domain.CodeBadUserInput, tt.path...)
				return
			}
			wantStatuses(t, rep, domain.ImportCreated)
			for _, ref := range tt.topics {
				got, err := s.TopicByKey(t.Context(), ref.Key)
				if err != nil {
					t.Fatal(err)
				}
				var parent domain.ID
				if ref.Parent != "" {
					p, err := s.TopicByKey(t.Context(), ref.Parent)
					if err != nil {
						t.Fatal(err)
					}
					parent = p.ID
				}
				if got.ParentID != parent {
					t.Errorf("topic %s has parent %d, want %d", ref.Key, got.ParentID, parent)
				}
			}
		})
	}
}

func TestImportErrorsThatAreNoRecordsFault(t *testing.T) {
	s := newStore(t)
	if _, err := importer.Import(t.Context(), s, batch(), domain.ImportOptions{OnConflict: "MERGE"}); domain.ErrorCode(err) != domain.CodeBadUserInput {
		t.Errorf("unknown onConflict: err %v, want BAD_USER_INPUT", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := importer.Import(ctx, s, batch(), atomic)
	if err == nil || rep != nil {
		t.Errorf("cancelled context: report %v, err %v; want an error", rep, err)
	}
	if n := len(statements(t, s)); n != 0 {
		t.Errorf("%d statements written by a cancelled import", n)
	}
}

func TestImportEmptyBatch(t *testing.T) {
	rep := run(t, newStore(t), nil, atomic)
	if rep.Created+rep.Updated+rep.Unchanged+rep.Skipped+rep.Failed != 0 {
		t.Errorf("empty batch reported %+v", rep)
	}
}
