package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"parley/domain"
	"parley/importer"
	"parley/sample"
	"parley/store"
)

// These tests drive the real handler over real HTTP, on a real database in
// a temporary directory.

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// api is a Parley server on a database of its own.
type api struct {
	t     *testing.T
	url   string
	store *store.Store
}

// newAPI serves a new database, with the sample data when withSample is set.
func newAPI(t *testing.T, withSample bool) *api {
	t.Helper()
	st := openStore(t)
	if withSample {
		loadSample(t, st)
	}
	return serveStore(t, st, st)
}

// serveStore serves s, which wraps st, the database it closes at the end.
func serveStore(t *testing.T, st *store.Store, s domain.Store) *api {
	t.Helper()
	srv := httptest.NewServer(newHandler(s, serveConfig{}))
	t.Cleanup(srv.Close)
	return &api{t: t, url: srv.URL + endpoint, store: st}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

func loadSample(t *testing.T, st domain.Store) {
	t.Helper()
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := importer.Import(context.Background(), st, recs, domain.DefaultImportOptions())
	if err != nil || rep.Failed > 0 {
		t.Fatalf("import sample: %v, %+v", err, rep)
	}
}

// vars are a request's variables.
type vars = map[string]any

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code  string `json:"code"`
		Field string `json:"field"`
	} `json:"extensions"`
}

// post sends one GraphQL request.
func (a *api) post(query string, v vars) response {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": v})
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := http.Post(a.url, "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		a.t.Fatalf("decode response (HTTP %d): %v", res.StatusCode, err)
	}
	return r
}

// do runs a request that must succeed and decodes its data into out.
func (a *api) do(query string, v vars, out any) {
	a.t.Helper()
	r := a.post(query, v)
	if len(r.Errors) > 0 {
		a.t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
}

// fail runs a request that must fail with exactly one error.
func (a *api) fail(query string, v vars) gqlError {
	a.t.Helper()
	r := a.post(query, v)
	if len(r.Errors) != 1 {
		a.t.Fatalf("want exactly one error, got %+v (data %s)\nquery: %s", r.Errors, r.Data, query)
	}
	return r.Errors[0]
}

// snapshotQuery reads everything a mutation could change.
const snapshotQuery = `{
  speakers(first: 100) { totalCount edges { node { id key name kind aliases description country wikidataId updatedAt
    roles { title organization { key } from { value } to { value } } } } }
  topics(first: 100) { totalCount edges { node { id key name description updatedAt parent { key } } } }
  sources(first: 100) { totalCount edges { node { id url title publisher publishedAt updatedAt } } }
  statements(first: 100) { totalCount edges { node { id externalId text kind speaker { key } saidOn { value }
    dateText location context language updatedAt topics { key } sources { url } } } }
  positions(first: 100) { totalCount edges { node { id speaker { key } topic { key } stance summary asOf { value }
    updatedAt evidence { id } } } }
}`

// snapshot returns the whole database as the API shows it.
func (a *api) snapshot() string {
	a.t.Helper()
	r := a.post(snapshotQuery, nil)
	if len(r.Errors) > 0 {
		a.t.Fatalf("snapshot: %+v", r.Errors)
	}
	return string(r.Data)
}

// fixture is a small database built through the API: two speakers (one
// holding a role in the other), a topic and its subtopic, a source, a
// statement and a position citing it.
type fixture struct {
	kremlin, peskov, parent, topic, source, statement, position string // ids
}

func newFixture(a *api) fixture {
	a.t.Helper()
	var f fixture
	var out struct {
		Kremlin struct{ Speaker struct{ ID string } }
		Peskov  struct{ Speaker struct{ ID string } }
		Parent  struct{ Topic struct{ ID string } }
		Topic   struct{ Topic struct{ ID string } }
		Source  struct{ Source struct{ ID string } }
	}
	a.do(`mutation {
	  kremlin: createSpeaker(input: {name: "Kremlin", kind: ORGANIZATION, country: "RU"}) { speaker { id } }
	  peskov: createSpeaker(input: {name: "Dmitry Peskov", kind: PERSON, country: "RU", aliases: ["Peskov"],
	    roles: [{title: "Kremlin spokesman", organization: "kremlin", from: "2012-05"}]}) { speaker { id } }
	  parent: createTopic(input: {key: "peace-process", name: "Peace process"}) { topic { id } }
	  topic: createTopic(input: {key: "us-peace-plan", name: "U.S. peace plan", parent: "peace-process"}) { topic { id } }
	  source: createSource(input: {url: "https://example.org/a", title: "A report", publishedAt: "2025-12-01T18:00:00Z"}) { source { id } }
	}`, nil, &out)
	f.kremlin, f.peskov = out.Kremlin.Speaker.ID, out.Peskov.Speaker.ID
	f.parent, f.topic, f.source = out.Parent.Topic.ID, out.Topic.Topic.ID, out.Source.Source.ID

	var st struct {
		CreateStatement struct{ Statement struct{ ID string } }
	}
	a.do(`mutation {
	  createStatement(input: {externalId: "s-1", text: "The talks were useful.", kind: QUOTE, speaker: "dmitry-peskov",
	    saidOn: "2025-12-02", topics: ["us-peace-plan"], sources: ["https://example.org/a"]}) { statement { id } }
	}`, nil, &st)
	f.statement = st.CreateStatement.Statement.ID

	var ps struct {
		CreatePosition struct{ Position struct{ ID string } }
	}
	a.do(`mutation($ev: ID!) {
	  createPosition(input: {speaker: "dmitry-peskov", topic: "us-peace-plan", stance: MIXED, asOf: "2025-12-02",
	    evidence: [$ev]}) { position { id } }
	}`, vars{"ev": f.statement}, &ps)
	f.position = ps.CreatePosition.Position.ID
	return f
}

// checkGolden compares got, indented, with testdata/golden/name.json, or
// rewrites the file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("response differs from %s (run go test -update after checking the change):\n got: %s\nwant: %s", path, buf.String(), want)
	}
}

func readQuery(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "queries", name+".graphql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
