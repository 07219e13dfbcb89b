package client

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows an import's progress: a bar with rate and ETA on a
// terminal, a plain line every few seconds anywhere else (CI logs, files).
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	every time.Duration
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, every time.Duration) *progress {
	p := &progress{w: w, every: every, start: time.Now(), last: time.Now()}
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("records"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// setTotal gives the bar the input size in bytes, so it can show an ETA.
func (p *progress) setTotal(n int64) {
	if p.bar != nil && n > 0 {
		p.bar.ChangeMax64(n)
	}
}

func (p *progress) bytes(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

func (p *progress) records(s *Summary) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%d records, %d failed", s.Records, s.Failed))
		return
	}
	if time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start)
	fmt.Fprintf(p.w, "%s: %d records (%.0f/s), %d failed\n", el.Round(time.Second), s.Records, float64(s.Records)/el.Seconds(), s.Failed)
}

func (p *progress) note(msg string) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) done(*Summary) {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
