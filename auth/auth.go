// Package auth is Parley's access control: API tokens with roles, kept as
// SHA-256 hashes in a token file, and the HTTP middleware that tells who is
// calling.
//
// A token is a random secret shown once, when it is created; the file holds
// only its hash, so a leaked file gives no access. A request names its token
// in an "Authorization: Bearer <token>" header. The middleware puts the
// caller (the token's name and role, or the anonymous caller) in the
// request's context; the GraphQL layer and the admin endpoints decide from
// that role what the request may do. Tokens are never logged.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Role is what a caller may do. Each role includes the ones below it:
// admin may write, and write may read.
type Role int8

// The roles, in increasing order of rights.
const (
	// RoleNone may do nothing: the anonymous caller of a private server.
	RoleNone Role = iota
	// RoleRead may run queries.
	RoleRead
	// RoleWrite may also run mutations.
	RoleWrite
	// RoleAdmin may also take backups and use the other admin endpoints.
	RoleAdmin
)

var roleNames = [...]string{RoleNone: "none", RoleRead: "read", RoleWrite: "write", RoleAdmin: "admin"}

// String returns the role's name as the token file and the command line
// spell it.
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole parses a role name given to a token: read, write or admin.
func ParseRole(s string) (Role, error) {
	switch s {
	case "read":
		return RoleRead, nil
	case "write":
		return RoleWrite, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q; the roles are read, write and admin", s)
}

// Allows reports whether a caller with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r >= need }

// MarshalText implements encoding.TextMarshaler, for the token file.
func (r Role) MarshalText() ([]byte, error) {
	if r < RoleRead || r > RoleAdmin {
		return nil, fmt.Errorf("role %v cannot be given to a token", r)
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, for the token file.
func (r *Role) UnmarshalText(b []byte) error {
	role, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = role
	return nil
}

// Caller is who sent a request: the name of the token it carried and that
// token's role, or the anonymous caller (no name) with the role the server
// gives requests without a token.
type Caller struct {
	Name string
	Role Role
}

// Anonymous reports whether the request carried no token.
func (c Caller) Anonymous() bool { return c.Name == "" }

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller that Middleware put in ctx. Without one, it
// returns the anonymous caller with RoleNone: code that forgot the
// middleware fails closed.
func CallerFrom(ctx context.Context) Caller {
	c, _ := CallerIn(ctx)
	return c
}

// CallerIn returns the caller in ctx and whether there is one: a context
// that did not pass through Middleware has none.
func CallerIn(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// IsWebSocket reports whether r is a WebSocket handshake: its Upgrade
// header names websocket (RFC 6455, section 4.2.1). Other upgrades, such
// as the "h2c" that curl --http2 sends with an ordinary request, are not.
func IsWebSocket(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "websocket") {
				return true
			}
		}
	}
	return false
}

// Middleware identifies the caller of each request and puts it in the
// request's context for next. A request without an Authorization header is
// the anonymous caller with role anonymous. A request whose header is
// malformed or names a token that keys does not know is refused with 401
// UNAUTHENTICATED, whatever it asks for: a client that sends a token means
// to use it, and silently serving it as anonymous would hide the mistake.
// When anonymous is RoleNone (a private server), requests without a token
// are refused the same way.
//
// keys may be nil: the server has no token file, and every token is unknown.
//
// A WebSocket handshake without a token passes even on a private server,
// as the anonymous caller: browsers cannot set headers on a WebSocket, so
// its client authenticates in its first message (see Authenticate), and
// the GraphQL layer checks every operation's role.
func Middleware(next http.Handler, keys *Keyring, anonymous Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" && anonymous == RoleNone && !IsWebSocket(r) {
			Deny(w, Caller{}, RoleRead)
			return
		}
		c, err := identify(keys, anonymous, header)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), c)))
	})
}

// Authenticate returns ctx carrying the caller that authorization (the
// value of an Authorization header, "Bearer <token>") names, for transports
// that carry it elsewhere than in a header: a WebSocket's connection_init
// message. An empty authorization leaves ctx as it is; an unknown token is
// an error.
func Authenticate(ctx context.Context, keys *Keyring, authorization string) (context.Context, error) {
	if authorization == "" {
		return ctx, nil
	}
	c, err := identify(keys, RoleNone, authorization)
	if err != nil {
		return ctx, err
	}
	return WithCaller(ctx, c), nil
}

// identify returns the caller an Authorization header value names: the
// anonymous caller with role anonymous when it is empty.
func identify(keys *Keyring, anonymous Role, header string) (Caller, error) {
	if header == "" {
		return Caller{Role: anonymous}, nil
	}
	token, ok := bearer(header)
	if !ok {
		return Caller{}, errors.New("the Authorization header must be \"Bearer <token>\"")
	}
	c, ok := keys.Lookup(token)
	if !ok {
		return Caller{}, errors.New("the token is not valid: it is unknown or was revoked")
	}
	return c, nil
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
// The scheme is case-insensitive (RFC 9110, section 11.1).
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != "" && len(token) <= maxTokenLen
}

// Require lets only callers whose role allows need reach next; the others
// get 401 (anonymous) or 403 (a token with too small a role).
func Require(need Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := CallerFrom(r.Context()); !c.Role.Allows(need) {
			Deny(w, c, need)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Deny answers a request of caller c that needs role need: 401
// UNAUTHENTICATED when c is anonymous, 403 FORBIDDEN when c's token has too
// small a role.
func Deny(w http.ResponseWriter, c Caller, need Role) {
	status, code, msg := Denial(c, need)
	writeError(w, status, code, msg)
}

// Denial is the HTTP status, error code and message that refuse caller c
// something that needs role need.
func Denial(c Caller, need Role) (status int, code, message string) {
	if c.Anonymous() {
		return http.StatusUnauthorized, "UNAUTHENTICATED",
			fmt.Sprintf("this needs a token with the %s role; send it as \"Authorization: Bearer <token>\"", need)
	}
	return http.StatusForbidden, "FORBIDDEN",
		fmt.Sprintf("token %q has the %s role; this needs the %s role", c.Name, c.Role, need)
}

// Challenge is the WWW-Authenticate header value of a 401 answer.
const Challenge = `Bearer realm="parley"`

// writeError writes a GraphQL-shaped error, as every Parley endpoint does.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", Challenge)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
