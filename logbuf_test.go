package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flush timer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBufferedLog(t *testing.T) {
	var out syncBuffer
	bl := newBufferedLog(&out)
	log := slog.New(flushingHandler{slog.NewTextHandler(bl, nil), bl})

	log.Info("request one")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	// The timer writes it within logFlushEvery.
	deadline := time.Now().Add(5 * logFlushEvery)
	for !strings.Contains(out.String(), "request one") {
		if time.Now().After(deadline) {
			t.Fatalf("an info line was not written within %v", 5*logFlushEvery)
		}
		time.Sleep(10 * time.Millisecond)
	}

	log.Info("request two")
	log.Warn("something is wrong")
	if s := out.String(); !strings.Contains(s, "request two") || !strings.Contains(s, "something is wrong") {
		t.Fatalf("a warning did not flush the lines before it and itself: %q", s)
	}
	if strings.Index(out.String(), "request two") > strings.Index(out.String(), "something is wrong") {
		t.Error("lines out of order")
	}

	log.With("k", "v").Error("with attrs", "n", 1)
	if !strings.Contains(out.String(), "with attrs") {
		t.Error("a handler with attributes does not flush on error")
	}

	big := strings.Repeat("x", logBufferSize)
	log.InfoContext(context.Background(), big)
	if !strings.Contains(out.String(), big) {
		t.Error("a full buffer was not written")
	}

	log.Info("last words")
	if err := bl.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "last words") {
		t.Error("Close did not flush")
	}
}
