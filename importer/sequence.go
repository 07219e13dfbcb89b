package importer

import (
	"context"
	"sync"
	"time"

	"parley/domain"
)

// An import stream lets a client keep more than one import call in flight
// and still get what importing the batches one after another gives. The
// server spends most of a call on work that does not need the store
// (reading and decoding the request, phase 1), and the write transaction
// admits one batch at a time; a client that waits for each answer before
// sending the next batch leaves one of the two halves idle. With a stream,
// the next call decodes and checks its records while the previous one
// commits.
//
// Calls name their stream and their place in it (domain.ImportOptions.Sequence). Phase 2 of a
// call runs only after the call before it in the stream has produced a
// report, so batches commit in the client's order: ids, warnings and the
// last write to a record shared by two batches are those of a serial
// import. A stream starts at Seq 0; a later Seq on a stream the server does
// not know (it has restarted, or forgot an idle stream) is a CONFLICT, and
// so is a call that waited too long for its predecessor: the client then
// starts a new stream with the oldest batch it has no answer for, and
// sends the batches after it again, which imports make harmless.
//
// A call that fails as a whole (a storage failure, a cancelled request, a
// request refused before it reached the resolver) does not advance the
// stream: the client sends it again with the same Seq. A call repeated
// after it produced a report (its answer was lost) gets that report again
// instead of running twice, as long as the stream remembers it.
//
// Calls that are ready when their turn comes commit together: the call
// whose turn it is takes the calls that follow it in the stream and wait
// with phase 1 done (at most groupRecords records in all), runs their
// phase 2 in one write transaction (applyGroup) and answers each; a
// client with more than two calls in flight gets group commit.

// Stream limits. They bound the sequencer's memory whatever clients do.
const (
	// DefaultTurnWait is how long a call waits for its predecessor.
	DefaultTurnWait = 30 * time.Second
	// streamIdle is how long an unused stream is remembered.
	streamIdle = 10 * time.Minute
	// maxStreams bounds the streams remembered at once; past it, the
	// least recently used is forgotten.
	maxStreams = 64
	// rememberedReports is how many of a stream's latest reports are kept
	// for repeated calls: as many as the client keeps in flight by
	// default. A repeat of an older call is a CONFLICT, after which the
	// client starts a new stream (slower, never wrong). With at most
	// 5,000 results a report, the reports of all streams stay under
	// about 100 MB.
	rememberedReports = 4
	// maxStreamName bounds a stream's name.
	maxStreamName = 128
	// groupRecords bounds the records of the calls one transaction
	// commits together: the pages a group dirties stay in the heap until
	// its commit.
	groupRecords = 4000
)

// Sequencer orders the calls of import streams. Its zero value is not
// ready; use NewSequencer. It is safe for concurrent use.
type Sequencer struct {
	wait  time.Duration
	now   func() time.Time
	group func(calls int) // ObserveGroups

	mu      sync.Mutex
	streams map[string]*stream
}

type stream struct {
	next    int                          // the Seq whose turn it is
	busy    bool                         // the call with Seq next is running
	reports map[int]*domain.ImportReport // the latest reports, by Seq
	ready   map[int]*call                // calls past phase 1 waiting for their turn, by Seq
	wake    chan struct{}                // closed when next or busy changes
	used    time.Time
}

// call is a call of a stream past phase 1.
type call struct {
	seq int
	p   *prepared
	// taken says that the call running its turn has taken this one into
	// its group, and done is made for that group: it receives this call's
	// outcome, or is closed when the group stopped before this call, which
	// then waits for its turn again. Under q.mu.
	taken bool
	done  chan outcome
}

// outcome is what turn answers a call that does not run a group itself,
// and what a group's call gets from the call that ran the group.
type outcome struct {
	rep      *domain.ImportReport
	repeated bool // rep is the remembered report of an earlier run
}

// groupable says whether the call may commit with others: a dry run
// never commits, and an atomic batch with a failed record writes nothing.
func (c *call) groupable() bool {
	return !c.p.opts.DryRun && !(c.p.opts.Atomic && c.p.failed)
}

// NewSequencer returns a sequencer whose calls wait at most wait for their
// turn (DefaultTurnWait when wait ≤ 0).
func NewSequencer(wait time.Duration) *Sequencer {
	if wait <= 0 {
		wait = DefaultTurnWait
	}
	return &Sequencer{wait: wait, now: time.Now, streams: make(map[string]*stream)}
}

// Import is the package's Import, except that a call with
// opts.Sequence runs phase 1 at once and phase 2 in its stream's order.
// repeated says that the call had been answered before and rep is that
// answer again: nothing ran.
func (q *Sequencer) Import(ctx context.Context, s domain.Store, recs []domain.StatementImport, opts domain.ImportOptions) (rep *domain.ImportReport, repeated bool, err error) {
	if opts.Sequence == nil {
		rep, err = Import(ctx, s, recs, opts)
		return rep, false, err
	}
	seq := *opts.Sequence
	if err := checkSequence(seq); err != nil {
		return nil, false, err
	}
	p, err := prepare(recs, opts)
	if err != nil {
		return nil, false, err
	}
	c := &call{seq: seq.Seq, p: p}
	st, group, out, err := q.turn(ctx, seq.Stream, c)
	switch {
	case err != nil:
		return nil, false, err
	case out != nil: // answered before, or run in another call's group
		return out.rep, out.repeated, nil
	}
	ps := make([]*prepared, len(group))
	for i, g := range group {
		ps[i] = g.p
	}
	reps, err := applyGroup(ctx, s, ps, q.group)
	q.finish(seq.Stream, st, group, reps)
	if len(reps) == 0 {
		return nil, false, err
	}
	return reps[0], false, nil
}

// ObserveGroups makes the sequencer call f with the number of calls of
// each group it ran (1 for a call that ran alone, or whose group could not
// commit whole and ran one by one). Call it before the first Import.
func (q *Sequencer) ObserveGroups(f func(calls int)) { q.group = f }

func checkSequence(seq domain.ImportSequence) error {
	switch {
	case seq.Stream == "":
		return domain.FieldErrorf([]string{"options", "sequence", "stream"}, "is empty; name the stream, with a random id per import run")
	case len(seq.Stream) > maxStreamName:
		return domain.FieldErrorf([]string{"options", "sequence", "stream"}, "has %d bytes; at most %d", len(seq.Stream), maxStreamName)
	case seq.Seq < 0:
		return domain.FieldErrorf([]string{"options", "sequence", "seq"}, "is %d; a stream's calls count from 0", seq.Seq)
	}
	return nil
}

// turnConflict is the error of a call that cannot take its turn.
func turnConflict(format string, args ...any) error {
	e := domain.Errorf(domain.CodeConflict, format, args...)
	e.Path = []string{"options", "sequence", "seq"}
	return e
}

// turn waits until it is c's turn in the stream named name, marks the
// stream busy and returns it with the group c runs: c and the calls that
// follow it, ready. Otherwise it returns c's outcome (the report c
// already produced, or what it got in another call's group) or an
// error. The caller that gets a group must call finish with it.
func (q *Sequencer) turn(ctx context.Context, name string, c *call) (st *stream, group []*call, out *outcome, err error) {
	var timeout <-chan time.Time
	for {
		q.mu.Lock()
		if c.taken {
			// Another call runs c in its group: wait for the outcome,
			// however long the group takes.
			done := c.done
			q.mu.Unlock()
			select {
			case o, ok := <-done:
				if !ok {
					continue // the group stopped before c
				}
				return nil, nil, &o, nil
			case <-ctx.Done():
				return nil, nil, nil, ctx.Err()
			}
		}
		st = q.streams[name]
		if st == nil {
			if c.seq != 0 {
				q.mu.Unlock()
				return nil, nil, nil, turnConflict("import stream %q is unknown here (the server restarted or forgot it); send this batch again as call 0 of a new stream", name)
			}
			st = q.add(name)
		}
		st.used = q.now()
		if rep, ok := st.reports[c.seq]; ok {
			q.mu.Unlock()
			return nil, nil, &outcome{rep: rep, repeated: true}, nil
		}
		if c.seq < st.next {
			q.mu.Unlock()
			return nil, nil, nil, turnConflict("call %d of import stream %q was answered and is forgotten; start a new stream", c.seq, name)
		}
		if c.seq == st.next && !st.busy {
			st.busy = true
			if st.ready[c.seq] == c {
				delete(st.ready, c.seq)
			}
			group = q.gather(st, c)
			q.mu.Unlock()
			return st, group, nil, nil
		}
		st.ready[c.seq] = c
		wake := st.wake
		q.mu.Unlock()

		if timeout == nil {
			t := time.NewTimer(q.wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
			continue
		case <-ctx.Done():
			err = ctx.Err()
		case <-timeout:
			err = turnConflict("call %d of import stream %q waited %s for call %d; send the batches from the oldest unanswered one again on a new stream", c.seq, name, q.wait, c.seq-1)
		}
		q.mu.Lock()
		if c.taken {
			// Taken just now: the group runs it whatever this call
			// answers; its outcome is what the client should get.
			q.mu.Unlock()
			timeout = nil
			continue
		}
		if st.ready[c.seq] == c {
			delete(st.ready, c.seq)
		}
		q.mu.Unlock()
		return nil, nil, nil, err
	}
}

// gather takes into lead's group the calls that follow it in st and are
// ready, up to groupRecords records in all. The caller holds q.mu.
func (q *Sequencer) gather(st *stream, lead *call) []*call {
	group := []*call{lead}
	if !lead.groupable() {
		return group
	}
	n := len(lead.p.records)
	for next := lead.seq + 1; ; next++ {
		c := st.ready[next]
		if c == nil || !c.groupable() || n+len(c.p.records) > groupRecords {
			return group
		}
		n += len(c.p.records)
		delete(st.ready, next)
		c.taken, c.done = true, make(chan outcome, 1)
		group = append(group, c)
	}
}

// finish ends the turn of group[0], which ran group: reps are the reports
// of the calls that completed, in order. They advance the stream and are
// remembered. The other calls of the group wait for their turn again:
// the first of them failed as a whole, and its turn comes at once (or,
// when it is group[0], with a repeat of it).
func (q *Sequencer) finish(name string, st *stream, group []*call, reps []*domain.ImportReport) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, c := range group[1:] {
		if i+1 < len(reps) {
			c.done <- outcome{rep: reps[i+1]}
		} else {
			c.taken = false
			close(c.done)
		}
	}
	if q.streams[name] != st {
		return // forgotten while running: nothing else waits on it
	}
	st.busy = false
	for i, rep := range reps {
		seq := group[i].seq
		st.reports[seq] = rep
		delete(st.reports, seq-rememberedReports)
		st.next = seq + 1
	}
	close(st.wake)
	st.wake = make(chan struct{})
}

// add creates a stream, first forgetting idle ones and, at the limit, the
// least recently used. The caller holds q.mu.
func (q *Sequencer) add(name string) *stream {
	now := q.now()
	var lru string
	for n, st := range q.streams {
		if st.busy {
			continue
		}
		if now.Sub(st.used) > streamIdle {
			q.forget(n, st)
			continue
		}
		if lru == "" || st.used.Before(q.streams[lru].used) {
			lru = n
		}
	}
	if len(q.streams) >= maxStreams && lru != "" {
		q.forget(lru, q.streams[lru])
	}
	st := &stream{reports: make(map[int]*domain.ImportReport), ready: make(map[int]*call), wake: make(chan struct{}), used: now}
	q.streams[name] = st
	return st
}

// forget drops a stream; calls waiting on it wake and find it unknown.
func (q *Sequencer) forget(name string, st *stream) {
	delete(q.streams, name)
	close(st.wake)
}
