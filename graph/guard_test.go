package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/auth"
	"parley/domain"
	"parley/store"
)

// gqlReply is an HTTP answer of the GraphQL endpoint.
type gqlReply struct {
	status int
	header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r gqlReply) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// send sends a GraphQL request to url: POST with a JSON body, or GET with
// the query in the URL.
func send(t *testing.T, method, endpoint, token, query string) gqlReply {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequest(method, endpoint+"?query="+url.QueryEscape(query), nil)
	} else {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, err = http.NewRequest(method, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := gqlReply{status: res.StatusCode, header: res.Header}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("HTTP %d: body is not JSON: %v", res.StatusCode, err)
	}
	return r
}

// emptyStore opens an empty database for the test.
func emptyStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// guarded serves the API over s behind the auth middleware, as the server
// does, with anonymous callers getting role anonymous.
func guarded(t *testing.T, s domain.Store, keys *auth.Keyring, anonymous auth.Role, opts Options) string {
	t.Helper()
	srv := httptest.NewServer(auth.Middleware(Protect(NewServer(s, opts), opts), keys, anonymous))
	t.Cleanup(srv.Close)
	return srv.URL
}

const (
	readQuery     = `{ speakers { totalCount } }`
	writeMutation = `mutation { createTopic(input: {key: "nato", name: "NATO"}) { topic { key } } }`
)

func TestGuard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	now := time.Now()
	reader, _ := auth.Create(path, "reader", auth.RoleRead, now)
	writer, _ := auth.Create(path, "writer", auth.RoleWrite, now)
	admin, _ := auth.Create(path, "admin", auth.RoleAdmin, now)
	keys, err := auth.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	public := guarded(t, emptyStore(t), keys, auth.RoleRead, Options{})
	private := guarded(t, emptyStore(t), keys, auth.RoleNone, Options{})
	open := guarded(t, emptyStore(t), nil, auth.RoleWrite, Options{})

	tests := []struct {
		name, server, method, token, query string
		status                             int
		code                               string // "" for success
	}{
		{"public read, anonymous", public, "POST", "", readQuery, 200, ""},
		{"public read over GET", public, "GET", "", readQuery, 200, ""},
		{"public mutation, anonymous", public, "POST", "", writeMutation, 401, "UNAUTHENTICATED"},
		{"public mutation, reader", public, "POST", reader, writeMutation, 403, "FORBIDDEN"},
		{"public mutation, writer", public, "POST", writer, writeMutation, 200, ""},
		{"public mutation, admin", public, "POST", admin, `mutation { createTopic(input: {key: "eu", name: "EU"}) { topic { key } } }`, 200, ""},
		{"public mutation over GET", public, "GET", writer, writeMutation, 405, "BAD_USER_INPUT"},
		{"public mutation, unknown token", public, "POST", "parley_guess", writeMutation, 401, "UNAUTHENTICATED"},
		{"private read, anonymous", private, "POST", "", readQuery, 401, "UNAUTHENTICATED"},
		{"private read, reader", private, "POST", reader, readQuery, 200, ""},
		{"private introspection, anonymous", private, "POST", "", `{ __schema { queryType { name } } }`, 401, "UNAUTHENTICATED"},
		{"private mutation, reader", private, "POST", reader, writeMutation, 403, "FORBIDDEN"},
		{"local writes, anonymous", open, "POST", "", writeMutation, 200, ""},
		{"local writes, mutation over GET", open, "GET", "", writeMutation, 405, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, tt.server+"/", tt.token, tt.query)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("HTTP %d %s %+v; want %d %q", r.status, r.Data, r.Errors, tt.status, tt.code)
			}
			switch tt.status {
			case 401:
				if r.header.Get("WWW-Authenticate") != auth.Challenge {
					t.Errorf("401 without WWW-Authenticate: %v", r.header)
				}
			case 405:
				if r.header.Get("Allow") != "POST" {
					t.Errorf("405 without Allow: POST: %v", r.header)
				}
			}
			if tt.code != "" && r.Data != nil && string(r.Data) != "null" {
				t.Errorf("a refused operation returned data %s", r.Data)
			}
		})
	}

	// Refused mutations wrote nothing: only the two allowed ones did.
	r := send(t, "POST", public+"/", "", `{ topics { edges { node { key } } } }`)
	if got := string(r.Data); got != `{"topics":{"edges":[{"node":{"key":"eu"}},{"node":{"key":"nato"}}]}}` {
		t.Errorf("topics after the guard test: %s", got)
	}
}

func TestGuardWithoutAuthMiddleware(t *testing.T) {
	// A handler that no auth middleware fronts leaves access control to
	// the embedding server: everything runs.
	srv := httptest.NewServer(Protect(NewServer(emptyStore(t), Options{}), Options{}))
	defer srv.Close()
	if r := send(t, "POST", srv.URL, "", writeMutation); r.status != 200 || len(r.Errors) > 0 {
		t.Errorf("HTTP %d %+v", r.status, r.Errors)
	}
}

// failingStore fails every statement list with an error that has no code,
// as a broken disk would.
type failingStore struct{ domain.Store }

func (failingStore) ListStatements(context.Context, domain.StatementFilter, domain.StatementOrder, domain.Page) (*domain.Result[*domain.Statement], error) {
	return nil, errors.New("read /var/lib/parley/parley.db: input/output error")
}

func TestInternalErrorsCarryTheRequestID(t *testing.T) {
	srv := httptest.NewServer(Protect(NewServer(failingStore{emptyStore(t)}, Options{}), Options{}))
	defer srv.Close()
	r := send(t, "POST", srv.URL, "", `{ statements { totalCount } }`)
	if r.status != 200 || r.code() != "INTERNAL" {
		t.Fatalf("HTTP %d %+v", r.status, r.Errors)
	}
	e := r.Errors[0]
	if id, _ := e.Extensions[ExtRequestID].(string); len(id) != 16 {
		t.Errorf("INTERNAL error without a request id: %+v", e)
	}
	if e.Message != "internal error" || strings.Contains(e.Message, "/var/lib") {
		t.Errorf("internal error text reached the client: %q", e.Message)
	}
}
