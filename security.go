package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"parley/auth"
	"parley/graph"
)

// securityConfig is the serve command's access control, query limits and
// database bounds. Its zero value is the documented default, so that a
// config built in code (tests, benchmarks) is as safe as the command line's.
type securityConfig struct {
	// TokenFile holds the API tokens (parley token create); "" means
	// none, and then only a loopback server may start, with anonymous
	// writes for local use.
	TokenFile string
	// Private requires a read token for queries too.
	Private bool
	// InsecureAnonymousWrites lets requests without a token write even on
	// a server that other machines can reach.
	InsecureAnonymousWrites bool
	// DisableIntrospection turns introspection and field suggestions off.
	DisableIntrospection bool
	// Limits bound what one request may ask for; zero fields take
	// graph's defaults.
	Limits graph.Limits
	// MaxDBSize bounds the database file in bytes; 0 means no bound.
	MaxDBSize int64

	// keys are the tokens of TokenFile, loaded by serve.
	keys *auth.Keyring
}

// anonymousRole is the role of requests without a token.
func (c securityConfig) anonymousRole() auth.Role {
	switch {
	case c.Private:
		return auth.RoleNone
	case c.keys == nil, c.InsecureAnonymousWrites:
		return auth.RoleWrite
	}
	return auth.RoleRead
}

// addSecurityFlags defines the security flags on fs, each with its
// environment variable, and returns the check to run after parsing.
func addSecurityFlags(fs *flag.FlagSet, c *securityConfig, getenv func(string) string) func() error {
	fs.StringVar(&c.TokenFile, "token-file", getenv("PARLEY_TOKEN_FILE"),
		"`file` of API tokens (parley token create); without one only a loopback address may serve, with anonymous writes (env PARLEY_TOKEN_FILE)")
	var errs []error
	boolEnv := func(name string) bool {
		b, err := parseBoolEnv(name, getenv(name))
		errs = append(errs, err)
		return b
	}
	c.Private = boolEnv("PARLEY_PRIVATE")
	fs.BoolVar(&c.Private, "private", c.Private, "require a read token for queries too (env PARLEY_PRIVATE)")
	c.InsecureAnonymousWrites = boolEnv("PARLEY_INSECURE_ANONYMOUS_WRITES")
	fs.BoolVar(&c.InsecureAnonymousWrites, "insecure-anonymous-writes", c.InsecureAnonymousWrites,
		"let requests without a token write, even on an address other machines can reach (env PARLEY_INSECURE_ANONYMOUS_WRITES)")
	introspection := getenv("PARLEY_INTROSPECTION")
	c.DisableIntrospection = introspection != "" && !boolEnv("PARLEY_INTROSPECTION")
	fs.Var(negatedBool{&c.DisableIntrospection}, "introspection",
		"answer introspection queries and suggest field names; --introspection=false turns both off (env PARLEY_INTROSPECTION)")

	d := graph.DefaultLimits()
	for _, l := range []struct {
		p       *int
		name    string
		env     string
		def     int
		meaning string
	}{
		{&c.Limits.Depth, "max-depth", "PARLEY_MAX_DEPTH", d.Depth, "deepest nesting of fields in a query"},
		{&c.Limits.Complexity, "max-complexity", "PARLEY_MAX_COMPLEXITY", d.Complexity, "highest query cost: one per field, lists times their first/last"},
		{&c.Limits.Aliases, "max-aliases", "PARLEY_MAX_ALIASES", d.Aliases, "most aliases in a query"},
		{&c.Limits.Directives, "max-directives", "PARLEY_MAX_DIRECTIVES", d.Directives, "most directives in a query"},
		{&c.Limits.Tokens, "max-tokens", "PARLEY_MAX_TOKENS", d.Tokens, "most tokens in a query document (variables do not count)"},
		{&c.Limits.Selections, "max-selections", "PARLEY_MAX_SELECTIONS", d.Selections, "most fields and fragments in a query, fragments counted at every use"},
	} {
		fs.Var(intOrDefault{p: l.p, def: l.def}, l.name, fmt.Sprintf("%s (env %s)", l.meaning, l.env))
	}
	fs.Var(durationOrDefault{p: &c.Limits.Deadline, def: d.Deadline}, "request-timeout",
		"longest a GraphQL request may take before it ends with an error (env PARLEY_REQUEST_TIMEOUT)")
	fs.Int64Var(&c.MaxDBSize, "max-db-size", c.MaxDBSize,
		"largest database file in `bytes`; a write past it fails and changes nothing; 0 means no bound (env PARLEY_MAX_DB_SIZE)")

	return func() error {
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if c.Private && c.TokenFile == "" {
			return errors.New("--private needs --token-file: without tokens nobody could read")
		}
		if c.MaxDBSize != 0 && c.MaxDBSize < minMaxDBSize {
			return fmt.Errorf("--max-db-size must be 0 (no bound) or at least %d bytes (1 MiB): a new database needs more than the smallest sizes", minMaxDBSize)
		}
		return nil
	}
}

// minMaxDBSize is the smallest --max-db-size: room for a new database and
// a few writes. Below it the server could not even create its file.
const minMaxDBSize = 1 << 20

// intOrDefault is an int flag whose zero value means def; -h shows def.
type intOrDefault struct {
	p   *int
	def int
}

func (v intOrDefault) String() string {
	if v.p == nil || *v.p == 0 {
		return strconv.Itoa(v.def)
	}
	return strconv.Itoa(*v.p)
}

// Set takes a positive integer, or 0 for the default (as an unset
// environment variable).
func (v intOrDefault) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a positive integer (or 0 for the default)", s)
	}
	*v.p = n
	return nil
}

// durationOrDefault is a duration flag whose zero value means def.
type durationOrDefault struct {
	p   *time.Duration
	def time.Duration
}

func (v durationOrDefault) String() string {
	if v.p == nil || *v.p == 0 {
		return v.def.String()
	}
	return v.p.String()
}

// Set takes a positive duration, or 0 for the default.
func (v durationOrDefault) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a positive duration such as 10s (or 0 for the default)", s)
	}
	*v.p = d
	return nil
}

// negatedBool is a boolean flag stored negated: --introspection sets
// DisableIntrospection, whose zero value keeps introspection on.
type negatedBool struct{ p *bool }

func (v negatedBool) String() string {
	if v.p == nil {
		return "true"
	}
	return strconv.FormatBool(!*v.p)
}

func (v negatedBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.p = !b
	return nil
}

func (negatedBool) IsBoolFlag() bool { return true }

// loadKeys loads the token file, when there is one.
func (c *securityConfig) loadKeys() error {
	if c.TokenFile == "" {
		return nil
	}
	keys, err := auth.Load(c.TokenFile)
	if err != nil {
		return fmt.Errorf("%w (create tokens with: parley token create --token-file %s --role write --name NAME)", err, c.TokenFile)
	}
	c.keys = keys
	slog.Info("access control: tokens loaded", "file", c.TokenFile, "tokens", keys.Len(),
		"reads", map[bool]string{true: "need a read token", false: "public"}[c.Private])
	return nil
}

// checkExposure refuses to serve anonymous writes on addr (the listen
// address) when other machines can reach it, unless told to with
// --insecure-anonymous-writes; and says in the log when writes are open.
func (c securityConfig) checkExposure(addr string) error {
	if c.anonymousRole() != auth.RoleWrite {
		return nil
	}
	if !c.InsecureAnonymousWrites && !isLoopback(addr) {
		return fmt.Errorf("refusing to serve on %s, which other machines can reach, with anonymous writes: "+
			"give --token-file (create tokens with parley token create), serve on 127.0.0.1, "+
			"or pass --insecure-anonymous-writes if anyone may really write", addr)
	}
	if c.InsecureAnonymousWrites {
		slog.Warn("anonymous writes are on (--insecure-anonymous-writes): anyone who can reach the server may change its data", "addr", addr)
	} else {
		slog.Warn("no --token-file: anyone on this machine may write, for local use; give --token-file to require tokens", "addr", addr)
	}
	return nil
}

// authenticate identifies the caller of a WebSocket connection from the
// Authorization value of its first message.
func (c securityConfig) authenticate(ctx context.Context, authorization string) (context.Context, error) {
	return auth.Authenticate(ctx, c.keys, authorization)
}

// localHostsOnly refuses requests that name the server by anything but
// localhost or a loopback IP. A server with anonymous writes for local
// use listens on loopback, but a web page elsewhere could still reach it
// by DNS rebinding: its own host name, made to resolve to 127.0.0.1,
// makes the browser treat the server as the page's origin, so CORS
// would not stop the page from writing. Such requests carry that name in
// their Host header.
func localHostsOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLocalHost(r.Host) {
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN", fmt.Sprintf(
				"this server takes anonymous writes, for local use only, and answers only requests that name it localhost or a loopback IP, not %q; give it --token-file to serve it under other names", r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isLocalHost reports whether a Host header names this machine: localhost
// (or a name under .localhost, which resolves to loopback by RFC 6761) or
// a loopback IP, with or without a port.
func isLocalHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopback reports whether the listen address addr accepts connections
// from this machine only: its host is a loopback IP or a name that
// resolves to loopback IPs only. An empty host listens everywhere.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}
