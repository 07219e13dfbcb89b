package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the database file to w and returns
// the bytes written. The copy is the database as one read transaction sees
// it: every commit before it, nothing of any after. Readers and writers go
// on meanwhile (a read transaction blocks neither), except that a writer
// that needs to grow the file past its memory map waits for the copy to
// end; Options.InitialMmapSize makes that rare.
//
// The copy is a complete bbolt file that Open accepts as it is. A cancelled
// ctx stops the copy at its next write to w, with ctx's error. When w is a
// Sizer, Backup tells it the copy's size before writing: an HTTP handler
// sends it as Content-Length, so that a copy cut short on the way shows as
// one wherever it arrives.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if sz, ok := w.(Sizer); ok {
			sz.SetSize(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// Sizer is a writer that wants to know how many bytes are coming.
type Sizer interface {
	SetSize(n int64)
}

// ctxWriter stops writing once its context is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// refuseDamaged runs fn, which reads the file at path, and turns a panic
// into an error: bbolt panics when it meets a damaged page, and a server
// must refuse such a file with a message, not crash on it. A write
// transaction that panics is rolled back, so the file is left as it was.
func refuseDamaged(path string, fn func() error) (err error) {
	// A page past the end of a short file faults when read through the
	// map: a panic here rather than the process's end.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("open %s: the database file is damaged (%v); refusing to touch it. Run parley check on it, and restore the latest backup with parley restore", path, p)
		}
	}()
	return fn()
}

// IsDatabaseFile reports whether the file at path starts as a bbolt
// database does: with its first meta page's magic number, after the page
// header. Commands that write files use it to refuse overwriting one.
func IsDatabaseFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [20]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false
	}
	return binary.LittleEndian.Uint32(head[16:]) == boltMagic
}

// boltMagic is the magic number of bbolt's meta pages (bbolt's own
// constant is internal).
const boltMagic = 0xED0CDAED

// refuseTruncated refuses a file shorter than the pages its meta page
// counts: one copied or downloaded only in part. Reading its last pages
// would fault.
func refuseTruncated(db *bolt.DB, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	var need int64
	if err := db.View(func(tx *bolt.Tx) error { need = tx.Size(); return nil }); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if fi.Size() < need {
		return fmt.Errorf("open %s: the database file is truncated (%d bytes; its pages need %d): it was not copied whole; refusing to touch it. Restore the latest backup with parley restore", path, fi.Size(), need)
	}
	return nil
}

// maxCheckProblems bounds the problems Check reports: a badly damaged file
// has as many as it has pages, and the first few say what happened.
const maxCheckProblems = 100

// Check runs bbolt's consistency check of the file in a read transaction:
// every page is reachable exactly once or free, no page is both, and keys
// are in order within and across pages. It returns the problems found, none
// for a sound file. Store.Verify checks the records and indexes on top of
// this.
func (s *Store) Check(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var problems []string
	extra := 0
	err := refuseDamaged(s.Path(), func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			// The channel must be drained: the checker's goroutine runs
			// until it has sent every problem.
			for err := range tx.Check() {
				if len(problems) < maxCheckProblems {
					problems = append(problems, err.Error())
				} else {
					extra++
				}
			}
			return nil
		})
	})
	if extra > 0 {
		problems = append(problems, fmt.Sprintf("... and %d more problems", extra))
	}
	return problems, err
}

// CheckFile opens the database file at path read-only and runs Check and
// Verify on it. It returns the problems found (none for a sound file), and
// an error when the file cannot be opened as a Parley database at all.
//
// A file of an older schema version (a backup taken before an upgrade) is
// checked through a migrated copy in the system's temporary directory:
// the file itself is left as it is, and the server that opens it after a
// restore migrates it the same way.
func CheckFile(ctx context.Context, path string) (records int, problems []string, err error) {
	s, err := Open(path, Options{ReadOnly: true})
	if errors.Is(err, errOlderSchema) {
		var tmp string
		if tmp, err = migratedCopy(path); err != nil {
			return 0, nil, err
		}
		defer os.Remove(tmp)
		s, err = Open(tmp, Options{})
	}
	if err != nil {
		return 0, nil, err
	}
	defer s.Close()
	problems, err = s.Check(ctx)
	if err != nil {
		return 0, nil, err
	}
	if len(problems) > 0 {
		// Verify reads records through the damaged pages: stop here.
		return 0, problems, nil
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		return 0, nil, err
	}
	return rep.Records, rep.Problems, nil
}

// migratedCopy copies the database at path to a temporary file and
// returns its name; Open migrates the copy.
func migratedCopy(path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	tmp, err := os.CreateTemp("", "parley-check-*.db")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("copy %s to migrate it: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// Restore replaces the database at dbPath with the backup at backupPath,
// after checking the backup with CheckFile. An existing database is
// replaced only when replace is set, and only while no process has it
// open: Restore takes its lock first, so a running server makes it fail
// rather than lose the server's writes. The copy is written beside dbPath,
// synced, and renamed over it, so a crash leaves the old database or the
// new one, never a mix.
func Restore(ctx context.Context, backupPath, dbPath string, replace bool) error {
	if _, problems, err := CheckFile(ctx, backupPath); err != nil {
		return fmt.Errorf("restore: the backup %s: %w", backupPath, err)
	} else if len(problems) > 0 {
		return fmt.Errorf("restore: the backup %s fails its check: %s", backupPath, strings.Join(problems, "; "))
	}
	if _, err := os.Stat(dbPath); err == nil {
		if !replace {
			return fmt.Errorf("restore: %s exists; pass --force to replace it (with the server stopped)", dbPath)
		}
		// Hold the existing file's lock while replacing it. A file too
		// damaged to open cannot be in use by a server, which would have
		// refused it.
		db, err := bolt.Open(dbPath, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: false})
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return fmt.Errorf("restore: %s is in use by another process; stop the server first", dbPath)
		case err == nil:
			defer db.Close()
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	return copyFile(backupPath, dbPath)
}

// copyFile copies src to dst through a synced temporary file renamed over
// dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".parley-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp.Name()) // nothing to remove after the rename
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := errors.Join(tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	return nil
}
