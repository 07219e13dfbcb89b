package graph

import (
	"context"
	"errors"
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitClosed waits for ch to close, failing after a second.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Fatalf("%s: Done did not close", what)
	}
}

func TestDeadlineContext(t *testing.T) {
	const d = 20 * time.Millisecond
	tests := []struct {
		name string
		// run acts on the context (ctx, under parent, which cancel ends)
		// and returns the error Err must report.
		run func(t *testing.T, ctx *deadlineContext, cancel func()) error
	}{
		{"Err without Done ends at the deadline", func(t *testing.T, ctx *deadlineContext, _ func()) error {
			if err := ctx.Err(); err != nil {
				t.Fatalf("Err before the deadline: %v", err)
			}
			time.Sleep(d + 5*time.Millisecond)
			return context.DeadlineExceeded
		}},
		{"Done closes at the deadline", func(t *testing.T, ctx *deadlineContext, _ func()) error {
			done := ctx.Done()
			if closed(done) || ctx.Err() != nil {
				t.Fatal("ended before the deadline")
			}
			waitClosed(t, done, "deadline")
			return context.DeadlineExceeded
		}},
		{"Done asked for after the deadline is closed", func(t *testing.T, ctx *deadlineContext, _ func()) error {
			time.Sleep(d + 5*time.Millisecond)
			if !closed(ctx.Done()) {
				t.Fatal("Done is open past the deadline")
			}
			return context.DeadlineExceeded
		}},
		{"the parent's end ends it, without Done", func(t *testing.T, ctx *deadlineContext, cancel func()) error {
			cancel()
			return context.Canceled
		}},
		{"the parent's end closes Done", func(t *testing.T, ctx *deadlineContext, cancel func()) error {
			done := ctx.Done()
			cancel()
			waitClosed(t, done, "parent cancelled")
			return context.Canceled
		}},
		{"a child of it ends at the deadline", func(t *testing.T, ctx *deadlineContext, _ func()) error {
			child, stop := context.WithCancel(ctx)
			defer stop()
			waitClosed(t, child.Done(), "child")
			if !errors.Is(child.Err(), context.DeadlineExceeded) {
				t.Fatalf("child's Err = %v", child.Err())
			}
			return context.DeadlineExceeded
		}},
		{"values come from the parent", func(t *testing.T, ctx *deadlineContext, _ func()) error {
			if got := RequestID(ctx); got != "rid" {
				t.Fatalf("RequestID = %q", got)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(WithRequestID(context.Background(), "rid"))
			defer cancel()
			ctx, release := withDeadlineContext(parent, time.Now().Add(d))
			defer release()
			want := tt.run(t, ctx, cancel)
			if err := ctx.Err(); !errors.Is(err, want) || (want == nil) != (err == nil) {
				t.Fatalf("Err = %v, want %v", err, want)
			}
			// Err and Done agree.
			if want != nil && !closed(ctx.Done()) {
				t.Fatal("Err reports an end but Done is open")
			}
		})
	}
}

func TestDeadlineContextRelease(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	later := time.Now().Add(time.Hour)
	ctx, release := withDeadlineContext(parent, later)
	if got, ok := ctx.Deadline(); !ok || !got.Equal(later) {
		t.Fatalf("Deadline = %v, %v", got, ok)
	}
	done := ctx.Done()
	release()
	if !closed(done) || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("after release: Done closed %v, Err %v", closed(done), ctx.Err())
	}
	if ctx.timer.Stop() {
		t.Error("release left the timer running")
	}
	if ctx.unwatch() {
		t.Error("release left the watch on the parent")
	}

	// The earlier of the two deadlines counts.
	sooner, stop := context.WithDeadline(context.Background(), time.Now().Add(time.Minute))
	defer stop()
	ctx, release = withDeadlineContext(sooner, later)
	defer release()
	if got, _ := ctx.Deadline(); got.After(time.Now().Add(2 * time.Minute)) {
		t.Errorf("Deadline = %v, want the parent's, a minute away", got)
	}
}
