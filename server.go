// Command parley serves Parley, a GraphQL API for diplomatic statements:
// who said what, when, and where they stand.
//
// Usage:
//
//	parley [serve] [flags]   serve the API (the default command)
//	parley import [flags] FILE   import JSONL into a running server
//	parley export [flags]    write a database as JSONL
//	parley gen [flags]       write the benchmark workload as JSONL
//	parley bench import|query [flags]   run the benchmarks of docs/benchmarks.md
//	parley version           print the version of this build
//	parley token create|list|revoke [flags]   manage API tokens
//	parley backup --out FILE [flags]   back up a running server's database
//	parley restore [flags] BACKUP   replace a database with a backup
//	parley check [flags]     check a database file or a backup
//
// serve serves the GraphQL endpoint at /graphql and the playground at /.
// Flags take their defaults from environment variables; run a command with
// -h for its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"parley/graph"
	"parley/store"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one ends the process at once,
		// as if no handler were installed: an operator's way out of a
		// shutdown that waits.
		<-ctx.Done()
		stop()
	}()

	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

// errUsage reports bad command-line usage, already explained on stderr.
var errUsage = errors.New("usage")

// run runs the command named by args[0], serve when there is none. It
// reaches the environment and the standard streams only through its
// arguments, so that tests can give their own.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := parseServeFlags(args, getenv, stderr)
		if err != nil {
			return err
		}
		logw := newBufferedLog(stderr)
		defer logw.Close()
		logger, err := newLogger(cfg.LogFormat, cfg.LogLevel, logw)
		if err != nil {
			return err // parseServeFlags has checked the format
		}
		slog.SetDefault(slog.New(flushingHandler{logger.Handler(), logw}))
		return serve(ctx, cfg, stdout)
	case "import":
		return runImport(ctx, args, getenv, stdout, stderr, stdin)
	case "export":
		return runExport(ctx, args, getenv, stdout, stderr)
	case "gen":
		return runGen(args, stdout, stderr)
	case "bench":
		return runBench(ctx, args, getenv, stdin, stdout, stderr)
	case "version":
		return runVersion(args, stdout, stderr)
	case "token":
		return runToken(args, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args, getenv, stdout, stderr)
	case "check":
		return runCheck(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "parley: unknown command %q; the commands are: serve, import, export, gen, bench, version, token, backup, restore, check\n", cmd)
	return errUsage
}

// serveConfig is the configuration of the serve command.
type serveConfig struct {
	Addr   string // listen address
	DB     string // database file
	Sample bool   // load the sample data into a new database
	// CORSOrigins may read the API from a browser page of another origin;
	// none by default.
	CORSOrigins []string
	// ImportMaxRecords bounds the records of one importStatements call.
	ImportMaxRecords int
	// MaxBody bounds a request body; MaxImportBody bounds the body of a
	// request whose query calls importStatements.
	MaxBody       int64
	MaxImportBody int64
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is the least severe level logged; at WARN the per-request
	// access log lines (INFO) are left out.
	LogLevel slog.Level
	// SlowQuery is the duration above which an operation is logged as
	// slow; 0 logs none.
	SlowQuery time.Duration
	// SubscriptionBuffer is how many changes a subscription may have
	// pending before it is dropped.
	SubscriptionBuffer int
	// RecordCacheMiB is the memory, in MiB, of the store's cache of
	// statement records (store.Options.RecordCacheSize); 0 turns it off.
	RecordCacheMiB int
	// MemoryLimitMiB is the Go runtime's soft memory limit in MiB
	// (runtime/debug.SetMemoryLimit); 0 leaves the runtime's own: GOMEMLIMIT,
	// or none.
	MemoryLimitMiB int
	// Security is access control, query limits and database bounds
	// (security.go); its zero value is the documented defaults.
	Security securityConfig
}

// parseServeFlags reads the serve command's flags. Each flag's default comes
// from its environment variable when that is set.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	sample, err := parseBoolEnv("PARLEY_SAMPLE", getenv("PARLEY_SAMPLE"))
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return serveConfig{}, errUsage
	}

	cfg := serveConfig{Sample: sample}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: parley serve [flags]\n\nServe the GraphQL API at /graphql and the playground at /.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Addr, "addr", envOr(getenv, "PARLEY_ADDR", "127.0.0.1:8080"), "listen `address` (env PARLEY_ADDR)")
	fs.StringVar(&cfg.DB, "db", envOr(getenv, "PARLEY_DB", "./parley.db"), "database `file`, created when missing (env PARLEY_DB)")
	fs.BoolVar(&cfg.Sample, "sample", cfg.Sample,
		"load the sample data when the database file is new; an existing database is never seeded (env PARLEY_SAMPLE)")
	fs.IntVar(&cfg.ImportMaxRecords, "import-max-records", graph.DefaultMaxImportRecords,
		"most `records` one importStatements call takes (env PARLEY_IMPORT_MAX_RECORDS)")
	fs.Int64Var(&cfg.MaxBody, "max-body", defaultMaxBody,
		"largest request body in `bytes` (env PARLEY_MAX_BODY)")
	fs.Int64Var(&cfg.MaxImportBody, "max-import-body", defaultMaxImportBody,
		"largest body in `bytes` of a request that calls importStatements (env PARLEY_MAX_IMPORT_BODY)")
	fs.StringVar(&cfg.LogFormat, "log-format", envOr(getenv, "PARLEY_LOG_FORMAT", "text"),
		"log `format`: text or json (env PARLEY_LOG_FORMAT)")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo,
		"least severe `level` logged: debug, info, warn or error; warn leaves out the per-request lines (env PARLEY_LOG_LEVEL)")
	fs.DurationVar(&cfg.SlowQuery, "slow-query", defaultSlowQuery,
		"log operations that take longer than this `duration`; 0 logs none (env PARLEY_SLOW_QUERY)")
	fs.IntVar(&cfg.SubscriptionBuffer, "subscription-buffer", graph.DefaultSubscriptionBuffer,
		"most pending `changes` a subscription may have before it is dropped as too slow (env PARLEY_SUBSCRIPTION_BUFFER)")
	fs.IntVar(&cfg.RecordCacheMiB, "record-cache-mb", store.DefaultRecordCacheSize>>20,
		"`MiB` of memory for recently read statement records, at most 1024; 0 turns the cache off (env PARLEY_RECORD_CACHE_MB)")
	fs.IntVar(&cfg.MemoryLimitMiB, "memory-limit-mb", autoMemoryLimit,
		"soft limit in `MiB` of the process's Go memory, at least the record cache plus 64; 0: none (GOMEMLIMIT applies). Default: the record cache plus 136, unless GOMEMLIMIT is set (env PARLEY_MEMORY_LIMIT_MB)")
	checkSecurity := addSecurityFlags(fs, &cfg.Security, getenv)
	origins := fs.String("cors-origins", getenv("PARLEY_CORS_ORIGINS"),
		"comma-separated `origins` whose pages may call the API, such as https://app.example.org; \"*\" allows any (env PARLEY_CORS_ORIGINS)")
	if err := setFromEnv(fs, getenv); err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return cfg, errUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley serve: unexpected argument %q\n", fs.Arg(0))
		return cfg, errUsage
	}
	cfg.CORSOrigins = splitList(*origins)
	if err := checkSecurity(); err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return cfg, errUsage
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		fmt.Fprintf(stderr, "parley serve: --log-format %q: use text or json\n", cfg.LogFormat)
		return cfg, errUsage
	}
	if cfg.RecordCacheMiB < 0 || cfg.RecordCacheMiB > 1024 {
		fmt.Fprintln(stderr, "parley serve: --record-cache-mb must be between 0 and 1024")
		return cfg, errUsage
	}
	if cfg.MemoryLimitMiB == autoMemoryLimit {
		cfg.MemoryLimitMiB = defaultMemoryLimit(cfg.RecordCacheMiB, getenv)
	}
	if cfg.MemoryLimitMiB != 0 && cfg.MemoryLimitMiB < cfg.RecordCacheMiB+minMemoryHeadroomMiB {
		fmt.Fprintf(stderr, "parley serve: --memory-limit-mb must be 0 or at least the record cache plus %d (%d MiB)\n",
			minMemoryHeadroomMiB, cfg.RecordCacheMiB+minMemoryHeadroomMiB)
		return cfg, errUsage
	}
	if cfg.SlowQuery < 0 || cfg.SubscriptionBuffer < 1 {
		fmt.Fprintln(stderr, "parley serve: --slow-query must not be negative and --subscription-buffer must be positive")
		return cfg, errUsage
	}
	if cfg.ImportMaxRecords < 1 || cfg.MaxBody < 1 || cfg.MaxImportBody < cfg.MaxBody {
		fmt.Fprintln(stderr, "parley serve: --import-max-records and --max-body must be positive, and --max-import-body at least --max-body")
		return cfg, errUsage
	}
	return cfg, nil
}

// envInUsage finds the environment variable a flag's usage names.
var envInUsage = regexp.MustCompile(`\(env (PARLEY_[A-Z0-9_]+)\)`)

// setFromEnv gives each flag whose usage names an environment variable
// that variable's value, when set, through the flag itself: a value the
// flag refuses on the command line is refused from the environment too,
// with the variable's name, rather than ignored. Command-line flags,
// parsed after, win. Booleans are read by parseBoolEnv, which says the
// same.
func setFromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			return
		}
		m := envInUsage.FindStringSubmatch(f.Usage)
		if m == nil {
			return
		}
		v := strings.TrimSpace(getenv(m[1]))
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a valid --%s: %v", m[1], v, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

func parseBoolEnv(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean; use true or false", name, v)
	}
	return b, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
