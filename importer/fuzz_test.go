package importer_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"parley/domain"
	"parley/importer"
	"parley/store"
)

// FuzzImportRecord feeds one line of an import file through the importer,
// as `parley import` and importStatements do. Whatever the line holds, the
// importer must not panic or fail as a whole; a record it refuses must say
// which field is wrong; a dry run must predict the real import; and
// importing an accepted record again must change nothing.
//
// The seed corpus is testdata/fuzz/FuzzImportRecord, plus the lines below.
func FuzzImportRecord(f *testing.F) {
	for _, line := range []string{
		`{"externalId":"seed-0007","text":"significantly improved","kind":"QUOTE","speaker":{"key":"karoline-leavitt","name":"Karoline Leavitt","kind":"PERSON","country":"US"},"saidOn":"2025-12-01","dateText":"on Monday","topics":[{"key":"us-peace-plan","name":"U.S.-backed peace proposal"}],"positions":[{"topic":"us-peace-plan","stance":"SUPPORTS","summary":"The draft has been significantly improved."}]}`,
		`{"text":"No final plan exists.","kind":"PARAPHRASE","speaker":{"key":"emmanuel-macron","name":"Emmanuel Macron","kind":"PERSON","country":"FR","roles":[{"title":"President","org":"france","from":"2017-05"}]},"saidOn":"2025-11-24/2025-11-30","sources":[{"url":"https://example.org/a","title":"A","publishedAt":"2025-12-01T18:00:00Z"}]}`,
		`{"text":"x","kind":"QUOTE","speaker":{"key":"k"},"saidOn":"2025-02-30"}`,
		`{"text":"","kind":"RUMOUR","speaker":{}}`,
		`{"text":"t","kind":"QUOTE","speaker":{"key":"a"},"topics":[{"key":"a","parent":"b"},{"key":"b","parent":"a"}]}`,
	} {
		f.Add([]byte(line))
	}
	st, err := store.Open(filepath.Join(f.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, line []byte) {
		var rec domain.StatementImport
		if json.Unmarshal(line, &rec) != nil {
			return // not a record: the client reports the line
		}
		recs := []domain.StatementImport{rec}

		dry := domain.DefaultImportOptions()
		dry.DryRun = true
		planned, err := importer.Import(ctx, st, recs, dry)
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if len(planned.Results) != 1 {
			t.Fatalf("dry run: %d results for one record", len(planned.Results))
		}
		if r := planned.Results[0]; r.Status == domain.ImportFailed {
			if len(r.Errors) == 0 {
				t.Fatalf("refused without an error: %+v", r)
			}
			return
		}

		done, err := importer.Import(ctx, st, recs, domain.DefaultImportOptions())
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if got, want := done.Results[0].Status, planned.Results[0].Status; got != want {
			t.Fatalf("the dry run said %s, the import did %s: %+v", want, got, done.Results[0])
		}
		again, err := importer.Import(ctx, st, recs, domain.DefaultImportOptions())
		if err != nil {
			t.Fatalf("import again: %v", err)
		}
		if s := again.Results[0].Status; s != domain.ImportUnchanged {
			t.Fatalf("importing an accepted record again: %s %+v", s, again.Results[0])
		}
	})
}
