package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"parley/store"
)

// backupPath is the admin endpoint that streams a backup of the database.
const backupPath = "/admin/backup"

// backuper is a store that can write an online backup of itself.
type backuper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// backupHandler streams a consistent backup of st: the database file as of
// one read transaction, which blocks neither readers nor writers. Put it
// behind auth.Require(auth.RoleAdmin, ...).
func backupHandler(st any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := st.(backuper)
		if !ok {
			writeJSONError(w, http.StatusNotImplemented, "INTERNAL", "this server's store cannot take backups")
			return
		}
		// A large database takes longer than the server's write timeout,
		// which is there for ordinary responses.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="parley-backup.db"`)
		w.Header().Set("Cache-Control", "no-store")
		start := time.Now()
		n, err := b.Backup(r.Context(), sizedResponse{w})
		if err != nil {
			// The status is sent: only cutting the connection tells the
			// client that the copy is incomplete.
			slog.ErrorContext(r.Context(), "backup failed", "bytes", n, "error", err)
			panic(http.ErrAbortHandler)
		}
		slog.InfoContext(r.Context(), "backup streamed", "bytes", n, "duration", time.Since(start))
	})
}

// sizedResponse sends the size a backup announces (store.Sizer) as the
// response's Content-Length: a client or proxy then knows a copy that
// ends early for what it is.
type sizedResponse struct{ http.ResponseWriter }

func (w sizedResponse) SetSize(n int64) { w.Header().Set("Content-Length", strconv.FormatInt(n, 10)) }

// runBackup fetches an online backup from a running server into a file,
// and checks it before keeping it.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", `Usage: parley backup --out FILE [--url URL] [--token TOKEN]

Take a consistent backup of a running server's database, without stopping
it or blocking its readers and writers, and write it to FILE. The backup is
checked (bbolt's check and Verify) before it is kept; FILE must not exist.
It needs a token with the admin role. Restore it with parley restore.
`, stderr)
	out := fs.String("out", "", "backup `file` to write")
	url := fs.String("url", envOr(getenv, "PARLEY_URL", "http://127.0.0.1:8080/graphql"), "the server's GraphQL `endpoint` or base URL (env PARLEY_URL)")
	token := fs.String("token", getenv("PARLEY_TOKEN"), "API `token` with the admin role (env PARLEY_TOKEN)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parley backup: give --out FILE and no arguments")
		return errUsage
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; choose another file", *out)
	}

	tmp, err := os.CreateTemp(filepath.Dir(*out), ".parley-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // nothing to remove after the rename
	n, err := download(ctx, backupURL(*url), *token, tmp)
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	records, problems, err := store.CheckFile(ctx, tmp.Name())
	if err != nil {
		return fmt.Errorf("backup: the downloaded copy does not open: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup: the downloaded copy fails its check: %s", strings.Join(problems, "; "))
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d bytes, %d records; bbolt check and Verify passed\n", *out, n, records)
	return nil
}

// backupURL is the backup endpoint of the server whose GraphQL endpoint or
// base URL is u.
func backupURL(u string) string {
	return strings.TrimSuffix(strings.TrimSuffix(u, "/"), endpoint) + backupPath
}

// download copies the backup at url into w.
func download(ctx context.Context, url, token string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: HTTP %d: %s", url, res.StatusCode, errorMessage(res.Body))
	}
	// A connection cut before the end shows as an error here: the server
	// aborts a backup that fails half way.
	return io.Copy(w, res.Body)
}

// errorMessage is the message of a GraphQL error response, or a note that
// the body had none.
func errorMessage(body io.Reader) string {
	var r struct {
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(io.LimitReader(body, 1<<16)).Decode(&r); err != nil || len(r.Errors) == 0 {
		return "the server gave no reason"
	}
	return r.Errors[0].Message
}

// runRestore replaces a database file with a backup, with the server
// stopped.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", `Usage: parley restore [--db FILE] [--force] BACKUP

Check BACKUP (bbolt's check and Verify) and copy it to the database file.
An existing database is replaced only with --force, and only when no server
has it open: stop the server, restore, start it again.
`, stderr)
	db := fs.String("db", envOr(getenv, "PARLEY_DB", "./parley.db"), "database `file` to restore into (env PARLEY_DB)")
	force := fs.Bool("force", false, "replace an existing database file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "parley restore: give one backup file")
		return errUsage
	}
	if err := store.Restore(ctx, fs.Arg(0), *db, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", *db, fs.Arg(0))
	return nil
}

// runCheck checks a database file: bbolt's page-level consistency check,
// then Verify's check of every record, index and counter.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", `Usage: parley check [--db FILE]

Check a database file or a backup: bbolt's consistency check of its pages,
then Verify, which checks every record against its indexes, references and
counters. Exits 1 when it finds a problem. The file is opened read-only;
a running server holds its lock, so check a backup instead.
`, stderr)
	db := fs.String("db", envOr(getenv, "PARLEY_DB", "./parley.db"), "database `file` (env PARLEY_DB)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parley check: takes no arguments; give the file with --db")
		return errUsage
	}
	if _, err := os.Stat(*db); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check: %s does not exist", *db)
	}
	records, problems, err := store.CheckFile(ctx, *db)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("check: %s has %d problems", *db, len(problems))
	}
	fmt.Fprintf(stdout, "%s: bbolt check and Verify passed (%d records)\n", *db, records)
	return nil
}
