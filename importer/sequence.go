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
	// for repeated calls: twice what the client keeps in flight by
	// default. A repeat of an older call is a CONFLICT, after which the
	// client starts a new stream. With at most 5,000 results a report,
	// the reports of all streams stay under about 100 MB.
	rememberedReports = 4
	// maxStreamName bounds a stream's name.
	maxStreamName = 128
)

// Sequencer orders the calls of import streams. Its zero value is not
// ready; use NewSequencer. It is safe for concurrent use.
type Sequencer struct {
	wait time.Duration
	now  func() time.Time

	mu      sync.Mutex
	streams map[string]*stream
}

type stream struct {
	next    int                          // the Seq whose turn it is
	busy    bool                         // the call with Seq next is running
	reports map[int]*domain.ImportReport // the latest reports, by Seq
	wake    chan struct{}                // closed when next or busy changes
	used    time.Time
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
	st, rep, err := q.turn(ctx, seq)
	if rep != nil || err != nil {
		return rep, rep != nil, err
	}
	rep, err = p.apply(ctx, s)
	q.finish(seq, st, rep)
	return rep, false, err
}

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

// turn waits until it is seq's turn and marks the stream busy, or returns
// the report seq already produced. The caller that gets neither a report
// nor an error must call finish with the stream.
func (q *Sequencer) turn(ctx context.Context, seq domain.ImportSequence) (*stream, *domain.ImportReport, error) {
	var timeout <-chan time.Time
	for {
		q.mu.Lock()
		st := q.streams[seq.Stream]
		if st == nil {
			if seq.Seq != 0 {
				q.mu.Unlock()
				return nil, nil, turnConflict("import stream %q is unknown here (the server restarted or forgot it); send this batch again as call 0 of a new stream", seq.Stream)
			}
			st = q.add(seq.Stream)
		}
		st.used = q.now()
		if rep, ok := st.reports[seq.Seq]; ok {
			q.mu.Unlock()
			return nil, rep, nil
		}
		if seq.Seq < st.next {
			q.mu.Unlock()
			return nil, nil, turnConflict("call %d of import stream %q was answered and is forgotten; start a new stream", seq.Seq, seq.Stream)
		}
		if seq.Seq == st.next && !st.busy {
			st.busy = true
			q.mu.Unlock()
			return st, nil, nil
		}
		wake := st.wake
		q.mu.Unlock()

		if timeout == nil {
			t := time.NewTimer(q.wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-timeout:
			return nil, nil, turnConflict("call %d of import stream %q waited %s for call %d; send the batches from the oldest unanswered one again on a new stream", seq.Seq, seq.Stream, q.wait, seq.Seq-1)
		}
	}
}

// finish ends seq's turn. A report advances the stream and is remembered;
// nil (the call failed) leaves the turn to a repeat of the call.
func (q *Sequencer) finish(seq domain.ImportSequence, st *stream, rep *domain.ImportReport) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.streams[seq.Stream] != st {
		return // forgotten while running: nothing waits on it
	}
	st.busy = false
	if rep != nil {
		st.reports[seq.Seq] = rep
		delete(st.reports, seq.Seq-rememberedReports)
		st.next = seq.Seq + 1
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
	st := &stream{reports: make(map[int]*domain.ImportReport), wake: make(chan struct{}), used: now}
	q.streams[name] = st
	return st
}

// forget drops a stream; calls waiting on it wake and find it unknown.
func (q *Sequencer) forget(name string, st *stream) {
	delete(q.streams, name)
	close(st.wake)
}
