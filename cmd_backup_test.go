package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/auth"
	"parley/store"
)

// runCmd runs a parley command in process and returns its output and error.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestTokenCommands(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens.json")
	env := map[string]string{"PARLEY_TOKEN_FILE": file}
	out, _, err := runCmd(t, env, "token", "create", "--role", "write", "--name", "ci")
	token := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(token, "parley_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("token create: %q %v", out, err)
	}
	keys, err := auth.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := keys.Lookup(token); !ok || c.Role != auth.RoleWrite || c.Name != "ci" {
		t.Errorf("the printed token is not the stored one: %+v %v", c, ok)
	}
	if out, _, err := runCmd(t, env, "token", "list"); err != nil || !strings.Contains(out, "ci") || !strings.Contains(out, "write") || strings.Contains(out, token) {
		t.Errorf("token list: %q %v", out, err)
	}
	for _, args := range [][]string{
		{"token", "create", "--role", "root", "--name", "x"},
		{"token", "create", "--role", "read"},
		{"token", "frobnicate"},
		{"token"},
	} {
		if _, _, err := runCmd(t, env, args...); err != errUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, nil, "token", "list"); err != errUsage {
		t.Errorf("token list without a file: %v", err)
	}
	if _, _, err := runCmd(t, env, "token", "revoke", "--name", "ci"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, env, "token", "revoke", "--name", "ci"); err == nil {
		t.Error("revoking twice succeeded")
	}
}

func TestBackupCommands(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	admin, _ := auth.Create(tokens, "ops", auth.RoleAdmin, time.Now())
	writer, _ := auth.Create(tokens, "ci", auth.RoleWrite, time.Now())
	st := openStore(t)
	loadSample(t, st)
	cfg := serveConfig{ImportMaxRecords: 100, MaxBody: defaultMaxBody, MaxImportBody: defaultMaxImportBody,
		Security: securityConfig{TokenFile: tokens}}
	if err := cfg.Security.loadKeys(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(st, cfg))
	defer srv.Close()

	// Writers keep writing while the backup runs.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			body := gqlBody(fmt.Sprintf(`mutation { createTopic(input: {key: "during-%d", name: "During"}) { topic { key } } }`, i), nil)
			(&suiteServer{url: srv.URL, tokens: map[string]string{"write": writer}}).do(t, probe{token: "write", body: body})
		}
	})

	out := filepath.Join(dir, "backup.db")
	env := map[string]string{"PARLEY_URL": srv.URL + endpoint}
	stdout, stderr, err := runCmd(t, env, "backup", "--out", out, "--token", admin)
	stop()
	wg.Wait()
	if err != nil || !strings.Contains(stdout, "passed") {
		t.Fatalf("backup: %v\n%s%s", err, stdout, stderr)
	}
	// The response announces the copy's size, so that a copy cut short
	// on the way is seen as one.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+backupPath, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.ContentLength <= 0 || res.ContentLength != int64(len(body)) {
		t.Errorf("backup response: Content-Length %d, %d bytes read, %v", res.ContentLength, len(body), err)
	}
	if _, _, err := runCmd(t, env, "backup", "--out", out, "--token", admin); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}
	if _, _, err := runCmd(t, env, "backup", "--out", filepath.Join(dir, "b2.db"), "--token", writer); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a backup with a write token: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b2.db")); err == nil {
		t.Error("a refused backup left a file")
	}

	if stdout, _, err := runCmd(t, nil, "check", "--db", out); err != nil || !strings.Contains(stdout, "passed") {
		t.Errorf("check of the backup: %v %s", err, stdout)
	}
	restored := filepath.Join(dir, "restored.db")
	if _, _, err := runCmd(t, nil, "restore", "--db", restored, out); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, nil, "restore", "--db", restored, out); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("a restore over an existing database without --force: %v", err)
	}
	if _, _, err := runCmd(t, nil, "restore", "--db", restored, "--force", out); err != nil {
		t.Errorf("restore --force: %v", err)
	}
	// The writers added topics only: the restored statements are the
	// source's. (store.TestBackupUnderConcurrentWrites checks snapshots
	// of concurrent statement writes.)
	rs, err := store.Open(restored, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	restoredExport := export(t, rs)
	rs.Close()
	if sampleExport := export(t, st); !bytes.Equal(restoredExport, sampleExport) {
		t.Errorf("the restored statements differ from the source's")
	}

	// A database in use is not restored over.
	if _, _, err := runCmd(t, nil, "restore", "--db", st.Path(), "--force", out); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore over a database a server holds: %v", err)
	}
	// A damaged file fails its check, and is not restored from.
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, nil, "check", "--db", bad); err == nil {
		t.Error("check passed a file that is not a database")
	}
	if _, _, err := runCmd(t, nil, "restore", "--db", filepath.Join(dir, "x.db"), bad); err == nil {
		t.Error("restore accepted a file that is not a database")
	}
}
