package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPostTransport checks the status, media type and body layout of the
// POST transport for each kind of outcome and each Accept header.
func TestPostTransport(t *testing.T) {
	st := openTestStore(t)
	loadSampleData(t, st)
	srv := httptest.NewServer(NewServer(st, Options{}))
	t.Cleanup(srv.Close)

	const gqlResp = "application/graphql-response+json"
	cases := []struct {
		name, accept, body string
		status             int
		media              string
		keys               []string // the top-level members, in order
	}{
		{"a query", "", `{"query":"{ statements(first: 1) { edges { cursor } } }"}`, 200, "application/json", []string{"data"}},
		{"a query for graphql-response", gqlResp, `{"query":"{ statements(first: 1) { edges { cursor } } }"}`, 200, gqlResp, []string{"data"}},
		{"a large page", "", `{"query":"{ statements(first: 30) { edges { node { id text context speaker { name } } } } }"}`, 200, "application/json", []string{"data"}},
		{"a large page through gqlgen", "", `{"query":"{ statements(first: 30) { totalCount edges { node { id text context } } } }"}`, 200, "application/json", []string{"data"}},
		{"any type", "*/*", `{"query":"{ __typename }"}`, 200, "application/json", []string{"data"}},
		{"an unknown type only", "text/html", `{"query":"{ __typename }"}`, 200, gqlResp, []string{"data"}},
		{"a syntax error", "", `{"query":"{ statements("}`, 422, "application/json", []string{"errors", "data"}},
		{"a syntax error for graphql-response", gqlResp, `{"query":"{ statements("}`, 400, gqlResp, []string{"errors"}},
		{"a validation error for graphql-response", gqlResp, `{"query":"{ nope }"}`, 400, gqlResp, []string{"errors"}},
		{"a field error", gqlResp, `{"query":"{ statements(first: -1) { edges { cursor } } }"}`, 200, gqlResp, []string{"errors", "data"}},
		{"an unknown variable type", "", `{"query":"query($n: Int!) { statements(first: $n) { edges { cursor } } }","variables":{"n":"x"}}`,
			422, "application/json", []string{"errors", "data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewBufferString(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusOK && (resp.ContentLength <= 0 || len(resp.TransferEncoding) > 0) {
				// net/http sends an answer of unknown length over 2 KB in chunks.
				t.Errorf("sent without its length: %d, %v", resp.ContentLength, resp.TransferEncoding)
			}
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.media {
				t.Errorf("status %d, %s; want %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.media)
			}
			dec := json.NewDecoder(resp.Body)
			var keys []string
			if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
				t.Fatalf("the body is not a JSON object: %v %v", tok, err)
			}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, tok.(string))
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
			if len(keys) != len(c.keys) {
				t.Fatalf("members %v, want %v", keys, c.keys)
			}
			for i := range keys {
				if keys[i] != c.keys[i] {
					t.Fatalf("members %v, want %v", keys, c.keys)
				}
			}
		})
	}
}

// TestEndedRequest checks a request whose context ended before it ran (the
// client went away, or its deadline passed while it waited): an error in
// the body, not a panic of the transport reported as an internal error.
func TestEndedRequest(t *testing.T) {
	st := openTestStore(t)
	loadSampleData(t, st)
	srv := NewServer(st, Options{})
	for _, query := range []string{
		`{ __typename }`,
		`{ statement(id: "U3RhdGVtZW50OjE") { id text } }`, // one the direct path would answer
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		body, _ := json.Marshal(map[string]string{"query": query})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body)).WithContext(ctx)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var resp struct {
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s: %v: %s", query, err, w.Body)
		}
		if w.Code != http.StatusOK || len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, "ended before it ran: context canceled") {
			t.Errorf("%s: %d %s", query, w.Code, w.Body)
		}
	}
}
