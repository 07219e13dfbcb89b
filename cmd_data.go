package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"parley/client"
	"parley/gen"
	"parley/importer"
	"parley/store"
)

// newFlagSet makes a subcommand's flag set with a usage text.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps flag errors to errUsage (the flag
// package has already explained them).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// runGen writes the deterministic benchmark workload as import JSONL.
func runGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen", `Usage: parley gen [-n N] [-seed S] > statements.jsonl

Write the DESIGN.md benchmark workload, N statements, as import-format
JSONL on standard output. The same N and seed always give the same bytes.
`, stderr)
	n := fs.Int("n", 10000, "number of statements")
	seed := fs.Uint64("seed", 1, "random seed")
	chrono := fs.Bool("chronological", false, "emit statements in date order, as an archive would")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parley gen: -n must be at least 1 and no arguments are taken")
		return errUsage
	}
	w := bufio.NewWriterSize(stdout, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	d := gen.New(gen.Config{N: *n, Seed: *seed, Chronological: *chrono})
	for rec, ok := d.Next(); ok; rec, ok = d.Next() {
		if err := enc.Encode(&rec); err != nil {
			return err
		}
	}
	return w.Flush()
}

// runExport writes a database file's statements as import JSONL. It opens
// the file read-only, so it works beside nothing else that writes it; a
// running server holds the lock, and export then says so.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", `Usage: parley export [--db FILE] [--out FILE]

Write every statement of the database as import-format JSONL. Importing the
output into an empty database and exporting again gives the same bytes.
Stop the server first, or export from a backup: the database file is locked
while a server has it open.
`, stderr)
	db := fs.String("db", envOr(getenv, "PARLEY_DB", "./parley.db"), "database `file` (env PARLEY_DB)")
	out := fs.String("out", "-", "output `file`; - for standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dbInfo, err := os.Stat(*db)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	target, replace := "", false
	if *out != "-" {
		if target, replace, err = exportTarget(*out, dbInfo); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	st, err := store.Open(*db, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := importer.Export(ctx, st, bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	switch {
	case *out == "-":
		return write(stdout)
	case replace:
		if err := replaceFile(target, write); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	// A pipe, a device, /dev/stdout: written as it is.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return errors.Join(write(f), f.Close())
}

// exportTarget resolves the --out path of an export: the file to write
// (through symbolic links), and whether to replace it whole, as a regular
// file or a new one is. It refuses the database being read and any other
// Parley database: writing over one destroys it.
func exportTarget(out string, db os.FileInfo) (target string, replace bool, err error) {
	fi, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return out, true, nil
	}
	if err != nil {
		return "", false, err
	}
	if !fi.Mode().IsRegular() {
		return out, false, nil
	}
	if os.SameFile(fi, db) {
		return "", false, fmt.Errorf("--out %s is the database itself; write the export to another file", out)
	}
	if store.IsDatabaseFile(out) {
		return "", false, fmt.Errorf("--out %s is a database file; write the export to another file", out)
	}
	// Replace the file a link points to, not the link.
	if target, err = filepath.EvalSymlinks(out); err != nil {
		return "", false, err
	}
	return target, true, nil
}

// replaceFile writes the regular file at path whole or not at all: into a
// temporary file beside it, synced, then renamed over it. An export that
// fails or is interrupted leaves the previous file as it was.
func replaceFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing to remove after the rename
	// As os.Create would make it: CreateTemp's files are private.
	if err := errors.Join(tmp.Chmod(0o644), write(tmp), tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename into dir survive a crash, where the platform
// allows syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// runImport streams a JSONL file into a running server.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, stdin io.Reader) error {
	fs := newFlagSet("import", `Usage: parley import [flags] FILE|-

Import a JSONL file of import records (one StatementImport per line) into a
running Parley server through the importStatements mutation, in batches.
Good records land; rejected ones go to the rejects file with their errors.
Exits 1 when any record failed.
`, stderr)
	url := fs.String("url", envOr(getenv, "PARLEY_URL", "http://127.0.0.1:8080/graphql"), "GraphQL `endpoint` (env PARLEY_URL)")
	token := fs.String("token", getenv("PARLEY_TOKEN"), "API `token` sent as a bearer token (env PARLEY_TOKEN)")
	batch := fs.Int("batch", 1000, "records per request")
	maxBytes := fs.Int("max-batch-bytes", client.DefaultMaxBatchBytes, "records' `bytes` per request at most: a batch goes early rather than grow past it, and a longer line is rejected; keep it under the server's --max-import-body")
	pipeline := fs.Int("pipeline", 3, "batches in flight at once; the server commits them in order, those that are ready together (1: wait for each answer)")
	dry := fs.Bool("dry-run", false, "validate and report; write nothing")
	atomic := fs.Bool("atomic", false, "make each batch all or nothing")
	onConflict := fs.String("on-conflict", "", "UPDATE (server default), SKIP or FAIL")
	resume := fs.Bool("resume", false, "skip the lines the checkpoint says are done")
	checkpoint := fs.String("checkpoint", "", "checkpoint `file`; default FILE.checkpoint (none for -)")
	rejects := fs.String("rejects", "", "rejects `file`; default FILE.rejects.jsonl (rejects.jsonl for -)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	oc, err := client.ParseOnConflict(*onConflict)
	if err != nil {
		fmt.Fprintln(stderr, "parley import:", err)
		return errUsage
	}
	name := fs.Arg(0)
	cfg := client.Config{URL: *url, Token: *token, BatchSize: *batch, MaxBatchBytes: *maxBytes, Pipeline: *pipeline, DryRun: *dry, Atomic: *atomic,
		OnConflict: oc, Resume: *resume, Checkpoint: *checkpoint, Rejects: *rejects, Progress: stderr}
	in := stdin
	if name == "-" {
		if cfg.Rejects == "" {
			cfg.Rejects = "rejects.jsonl"
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			cfg.Size = fi.Size()
		}
		in = f
		if cfg.Checkpoint == "" {
			cfg.Checkpoint = name + ".checkpoint"
		}
		if cfg.Rejects == "" {
			cfg.Rejects = name + ".rejects.jsonl"
		}
	}
	if cfg.Resume && cfg.Checkpoint == "" {
		fmt.Fprintln(stderr, "parley import: --resume needs a --checkpoint file")
		return errUsage
	}
	if *batch < 1 || *pipeline < 1 {
		fmt.Fprintln(stderr, "parley import: --batch and --pipeline must be positive")
		return errUsage
	}
	if cfg.DryRun {
		cfg.Checkpoint = ""
	}
	if f, ok := stderr.(*os.File); ok {
		cfg.Progress = f
	}
	sum, err := client.Import(ctx, cfg, in)
	if sum != nil {
		fmt.Fprintln(stdout, sum)
		if sum.Failed > 0 {
			fmt.Fprintf(stdout, "rejected records are in %s\n", cfg.Rejects)
		}
		if cfg.DryRun && sum.Records > max(cfg.BatchSize, 1) {
			// Each call of a dry run is rolled back on its own.
			fmt.Fprintln(stdout, "note: a dry run checks each batch against the database as it is: a record that needs a speaker, topic or statement that an earlier batch of the file creates fails here and not in a real import (use --batch up to 5000 to check more of the file at once)")
		}
	}
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return errFailedRecords
	}
	if cfg.Checkpoint != "" {
		// The file is done: a later --resume of it must start over.
		_ = os.Remove(cfg.Checkpoint)
	}
	return nil
}

// errFailedRecords makes the exit code 1 after an import with rejects; the
// summary has already said what failed.
var errFailedRecords = errors.New("some records failed")

func envOr(getenv func(string) string, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}
