package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/client"
	"parley/domain"
	"parley/importer"
	"parley/sample"
	"parley/store"
)

// The import path end to end: the importStatements mutation over HTTP, its
// limits, the import client and the export.

const importMutation = `mutation($input: [StatementImport!]!, $options: ImportOptions) {
  importStatements(input: $input, options: $options) {
    created updated unchanged skipped failed
    results { index id status errors { path code message } warnings { path code message } }
  }
}`

type importReport struct {
	Created, Updated, Unchanged, Skipped, Failed int
	Results                                      []struct {
		Index  int
		ID     *string
		Status string
		Errors []struct {
			Path          []string
			Code, Message string
		}
		Warnings []struct {
			Path          []string
			Code, Message string
		}
	}
}

func (a *api) importRecords(recs []json.RawMessage, options vars) importReport {
	a.t.Helper()
	var out struct{ ImportStatements importReport }
	a.do(importMutation, vars{"input": recs, "options": options}, &out)
	return out.ImportStatements
}

func sampleLines(t *testing.T) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for line := range bytes.Lines(sample.JSONL()) {
		out = append(out, json.RawMessage(bytes.TrimSpace(line)))
	}
	return out
}

func export(t *testing.T, s domain.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := importer.Export(context.Background(), s, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportMutationIsIdempotent(t *testing.T) {
	a := newAPI(t, false)
	lines := sampleLines(t)
	rep := a.importRecords(lines, nil)
	if rep.Created != len(lines) || rep.Failed != 0 || len(rep.Results) != len(lines) {
		t.Fatalf("first import: %+v", rep)
	}
	for i, r := range rep.Results {
		if r.Index != i || r.Status != "CREATED" || r.ID == nil {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	before := export(t, a.store)
	if !bytes.Equal(before, sample.JSONL()) {
		t.Fatal("the export of the imported sample differs from the sample file")
	}
	rep = a.importRecords(lines, nil)
	if rep.Unchanged != len(lines) || rep.Created+rep.Updated+rep.Failed != 0 {
		t.Fatalf("re-import: %+v, want every record UNCHANGED", rep)
	}
	if !bytes.Equal(export(t, a.store), before) {
		t.Fatal("re-import changed the export")
	}
}

func TestImportMutationReportsBadRecordsPrecisely(t *testing.T) {
	good := func(i int) map[string]any {
		return map[string]any{
			"externalId": "r" + string(rune('a'+i)), "text": "Statement number " + string(rune('a'+i)), "kind": "QUOTE",
			"speaker":   map[string]any{"key": "kaja-kallas", "name": "Kaja Kallas", "kind": "PERSON", "country": "EE"},
			"saidOn":    "2025-12-01",
			"topics":    []any{map[string]any{"key": "security-guarantees", "name": "Security guarantees"}},
			"positions": []any{map[string]any{"topic": "security-guarantees", "stance": "SUPPORTS"}},
		}
	}
	cases := []struct {
		name   string
		break_ func(map[string]any)
		path   []string
	}{
		{"invalid date", func(r map[string]any) { r["saidOn"] = "2025-02-30" }, []string{"saidOn"}},
		{"unknown stance", func(r map[string]any) {
			r["positions"] = []any{map[string]any{"topic": "security-guarantees", "stance": "LIKES"}}
		}, []string{"positions", "0", "stance"}},
		{"empty text", func(r map[string]any) { r["text"] = "  " }, []string{"text"}},
		{"1 MB text", func(r map[string]any) { r["text"] = strings.Repeat("word ", 200_000) }, []string{"text"}},
		{"bad country", func(r map[string]any) { r["speaker"].(map[string]any)["country"] = "XX" }, []string{"speaker", "country"}},
	}
	for _, tc := range cases {
		for _, atomic := range []bool{true, false} {
			t.Run(tc.name+map[bool]string{true: "/atomic", false: "/non-atomic"}[atomic], func(t *testing.T) {
				a := newAPI(t, false)
				var recs []json.RawMessage
				for i := range 5 {
					r := good(i)
					if i == 2 {
						tc.break_(r)
					}
					b, _ := json.Marshal(r)
					recs = append(recs, b)
				}
				rep := a.importRecords(recs, vars{"atomic": atomic})
				bad := rep.Results[2]
				if bad.Status != "FAILED" || len(bad.Errors) == 0 || !slices.Equal(bad.Errors[0].Path, tc.path) || bad.Errors[0].Code != "BAD_USER_INPUT" {
					t.Fatalf("record 2: %+v, want FAILED at %v", bad, tc.path)
				}
				n, err := a.store.CountStatements(context.Background(), domain.StatementFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: 0, false: 4}[atomic]; n != want || rep.Failed != 1 {
					t.Fatalf("%d statements stored, report %+v; want %d stored", n, rep, want)
				}
			})
		}
	}
}

func TestImportMutationWarnsAndKeepsExistingSpeaker(t *testing.T) {
	a := newAPI(t, true)
	rec := `{"text":"A new remark","kind":"PARAPHRASE","speaker":{"key":"russia","name":"Russia","kind":"PERSON"},"saidOn":"2025-12-03"}`
	rep := a.importRecords([]json.RawMessage{json.RawMessage(rec)}, nil)
	r := rep.Results[0]
	if r.Status != "CREATED" || len(r.Warnings) != 1 || !slices.Equal(r.Warnings[0].Path, []string{"speaker", "kind"}) {
		t.Fatalf("result %+v, want CREATED with a warning at speaker.kind", r)
	}
	sp, err := a.store.SpeakerByKey(context.Background(), "russia")
	if err != nil || sp.Kind != domain.SpeakerCountry {
		t.Fatalf("stored speaker %+v, %v: its kind must stay COUNTRY", sp, err)
	}
}

func TestImportLimits(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(newHandler(st, serveConfig{ImportMaxRecords: 3, MaxBody: 4 << 10, MaxImportBody: 64 << 10}))
	t.Cleanup(srv.Close)
	a := &api{t: t, url: srv.URL + endpoint, store: st}

	lines := sampleLines(t)[:4]
	r := a.post(importMutation, vars{"input": lines})
	if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "at most 3") {
		t.Fatalf("4 records past a limit of 3: %+v", r.Errors)
	}

	post := func(query string, v vars) int {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
		res, err := http.Post(a.url, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out response
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("HTTP %d with a body that is not a GraphQL response: %v", res.StatusCode, err)
		}
		if res.StatusCode == http.StatusRequestEntityTooLarge && (len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "larger than")) {
			t.Fatalf("413 without a clear error: %+v", out)
		}
		return res.StatusCode
	}
	big := strings.Repeat("x", 8<<10)
	if code := post(`query($q: String) { statements(filter: {search: $q}) { totalCount } }`, vars{"q": big}); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("8 KiB query past a 4 KiB limit: HTTP %d, want 413", code)
	}
	if code := post(importMutation, vars{"input": lines[:3], "pad": big}); code != http.StatusOK {
		t.Fatalf("8 KiB import within the import limit: HTTP %d, want 200", code)
	}
	if code := post(importMutation, vars{"input": lines[:3], "pad": strings.Repeat(big, 10)}); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("80 KiB import past a 64 KiB limit: HTTP %d, want 413", code)
	}
}

// TestImportClient runs "parley import" against a server: a bad JSON line
// and a bad record are rejected with their line numbers, everything else
// lands, the exit status says something failed, and a second run with
// --resume sends nothing again.
func TestImportClient(t *testing.T) {
	a := newAPI(t, false)
	dir := t.TempDir()
	file := filepath.Join(dir, "in.jsonl")
	var in bytes.Buffer
	for i, line := range sampleLines(t) {
		switch i {
		case 3:
			in.WriteString("{not json\n")
		case 7:
			in.WriteString(`{"text":"bad date","kind":"QUOTE","speaker":{"key":"x","name":"X","kind":"PERSON"},"saidOn":"2025-13"}` + "\n")
		}
		in.Write(line)
		in.WriteByte('\n')
	}
	if err := os.WriteFile(file, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "--url", a.url, "--batch", "7", file}, func(string) string { return "" }, nil, &stdout, &stderr)
	if err != errFailedRecords {
		t.Fatalf("import = %v, want errFailedRecords; stdout %s stderr %s", err, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "30 created") || !strings.Contains(stdout.String(), "2 failed") {
		t.Fatalf("summary %q", stdout.String())
	}
	rejects, err := os.ReadFile(file + ".rejects.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(rejects))
	for sc.Scan() {
		var r struct{ Line int }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{4, 9}) {
		t.Fatalf("rejected lines %v, want [4 9]", lines)
	}

	// Resuming from the checkpoint left by the failed run sends nothing.
	stdout.Reset()
	err = run(context.Background(), []string{"import", "--url", a.url, "--resume", file}, func(string) string { return "" }, nil, &stdout, &stderr)
	if err != errFailedRecords || !strings.Contains(stdout.String(), "30 created") {
		t.Fatalf("resume = %v, summary %q: want the carried-over summary and no new work", err, stdout.String())
	}
	n, _ := a.store.CountStatements(context.Background(), domain.StatementFilter{})
	if n != 30 {
		t.Fatalf("%d statements, want 30", n)
	}
}

// TestImportClientStaysUnderTheBodyLimit imports a file whose batches
// would outgrow the server's request limit and which holds one line that
// no request could carry: the client sends smaller batches, rejects that
// line with its number, and imports everything else.
func TestImportClientStaysUnderTheBodyLimit(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(newHandler(st, serveConfig{ImportMaxRecords: 1000, MaxBody: 4 << 10, MaxImportBody: 16 << 10}))
	t.Cleanup(srv.Close)
	lines := sampleLines(t)
	var in bytes.Buffer
	size := 0
	for i, line := range lines {
		if i == 5 {
			in.WriteString(`{"text":"` + strings.Repeat("x", 20<<10) + `","kind":"QUOTE","speaker":{"key":"x","name":"X","kind":"PERSON"}}` + "\n")
		}
		in.Write(line)
		in.WriteByte('\n')
		size += len(line) + 1
	}
	if size <= 16<<10 {
		t.Fatalf("the sample is %d bytes: the test needs more than one request's worth", size)
	}
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	for _, pipeline := range []int{1, 3} {
		sum, err := client.Import(context.Background(), client.Config{URL: srv.URL + endpoint, MaxBatchBytes: 12 << 10, Pipeline: pipeline, Rejects: rejects}, bytes.NewReader(in.Bytes()))
		if err != nil {
			t.Fatalf("pipeline %d: %v", pipeline, err)
		}
		if sum.Records != len(lines) || sum.Failed != 1 || sum.BadLines != 1 {
			t.Fatalf("pipeline %d: summary %+v: want the %d records sent and line 6 rejected", pipeline, sum, len(lines))
		}
		b, err := os.ReadFile(rejects)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Line   int
			Errors []struct{ Message string }
		}
		if err := json.Unmarshal(b, &r); err != nil || r.Line != 6 || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "more than a request may carry") {
			t.Fatalf("pipeline %d: rejects file %.300s (%v): want line 6 and why", pipeline, b, err)
		}
	}
	n, _ := st.CountStatements(context.Background(), domain.StatementFilter{})
	if n != len(lines) {
		t.Fatalf("%d statements, want %d", n, len(lines))
	}
}

func TestClientRejectsRecordsGraphQLCannotCoerce(t *testing.T) {
	a := newAPI(t, false)
	lines := sampleLines(t)[:5]
	in := bytes.Join([][]byte{lines[0], lines[1], []byte(`{"text":"x","kind":"QUOTE","speaker":{"key":"k"},"unknownField":1}`), lines[3], lines[4]}, []byte("\n"))
	sum, err := client.Import(context.Background(), client.Config{URL: a.url}, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 4 || sum.Failed != 1 {
		t.Fatalf("summary %+v: want the 4 good records created and the one with an unknown field rejected", sum)
	}
}

func TestExportCommandRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	var out bytes.Buffer
	getenv := func(string) string { return "" }
	ctx := context.Background()
	st, err := openDatabase(ctx, serveConfig{DB: db, Sample: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := run(ctx, []string{"export", "--db", db}, getenv, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), sample.JSONL()) {
		t.Fatal("parley export of the sample database differs from the sample file")
	}

	// --out replaces a file whole; it refuses the database itself and any
	// other database.
	file := filepath.Join(dir, "export.jsonl")
	if err := os.WriteFile(file, []byte("an older export\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"export", "--db", db, "--out", file}, getenv, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, sample.JSONL()) {
		t.Fatalf("--out %s holds %d bytes (%v), want the sample", file, len(got), err)
	}
	// Through a symbolic link, the file it points to is replaced; a pipe
	// is written to as it is.
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("an older export\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"export", "--db", db, "--out", link}, getenv, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--out through a link replaced the link (%v)", err)
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, sample.JSONL()) {
		t.Errorf("--out through a link: the file it points to holds %d bytes, want the sample", len(got))
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	read := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		read <- b
	}()
	if err := run(ctx, []string{"export", "--db", db, "--out", fifo}, getenv, nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := <-read; !bytes.Equal(got, sample.JSONL()) {
		t.Errorf("--out a pipe: %d bytes read from it, want the sample", len(got))
	}

	other := filepath.Join(dir, "other.db")
	if st, err := store.Open(other, store.Options{}); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	for _, target := range []string{db, other} {
		before, _ := os.ReadFile(target)
		err := run(ctx, []string{"export", "--db", db, "--out", target}, getenv, nil, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--out") {
			t.Errorf("export --out %s: %v; want a refusal", target, err)
		}
		if after, _ := os.ReadFile(target); !bytes.Equal(after, before) {
			t.Errorf("export --out %s changed the file", target)
		}
	}
}

// Speakers and topics may be named without a key, as DESIGN.md allows:
// the key is derived from the name, through the mutation as in a file.
func TestImportDerivesMissingKeys(t *testing.T) {
	a := newAPI(t, false)
	rec := map[string]any{
		"text": "We will not negotiate in public.", "kind": "QUOTE", "saidOn": "2025-12-01",
		"speaker": map[string]any{"name": "Karoline Leavitt", "kind": "PERSON"},
		"topics":  []any{map[string]any{"name": "U.S. peace plan"}},
	}
	r := a.post(importMutation, vars{"input": []any{rec}})
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"created":1`) {
		t.Fatalf("import without keys: %s %+v", r.Data, r.Errors)
	}
	if _, err := a.store.SpeakerByKey(context.Background(), "karoline-leavitt"); err != nil {
		t.Errorf("the speaker's derived key: %v", err)
	}
	if _, err := a.store.TopicByKey(context.Background(), "u-s-peace-plan"); err != nil {
		t.Errorf("the topic's derived key: %v", err)
	}
}

// An explicit null for atomic is its default, true, as in GraphQL a null
// for an argument with a default would otherwise not be.
func TestImportAtomicNullIsTheDefault(t *testing.T) {
	lines := sampleLines(t)[:3]
	var bad map[string]any
	if err := json.Unmarshal(lines[1], &bad); err != nil {
		t.Fatal(err)
	}
	bad["saidOn"] = "2025-13"
	input := []any{lines[0], bad, lines[2]}
	for _, tc := range []struct {
		name    string
		options any
		stored  int
	}{
		{"atomic null", map[string]any{"atomic": nil}, 0},
		{"options without atomic", map[string]any{}, 0},
		{"atomic false", map[string]any{"atomic": false}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t, false)
			if r := a.post(importMutation, vars{"input": input, "options": tc.options}); len(r.Errors) > 0 {
				t.Fatalf("%+v", r.Errors)
			}
			if n, _ := a.store.CountStatements(context.Background(), domain.StatementFilter{}); n != tc.stored {
				t.Errorf("%d statements stored, want %d", n, tc.stored)
			}
		})
	}
}

// TestImportStreamGoesOnPastABatchOfRefusedRecords (from a review): a
// batch every record of which GraphQL refuses to coerce (here one record,
// alone in its batch, by count or by bytes) must still take its turn in
// the import stream, or the later calls wait for it until their deadline.
func TestImportStreamGoesOnPastABatchOfRefusedRecords(t *testing.T) {
	srv := httptest.NewServer(newHandler(openStore(t), serveConfig{}))
	defer srv.Close()
	l := sampleLines(t)
	big := `{"text":"` + strings.Repeat("x", 3000) + `"}` // no kind: GraphQL refuses it
	for _, tc := range []struct {
		name string
		cfg  client.Config
	}{
		{"cut by count", client.Config{BatchSize: 1}},
		{"cut by bytes", client.Config{MaxBatchBytes: 3100}},
	} {
		cfg := tc.cfg
		cfg.URL, cfg.Pipeline, cfg.Retries = srv.URL+endpoint, 3, 1
		in := strings.Join([]string{string(l[0]), string(l[1]), big, string(l[2]), string(l[3]), string(l[4])}, "\n") + "\n"
		start := time.Now()
		sum, err := client.Import(context.Background(), cfg, bytes.NewReader([]byte(in)))
		if err != nil || sum.Failed != 1 {
			t.Errorf("%s: %v after %s, summary %+v; want 5 created, 1 failed", tc.name, err, time.Since(start).Round(time.Second), sum)
		}
	}
}
