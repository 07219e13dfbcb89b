package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// sequence is an import call's place in its stream, as the server's
// ImportSequence input takes it.
type sequence struct {
	Stream string `json:"stream"`
	Seq    int    `json:"seq"`
}

// errNewStream says that a stream cannot go on: the server restarted and
// forgot it, or a call waited too long for the one before it.
var errNewStream = errors.New("client: the import stream must start again")

// isSequenceConflict reports whether the server refused a call because of
// its place in the stream (a CONFLICT on options.sequence.seq).
func isSequenceConflict(errs []issue) bool {
	for _, e := range errs {
		if e.Code == "CONFLICT" && e.Field == "options.sequence.seq" {
			return true
		}
	}
	return false
}

// pipeline keeps up to cfg.Pipeline batches in flight and settles their
// outcomes in input order: the summary, the rejects file and the
// checkpoint are what sending the batches one by one would give.
//
// With more than one in flight, the calls form an import stream that the
// server commits in order (see the server's ImportSequence). A stream's
// first call goes alone, because the server learns of a stream from its
// call 0. When the server cannot go on with the stream (it restarted, or
// a call waited too long for its predecessor), the calls in flight are
// cancelled and every unsettled batch is sent again, in order, on a new
// stream: a batch imported twice reports UNCHANGED the second time, and
// sending the later ones again too restores what they wrote should an
// earlier batch's second run have undone part of it.
type pipeline struct {
	ctx      context.Context
	im       *importer
	stream   string
	next     int // the next call's seq; 0: the stream has not started
	inflight []*call
}

// call is one batch on its way.
type call struct {
	batch  []line
	last   mark // where the checkpoint is once the batch is settled
	seq    sequence
	cancel context.CancelFunc
	done   chan struct{}
	out    *sent
	err    error
	// bad are the lines that were no record, read before the batch was
	// submitted and after the one before it: they settle with the batch.
	bad []rejected
}

func newPipeline(ctx context.Context, im *importer) *pipeline {
	return &pipeline{ctx: ctx, im: im}
}

// submit sends a batch whose last line is last, with the bad lines read
// since the previous batch, and settles the oldest batch when the window
// is full.
func (p *pipeline) submit(batch []line, bad []rejected, last mark) error {
	c := &call{batch: batch, bad: bad, last: last}
	if p.im.cfg.Pipeline <= 1 {
		out, err := p.im.send(p.ctx, batch, nil)
		if err != nil {
			return err
		}
		return p.settle(c, out)
	}
	if p.next == 0 {
		return p.sendAlone(c)
	}
	p.start(c)
	if len(p.inflight) >= p.im.cfg.Pipeline {
		return p.settleOldest()
	}
	return nil
}

// drain settles every batch in flight.
func (p *pipeline) drain() error {
	for len(p.inflight) > 0 {
		if err := p.settleOldest(); err != nil {
			return err
		}
	}
	return nil
}

// stop cancels what is still in flight after a failure and waits for it.
func (p *pipeline) stop() {
	for _, c := range p.inflight {
		c.cancel()
		<-c.done
	}
	p.inflight = nil
}

func (p *pipeline) start(c *call) {
	c.seq = sequence{Stream: p.stream, Seq: p.next}
	p.next++
	ctx, cancel := context.WithCancel(p.ctx)
	c.cancel, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		c.out, c.err = p.im.send(ctx, c.batch, &c.seq)
	}()
	p.inflight = append(p.inflight, c)
}

// sendAlone sends c as call 0 of a new stream and settles it.
func (p *pipeline) sendAlone(c *call) error {
	for attempt := 0; ; attempt++ {
		if p.next == 0 {
			p.stream, p.next = newStreamName(), 0
		}
		seq := &sequence{Stream: p.stream, Seq: p.next}
		out, err := p.im.send(p.ctx, c.batch, seq)
		if errors.Is(err, errNewStream) && attempt < 3 {
			p.next = 0
			continue
		}
		if errors.Is(err, errNewStream) {
			return fmt.Errorf("the server refused the import stream %d times in a row; try --pipeline 1", attempt+1)
		}
		if err != nil {
			return err
		}
		p.next++
		return p.settle(c, out)
	}
}

// settleOldest waits for the oldest batch in flight and settles it, or
// starts the stream again from it.
func (p *pipeline) settleOldest() error {
	c := p.inflight[0]
	<-c.done
	if errors.Is(c.err, errNewStream) {
		pending := p.inflight
		p.stop()
		p.next = 0
		for _, c := range pending {
			c.cancel()
			if err := p.sendAlone(c); err != nil {
				return err
			}
		}
		return nil
	}
	c.cancel()
	if c.err != nil {
		return c.err
	}
	p.inflight = p.inflight[1:]
	return p.settle(c, c.out)
}

// settle adds c's outcome and its bad lines to the summary and the
// rejects file, and moves the checkpoint past it.
func (p *pipeline) settle(c *call, out *sent) error {
	if err := p.im.settle(out, c.bad); err != nil {
		return err
	}
	return p.im.checkpoint(c.last)
}

// newStreamName is a random stream name: streams of different runs, or of
// one run before and after a restart, never meet.
func newStreamName() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "import-" + hex.EncodeToString(b)
}
