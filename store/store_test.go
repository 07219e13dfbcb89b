package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
	"parley/store"
)

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenRefusesWhatItMustNotTouch(t *testing.T) {
	dir := t.TempDir()

	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("someone-else")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	s := open(t, newer)
	s.Close()
	db, err = bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte{0, 0, 0, 99})
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, tc := range []struct {
		name, path, want string
	}{
		{"not a bbolt file", notDB, "not a valid Parley database"},
		{"another program's bbolt file", foreign, "not a Parley database"},
		{"newer schema", newer, "newer than this build supports"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			_, err := store.Open(tc.path, store.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error containing %q", err, tc.want)
			}
			after, _ := os.ReadFile(tc.path)
			if string(before) != string(after) {
				t.Fatal("Open modified a file it refused")
			}
		})
	}
}

func TestOpenLockedFileFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	open(t, path)
	start := time.Now()
	_, err := store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open = %v, want 'in use by another process'", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second Open took %s", d)
	}
}

func TestFreshOnlyOnCreation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Fresh() {
		t.Fatal("a new database is not Fresh")
	}
	s.Close()
	s = open(t, path)
	if s.Fresh() {
		t.Fatal("a reopened database is Fresh")
	}
}

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Dmitry Peskov", Kind: domain.SpeakerPerson, Country: "RU"})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := s.CreateTopic(ctx, &domain.Topic{Name: "U.S. peace plan"})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []string{"2025-12-01", "2025-11", "2025", "2025-11-24/2025-11-30", ""} {
		var pd domain.PartialDate
		if d != "" {
			pd = domain.MustParsePartialDate(d)
		}
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: "Statement number " + string(rune('a'+i)), Kind: domain.StatementQuote,
			SpeakerID: sp.ID, SaidOn: pd, TopicIDs: []domain.ID{tp.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.ListStatements(ctx, domain.StatementFilter{Speakers: []string{"dmitry-peskov"}, SaidFrom: domain.MustParsePartialDate("2025-11-15"), SaidTo: domain.MustParsePartialDate("2025-11-20")}, domain.SaidOnDesc, domain.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range res.Items {
		got = append(got, st.SaidOn.String())
	}
	if strings.Join(got, ",") != "2025-11,2025" {
		t.Fatalf("got %v", got)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatal(err, rep)
	}
}

func TestSubscribersSeeCommittedChangesInOrder(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	var got []domain.Change
	cancel := s.Subscribe(func(cs []domain.Change) { got = append(got, cs...) })
	sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.CreateStatement(ctx, &domain.Statement{Text: "decisive week", Kind: domain.StatementQuote, SpeakerID: sp.ID})
	if err != nil {
		t.Fatal(err)
	}
	// A rolled-back write reports nothing.
	_ = s.Update(ctx, func(tx domain.Tx) error {
		if err := tx.PutSpeaker(&domain.Speaker{Name: "Nobody", Kind: domain.SpeakerPerson}); err != nil {
			return err
		}
		return domain.Errorf(domain.CodeConflict, "roll back")
	})
	if err := s.DeleteStatement(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "After Cancel", Kind: domain.SpeakerPerson}); err != nil {
		t.Fatal(err)
	}
	want := []domain.Change{
		{Type: domain.TypeSpeaker, ID: sp.ID, Op: domain.Created},
		{Type: domain.TypeStatement, ID: st.ID, Op: domain.Created},
		{Type: domain.TypeStatement, ID: st.ID, Op: domain.Deleted},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// Stop words are left out of the search index but still matched exactly.
func TestSearchMatchesStopWords(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Emmanuel Macron", Kind: domain.SpeakerPerson})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"The plan is not final", "A plan for the region", "Talks will go on", "Not the end of the talks"}
	for _, text := range texts {
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"the", []string{"The plan is not final", "A plan for the region", "Not the end of the talks"}},
		{"not the", []string{"The plan is not final", "Not the end of the talks"}},
		{`"not the"`, []string{"Not the end of the talks"}},
		{"plan the", []string{"The plan is not final", "A plan for the region"}},
		{"will", []string{"Talks will go on"}},
		{"talks of", []string{"Not the end of the talks"}},
	} {
		res, err := s.ListStatements(ctx, domain.StatementFilter{Search: tc.search}, domain.SaidOnAsc, domain.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range res.Items {
			got = append(got, st.Text)
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("search %q: got %q, want %q", tc.search, got, tc.want)
		}
	}
}
