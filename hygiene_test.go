package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/graph"
)

// shapeOracle is checkRequestBody's job done the slow, obvious way: decode
// the whole body and look at the members' types.
func shapeOracle(body []byte) bool {
	var req struct {
		Query         *string         `json:"query"`
		OperationName *string         `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if !utf8.Valid(body) || json.Unmarshal(body, &req) != nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return false
	}
	for _, raw := range []json.RawMessage{req.Variables, req.Extensions} {
		if len(raw) > 0 && raw[0] != '{' && string(raw) != "null" {
			return false
		}
	}
	return true
}

func TestCheckRequestBody(t *testing.T) {
	tests := []struct {
		body string
		want string // in the message; "" when the body is accepted
	}{
		{`{"query": "{ __typename }"}`, ""},
		{` {"query":"{ a }","variables":{"x":[1,{"y":"}"}]},"operationName":null,"extensions":{}} `, ""},
		{`{"query": "a \" } { \\", "variables": {"s": "\"}\\"}}`, ""},
		{`{"qu\u0065ry": "{ a }"}`, ""},
		{`{"query": "{ a }", "documentId": 7, "x": [1, 2, {"a": true}], "n": -1.5e3}`, ""},
		{`{}`, ""},
		{`{"query": 5}`, `"query" member must be a string`},
		{`{"qu\u0065ry": true}`, `"query" member must be a string`},
		{`{"operationName": ["a"]}`, `"operationName" member must be a string`},
		{`{"query": "{ a }", "variables": [1]}`, `"variables" member must be an object`},
		{`{"query": "{ a }", "variables": "{}"}`, `"variables" member must be an object`},
		{`{"extensions": 1}`, `"extensions" member must be an object`},
		{`[{"query": "{ a }"}]`, "batches"},
		{`"{ a }"`, "must be a JSON object"},
		{`null`, "must be a JSON object"},
		{``, "empty"},
		{`   `, "empty"},
		{`{"query": "{ a }"`, "ends in the middle"},
		{`{query: 1}`, "syntax error at byte 2"},
		{`{"query": "{ a }"} {}`, "data after"},
		{"{\"query\": \"\xff\"}", "UTF-8"},
		{`{"queRY": 0}`, `"queRY" member must be a string`},
		{`{"Variables": [1]}`, `"Variables" member must be an object`},
		{`{"\u212Auery": 1}`, ""}, // the Kelvin sign folds to k, not q: an unknown member
	}
	for _, tt := range tests {
		got := checkRequestBody([]byte(tt.body))
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkRequestBody(%s) = %q, want %q", tt.body, got, tt.want)
		}
		if (got == "") != shapeOracle([]byte(tt.body)) {
			t.Errorf("checkRequestBody(%s) = %q disagrees with decoding", tt.body, got)
		}
		if tt.body != "" && len(tt.body) > 10 && strings.Contains(got, tt.body) {
			t.Errorf("the message echoes the body: %q", got)
		}
	}
}

func FuzzCheckRequestBody(f *testing.F) {
	for _, s := range []string{`{"query": "{ a }", "variables": {"a": [1, "}"]}}`, `{"query": 5}`, `[1]`, `{"a\"b": {}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := checkRequestBody(body)
		if !json.Valid(body) {
			if got == "" {
				t.Fatalf("accepted invalid JSON %q", body)
			}
			return
		}
		if (got == "") != shapeOracle(body) {
			t.Fatalf("checkRequestBody(%q) = %q disagrees with decoding", body, got)
		}
	})
}

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	var seen string
	h := newObservability("", 0).middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = graph.RequestID(r.Context())
		panic("secret internal detail: /var/lib/parley")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", endpoint, nil))

	var body struct {
		Errors []struct {
			Message    string
			Extensions map[string]string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	id := rec.Header().Get(requestIDHeader)
	if rec.Code != 500 || len(body.Errors) != 1 || body.Errors[0].Message != "internal error" ||
		body.Errors[0].Extensions["code"] != "INTERNAL" || body.Errors[0].Extensions[graph.ExtRequestID] != id || id == "" || seen != id {
		t.Fatalf("HTTP %d %s (header id %q, handler saw %q)", rec.Code, rec.Body, id, seen)
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Error("the panic's text reached the client")
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), "hygiene_test.go") || !strings.Contains(logs.String(), id) {
		t.Errorf("the log lacks the panic, its stack or the request id:\n%s", logs.String())
	}

	// The access log line records the 500.
	if !strings.Contains(logs.String(), "msg=request") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("no access log line with status 500:\n%s", logs.String())
	}

	// The id a client sends is kept, in the answer and in the log.
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("POST", endpoint, nil)
	req.Header.Set(requestIDHeader, "client-id")
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"client-id"`) || seen != "client-id" {
		t.Errorf("the client's request id was replaced: %s (handler saw %q)", rec.Body, seen)
	}

	// A panic after the answer started cuts the connection instead.
	h = newObservability("", 0).middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("{"))
		panic("half way")
	}))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("a panic after the answer started: recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", endpoint, nil))
	}()
}
