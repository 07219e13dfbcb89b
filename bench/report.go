package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteImport writes a W1 result as a few lines of text.
func WriteImport(w io.Writer, r *ImportResult) error {
	_, err := fmt.Fprintf(w, `W1: %d statements in %d batches in %s
  overall      %8.0f statements/s
  first %-6d %8.0f statements/s
  last  %-6d %8.0f statements/s (%.2f of the first)
  peak heap    %8.1f MiB (%s, sampled every %s; %s)
`, r.Records, r.Batches, r.Elapsed.Round(time.Millisecond), r.Rate,
		r.Window, r.FirstRate, r.Window, r.LastRate, r.LastRate/r.FirstRate,
		float64(r.PeakHeap)/(1<<20), heapMetric, heapInterval, limitText(r.MemoryLimit))
	if err == nil && r.Commits > 0 {
		_, err = fmt.Fprintf(w, "  commits      %8d (%.2f batches each)\n", r.Commits, float64(r.Batches)/float64(r.Commits))
	}
	if wt := r.Writer; err == nil && wt != nil && r.Elapsed > 0 {
		share := func(d time.Duration) float64 { return 100 * d.Seconds() / r.Elapsed.Seconds() }
		_, err = fmt.Fprintf(w, "  writer busy  %7.0f%% of the run (disk %.0f%%, spill %.0f%%); %.0f pages written per batch\n",
			share(wt.Busy), share(wt.Disk), share(wt.Spill), float64(wt.Pages)/float64(max(r.Batches, 1)))
	}
	return err
}

// limitText describes a Go memory limit.
func limitText(limit int64) string {
	if limit <= 0 {
		return "no Go memory limit"
	}
	return fmt.Sprintf("Go memory limit %.0f MiB", float64(limit)/(1<<20))
}

// WriteLoad writes load results as a table; the floor column appears when
// the run measured the floor.
func WriteLoad(w io.Writer, rs []LoadResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\trequests\terrors\treq/s\tp50\tp99\tof floor\tserver heap\t")
	for _, r := range rs {
		ratio := "-"
		if r.FloorRatio > 0 {
			ratio = fmt.Sprintf("%.1f%%", 100*r.FloorRatio)
		}
		heap := "-"
		if r.ServerHeap > 0 {
			heap = fmt.Sprintf("%.0f MiB", float64(r.ServerHeap)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Query, r.Requests, r.Errors, r.RPS,
			roundLatency(r.P50), roundLatency(r.P99), ratio, heap)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rs {
		if r.FirstError != "" {
			if _, err := fmt.Fprintf(w, "%s: first error: %s\n", r.Query, r.FirstError); err != nil {
				return err
			}
		}
	}
	return nil
}

// roundLatency keeps three significant digits or so.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
