package store

import (
	"sync/atomic"
	"time"
)

// WriteStats is what the write transactions of a Store have cost since it
// opened. A database has a single writer: Held over a span of time is how
// busy it was, and Spill and Disk are the parts of committing that grow
// with the pages a transaction changed. Transactions and Held count the
// writes made through the Store; Spill, Disk and PagesWritten also the
// commits of Open itself (schema setup, migrations).
type WriteStats struct {
	// Transactions counts the write transactions run, committed or not.
	Transactions int64
	// Held is the time they held the writer, from the start of the
	// transaction to the end of its commit or rollback.
	Held time.Duration
	// Spill is the time commits spent serializing changed nodes into pages.
	Spill time.Duration
	// Disk is the time commits spent writing pages to the file and waiting
	// for the disk to sync them (two syncs a commit: the pages, then the
	// meta page that makes them current).
	Disk time.Duration
	// PagesWritten counts the pages commits wrote, meta pages included.
	PagesWritten int64
	// FreePages is the number of pages in the file free for reuse (or
	// freed by a transaction some reader may still see) after the last
	// commit.
	FreePages int
}

// writeClock accumulates the writer's busy time; bbolt keeps the rest.
type writeClock struct {
	txs  atomic.Int64
	held atomic.Int64 // nanoseconds
}

func (c *writeClock) add(d time.Duration) {
	c.txs.Add(1)
	c.held.Add(int64(d))
}

// WriteStats reports what the write transactions have cost since Open.
func (s *Store) WriteStats() WriteStats {
	st := s.db.Stats()
	return WriteStats{
		Transactions: s.writes.txs.Load(),
		Held:         time.Duration(s.writes.held.Load()),
		Spill:        st.TxStats.GetSpillTime(),
		Disk:         st.TxStats.GetWriteTime(),
		PagesWritten: st.TxStats.GetWrite(),
		FreePages:    st.FreePageN + st.PendingPageN,
	}
}
