package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/domain"
	"parley/importer"
	"parley/store"
)

// batchRecords are the records of writer w's batch b: size statements
// committed together.
func batchRecords(w, b, size int) []domain.StatementImport {
	recs := make([]domain.StatementImport, size)
	for i := range recs {
		recs[i] = domain.StatementImport{
			ExternalID: fmt.Sprintf("w%d-b%04d-r%d", w, b, i),
			Text:       fmt.Sprintf("Writer %d says %d.%d about the talks.", w, b, i),
			Kind:       domain.StatementQuote,
			Speaker:    domain.SpeakerRef{Key: fmt.Sprintf("speaker-%d", w), Name: fmt.Sprintf("Speaker %d", w), Kind: domain.SpeakerPerson},
			SaidOn:     "2025-12-01",
			Topics:     []domain.TopicRef{{Key: "peace-talks", Name: "Peace talks"}},
		}
	}
	return recs
}

// exportLines exports s and returns its lines by external id, in order.
func exportLines(t *testing.T, s domain.Store) (ids []string, lines map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := importer.Export(context.Background(), s, &buf); err != nil {
		t.Fatal(err)
	}
	lines = map[string]string{}
	for line := range strings.Lines(buf.String()) {
		var rec struct{ ExternalID string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ExternalID)
		lines[rec.ExternalID] = line
	}
	return ids, lines
}

// checkFile opens the database at path and requires bbolt's check and
// Verify to pass.
func checkFile(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	problems, err := s.Check(context.Background())
	if err != nil || len(problems) > 0 {
		t.Fatalf("bbolt check: %v %v", err, problems)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("Verify: %v %v", err, rep)
	}
	return s
}

// gate is a writer that holds the first write until release is closed.
type gate struct {
	w       *os.File
	release chan struct{}
	once    sync.Once
	started chan struct{}
}

func (g *gate) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.started); <-g.release })
	return g.w.Write(p)
}

func TestBackupUnderConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	src, err := store.Open(filepath.Join(dir, "src.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	const writers, batchSize = 3, 3
	ctx, stop := context.WithCancel(context.Background())
	var commits atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := 0; ctx.Err() == nil; b++ {
				rep, err := importer.Import(context.Background(), src, batchRecords(w, b, batchSize), domain.DefaultImportOptions())
				if err != nil || rep.Failed > 0 {
					t.Errorf("writer %d batch %d: %v %+v", w, b, err, rep)
					return
				}
				commits.Add(1)
			}
		})
	}
	defer func() { stop(); wg.Wait() }()
	for commits.Load() < 10 {
		time.Sleep(time.Millisecond)
	}

	// The backup's read transaction begins, then its first write waits
	// until writers have committed more batches and a reader has read:
	// the backup blocks neither.
	out, err := os.Create(filepath.Join(dir, "backup.db"))
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{w: out, release: make(chan struct{}), started: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := src.Backup(context.Background(), g)
		done <- err
	}()
	<-g.started
	before := commits.Load()
	deadline := time.Now().Add(10 * time.Second)
	for commits.Load() < before+10 {
		if time.Now().After(deadline) {
			t.Fatal("writers made no progress while a backup was open")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := src.CountStatements(context.Background(), domain.StatementFilter{}); err != nil {
		t.Fatalf("a read during the backup: %v", err)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()

	backup := checkFile(t, out.Name())
	gotIDs, got := exportLines(t, backup)
	srcIDs, want := exportLines(t, src)
	if len(gotIDs) == 0 || len(gotIDs) >= len(srcIDs) {
		t.Fatalf("the backup has %d statements, the source %d: not a snapshot from the middle", len(gotIDs), len(srcIDs))
	}

	// The backup is the source as of one moment: the source's export,
	// restricted to the statements the backup has, line for line (records
	// are never changed after they are created), and for every writer a
	// prefix of its batches, each whole.
	var filtered []string
	for _, id := range srcIDs {
		if _, ok := got[id]; ok {
			filtered = append(filtered, id)
			if got[id] != want[id] {
				t.Errorf("statement %s differs:\n backup %s source %s", id, got[id], want[id])
			}
		}
	}
	if strings.Join(filtered, ",") != strings.Join(gotIDs, ",") {
		t.Errorf("the backup's export is not the source's as of one moment")
	}
	for w := range writers {
		for b := 0; ; b++ {
			n := 0
			for i := range batchSize {
				if _, ok := got[fmt.Sprintf("w%d-b%04d-r%d", w, b, i)]; ok {
					n++
				}
			}
			if n == 0 {
				// No later batch of this writer may be present.
				for _, id := range gotIDs {
					var bb int
					if _, err := fmt.Sscanf(id, fmt.Sprintf("w%d-b%%d-", w), &bb); err == nil && bb > b {
						t.Errorf("writer %d: batch %d is missing but batch %d is present", w, b, bb)
					}
				}
				break
			}
			if n != batchSize {
				t.Errorf("writer %d batch %d is half present: %d of %d", w, b, n, batchSize)
			}
		}
	}
}

func TestBackupCancelled(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Backup(ctx, &bytes.Buffer{}); err != context.Canceled {
		t.Errorf("Backup with a cancelled context: %v", err)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for b := range 20 {
		if _, err := importer.Import(context.Background(), s, batchRecords(0, b, 5), domain.DefaultImportOptions()); err != nil {
			t.Fatal(err)
		}
	}
	if problems, err := s.Check(context.Background()); err != nil || len(problems) > 0 {
		t.Fatalf("a sound file: %v %v", err, problems)
	}

	// Damage every page after the two meta pages under the open store (its
	// map shows the file's bytes): each page header now claims a page
	// number past the end of the file.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	for off := 2 * page; off < fileSize(t, path); off += page {
		if _, err := f.WriteAt([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	problems, err := s.Check(context.Background())
	if err == nil && len(problems) == 0 {
		t.Error("Check found no problem in a damaged file")
	}
	s.Close()

	// Opening the damaged file is refused with a message, not a crash.
	if s, err := store.Open(path, store.Options{}); err == nil {
		s.Close()
		t.Error("Open accepted a damaged file")
	} else if !strings.Contains(err.Error(), "damaged") && !strings.Contains(err.Error(), "not a valid") {
		t.Errorf("Open of a damaged file: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A file cut short, as a copy that did not finish leaves it, is refused
// with an error by Open and by CheckFile, whatever the cut; the process
// does not fault.
func TestTruncatedFileIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "p.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
	for i := range 2000 {
		if _, err := s.CreateStatement(ctx, &domain.Statement{Text: fmt.Sprintf("statement %d on sanctions and talks", i), Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// A backup is exactly the pages in use (the file itself grows in
	// steps of 16 MiB, so cutting its free tail loses nothing).
	var buf bytes.Buffer
	if _, err := s.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	s.Close()
	whole := buf.Bytes()
	for _, n := range []int{len(whole) / 2, len(whole) - 4096, 3 * 4096, 20000} {
		cut := filepath.Join(dir, fmt.Sprintf("cut-%d.db", n))
		if err := os.WriteFile(cut, whole[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := store.Open(cut, store.Options{}); err == nil {
			s.Close()
			t.Errorf("Open of the file cut to %d of %d bytes succeeded", n, len(whole))
		} else if !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "damaged") && !strings.Contains(err.Error(), "not a valid") {
			t.Errorf("Open of the file cut to %d bytes: %v; want it called truncated or damaged", n, err)
		}
		if _, problems, err := store.CheckFile(ctx, cut); err == nil && len(problems) == 0 {
			t.Errorf("CheckFile of the file cut to %d bytes found nothing wrong", n)
		}
	}
}
