package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestMigrateV1 writes a database, turns it back into a version 1 one (JSON
// records), and checks that opening it migrates every record losslessly.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{IndexLogLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"})
	peskov, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Dmitry Peskov", Kind: domain.SpeakerPerson, Aliases: []string{"Peskov"},
		Roles: []domain.Role{{Title: "Kremlin spokesman", OrgID: sp.ID, From: domain.MustParsePartialDate("2012")}}})
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := s.CreateTopic(ctx, &domain.Topic{Name: "U.S. peace plan"})
	src, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/a"})
	st, err := s.CreateStatement(ctx, &domain.Statement{Text: "The meeting is on Tuesday", Kind: domain.StatementParaphrase, SpeakerID: peskov.ID,
		SaidOn: domain.MustParsePartialDate("2025-11-24/2025-12-01"), TopicIDs: []domain.ID{tp.ID}, SourceIDs: []domain.ID{src.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.CreatePosition(ctx, &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceMixed,
		AsOf: domain.MustParsePartialDate("2025-11"), EvidenceIDs: []domain.ID{st.ID}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{must(s.Speaker(ctx, sp.ID)), must(s.Speaker(ctx, peskov.ID)), must(s.Topic(ctx, tp.ID)), must(s.Source(ctx, src.ID)), must(s.Statement(ctx, st.ID)), must(s.Position(ctx, ps.ID))}
	s.Close()

	rewriteFile(t, path, func(tx *bolt.Tx) error {
		// While the records still decode as this build's.
		if err := downgradeCitesToV6(tx); err != nil {
			return err
		}
		if err := downgradeNaturalKeysToV3(tx); err != nil {
			return err
		}
		for _, rec := range want {
			var bucket []byte
			var id domain.ID
			var v1 any
			switch r := rec.(type) {
			case *domain.Speaker:
				bucket, id = bSpeakers, r.ID
				rec := v1SpeakerRec{Key: r.Key, Name: r.Name, Kind: string(r.Kind), Aliases: r.Aliases, Country: r.Country, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
				for _, ro := range r.Roles {
					rec.Roles = append(rec.Roles, v1RoleRec{Title: ro.Title, OrgID: ro.OrgID, From: ro.From, To: ro.To})
				}
				v1 = rec
			case *domain.Topic:
				bucket, id = bTopics, r.ID
				v1 = v1TopicRec{Key: r.Key, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Source:
				bucket, id = bSources, r.ID
				v1 = v1SourceRec{URL: r.URL, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Statement:
				bucket, id = bStatements, r.ID
				v1 = v1StatementRec{Text: r.Text, Kind: string(r.Kind), SpeakerID: r.SpeakerID, SaidOn: r.SaidOn, Language: r.Language,
					TopicIDs: r.TopicIDs, SourceIDs: r.SourceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Position:
				bucket, id = bPositions, r.ID
				v1 = v1PositionRec{SpeakerID: r.SpeakerID, TopicID: r.TopicID, Stance: string(r.Stance), AsOf: r.AsOf,
					EvidenceIDs: r.EvidenceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			}
			b, err := json.Marshal(v1)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucket).Put(idKey(id), b); err != nil {
				return err
			}
		}
		if err := downgradeIndexesToV2(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 1))
	})

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer s.Close()
	got := []any{must(s.Speaker(ctx, sp.ID)), must(s.Speaker(ctx, peskov.ID)), must(s.Topic(ctx, tp.ID)), must(s.Source(ctx, src.ID)), must(s.Statement(ctx, st.ID)), must(s.Position(ctx, ps.ID))}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("record %d after migration:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify after migration: %v %v", err, rep)
	}
}

// rewriteFile runs fn in one bbolt transaction on the database file at
// path: how the tests turn a file this build wrote into an older one.
func rewriteFile(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// downgradeIndexesToV2 rewrites the statement indexes of a database this
// build wrote in the layout of versions 1 and 2: one key per entry
// (prefix · sortKey → empty) in the sx_* and px_* buckets, and a counter
// per prefix of every index in the counts bucket.
func downgradeIndexesToV2(tx *bolt.Tx) error {
	counts, err := tx.CreateBucket(bV2Counts)
	if err != nil {
		return err
	}
	countKey := func(bucket, prefix []byte) []byte { return cat(bucket, []byte{0}, prefix) }
	// The indexes that stay one key per entry had counters too.
	for _, ix := range []struct {
		bucket    []byte
		prefixLen int
	}{{bPxTimeline, 2 * idLen}, {bPxEvidence, idLen}} {
		per := map[string]uint64{}
		err := tx.Bucket(ix.bucket).ForEach(func(k, _ []byte) error {
			per[string(k[:ix.prefixLen])]++
			return nil
		})
		if err != nil {
			return err
		}
		for p, n := range per {
			if err := counts.Put(countKey(ix.bucket, []byte(p)), binary.BigEndian.AppendUint64(nil, n)); err != nil {
				return err
			}
		}
	}
	for _, pair := range v2RunBuckets {
		old, err := tx.CreateBucket(pair[0])
		if err != nil {
			return err
		}
		per := map[string]uint64{}
		b := tx.Bucket(pair[1])
		err = b.ForEach(func(k, v []byte) error {
			if !isDir(b, k, v) {
				return nil
			}
			prefix := k[:len(k)-1]
			for _, r := range readDir(b, prefix) {
				for d := readRun(b, prefix, r); len(d) > 0; d = d[sortKeyLen:] {
					if err := old.Put(cat(prefix, d[:sortKeyLen]), nil); err != nil {
						return err
					}
					per[string(prefix)]++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for p, n := range per {
			if err := counts.Put(countKey(pair[0], []byte(p)), binary.BigEndian.AppendUint64(nil, n)); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(pair[1]); err != nil {
			return err
		}
	}
	return nil
}

// TestMigrateV2 writes a database, turns its statement indexes back into
// version 2's (one key per entry, counters), and checks that opening it
// migrates them to runs that answer every kind of filter as before: in
// one step, in many small ones, and after steps that an earlier process
// ran before it stopped.
func TestMigrateV2(t *testing.T) {
	for _, tc := range []struct {
		name        string
		step        int
		stepsBefore int // steps run, and committed, before the store opens
	}{
		{"one step", 1 << 20, 0},
		{"small steps", 97, 0},
		{"resumed after an interruption", 97, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(n int) { migrateStepEntries = n }(migrateStepEntries)
			migrateStepEntries = tc.step
			testMigrateV2(t, tc.stepsBefore)
		})
	}
}

func testMigrateV2(t *testing.T, stepsBefore int) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{IndexLogLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp1, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Dmitry Peskov", Kind: domain.SpeakerPerson, Country: "RU"})
	sp2, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Emmanuel Macron", Kind: domain.SpeakerPerson, Country: "FR"})
	tp, _ := s.CreateTopic(ctx, &domain.Topic{Name: "U.S. peace plan"})
	src, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/a"})
	words := []string{"talks", "peace", "plan", "summit", "envoy", "guarantees"}
	for i := range 300 {
		st := &domain.Statement{Text: fmt.Sprintf("%s %s number %d", words[i%len(words)], words[(i*7)%len(words)], i),
			Kind: domain.StatementQuote, SpeakerID: sp1.ID, SaidOn: domain.MustParsePartialDate(fmt.Sprintf("20%02d-%02d", 10+i%15, 1+i%12))}
		if i%3 == 0 {
			st.Kind, st.SpeakerID, st.TopicIDs = domain.StatementParaphrase, sp2.ID, []domain.ID{tp.ID}
		}
		if i%5 == 0 {
			st.SourceIDs = []domain.ID{src.ID}
		}
		st, err := s.CreateStatement(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			if _, err := s.CreatePosition(ctx, &domain.Position{SpeakerID: st.SpeakerID, TopicID: tp.ID, Stance: domain.StanceMixed,
				AsOf: st.SaidOn, EvidenceIDs: []domain.ID{st.ID}}); err != nil && domain.ErrorCode(err) != domain.CodeConflict {
				t.Fatal(err)
			}
		}
	}
	positionFilters := []domain.PositionFilter{{}, {Speakers: []string{"dmitry-peskov"}}, {Topics: []string{tp.Key}}}
	filters := []domain.StatementFilter{
		{},
		{Speakers: []string{"dmitry-peskov"}},
		{Topics: []string{tp.Key}},
		{Countries: []string{"FR"}},
		{Kinds: []domain.StatementKind{domain.StatementQuote}},
		{Source: src.URL},
		{Search: "talks peace"},
		{Search: "envoy", SaidFrom: domain.MustParsePartialDate("2015"), SaidTo: domain.MustParsePartialDate("2020")},
	}
	results := func() [][]domain.ID {
		var out [][]domain.ID
		for _, f := range filters {
			res, err := s.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 100})
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.CountStatements(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []domain.ID{domain.ID(n)}
			for _, st := range res.Items {
				ids = append(ids, st.ID)
			}
			out = append(out, ids)
		}
		for _, f := range positionFilters {
			res, err := s.ListPositions(ctx, f, domain.Page{First: 100})
			if err != nil {
				t.Fatal(err)
			}
			var ids []domain.ID
			for _, p := range res.Items {
				ids = append(ids, p.ID)
			}
			out = append(out, ids)
		}
		return out
	}
	want := results()
	s.Close()

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := downgradeCitesToV6(tx); err != nil {
			return err
		}
		if err := downgradeNaturalKeysToV3(tx); err != nil {
			return err
		}
		if err := downgradeIndexesToV2(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 2))
	})
	for i := 0; err == nil && i < stepsBefore; i++ {
		err = db.Update(func(tx *bolt.Tx) error {
			more, err := migrateV2IndexesToRuns(tx)
			if err == nil && !more {
				t.Errorf("step %d finished the migration; the test wants it interrupted", i+1)
			}
			return err
		})
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	if s, err = Open(path, Options{}); err != nil {
		t.Fatalf("open a version 2 database: %v", err)
	}
	defer s.Close()
	if got := results(); !reflect.DeepEqual(got, want) {
		t.Errorf("after migration:\n got %v\nwant %v", got, want)
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify after migration: %v %v", err, rep)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, pair := range v2RunBuckets {
			if tx.Bucket(pair[0]) != nil {
				t.Errorf("bucket %s survived the migration", pair[0])
			}
		}
		if tx.Bucket(bV2Counts) != nil {
			t.Error("the counters survived the migration")
		}
		if tx.Bucket(bMeta).Get(mMigrateV2) != nil {
			t.Error("the migration's progress mark survived it")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isDir tells a directory key from a block key whose first entry happens
// to end in dirMark: a directory's first run has a block.
func isDir(b *bolt.Bucket, k, v []byte) bool {
	if k[len(k)-1] != dirMark || len(v) == 0 || len(v)%16 != 0 {
		return false
	}
	rk := runKey(k[:len(k)-1], binary.BigEndian.Uint64(v))
	got, _ := b.Cursor().Seek(rk)
	return inRun(got, rk)
}

// downgradeCitesToV6 rewrites the citations of a database this build
// wrote, with an empty index log (IndexLogLimit 1), in the layout of
// versions 3 to 6: runs of sort keys under each source's id in
// sr_source.
func downgradeCitesToV6(tx *bolt.Tx) error {
	if k, _ := tx.Bucket(bIxLog).Cursor().First(); k != nil {
		return fmt.Errorf("the index log is not empty: open the store with IndexLogLimit 1")
	}
	b, err := tx.CreateBucket(bV6Source)
	if err != nil {
		return err
	}
	per := map[string][]byte{}
	err = tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(getID(k), v)
		if err != nil {
			return err
		}
		for _, src := range s.SourceIDs {
			per[string(idKey(src))] = append(per[string(idKey(src))], sortKey(s)...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for p, keys := range per {
		var sorted [][]byte
		for ; len(keys) > 0; keys = keys[sortKeyLen:] {
			sorted = append(sorted, keys[:sortKeyLen])
		}
		slices.SortFunc(sorted, compareKeys)
		if err := updateRuns(b, []byte(p), slices.Concat(sorted...), nil); err != nil {
			return err
		}
	}
	return tx.DeleteBucket(bSxCites)
}

// downgradeNaturalKeysToV3 rewrites the natural-key indexes of a
// database this build wrote in the layout of versions 1 to 3: one key per
// record, sha256(natural key) → id in stmt_nat and speakerID · topicID ·
// asOf → id in pos_nat.
func downgradeNaturalKeysToV3(tx *bolt.Tx) error {
	sn, err := tx.CreateBucket(bV3StmtNat)
	if err != nil {
		return err
	}
	pn, err := tx.CreateBucket(bV3PosNat)
	if err != nil {
		return err
	}
	err = tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(getID(k), v)
		if err != nil {
			return err
		}
		return sn.Put(natKey(s), idKey(s.ID))
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bPositions).ForEach(func(k, v []byte) error {
		p, err := decodePosition(getID(k), v)
		if err != nil {
			return err
		}
		return pn.Put(cat(idKey(p.SpeakerID), idKey(p.TopicID), []byte(p.AsOf.String())), idKey(p.ID))
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket(bSxNat); err != nil {
		return err
	}
	return tx.DeleteBucket(bPxNat)
}

// TestMigrateV3 writes a database, turns its natural-key index back into
// version 3's, and checks that opening it migrates the index: Verify is
// clean, the old bucket is gone, natural keys are found and stay unique.
func TestMigrateV3(t *testing.T) {
	defer func(n int) { runCap = n }(runCap)
	runCap = 64 // several runs, as a large database gets
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{IndexLogLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson, Country: "EE"})
	var stmts []*domain.Statement
	for i := range 300 {
		st, err := s.CreateStatement(ctx, &domain.Statement{Text: fmt.Sprintf("Statement number %d on security guarantees", i),
			Kind: domain.StatementQuote, SpeakerID: sp.ID, SaidOn: domain.MustParsePartialDate(fmt.Sprintf("20%02d", 10+i%15))})
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, st)
	}
	tp, _ := s.CreateTopic(ctx, &domain.Topic{Name: "Security guarantees"})
	var positions []*domain.Position
	for i := range 60 {
		p, err := s.CreatePosition(ctx, &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceSupports,
			AsOf: domain.MustParsePartialDate(fmt.Sprintf("2020-%02d-%02d", 1+i/28, 1+i%28)), EvidenceIDs: []domain.ID{stmts[i].ID}})
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, p)
	}
	s.Close()

	rewriteFile(t, path, func(tx *bolt.Tx) error {
		if err := downgradeCitesToV6(tx); err != nil {
			return err
		}
		if err := downgradeNaturalKeysToV3(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 3))
	})

	// Read-only, it cannot be migrated, nor read as this build's layout.
	if ro, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "older") {
		if err == nil {
			ro.Close()
		}
		t.Fatalf("open a version 3 database read-only: %v; want an error that says it is older", err)
	}
	// A backup of an older version is checked through a migrated copy,
	// and left as it is.
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, problems, err := CheckFile(ctx, path); err != nil || len(problems) > 0 || n != 1+1+300+60 {
		t.Fatalf("CheckFile of a version 3 file: %d records, %v, %v", n, problems, err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("CheckFile changed the file it checked (%v)", err)
	}
	if s, err = Open(path, Options{}); err != nil {
		t.Fatalf("open a version 3 database: %v", err)
	}
	defer s.Close()
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify after migration: %v %v", err, rep)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bV3StmtNat) != nil || tx.Bucket(bV3PosNat) != nil {
			t.Error("a version 3 natural-key index survived the migration")
		}
		if runs := readDir(tx.Bucket(bSxNat), nil); len(runs) < 300/64 {
			t.Errorf("the index has %d runs; runs of at most %d entries were wanted", len(runs), runCap)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx domain.Tx) error {
		for _, want := range []*domain.Statement{stmts[0], stmts[150], stmts[299]} {
			got, err := tx.StatementByNaturalKey(&domain.Statement{SpeakerID: sp.ID, Text: "  " + want.Text + " ", SaidOn: want.SaidOn})
			if err != nil || got.ID != want.ID {
				t.Errorf("StatementByNaturalKey(%q) = %v, %v; want statement %d", want.Text, got, err, want.ID)
			}
		}
		for _, want := range []*domain.Position{positions[0], positions[31], positions[59]} {
			got, err := tx.PositionAt(sp.ID, tp.ID, want.AsOf)
			if err != nil || got.ID != want.ID {
				t.Errorf("PositionAt(%s) = %v, %v; want position %d", want.AsOf, got, err, want.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreatePosition(ctx, &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceOpposes, AsOf: positions[5].AsOf})
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("a position with the natural key of position %d: err = %v, want CONFLICT", positions[5].ID, err)
	}
	_, err = s.CreateStatement(ctx, &domain.Statement{Text: stmts[7].Text, Kind: domain.StatementQuote, SpeakerID: sp.ID, SaidOn: stmts[7].SaidOn})
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("a statement with the natural key of statement %d: err = %v, want CONFLICT", stmts[7].ID, err)
	}
}

// TestMigrateV4 writes statements whose text tokenizes differently since
// schema 5 (an apostrophe U+02BC, a soft hyphen), turns their search
// entries back into schema 4's, and checks that opening the file moves
// them: Verify is clean and the words are found as they are now.
func TestMigrateV4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	// A limit of one entry writes every index into its runs, as schema 4
	// did.
	s, err := Open(path, Options{IndexLogLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Andrii Sybiha", Kind: domain.SpeakerPerson, Country: "UA"})
	texts := []string{
		"Організація Обʼєднаних Націй має діяти",
		"Zelen\u00ADskyy met Macron in Paris",
		"Hy het \u0149 hondjie gesien", // "ŉ" folds to an apostrophe and "n"
		"Plain words, untouched by the change",
	}
	for _, text := range texts {
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	rewriteFile(t, path, func(tx *bolt.Tx) error {
		if err := downgradeCitesToV6(tx); err != nil {
			return err
		}
		if err := indexWordsAs(tx, func(string) bool { return true }, domain.TokensSchema4); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bIxLog); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 4))
	})

	if s, err = Open(path, Options{}); err != nil {
		t.Fatalf("open a version 4 database: %v", err)
	}
	defer s.Close()
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify after the migration: %+v, %v", rep, err)
	}
	for search, want := range map[string]int{
		"Об'єднаних": 1, "єднаних": 1, "обʼєднаних": 1, "Zelenskyy": 1, "zelen": 0, "skyy": 0, "untouched": 1,
	} {
		n, err := s.CountStatements(ctx, domain.StatementFilter{Search: search})
		if err != nil || n != want {
			t.Errorf("search %q: %d statements, %v; want %d", search, n, err, want)
		}
	}
}

// TestMigrateV6 opens a schema 6 database whose index log holds changes
// of every deferred index, sr_source's among them, and checks that the
// migration to sr_cites keeps every index whole: Verify passes, and the
// source filter, search and a source's delete answer what the records
// imply. testdata/schema6.db.gz was written through the public API by the
// schema 6 build (47c2779): 3 speakers, 2 topics, 5 sources, 40 statements
// citing the sources in turn, 10 positions, then 4 statements edited to
// cite another source and one deleted, with IndexLogLimit 40 so that the
// log held part of every index's entries.
func TestMigrateV6(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	gunzipFile(t, filepath.Join("testdata", "schema6.db.gz"), path)

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open a version 6 database: %v", err)
	}
	defer func() { s.Close() }()
	check := func(when string) {
		t.Helper()
		if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("Verify %s: %+v, %v", when, rep, err)
		}
		all, err := s.ScanStatements(ctx, 0, 1000)
		if err != nil || len(all) != 39 {
			t.Fatalf("%s: %d statements, %v; want 39", when, len(all), err)
		}
		srcs, err := s.ListSources(ctx, domain.Page{First: 100})
		if err != nil || len(srcs.Items) != 5 {
			t.Fatalf("%s: sources %+v, %v", when, srcs, err)
		}
		for _, src := range srcs.Items {
			var want []domain.ID // newest first
			for _, st := range all {
				if slices.Contains(st.SourceIDs, src.ID) {
					want = append(want, st.ID)
				}
			}
			slices.SortStableFunc(want, func(a, b domain.ID) int {
				return -compareKeys(sortKey(statementOf(all, a)), sortKey(statementOf(all, b)))
			})
			f := domain.StatementFilter{Source: src.URL}
			got, err := s.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 100})
			if err != nil || !slices.Equal(ids(got.Items), want) {
				t.Errorf("%s: statements citing %s: %v, %v; want %v", when, src.URL, ids(got.Items), err, want)
			}
			if n, err := s.CountStatements(ctx, f); err != nil || n != len(want) {
				t.Errorf("%s: count citing %s: %d, %v; want %d", when, src.URL, n, err, len(want))
			}
		}
		for _, word := range []string{"ceasefire", "corrected", "Pokrovsk", "sanctions"} {
			want := 0
			for _, st := range all {
				if strings.Contains(st.Text, word) {
					want++
				}
			}
			if want == 0 {
				t.Fatalf("no statement has %q", word)
			}
			if n, err := s.CountStatements(ctx, domain.StatementFilter{Search: word}); err != nil || n != want {
				t.Errorf("%s: search %q: %d, %v; want %d", when, word, n, err, want)
			}
		}
	}
	check("after the migration")
	s.Close()
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	check("reopened")

	srcs, _ := s.ListSources(ctx, domain.Page{First: 1})
	if err := s.DeleteSource(ctx, srcs.Items[0].ID, false); domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("delete a cited source: %v; want CONFLICT", err)
	}
	if err := s.DeleteSource(ctx, srcs.Items[0].ID, true); err != nil {
		t.Fatalf("delete a cited source with cascade: %v", err)
	}
	n, err := s.CountStatements(ctx, domain.StatementFilter{Source: srcs.Items[0].URL})
	if rep, verr := s.Verify(ctx); n != 0 || err != nil || verr != nil || len(rep.Problems) > 0 {
		t.Errorf("after the cascade: %d statements cite it (%v); Verify %+v, %v", n, err, rep, verr)
	}
}

func statementOf(all []*domain.Statement, id domain.ID) *domain.Statement {
	i := slices.IndexFunc(all, func(s *domain.Statement) bool { return s.ID == id })
	return all[i]
}

func ids(items []*domain.Statement) []domain.ID {
	out := make([]domain.ID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// indexWordsAs rewrites the word index entries of the statements whose
// text is selected, written by this build into the runs, as an older
// build's tokenizer indexed them: how the tests make an older file. It is
// written apart from the migrations' moveWordEntries on purpose: a
// migration test that downgraded with the function it tests could not
// fail.
func indexWordsAs(tx *bolt.Tx, selected func(text string) bool, tokens func(text string) []string) error {
	t := &txn{tx: tx}
	err := tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		st, err := decodeStatement(getID(k), v)
		if err != nil || !selected(st.Text) {
			return err
		}
		for _, w := range indexableTokens(domain.Tokens(st.Text)) {
			t.stage(bSxWord, wordPrefix(w), sortKey(st), -1)
		}
		for _, w := range indexableTokens(tokens(st.Text)) {
			t.stage(bSxWord, wordPrefix(w), sortKey(st), 1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return t.flush()
}

// gunzipFile writes the gzipped file src, decompressed, to dst.
func gunzipFile(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV7 writes Chinese and Japanese statements into the runs and
// others into the index log, turns the word index of the first back into
// schema 7's (a run of those characters is one token), and checks that
// the migration indexes their pairs of characters: Verify is clean and a
// word inside a sentence is found.
func TestMigrateV7(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{IndexLogLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Wang Yi", Kind: domain.SpeakerPerson, Country: "CN"})
	// The last three have no Chinese character, only ones that fold into
	// several.
	texts := []string{"中方坚决反对单边制裁。", "ロシアとウクライナの停戦交渉", "G20峰会在巴西举行", "Talks on ㏠", "Acme ㍿", "㊀㊁㊂"}
	for _, text := range texts {
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// More statements, whose entries the index log holds.
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"Sanctions talks in Geneva", "反对", "Talks on sanctions resumed"} {
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	rewriteFile(t, path, func(tx *bolt.Tx) error {
		inRuns := func(text string) bool { return slices.Contains(texts, text) }
		if err := indexWordsAs(tx, inRuns, domain.TokensSchema5); err != nil {
			return err
		}
		if k, _ := tx.Bucket(bIxLog).Cursor().First(); k == nil {
			return fmt.Errorf("the index log is empty: the test no longer covers writing it out")
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 7))
	})

	if s, err = Open(path, Options{}); err != nil {
		t.Fatalf("open a version 7 database: %v", err)
	}
	defer s.Close()
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify after the migration: %+v, %v", rep, err)
	}
	for search, want := range map[string]int{
		"反对": 2, "坚决反对": 1, "制裁": 1, "ウクライナ": 1, "停戦": 1, "峰会": 1, "G20": 1, "sanctions": 2, "中方坚决反对单边制裁": 1, "坚决 制裁": 1, "制裁坚决": 0, "日": 1, "株式会社": 1, "一二三": 1,
	} {
		n, err := s.CountStatements(ctx, domain.StatementFilter{Search: search})
		if err != nil || n != want {
			t.Errorf("search %q: %d statements, %v; want %d", search, n, err, want)
		}
	}
}
