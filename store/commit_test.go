package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestFailedCommits checks what a commit that fails leaves: before bbolt
// made it visible, nothing, and the store goes on; after (its meta page
// written, the sync failed), a store that refuses every read and write
// until it is opened again, and a backup that still copies what is
// visible.
func TestFailedCommits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		commit func(tx *bolt.Tx) error
		stops  bool
	}{
		{"before it is visible", func(tx *bolt.Tx) error {
			_ = tx.Rollback()
			return errors.New("write p.db: no space left on device (injected)")
		}, false},
		{"after it is visible", func(tx *bolt.Tx) error {
			if err := tx.Commit(); err != nil {
				return err
			}
			return errors.New("fdatasync p.db: input/output error (injected)")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.db")
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
			if err != nil {
				t.Fatal(err)
			}
			s.commit = tc.commit
			if _, err := s.CreateStatement(ctx, &domain.Statement{Text: "The failed write", Kind: domain.StatementQuote, SpeakerID: sp.ID}); err == nil {
				t.Fatal("the write whose commit failed succeeded")
			}
			s.commit = (*bolt.Tx).Commit
			_, werr := s.CreateStatement(ctx, &domain.Statement{Text: "A later write", Kind: domain.StatementQuote, SpeakerID: sp.ID})
			_, rerr := s.Speaker(ctx, sp.ID)
			if !tc.stops {
				n, err := s.CountStatements(ctx, domain.StatementFilter{})
				if werr != nil || rerr != nil || err != nil || n != 1 {
					t.Fatalf("after a failure before the commit was visible: write %v, read %v, %d statements (%v); want the store going on, with only the later write", werr, rerr, n, err)
				}
				return
			}
			for what, err := range map[string]error{"a write": werr, "a read": rerr} {
				if !errors.Is(err, domain.ErrStoreStopped) || !strings.Contains(err.Error(), "input/output error") {
					t.Errorf("%s after the store stopped: %v; want ErrStoreStopped with its cause", what, err)
				}
			}
			var backup bytes.Buffer
			if _, err := s.Backup(ctx, &backup); err != nil {
				t.Fatalf("Backup of a stopped store: %v", err)
			}
			// Opened again, the file is what was visible: the commit whose
			// sync "failed" made it to this file, as it may on a real disk.
			s.Close()
			if s, err = Open(path, Options{}); err != nil {
				t.Fatal(err)
			}
			n, err := s.CountStatements(ctx, domain.StatementFilter{Search: "failed write"})
			if rep, verr := s.Verify(ctx); err != nil || n != 1 || verr != nil || len(rep.Problems) > 0 {
				t.Fatalf("reopened: %d statements, %v; Verify %+v, %v", n, err, rep, verr)
			}
		})
	}
}

// TestAReaderRacingAStopIsRefused (from a review): a reader that began
// before a failed commit stopped the store waits in begin for the
// commit's overlay; once the writer gives up it must be refused, not
// served the visible commit with the old overlay.
func TestAReaderRacingAStopIsRefused(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{RecordCacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
	type res struct {
		n   int
		err error
	}
	done := make(chan res, 1)
	s.commit = func(tx *bolt.Tx) error {
		if err := tx.Commit(); err != nil {
			return err
		}
		// The commit is visible; a reader starts now (it passes the
		// stopped check: nothing has stopped yet).
		go func() {
			n, err := s.CountStatements(ctx, domain.StatementFilter{Search: "failed"})
			done <- res{n, err}
		}()
		time.Sleep(50 * time.Millisecond) // the reader waits in begin
		return errors.New("fdatasync: input/output error (injected)")
	}
	if _, err := s.CreateStatement(ctx, &domain.Statement{Text: "The failed write", Kind: domain.StatementQuote, SpeakerID: sp.ID}); err == nil {
		t.Fatal("commit succeeded")
	}
	s.commit = (*bolt.Tx).Commit
	r := <-done
	if !errors.Is(r.err, domain.ErrStoreStopped) {
		t.Errorf("reader racing the stop: %d statements, err %v; want ErrStoreStopped", r.n, r.err)
	}
}

// TestCachedReadsStopToo (from a review): reads the caches answer
// without a transaction fail as well once the store stopped.
func TestCachedReadsStopToo(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
	st, _ := s.CreateStatement(ctx, &domain.Statement{Text: "Cached", Kind: domain.StatementQuote, SpeakerID: sp.ID})
	s.Statement(ctx, st.ID) // fills the cache
	s.commit = func(tx *bolt.Tx) error {
		if err := tx.Commit(); err != nil {
			return err
		}
		return errors.New("fdatasync: input/output error (injected)")
	}
	s.CreateStatement(ctx, &domain.Statement{Text: "The failed write", Kind: domain.StatementQuote, SpeakerID: sp.ID})
	if _, err := s.Statement(ctx, st.ID); !errors.Is(err, domain.ErrStoreStopped) {
		t.Errorf("Statement after the store stopped: %v; want ErrStoreStopped", err)
	}
}
