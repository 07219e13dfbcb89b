// Package client is the script side of Parley's bulk import: it streams a
// JSONL file of import records into a running server through the
// importStatements mutation, in batches, with retries, a resumable
// checkpoint and a file of rejected records.
package client

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// ImportMutation is the operation the client sends. It asks only for what
// a script needs: counts, and the results that carry news.
const ImportMutation = `mutation Import($input: [StatementImport!]!, $options: ImportOptions) {
  importStatements(input: $input, options: $options) {
    created updated unchanged skipped failed
    results { index id status errors { path code message } warnings { path code message } }
  }
}`

// DefaultMaxBatchBytes is the default Config.MaxBatchBytes: half the
// server's default request limit for imports (64 MiB), and far more than
// any import record's fields allow.
const DefaultMaxBatchBytes = 32 << 20

// Config steers an import.
type Config struct {
	URL       string // the GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql
	Token     string // sent as "Authorization: Bearer <token>" when set
	BatchSize int    // records per request; 0 means 1,000
	// MaxBatchBytes bounds the records' bytes per request; 0 means
	// DefaultMaxBatchBytes. A batch is sent early rather than grow past
	// it, and a line longer than it, which no request could carry, is
	// rejected as a bad line.
	MaxBatchBytes int
	// OnConflict is UPDATE, SKIP or FAIL; "" leaves the server default.
	OnConflict string
	DryRun     bool
	// Atomic makes each batch all or nothing. The client's default is
	// false: good records land and bad ones go to the rejects file.
	Atomic bool
	// Pipeline is how many batches may be in flight at once; 0 means 3.
	// With more than one, the calls form an import stream, which the
	// server commits in order, so that the next batches travel and are
	// checked while the previous one commits, and those that are ready
	// when their turn comes commit in one transaction. 1 sends each batch
	// after the previous one is answered.
	Pipeline int
	// Retries bounds the attempts per batch after network errors and 5xx
	// responses; 0 means 6.
	Retries int
	// Checkpoint, when set, is rewritten after every acknowledged batch;
	// with Resume, lines up to the checkpoint are skipped.
	Checkpoint string
	Resume     bool
	// Rejects, when set, receives one JSON line per rejected record: its
	// line number, the record and its errors.
	Rejects string
	// Progress receives progress; a terminal gets a bar, anything else a
	// line every ProgressEvery (default 5s).
	Progress      io.Writer
	ProgressEvery time.Duration
	// Size is the input's size in bytes when known, for the bar's ETA.
	Size int64
	HTTP *http.Client
}

// Summary is what an import did.
type Summary struct {
	Lines     int // lines read, blank ones included
	Records   int // records sent
	Created   int
	Updated   int
	Unchanged int
	Skipped   int
	Failed    int // records the server rejected plus lines that were not JSON
	BadLines  int // lines that were not a JSON object
	Warnings  int
	Resumed   int // lines skipped because the checkpoint covered them
	Elapsed   time.Duration
}

func (s *Summary) add(o counts) {
	s.Created += o.Created
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Skipped += o.Skipped
	s.Failed += o.Failed
}

// String is the one-line summary printed at the end.
func (s *Summary) String() string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Records) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("%d records in %s (%.0f/s): %d created, %d updated, %d unchanged, %d skipped, %d failed (%d bad lines), %d warnings",
		s.Records, s.Elapsed.Round(time.Millisecond), rate, s.Created, s.Updated, s.Unchanged, s.Skipped, s.Failed, s.BadLines, s.Warnings)
}

type counts struct {
	Created, Updated, Unchanged, Skipped, Failed int
}

type issue struct {
	Path    []any  `json:"path"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"` // the argument field an error is about
	Message string `json:"message"`
}

type result struct {
	Index    int     `json:"index"`
	ID       *string `json:"id"`
	Status   string  `json:"status"`
	Errors   []issue `json:"errors"`
	Warnings []issue `json:"warnings"`
}

type report struct {
	counts
	Results []result `json:"results"`
}

type line struct {
	no  int
	raw json.RawMessage
}

// checkpoint is the resumable state, rewritten after each batch.
type checkpoint struct {
	Line int `json:"line"` // every line up to this one is done
	// Prefix is the SHA-256, in hex, of the file's first Line lines, each
	// as its text and one "\n": --resume refuses a file whose first lines
	// are not those the checkpoint was written for (lines added after
	// them are fine).
	Prefix  string  `json:"prefix,omitempty"`
	Summary Summary `json:"summary"`
}

// mark is a place in the input: a line and the hash of everything up to
// its end, as the checkpoint records it.
type mark struct {
	line   int
	prefix string
}

// Import reads JSONL records from r and imports them. It returns the
// summary and an error only for what stops the whole import (the server
// unreachable after all retries, an unwritable rejects file); rejected
// records are counted in Summary.Failed.
func Import(ctx context.Context, cfg Config, r io.Reader) (*Summary, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 6
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.Pipeline <= 0 {
		cfg.Pipeline = 3
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 5 * time.Minute}
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 5 * time.Second
	}
	sum := &Summary{}
	skip, skipPrefix := 0, ""
	if cfg.Resume && cfg.Checkpoint != "" {
		cp, err := readCheckpoint(cfg.Checkpoint)
		if err != nil {
			return nil, err
		}
		if cp != nil {
			skip, skipPrefix = cp.Line, cp.Prefix
			*sum = cp.Summary
			sum.Elapsed = 0
		}
	}
	var rejects *os.File
	if cfg.Rejects != "" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if skip > 0 {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		var err error
		if rejects, err = os.OpenFile(cfg.Rejects, flags, 0o644); err != nil {
			return nil, fmt.Errorf("rejects file: %w", err)
		}
		defer rejects.Close()
	}
	im := &importer{cfg: cfg, sum: sum, rejects: rejects, progress: newProgress(cfg.Progress, cfg.ProgressEvery)}
	pl := newPipeline(ctx, im)
	defer pl.stop()
	im.progress.setTotal(cfg.Size)
	start := time.Now()
	elapsedBefore := time.Duration(0)
	defer func() { sum.Elapsed = elapsedBefore + time.Since(start) }()

	br := bufio.NewReaderSize(r, 1<<20)
	h := sha256.New()
	here := func(no int) mark { return mark{no, hex.EncodeToString(h.Sum(nil))} }
	var (
		batch []line
		// bad are the lines that are no record, read since the last batch
		// was submitted: they settle with the next batch, so that the
		// checkpoint never covers a line whose reject is not written yet.
		bad        []rejected
		lastLine   int
		batchBytes int // the records' bytes in batch
	)
	for no := 1; ; no++ {
		raw, err := br.ReadBytes('\n')
		if len(raw) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return sum, fmt.Errorf("read line %d: %w", no, err)
		}
		if no > skip && len(batch) > 0 && batchBytes+len(raw) > cfg.MaxBatchBytes {
			// The batch goes before this line would take it past the
			// request's bound (raw's untrimmed length errs on the safe
			// side); the hash does not hold the line yet.
			if err := pl.submit(batch, bad, here(no-1)); err != nil {
				return sum, err
			}
			batch, bad, batchBytes = nil, nil, 0
		}
		// Each line is hashed as its text and one newline, so that a last
		// line without one hashes the same once more lines follow it.
		h.Write(bytes.TrimRight(raw, "\r\n"))
		h.Write(newline)
		im.progress.bytes(len(raw))
		lastLine = no
		if no <= skip {
			sum.Resumed++
			if no == skip && skipPrefix != "" && here(no).prefix != skipPrefix {
				return sum, fmt.Errorf("the input is not the file the checkpoint %s was written for: its first %d lines differ; delete the checkpoint to import the file from the start", cfg.Checkpoint, skip)
			}
			continue
		}
		sum.Lines++
		if no == 1 {
			// Editors on Windows start UTF-8 files with a byte order mark.
			raw = bytes.TrimPrefix(raw, utf8BOM)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		if len(raw) > cfg.MaxBatchBytes {
			bad = append(bad, rejected{no, bytes.Clone(raw), []issue{{Code: "BAD_USER_INPUT", Message: fmt.Sprintf("line %d is %d bytes, more than a request may carry (%d, --max-batch-bytes); no import record is that large", no, len(raw), cfg.MaxBatchBytes)}}})
			continue
		}
		if !json.Valid(raw) || raw[0] != '{' {
			bad = append(bad, rejected{no, bytes.Clone(raw), []issue{{Code: "BAD_USER_INPUT", Message: fmt.Sprintf("line %d is not a JSON object; each line must be one import record", no)}}})
			continue
		}
		batch = append(batch, line{no, json.RawMessage(bytes.Clone(raw))})
		batchBytes += len(raw) + 1
		if len(batch) == cfg.BatchSize {
			if err := pl.submit(batch, bad, here(no)); err != nil {
				return sum, err
			}
			batch, bad, batchBytes = nil, nil, 0
		}
	}
	if lastLine < skip {
		return sum, fmt.Errorf("the input has %d lines, but the checkpoint %s covers %d: it was written for another file; delete it to import this one from the start", lastLine, cfg.Checkpoint, skip)
	}
	end := here(lastLine)
	if len(batch) > 0 {
		if err := pl.submit(batch, bad, end); err != nil {
			return sum, err
		}
		bad = nil
	}
	if err := pl.drain(); err != nil {
		return sum, err
	}
	if len(bad) > 0 {
		// Bad lines after the last batch: nothing to send, only to settle.
		if err := pl.settle(&call{bad: bad, last: end}, &sent{}); err != nil {
			return sum, err
		}
	}
	if err := im.checkpoint(end); err != nil {
		return sum, err
	}
	im.progress.done(sum)
	return sum, nil
}

var newline = []byte("\n")

// utf8BOM is the byte order mark some editors put before a UTF-8 file.
var utf8BOM = []byte("\xEF\xBB\xBF")

type importer struct {
	cfg      Config
	sum      *Summary
	rejects  *os.File
	progress *progress
}

func (im *importer) checkpoint(at mark) error {
	if im.cfg.Checkpoint == "" {
		return nil
	}
	// The summary counts lines as read, and lines after at are read but
	// not settled: as far as the checkpoint goes, at.line lines are done. Resumed belongs to the run, not to the checkpoint.
	done := *im.sum
	done.Lines, done.Resumed = at.line, 0
	b, err := json.Marshal(checkpoint{Line: at.line, Prefix: at.prefix, Summary: done})
	if err != nil {
		return err
	}
	// Write then rename: a crash leaves the old checkpoint or the new one,
	// never half of one.
	tmp := im.cfg.Checkpoint + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return os.Rename(tmp, im.cfg.Checkpoint)
}

func readCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%v); delete it to start over", path, err)
	}
	return &cp, nil
}

func (im *importer) reject(no int, raw []byte, errs []issue) error {
	if im.rejects == nil {
		return nil
	}
	rec := json.RawMessage(raw)
	if !json.Valid(raw) {
		b, _ := json.Marshal(string(raw))
		rec = b
	}
	b, err := json.Marshal(struct {
		Line   int             `json:"line"`
		Record json.RawMessage `json:"record"`
		Errors []issue         `json:"errors"`
	}{no, rec, errs})
	if err != nil {
		return err
	}
	if _, err := im.rejects.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("rejects file: %w", err)
	}
	return nil
}

// sent is what the server did with one batch, to be added to the summary
// once every earlier batch has been.
type sent struct {
	records, failed, warnings int
	counts                    counts
	rejects                   []rejected
}

type rejected struct {
	no   int
	raw  []byte
	errs []issue
}

// settle adds a batch's outcome, and the lines that were no record read
// with it (bad), to the summary, and writes their rejects in input order.
func (im *importer) settle(s *sent, bad []rejected) error {
	im.sum.Records += s.records
	im.sum.add(s.counts)
	im.sum.Failed += s.failed + len(bad)
	im.sum.BadLines += len(bad)
	im.sum.Warnings += s.warnings
	all := append(slices.Clip(bad), s.rejects...)
	slices.SortStableFunc(all, func(a, b rejected) int { return cmp.Compare(a.no, b.no) })
	for _, r := range all {
		if err := im.reject(r.no, r.raw, r.errs); err != nil {
			return err
		}
	}
	im.progress.records(im.sum)
	return nil
}

// send imports one batch, as call seq of its stream when seq is set. A
// request the server refuses as a whole because of one record (a value
// GraphQL cannot coerce, say) names that record in the error path: it is
// rejected and the rest is sent again.
func (im *importer) send(ctx context.Context, batch []line, seq *sequence) (*sent, error) {
	out := &sent{}
	for len(batch) > 0 {
		rep, gqlErrs, err := im.post(ctx, batch, seq)
		if err != nil {
			return nil, err
		}
		if rep != nil {
			out.records += len(batch)
			out.counts = rep.counts
			rolledBack := rolledBackBy(rep, batch, im.cfg)
			for _, res := range rep.Results {
				out.warnings += len(res.Warnings)
				if res.Index < 0 || res.Index >= len(batch) {
					continue
				}
				switch {
				case res.Status == "FAILED":
					out.rejects = append(out.rejects, rejected{batch[res.Index].no, batch[res.Index].raw, res.Errors})
				case res.Status == "SKIPPED" && rolledBack != nil:
					out.rejects = append(out.rejects, rejected{batch[res.Index].no, batch[res.Index].raw, rolledBack})
				}
			}
			return out, nil
		}
		if isSequenceConflict(gqlErrs) {
			return nil, errNewStream
		}
		idx := recordIndex(gqlErrs)
		if idx < 0 || idx >= len(batch) {
			// Not one record's fault: the batch as a whole is refused.
			for _, l := range batch {
				out.rejects = append(out.rejects, rejected{l.no, l.raw, gqlErrs})
			}
			out.records += len(batch)
			out.failed += len(batch)
			if seq != nil {
				// An empty call takes the refused batch's turn, so that the
				// calls after it need not wait for one that never comes.
				if _, errs, err := im.post(ctx, nil, seq); err != nil || isSequenceConflict(errs) {
					return out, errNewStream
				}
			}
			return out, nil
		}
		out.records++
		out.failed++
		out.rejects = append(out.rejects, rejected{batch[idx].no, batch[idx].raw, gqlErrs})
		batch = append(batch[:idx:idx], batch[idx+1:]...)
	}
	// Every record was refused one by one, so no call took the batch's
	// turn: an empty one does, as for a batch refused as a whole.
	if seq != nil {
		if _, errs, err := im.post(ctx, nil, seq); err != nil || isSequenceConflict(errs) {
			return out, errNewStream
		}
	}
	return out, nil
}

// rolledBackBy is the error that the SKIPPED records of an atomic batch
// get in the rejects file when a failure rolled the batch back, so that
// every record is either stored or in the rejects file; nil when the
// batch was not rolled back.
func rolledBackBy(rep *report, batch []line, cfg Config) []issue {
	if !cfg.Atomic || cfg.DryRun || rep.Failed == 0 {
		return nil
	}
	for _, res := range rep.Results {
		if res.Status == "FAILED" && res.Index >= 0 && res.Index < len(batch) {
			return []issue{{Code: "ROLLED_BACK", Message: fmt.Sprintf("not imported: with --atomic, line %d failed and its batch was rolled back; import this record again", batch[res.Index].no)}}
		}
	}
	return nil
}

// recordIndex finds the input record an error path names: gqlparser
// reports variable coercion errors at ["variable","input",i,...].
func recordIndex(errs []issue) int {
	for _, e := range errs {
		if len(e.Path) >= 3 && e.Path[0] == "variable" && e.Path[1] == "input" {
			if f, ok := e.Path[2].(float64); ok {
				return int(f)
			}
		}
	}
	return -1
}

type gqlResponse struct {
	Data *struct {
		ImportStatements *report `json:"importStatements"`
	} `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// post sends a batch, retrying network errors and 5xx with exponential
// backoff and jitter. Imports are idempotent, so resending a batch whose
// answer was lost reports its records UNCHANGED instead of doubling them.
func (im *importer) post(ctx context.Context, batch []line, seq *sequence) (*report, []issue, error) {
	options := map[string]any{"dryRun": im.cfg.DryRun, "atomic": im.cfg.Atomic}
	if im.cfg.OnConflict != "" {
		options["onConflict"] = im.cfg.OnConflict
	}
	if seq != nil {
		options["sequence"] = seq
	}
	body, err := requestBody(batch, options)
	if err != nil {
		return nil, nil, err
	}
	backoff := 500 * time.Millisecond
	var lastErr error
	for attempt := 0; attempt < im.cfg.Retries; attempt++ {
		if attempt > 0 {
			wait := backoff + time.Duration(rand.Int64N(int64(backoff/2)))
			im.progress.note(fmt.Sprintf("retrying in %s after: %v", wait.Round(time.Millisecond), lastErr))
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(wait):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		rep, errs, retry, err := im.postOnce(ctx, body)
		if err == nil {
			return rep, errs, nil
		}
		if !retry {
			return nil, nil, err
		}
		lastErr = err
	}
	return nil, nil, fmt.Errorf("giving up after %d attempts: %w", im.cfg.Retries, lastErr)
}

// requestBody writes the import request. The records are the file's lines,
// already checked to be JSON objects and trimmed: they are copied in as
// they are, where encoding/json would scan and compact each one again.
func requestBody(batch []line, options map[string]any) ([]byte, error) {
	head, err := json.Marshal(map[string]string{"query": ImportMutation})
	if err != nil {
		return nil, err
	}
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, err
	}
	size := len(head) + len(opts) + 64
	for _, l := range batch {
		size += len(l.raw) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, head[:len(head)-1]...) // without the closing brace
	b = append(b, `,"variables":{"input":[`...)
	for i, l := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.raw...)
	}
	b = append(b, `],"options":`...)
	b = append(b, opts...)
	return append(b, "}}"...), nil
}

func (im *importer) postOnce(ctx context.Context, body []byte) (rep *report, errs []issue, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, im.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if im.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+im.cfg.Token)
	}
	resp, err := im.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, false, ctx.Err()
		}
		return nil, nil, true, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, nil, true, err
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, nil, true, fmt.Errorf("server answered %s", resp.Status)
	}
	var gr gqlResponse
	if err := json.Unmarshal(raw, &gr); err != nil {
		return nil, nil, false, fmt.Errorf("server answered %s with a body that is not a GraphQL response: %.200s", resp.Status, raw)
	}
	if gr.Data != nil && gr.Data.ImportStatements != nil {
		return gr.Data.ImportStatements, nil, false, nil
	}
	for _, e := range gr.Errors {
		code, _ := e.Extensions["code"].(string)
		field, _ := e.Extensions["field"].(string)
		path := e.Path
		if p, ok := e.Extensions["path"].([]any); ok && len(path) == 0 {
			path = p
		}
		errs = append(errs, issue{Path: path, Code: code, Field: field, Message: e.Message})
	}
	if len(errs) == 0 {
		return nil, nil, false, fmt.Errorf("server answered %s with neither data nor errors", resp.Status)
	}
	switch errs[0].Code {
	case "UNAUTHENTICATED", "FORBIDDEN":
		return nil, nil, false, fmt.Errorf("server refused the import: %s (%s)", errs[0].Message, errs[0].Code)
	}
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		return nil, nil, false, fmt.Errorf("server refused a batch of %d bytes as too large (%s); use a smaller --batch or --max-batch-bytes", len(body), errs[0].Message)
	}
	return nil, errs, false, nil
}

// ParseOnConflict checks a --on-conflict value.
func ParseOnConflict(s string) (string, error) {
	switch u := strings.ToUpper(s); u {
	case "", "UPDATE", "SKIP", "FAIL":
		return u, nil
	}
	return "", fmt.Errorf("on-conflict %q must be UPDATE, SKIP or FAIL", s)
}
