package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/domain"
	"parley/importer"
)

// streamBatches is n batches of records where later batches update records
// of earlier ones: their order decides what the store ends up holding.
func streamBatches(n int) [][]domain.StatementImport {
	out := make([][]domain.StatementImport, n)
	for i := range out {
		own := leavitt(fmt.Sprintf("own-%d", i), fmt.Sprintf("statement %d", i))
		shared := leavitt("shared", fmt.Sprintf("shared text as of batch %d", i))
		out[i] = []domain.StatementImport{own, shared}
	}
	return out
}

func seqOpts(stream string, seq int) domain.ImportOptions {
	return domain.ImportOptions{Atomic: true, Sequence: &domain.ImportSequence{Stream: stream, Seq: seq}}
}

// Calls of a stream that arrive out of order commit in order: the store
// ends up exactly as after importing the batches one by one. A stream
// starts with call 0 on its own (the server learns of it then).
func TestSequencerCommitsInStreamOrder(t *testing.T) {
	const n = 4
	batches := streamBatches(n)

	serial := newStore(t)
	for _, b := range batches {
		run(t, serial, b, atomic)
	}

	s := newStore(t)
	q := importer.NewSequencer(time.Minute)
	var wg sync.WaitGroup
	reps := make([]*domain.ImportReport, n)
	errs := make([]error, n)
	reps[0], _, errs[0] = q.Import(t.Context(), s, batches[0], seqOpts("run-1", 0))
	for i := n - 1; i >= 1; i-- { // the last call first
		wg.Go(func() {
			reps[i], _, errs[i] = q.Import(t.Context(), s, batches[i], seqOpts("run-1", i))
		})
		time.Sleep(20 * time.Millisecond) // let it reach its turn, or wrongly pass it
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	wantStatuses(t, reps[0], domain.ImportCreated, domain.ImportCreated)
	for i := 1; i < n; i++ {
		wantStatuses(t, reps[i], domain.ImportCreated, domain.ImportUpdated)
	}
	if got, want := export(t, s), export(t, serial); !bytes.Equal(got, want) {
		t.Errorf("export after the stream differs from a serial import:\n%s\nwant\n%s", got, want)
	}
}

// A call repeated after it was answered gets its report again and writes
// nothing; a call before the remembered ones is a conflict.
func TestSequencerRepeatedCall(t *testing.T) {
	s := newStore(t)
	q := importer.NewSequencer(time.Minute)
	batches := streamBatches(10)
	first := make([]*domain.ImportReport, len(batches))
	for i, b := range batches {
		rep, repeated, err := q.Import(t.Context(), s, b, seqOpts("run", i))
		if err != nil || repeated {
			t.Fatalf("call %d: %v (repeated %v)", i, err, repeated)
		}
		first[i] = rep
	}
	before := dump(t, s)
	rep, repeated, err := q.Import(t.Context(), s, batches[9], seqOpts("run", 9))
	if err != nil {
		t.Fatal(err)
	}
	if !repeated || rep != first[9] {
		t.Errorf("repeated call 9 got a new report %s, want its first one", describe(rep))
	}
	if dump(t, s) != before {
		t.Error("a repeated call wrote")
	}
	_, _, err = q.Import(t.Context(), s, batches[0], seqOpts("run", 0))
	wantSequenceConflict(t, "call 0 after 9 more", err)
}

// A call that failed as a whole does not advance the stream: the next call
// waits until the failed one is sent again and succeeds.
func TestSequencerFailedCallKeepsItsTurn(t *testing.T) {
	s := newStore(t)
	q := importer.NewSequencer(time.Minute)
	batches := streamBatches(2)

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := q.Import(cancelled, s, batches[0], seqOpts("run", 0)); err == nil {
		t.Fatal("call 0 with a cancelled context succeeded")
	}

	done := make(chan error, 1)
	go func() {
		_, _, err := q.Import(t.Context(), s, batches[1], seqOpts("run", 1))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("call 1 ran before call 0 succeeded (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	if len(statements(t, s)) != 0 {
		t.Fatal("records written before call 0 succeeded")
	}
	if _, _, err := q.Import(t.Context(), s, batches[0], seqOpts("run", 0)); err != nil {
		t.Fatalf("call 0 again: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("call 1: %v", err)
	}
	if got := len(statements(t, s)); got != 3 {
		t.Errorf("%d statements, want 3", got)
	}
}

func TestSequencerRefusals(t *testing.T) {
	b := streamBatches(1)[0]
	for _, tc := range []struct {
		name string
		seq  domain.ImportSequence
		code domain.Code
		path []string
	}{
		{"unknown stream", domain.ImportSequence{Stream: "never-started", Seq: 3}, domain.CodeConflict, []string{"options", "sequence", "seq"}},
		{"empty stream", domain.ImportSequence{Seq: 0}, domain.CodeBadUserInput, []string{"options", "sequence", "stream"}},
		{"long stream", domain.ImportSequence{Stream: string(make([]byte, 129)), Seq: 0}, domain.CodeBadUserInput, []string{"options", "sequence", "stream"}},
		{"negative seq", domain.ImportSequence{Stream: "s", Seq: -1}, domain.CodeBadUserInput, []string{"options", "sequence", "seq"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			q := importer.NewSequencer(time.Minute)
			opts := domain.ImportOptions{Atomic: true, Sequence: &tc.seq}
			_, _, err := q.Import(t.Context(), s, b, opts)
			var derr *domain.Error
			if !errors.As(err, &derr) || derr.Code != tc.code || !slices.Equal(derr.Path, tc.path) {
				t.Fatalf("error %v, want %s at %v", err, tc.code, tc.path)
			}
			if len(statements(t, s)) != 0 {
				t.Error("a refused call wrote")
			}
		})
	}
}

// A call whose predecessor never comes gives up after the turn wait with a
// conflict the client can act on.
func TestSequencerTurnWait(t *testing.T) {
	s := newStore(t)
	q := importer.NewSequencer(30 * time.Millisecond)
	batches := streamBatches(3)
	if _, _, err := q.Import(t.Context(), s, batches[0], seqOpts("run", 0)); err != nil {
		t.Fatal(err)
	}
	_, _, err := q.Import(t.Context(), s, batches[2], seqOpts("run", 2)) // call 1 is lost
	wantSequenceConflict(t, "call 2 without call 1", err)
	if got := len(statements(t, s)); got != 2 {
		t.Errorf("%d statements, want call 0's 2", got)
	}
}

func wantSequenceConflict(t *testing.T, what string, err error) {
	t.Helper()
	var derr *domain.Error
	if !errors.As(err, &derr) || derr.Code != domain.CodeConflict || !slices.Equal(derr.Path, []string{"options", "sequence", "seq"}) {
		t.Fatalf("%s: error %v, want CONFLICT at options.sequence.seq", what, err)
	}
	if derr.Message == "" {
		t.Errorf("%s: conflict without a message", what)
	}
}

// countingStore counts write transactions, and runs before (if set) at
// the start of each.
type countingStore struct {
	domain.Store
	before func(n int) // n counts from 1

	mu      sync.Mutex
	updates int
}

func (s *countingStore) Update(ctx context.Context, fn func(domain.Tx) error) error {
	s.mu.Lock()
	s.updates++
	n := s.updates
	s.mu.Unlock()
	if s.before != nil {
		s.before(n)
	}
	return s.Store.Update(ctx, fn)
}

// count returns the write transactions begun since the last call.
func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.updates
	s.updates = 0
	return n
}

// startWaiting starts calls from..to-1 of the stream, the last first, and
// returns once all of them wait for their turn with phase 1 done. Their
// reports and errors land in reps and errs when done is waited on.
func startWaiting(t *testing.T, q *importer.Sequencer, s domain.Store, stream string, batches [][]domain.StatementImport,
	opts func(seq int) domain.ImportOptions, from, to int, reps []*domain.ImportReport, errs []error) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for i := to - 1; i >= from; i-- {
		wg.Go(func() {
			var repeated bool
			reps[i], repeated, errs[i] = q.Import(t.Context(), s, batches[i], opts(i))
			if repeated {
				errs[i] = fmt.Errorf("call %d reported as repeated", i)
			}
		})
	}
	waitForWaiting(t, q, stream, to-from)
	return &wg
}

// waitForWaiting returns once n calls of the stream wait for their turn
// with phase 1 done.
func waitForWaiting(t *testing.T, q *importer.Sequencer, stream string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for q.Waiting(stream) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of stream %q waiting, want %d", q.Waiting(stream), stream, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// importSerially imports the batches one call after another, each with
// opts(i) without a stream, into a new store: the reference a stream's
// outcome must equal.
func importSerially(t *testing.T, batches [][]domain.StatementImport, opts func(i int) domain.ImportOptions) (domain.Store, []*domain.ImportReport) {
	t.Helper()
	s := newStore(t)
	var reps []*domain.ImportReport
	for i, b := range batches {
		o := opts(i)
		o.Sequence = nil
		reps = append(reps, run(t, s, b, o))
	}
	return s, reps
}

// wantSerial fails the test unless every call succeeded with the report
// of the serial import, want, and s ended up as serial.
func wantSerial(t *testing.T, what string, reps []*domain.ImportReport, errs []error, want []*domain.ImportReport, s, serial domain.Store) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: call %d: %v", what, i, err)
		}
		if got, w := describe(reps[i]), describe(want[i]); got != w {
			t.Errorf("%s: call %d reported\n%s\nwant, as in a serial import,\n%s", what, i, got, w)
		}
	}
	if got, w := export(t, s), export(t, serial); !bytes.Equal(got, w) {
		t.Errorf("%s: export differs from a serial import:\n%s\nwant\n%s", what, got, w)
	}
}

// groupRun is a stream of the batches whose call 0 has run and whose
// calls 2 and later wait ready, so that call 1 takes them into its group.
type groupRun struct {
	s     *countingStore
	q     *importer.Sequencer
	reps  []*domain.ImportReport
	errs  []error
	later *sync.WaitGroup // calls 2 and later
}

// startGroup starts a groupRun; observe, when not nil, observes its groups
// from the start. The store's transactions are counted from call 1 on.
func startGroup(t *testing.T, batches [][]domain.StatementImport, opts func(i int) domain.ImportOptions, observe func(calls int)) *groupRun {
	t.Helper()
	n := len(batches)
	g := &groupRun{s: &countingStore{Store: newStore(t)}, q: importer.NewSequencer(time.Minute),
		reps: make([]*domain.ImportReport, n), errs: make([]error, n)}
	if observe != nil {
		g.q.ObserveGroups(observe)
	}
	g.reps[0], _, g.errs[0] = g.q.Import(t.Context(), g.s, batches[0], opts(0)) // a stream starts alone
	g.later = startWaiting(t, g.q, g.s, "run", batches, opts, 2, n, g.reps, g.errs)
	g.s.count()
	return g
}

// runCall1 runs call 1 of g, which takes the calls waiting ready into its
// group, waits for them all, and checks the outcome against the serial
// import's.
func (g *groupRun) runCall1(t *testing.T, what string, batches [][]domain.StatementImport, opts func(i int) domain.ImportOptions, want []*domain.ImportReport, serial domain.Store) {
	t.Helper()
	g.reps[1], _, g.errs[1] = g.q.Import(t.Context(), g.s, batches[1], opts(1))
	g.later.Wait()
	wantSerial(t, what, g.reps, g.errs, want, g.s, serial)
}

// Calls that wait ready when their turn comes commit in one transaction
// (group commit), with the reports and the store of a serial import.
func TestSequencerGroupsReadyCalls(t *testing.T) {
	const n = 4
	batches := streamBatches(n)
	opts := func(i int) domain.ImportOptions { return seqOpts("run", i) }
	serial, want := importSerially(t, batches, opts)

	var groups []int
	// Called by the call running its turn, one at a time.
	g := startGroup(t, batches, opts, func(calls int) { groups = append(groups, calls) })
	g.runCall1(t, "the group", batches, opts, want, serial) // its turn, with 2 and 3 ready
	if got := g.s.count(); got != 1 {
		t.Errorf("calls 1-3 ran in %d write transactions, want 1", got)
	}
	if !slices.Equal(groups, []int{1, 3}) {
		t.Errorf("groups observed %v, want [1 3]: call 0 alone, then calls 1-3", groups)
	}
}

// A group whose atomic call fails a record in phase 2 cannot commit
// whole: its transaction is rolled back and the calls run one by one,
// with the outcome of a serial import (the atomic call writes nothing).
func TestSequencerGroupSplitsOnAFailedAtomicCall(t *testing.T) {
	const n = 4
	batches := streamBatches(n)
	// Call 2 refuses to change a stored statement: its shared record,
	// stored by call 1 with other text, fails, and so the whole call.
	opts := func(i int) domain.ImportOptions {
		o := seqOpts("run", i)
		if i == 2 {
			o.OnConflict = domain.OnConflictFail
		}
		return o
	}
	serial, want := importSerially(t, batches, opts)
	if want[2].Failed != 1 || want[2].Skipped != 1 {
		t.Fatalf("serial call 2 reported %s, want a failed and a skipped record", describe(want[2]))
	}

	g := startGroup(t, batches, opts, nil)
	g.runCall1(t, "the split group", batches, opts, want, serial)
	if got := g.s.count(); got != 4 {
		t.Errorf("calls 1-3 ran in %d write transactions, want the group's and then one each", got)
	}
}

// When the call running a group fails as a whole, the calls it took wait
// for their turn again: they run once the failed call is sent again and
// succeeds, and are not answered as repeats.
func TestSequencerGroupOfAFailedCallWaitsAgain(t *testing.T) {
	const n = 4
	batches := streamBatches(n)
	opts := func(i int) domain.ImportOptions { return seqOpts("run", i) }
	serial, want := importSerially(t, batches, opts)

	g := startGroup(t, batches, opts, nil)

	ctx, cancel := context.WithCancel(t.Context())
	g.s.before = func(int) { cancel() } // the client of call 1 goes away as its group starts
	if _, _, err := g.q.Import(ctx, g.s, batches[1], opts(1)); err == nil {
		t.Fatal("call 1 succeeded with its context cancelled")
	}
	g.s.before = nil
	waitForWaiting(t, g.q, "run", 2) // calls 2 and 3, again
	if got := len(statements(t, g.s)); got != 2 {
		t.Fatalf("%d statements after the failed group, want call 0's 2", got)
	}
	g.s.count()
	g.runCall1(t, "after the failed group", batches, opts, want, serial) // sent again
	if got := g.s.count(); got != 1 {
		t.Errorf("calls 1-3 sent again ran in %d write transactions, want 1", got)
	}
}

// However calls arrive and group, a stream gives the reports and the
// store of a serial import: calls sent at once in a shuffled order, some
// atomic with a record that fails in phase 2 (their group must split),
// some not atomic, one with a record the store refuses after writing
// began (its group must split too), some dry runs (never grouped).
func TestSequencerGroupsAreSerial(t *testing.T) {
	const n = 16
	batches := streamBatches(n)
	// Call 8 stores a speaker with a Wikidata id; call 10 names another
	// speaker with the same id, which only the store checks.
	speaker := func(ext, key, name string) domain.StatementImport {
		r := leavitt(ext, "words of "+name)
		r.Speaker = domain.SpeakerRef{Key: key, Name: name, Kind: domain.SpeakerPerson, WikidataID: "Q22686"}
		return r
	}
	batches[8] = append(batches[8], speaker("trump", "donald-trump", "Donald Trump"))
	batches[10] = append(batches[10], speaker("impostor", "not-trump", "Not Trump"))
	opts := func(i int) domain.ImportOptions {
		o := seqOpts("run", i)
		switch {
		case i == 4:
			o.OnConflict = domain.OnConflictFail // the shared record fails: an atomic call writes nothing
		case i == 6 || i == 12:
			o.DryRun = true
		case i%3 == 0:
			o.Atomic = false
			o.OnConflict = domain.OnConflictFail // the shared record fails, the other lands
		}
		return o
	}
	serial, want := importSerially(t, batches, opts)

	var mu sync.Mutex
	grouped := false
	for round := range 5 {
		s := newStore(t)
		q := importer.NewSequencer(time.Minute)
		q.ObserveGroups(func(calls int) {
			mu.Lock()
			defer mu.Unlock()
			grouped = grouped || calls > 1
		})
		reps := make([]*domain.ImportReport, n)
		errs := make([]error, n)
		reps[0], _, errs[0] = q.Import(t.Context(), s, batches[0], opts(0))
		order := rand.New(rand.NewPCG(uint64(round), 7)).Perm(n - 1)
		var wg sync.WaitGroup
		for _, k := range order {
			i := k + 1
			wg.Go(func() { reps[i], _, errs[i] = q.Import(t.Context(), s, batches[i], opts(i)) })
		}
		wg.Wait()
		wantSerial(t, fmt.Sprintf("round %d", round), reps, errs, want, s, serial)
	}
	if !grouped {
		t.Error("no round grouped calls: the test did not exercise group commit")
	}
}
