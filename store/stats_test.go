package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"parley/domain"
)

func TestWriteStatsCountWhatCommitsCost(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	before := s.WriteStats()

	if _, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson}); err != nil {
		t.Fatal(err)
	}
	committed := s.WriteStats()
	if got := committed.Transactions - before.Transactions; got != 1 {
		t.Errorf("a committed write counted %d transactions, want 1", got)
	}
	if committed.Held <= before.Held {
		t.Errorf("Held did not grow: %v then %v", before.Held, committed.Held)
	}
	if committed.Disk <= before.Disk {
		t.Errorf("Disk did not grow: %v then %v", before.Disk, committed.Disk)
	}
	// The changed leaf and branch pages, the freelist and the meta page.
	if got := committed.PagesWritten - before.PagesWritten; got < 2 {
		t.Errorf("a commit wrote %d pages, want at least 2", got)
	}

	// A rolled-back write held the writer but wrote nothing.
	_ = s.Update(ctx, func(tx domain.Tx) error {
		if err := tx.PutSpeaker(&domain.Speaker{Name: "Nobody", Kind: domain.SpeakerPerson}); err != nil {
			return err
		}
		return domain.Errorf(domain.CodeConflict, "roll back")
	})
	rolledBack := s.WriteStats()
	if got := rolledBack.Transactions - committed.Transactions; got != 1 {
		t.Errorf("a rolled-back write counted %d transactions, want 1", got)
	}
	if rolledBack.PagesWritten != committed.PagesWritten || rolledBack.Disk != committed.Disk {
		t.Errorf("a rolled-back write wrote: pages %d → %d, disk %v → %v",
			committed.PagesWritten, rolledBack.PagesWritten, committed.Disk, rolledBack.Disk)
	}
	// Reads are not writes.
	if _, err := s.ListSpeakers(ctx, domain.SpeakerFilter{}, domain.Page{First: 10}); err != nil {
		t.Fatal(err)
	}
	if got := s.WriteStats().Transactions; got != rolledBack.Transactions {
		t.Errorf("a read counted as a write transaction: %d → %d", rolledBack.Transactions, got)
	}
}
