package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
