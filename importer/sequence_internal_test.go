package importer

import (
	"fmt"
	"testing"
	"time"
)

// The sequencer's memory is bounded: idle streams are forgotten, and past
// maxStreams the least recently used one is.
func TestSequencerForgetsStreams(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := NewSequencer(time.Second)
	q.now = func() time.Time { return now }

	for i := range maxStreams {
		q.add(fmt.Sprint(i))
		now = now.Add(time.Millisecond)
	}
	q.streams["0"].busy = true // a running call keeps its stream
	q.add("new")
	if len(q.streams) != maxStreams {
		t.Fatalf("%d streams, want the limit %d", len(q.streams), maxStreams)
	}
	if q.streams["0"] == nil || q.streams["1"] != nil {
		t.Errorf("evicted the wrong stream: busy 0 kept %v, least recent idle 1 kept %v", q.streams["0"] != nil, q.streams["1"] != nil)
	}

	now = now.Add(streamIdle + time.Second)
	q.streams["0"].busy = false
	q.add("after-idle")
	if len(q.streams) != 1 {
		t.Errorf("%d streams after all went idle, want only the new one", len(q.streams))
	}
}
