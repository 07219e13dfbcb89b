package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

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
