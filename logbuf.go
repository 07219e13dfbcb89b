package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Log lines are buffered: a request line per request, each written with
// its own system call, costs a busy server a few percent of its capacity.
// A bufferedLog collects lines and writes them when it holds logBufferSize
// bytes, logFlushEvery after the first unwritten line, at once for a
// warning or an error, and on Close. A crash can lose the request lines of
// the last logFlushEvery; never a warning or an error.
const (
	logBufferSize = 32 << 10
	logFlushEvery = 200 * time.Millisecond
)

// bufferedLog is an io.Writer that batches log lines for w.
type bufferedLog struct {
	w     io.Writer
	mu    sync.Mutex
	buf   []byte
	timer *time.Timer // pending flush; nil when buf is empty
}

func newBufferedLog(w io.Writer) *bufferedLog { return &bufferedLog{w: w} }

// Write implements io.Writer. slog writes a whole line per call.
func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferSize {
		return len(p), b.flushLocked()
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(logFlushEvery, func() { b.Flush() })
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (b *bufferedLog) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *bufferedLog) flushLocked() error {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close flushes; the log stays usable.
func (b *bufferedLog) Close() error { return b.Flush() }

// flushingHandler flushes the buffered log after a warning or an error, so
// that what explains a failure is written before anything else happens.
type flushingHandler struct {
	slog.Handler
	log *bufferedLog
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.log.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(as), h.log}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.log}
}
