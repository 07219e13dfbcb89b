package bench

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapMetric is the Go heap occupied by objects, live or not yet swept.
// It is what the 256 MB target bounds: unlike RSS it leaves out bbolt's
// memory-mapped file, whose pages belong to the page cache, not to the
// process's allocations.
const heapMetric = "/memory/classes/heap/objects:bytes"

// heapSampler records the peak of heapMetric, read at a fixed interval.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

// sampleHeap starts sampling every interval until the returned sampler's
// Stop is called.
func sampleHeap(interval time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: heapMetric}}
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			h.peak = max(h.peak, sample[0].Value.Uint64())
		}
	}
	read()
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peak in bytes.
func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak
}
