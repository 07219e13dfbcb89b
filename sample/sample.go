// Package sample holds Parley's sample data: the statements of the seed
// news article (published Monday 1 December 2025, on the Putin–Witkoff talks
// in Moscow), curated into the import format.
//
// statements.jsonl has one domain.StatementImport per line, in the exact
// form an export writes: compact JSON with the struct's field order and
// empty fields omitted, external ids seed-0001, seed-0002, … in file order,
// and each speaker, topic and source repeated identically on every line
// that refers to it. The sample tests hold the file to those rules.
//
// Curation rules, so that additions stay consistent with the rest:
//   - QUOTE text is exactly the words inside the article's quote marks;
//     PARAPHRASE text is the article's reported-speech sentence, trimmed to
//     stand alone.
//   - Dates are resolved against the publication date and never more
//     precise than the article: "Monday" is 2025-12-01 (so is the Paris
//     meeting of Zelensky and Macron, whose remarks the article dates
//     "Monday"), "last week" 2025-11-24/2025-11-30, "over the weekend"
//     2025-11-29/2025-11-30, "in November" 2025-11, "just hours" before
//     Tuesday's meeting in a Monday article 2025-11-30/2025-12-01. Remarks
//     reported without a date are the interval 2025-11-24/2025-12-01 (the
//     week before publication), and dateText says so. Standing positions
//     reported in the present tense ("Russia strongly opposes…") have no
//     saidOn; their positions hold as of 2025-12-01.
//   - Roles carry no from/to: the article dates none.
//
// People the article names who say nothing in it (Steve Witkoff, Jared
// Kushner, Keir Starmer, Rustem Umerov) appear only in statements'
// context: in the import format a speaker exists through what it says.
package sample

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"

	"parley/domain"
)

//go:embed statements.jsonl
var statements []byte

// JSONL returns the sample file: one domain.StatementImport as JSON per
// line, each line ending in "\n". It can be streamed, unchanged, into the
// import mutation. The slice is the caller's to modify.
func JSONL() []byte { return bytes.Clone(statements) }

// Records decodes the sample file into import records, in file order. The
// decoding is strict, as a test of the file: a field the import format does
// not know, a line that is not exactly one JSON object, or a blank line is
// an error that names the line.
func Records() ([]domain.StatementImport, error) {
	return decodeJSONL(statements)
}

func decodeJSONL(data []byte) ([]domain.StatementImport, error) {
	var recs []domain.StatementImport
	n := 0
	for line := range bytes.Lines(data) {
		n++
		line = bytes.TrimSuffix(line, []byte("\n"))
		switch trimmed := bytes.TrimSpace(line); {
		case len(trimmed) == 0:
			return nil, fmt.Errorf("sample: line %d: blank line; want one JSON object per line", n)
		case trimmed[0] != '{':
			// json would decode null into an empty record without complaint.
			return nil, fmt.Errorf("sample: line %d: want a JSON object", n)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var rec domain.StatementImport
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("sample: line %d: %w", n, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf("sample: line %d: text after the JSON object", n)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
