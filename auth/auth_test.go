package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var now = time.Date(2025, 12, 1, 12, 0, 0, 0, time.UTC)

func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		name string
		role Role
		ok   bool
	}{
		{"read", RoleRead, true},
		{"write", RoleWrite, true},
		{"admin", RoleAdmin, true},
		{"none", RoleNone, false},
		{"Admin", RoleNone, false},
		{"", RoleNone, false},
	} {
		got, err := ParseRole(tt.name)
		if (err == nil) != tt.ok || got != tt.role {
			t.Errorf("ParseRole(%q) = %v, %v", tt.name, got, err)
		}
	}
	// Each role includes the ones below it and none above.
	order := []Role{RoleNone, RoleRead, RoleWrite, RoleAdmin}
	for i, have := range order {
		for j, need := range order {
			if got := have.Allows(need); got != (i >= j) {
				t.Errorf("%v.Allows(%v) = %v", have, need, got)
			}
		}
	}
}

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	ci, err := Create(path, "ci", RoleWrite, now)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := Create(path, "ops", RoleAdmin, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ci, tokenPrefix) || len(ci) != len(tokenPrefix)+43 || ci == ops {
		t.Fatalf("tokens %q and %q are not two distinct 256-bit tokens", ci, ops)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(ci)) || bytes.Contains(raw, []byte(ops)) {
		t.Fatalf("the token file holds a token itself:\n%s", raw)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}

	for _, tt := range []struct {
		name, tokenName string
		role            Role
	}{
		{"duplicate name", "ci", RoleRead},
		{"bad name", "has space", RoleRead},
		{"empty name", "", RoleRead},
		{"no role", "x", RoleNone},
	} {
		if _, err := Create(path, tt.tokenName, tt.role, now); err == nil {
			t.Errorf("%s: Create succeeded", tt.name)
		}
	}

	list, err := List(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "ci" || list[0].Role != RoleWrite || list[1].Name != "ops" || list[1].Role != RoleAdmin || !list[0].Created.Equal(now) {
		t.Errorf("List = %+v", list)
	}

	if err := Revoke(path, "ci"); err != nil {
		t.Fatal(err)
	}
	if err := Revoke(path, "ci"); err == nil {
		t.Error("revoking a revoked token succeeded")
	}
	if list, _ := List(path); len(list) != 1 || list[0].Name != "ops" {
		t.Errorf("after revoke: %+v", list)
	}
	if _, err := List(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("List of a missing file succeeded")
	}
}

func TestKeyringLookupAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	reader, _ := Create(path, "reader", RoleRead, now)
	k, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := now
	k.now, k.checked = func() time.Time { return clock }, clock

	if c, ok := k.Lookup(reader); !ok || c != (Caller{Name: "reader", Role: RoleRead}) {
		t.Fatalf("Lookup(reader) = %+v, %v", c, ok)
	}
	for _, bad := range []string{"", "parley_", reader + "x", reader[:len(reader)-1], strings.ToUpper(reader), strings.Repeat("a", maxTokenLen+1)} {
		if c, ok := k.Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %+v", bad, c)
		}
	}

	// A token created or revoked while the server runs takes effect after
	// the reload interval.
	writer, _ := Create(path, "writer", RoleWrite, now)
	if err := Revoke(path, "reader"); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Lookup(reader); !ok {
		t.Error("the keyring reloaded before its interval")
	}
	clock = clock.Add(reloadInterval)
	if _, ok := k.Lookup(reader); ok {
		t.Error("a revoked token still works after the reload interval")
	}
	if c, ok := k.Lookup(writer); !ok || c.Role != RoleWrite {
		t.Errorf("a new token does not work after the reload interval: %+v, %v", c, ok)
	}

	// A damaged token file fails closed.
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(reloadInterval)
	if _, ok := k.Lookup(writer); ok {
		t.Error("a token works after the token file was damaged")
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":      "tokens: []",
		"unknown field": `{"tokens":[],"secret":"x"}`,
		"bad hash":      `{"tokens":[{"name":"a","role":"read","sha256":"abc","created":"2025-12-01T00:00:00Z"}]}`,
		"bad role":      `{"tokens":[{"name":"a","role":"root","sha256":"` + strings.Repeat("0", 64) + `","created":"2025-12-01T00:00:00Z"}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestMiddleware(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	reader, _ := Create(path, "reader", RoleRead, now)
	admin, _ := Create(path, "admin", RoleAdmin, now)
	k, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}

	// The handler behind the middleware reports the caller it sees, and
	// the admin endpoint behind Require says "ok".
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		c := CallerFrom(r.Context())
		w.Write([]byte(c.Name + ":" + c.Role.String()))
	})
	mux.Handle("/admin", Require(RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})))

	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })

	tests := []struct {
		name      string
		anonymous Role
		path      string
		header    string
		status    int
		body      string // the response body contains it
	}{
		{"anonymous public", RoleRead, "/whoami", "", 200, ":read"},
		{"anonymous local writes", RoleWrite, "/whoami", "", 200, ":write"},
		{"anonymous private", RoleNone, "/whoami", "", 401, "UNAUTHENTICATED"},
		{"reader", RoleRead, "/whoami", "Bearer " + reader, 200, "reader:read"},
		{"lowercase scheme", RoleRead, "/whoami", "bearer " + reader, 200, "reader:read"},
		{"reader on private server", RoleNone, "/whoami", "Bearer " + reader, 200, "reader:read"},
		{"unknown token", RoleRead, "/whoami", "Bearer parley_nope", 401, "not valid"},
		{"basic auth", RoleRead, "/whoami", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", 401, "Bearer <token>"},
		{"empty bearer", RoleRead, "/whoami", "Bearer ", 401, "Bearer <token>"},
		{"token without scheme", RoleRead, "/whoami", reader, 401, "Bearer <token>"},
		{"admin endpoint, admin", RoleRead, "/admin", "Bearer " + admin, 200, "ok"},
		{"admin endpoint, reader", RoleRead, "/admin", "Bearer " + reader, 403, "FORBIDDEN"},
		{"admin endpoint, anonymous", RoleWrite, "/admin", "", 401, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			Middleware(mux, k, tt.anonymous).ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("HTTP %d %q; want %d containing %q", rec.Code, rec.Body, tt.status, tt.body)
			}
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") != Challenge {
				t.Errorf("401 without the challenge header: %v", rec.Header())
			}
			if rec.Code >= 400 {
				var body struct {
					Errors []struct {
						Extensions struct{ Code string }
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions.Code == "" {
					t.Errorf("error body %q is not one coded GraphQL error", rec.Body)
				}
			}
		})
	}
	for _, secret := range []string{reader, admin, "parley_nope"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a token appears in the logs:\n%s", logs.String())
		}
	}
}

func TestCallerFromBareContextFailsClosed(t *testing.T) {
	if c := CallerFrom(t.Context()); c.Role != RoleNone || !c.Anonymous() {
		t.Errorf("CallerFrom(no caller) = %+v", c)
	}
}

// Token commands run at once keep every change: each creation's token
// works and a revocation stays revoked.
func TestConcurrentTokenChangesKeepEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	if _, err := Create(path, "victim", RoleAdmin, time.Now()); err != nil {
		t.Fatal(err)
	}
	const n = 20
	tokens := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := Create(path, fmt.Sprintf("t%02d", i), RoleRead, time.Now())
			tokens[i] = tok
			errs <- err
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs <- Revoke(path, "victim") }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	keys, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens {
		if _, ok := keys.Lookup(tok); !ok {
			t.Errorf("the token created as t%02d does not work", i)
		}
	}
	list, _ := List(path)
	if len(list) != n {
		t.Errorf("%d tokens in the file, want %d", len(list), n)
	}
	for _, tk := range list {
		if tk.Name == "victim" {
			t.Error("the revoked token is back")
		}
	}
}
