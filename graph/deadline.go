package graph

import (
	"context"
	"sync"
	"time"
)

// deadlineContext is context.WithDeadline without its cost for requests
// that never wait.
//
// net/http's request context is a cancelCtx: a context.WithTimeout under
// it starts a timer and enters itself in a map of the parent's children,
// made for it, and its cancel function undoes both. On a small read that
// was 3% of the server's CPU, for a deadline that nearly every request
// beats. The store and the executor only ask Err between their steps
// (the store before each transaction), and Err can compare the clock
// with the deadline. Only code that waits on Done (a stream's import
// waiting for its turn, a subscription) needs a channel that closes at
// the deadline: this context makes the channel, the timer and the watch
// on its parent the first time Done is called.
//
// Err and Done agree: Err returns nil until Done is closed, if Done was
// ever asked for. context.Cause reports the parent's cause, not this
// context's deadline (its lookup goes to the parent's cancelCtx): use
// Err.
type deadlineContext struct {
	context.Context // the parent
	deadline        time.Time

	mu      sync.Mutex
	err     error         // set once: the parent's error, DeadlineExceeded or Canceled
	done    chan struct{} // made by the first Done
	timer   *time.Timer   // armed by the first Done
	unwatch func() bool   // stops the watch on the parent that Done starts
}

// withDeadlineContext returns a context under parent that ends at
// deadline or when parent ends, and the function that releases it, which
// the caller must call (as with context.WithDeadline's cancel).
func withDeadlineContext(parent context.Context, deadline time.Time) (*deadlineContext, func()) {
	c := &deadlineContext{Context: parent, deadline: deadline}
	return c, c.release
}

// Deadline implements context.Context: the earlier of the parent's
// deadline and this one.
func (c *deadlineContext) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Err implements context.Context.
func (c *deadlineContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkLocked()
	return c.err
}

// Done implements context.Context.
func (c *deadlineContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.checkLocked()
	c.done = make(chan struct{})
	if c.err != nil {
		close(c.done)
		return c.done
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded) })
	c.unwatch = context.AfterFunc(c.Context, func() { c.end(c.Context.Err()) })
	return c.done
}

// checkLocked ends c if its parent has ended or its deadline has passed.
func (c *deadlineContext) checkLocked() {
	if c.err != nil {
		return
	}
	if err := c.Context.Err(); err != nil {
		c.endLocked(err)
	} else if !time.Now().Before(c.deadline) {
		c.endLocked(context.DeadlineExceeded)
	}
}

func (c *deadlineContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.endLocked(err)
	}
}

func (c *deadlineContext) endLocked(err error) {
	c.err = err
	if c.done != nil {
		close(c.done)
	}
}

// release ends c (Canceled, unless it has ended already) and stops its
// timer and its watch on the parent, if Done started them.
func (c *deadlineContext) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.endLocked(context.Canceled)
	}
	if c.timer != nil {
		c.timer.Stop()
		c.unwatch()
	}
}
