package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/auth"
	"parley/domain"
)

// This file decides which operations a request may run, and carries what
// the HTTP layer needs to answer errors found before execution with the
// right status.
//
// The auth middleware puts the caller in the request context; the guard
// refuses, before anything runs, a mutation from a caller without the
// write role and any operation from a caller without the read role (a
// private server's anonymous caller). A refused request gets 401
// UNAUTHENTICATED when it carried no token and 403 FORBIDDEN when its
// token's role is too small. A mutation sent with GET gets 405: GET must
// stay safe to prefetch and cache, and a link must never write.

// ExtRequestID is the extensions key of an INTERNAL error that holds the
// request id, which the server's log lines of that request carry too.
const ExtRequestID = "requestId"

// requestState is what Protect keeps for one request.
type requestState struct {
	method string

	mu     sync.Mutex // guards what the guard sets and the writer reads
	status int
	header http.Header
	// write says the operation is a mutation. Its answer is never
	// replaced by the deadline's error: a write that committed after the
	// deadline must still say so, with the ids it made, or a client that
	// retries would write twice.
	write bool
}

type requestKey struct{}
type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a random request id.
func NewRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// setStatus makes the response of the request in ctx use status and the
// headers in hdr, whatever gqlgen's transport writes.
func setStatus(ctx context.Context, status int, hdr http.Header) {
	st, ok := ctx.Value(requestKey{}).(*requestState)
	if !ok {
		return // not behind Protect: gqlgen's own status applies
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.status, st.header = status, hdr
}

// markWrite records that the request in ctx runs a mutation.
func markWrite(ctx context.Context) {
	if st, ok := ctx.Value(requestKey{}).(*requestState); ok {
		st.mu.Lock()
		st.write = true
		st.mu.Unlock()
	}
}

func method(ctx context.Context) string {
	if st, ok := ctx.Value(requestKey{}).(*requestState); ok {
		return st.method
	}
	return ""
}

// Protect wraps the GraphQL handler api (from NewServer, with the same
// opts) with what must happen around it at the HTTP level: the per-request
// deadline, and the status of errors the guard finds before execution
// (401, 403, 405), which gqlgen's transports cannot express.
//
// A request that runs past its deadline ends with 503 and a GraphQL
// error. Its context ends at the deadline, so the store stops at its next
// transaction (a request that is already writing finishes its
// transaction or rolls it back, never half of it) and the executor stops
// resolving; when the handler then answers, past its deadline, the
// answer is replaced by the deadline error.
//
// The handler runs in the request's own goroutine and writes straight to
// the connection. http.TimeoutHandler would answer at the deadline even
// for a handler that ignores its context, but at the price of a goroutine
// and a buffered copy of every response: about a third of a small read's
// cost (docs/benchmarks.md). Every path of this server watches its
// context, so the guarantee is kept without the price.
func Protect(api http.Handler, opts Options) http.Handler {
	d := opts.Limits.withDefaults().Deadline
	late := []byte(fmt.Sprintf(deadlineMessage, d))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if RequestID(ctx) == "" {
			ctx = WithRequestID(ctx, NewRequestID())
		}
		if auth.IsWebSocket(r) {
			// A WebSocket lives as long as its subscriptions and needs
			// the connection itself: no deadline, no status rewriting,
			// and its operations are not GET requests. Its handshake's
			// token, if any, is kept to be looked up again (recheckKey).
			ctx = context.WithValue(ctx, handshakeAuthKey{}, r.Header.Get("Authorization"))
			api.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		dctx, release := withDeadlineContext(ctx, time.Now().Add(d))
		defer release()
		st := &requestState{method: r.Method}
		ctx = context.WithValue(dctx, requestKey{}, st)
		api.ServeHTTP(&answerWriter{ResponseWriter: w, st: st, deadline: dctx, late: late}, r.WithContext(ctx))
	})
}

// answerWriter starts the answer: with the deadline error in place of a
// query's answer that starts past the deadline, and otherwise with the
// status and headers the guard chose, if it chose any.
type answerWriter struct {
	http.ResponseWriter
	st       *requestState
	deadline context.Context
	late     []byte // the deadline error

	started bool
	wasLate bool
}

func (w *answerWriter) start(code int) {
	if w.started {
		return
	}
	w.started = true
	w.st.mu.Lock()
	write := w.st.write
	w.st.mu.Unlock()
	if !write && errors.Is(w.deadline.Err(), context.DeadlineExceeded) {
		w.wasLate = true
		h := w.Header()
		h.Del("Content-Length")
		h.Set("Content-Type", "application/json")
		w.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
		w.ResponseWriter.Write(w.late)
		return
	}
	w.st.mu.Lock()
	status, hdr := w.st.status, w.st.header
	w.st.mu.Unlock()
	if status != 0 {
		code = status
		for k, v := range hdr {
			w.Header()[k] = v
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) WriteHeader(code int) { w.start(code) }

func (w *answerWriter) Write(b []byte) (int, error) {
	w.start(http.StatusOK)
	if w.wasLate {
		return len(b), nil // the deadline error went out instead
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// installGuard adds the guard and the request ids of internal errors to srv.
func installGuard(srv *handler.Server) {
	srv.Use(guard{})
	srv.AroundResponses(tagInternalErrors)
}

// guard refuses operations the caller may not run.
type guard struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = guard{}

func (guard) ExtensionName() string                   { return "Guard" }
func (guard) Validate(graphql.ExecutableSchema) error { return nil }

func (guard) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op.Operation == ast.Subscription && method(ctx) != "" {
		// Over HTTP a subscription would wait for its first event until
		// the request's deadline: refuse it at once.
		setStatus(ctx, http.StatusBadRequest, nil)
		return codedError(domain.CodeBadUserInput, op.Position, "subscriptions need a WebSocket: connect to this endpoint with the graphql-transport-ws protocol")
	}
	need := auth.RoleRead
	if op.Operation == ast.Mutation {
		if method(ctx) == http.MethodGet {
			setStatus(ctx, http.StatusMethodNotAllowed, http.Header{"Allow": {http.MethodPost}})
			return codedError(domain.CodeBadUserInput, op.Position, "mutations must be sent with POST; GET runs queries only")
		}
		need = auth.RoleWrite
		markWrite(ctx)
	}
	c, ok, err := currentCaller(ctx)
	if err != nil {
		return codedError(domain.CodeUnauthenticated, op.Position, err.Error())
	}
	if !ok || c.Role.Allows(need) {
		// Without a caller the handler runs behind no auth middleware:
		// access control is the embedding server's choice.
		return nil
	}
	status, code, msg := auth.Denial(c, need)
	var hdr http.Header
	if status == http.StatusUnauthorized {
		hdr = http.Header{"Www-Authenticate": {auth.Challenge}}
	}
	setStatus(ctx, status, hdr)
	return codedError(domain.Code(code), op.Position, msg)
}

// socketDeadline gives each query and mutation that arrives over a
// WebSocket the deadline Protect gives an HTTP request: a socket has no
// request around its operations to carry one. Subscriptions live as long
// as the client wants. A query's answer that the deadline cut short
// becomes the deadline's error, as over HTTP.
func socketDeadline(d time.Duration) graphql.ResponseMiddleware {
	late := &gqlerror.Error{
		Message:    fmt.Sprintf(deadlineText, d),
		Extensions: map[string]any{extCode: string(domain.CodeInternal), "limit": "deadline"},
	}
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if _, overHTTP := ctx.Value(requestKey{}).(*requestState); overHTTP || !graphql.HasOperationContext(ctx) {
			return next(ctx)
		}
		op := graphql.GetOperationContext(ctx).Operation
		if op == nil || op.Operation == ast.Subscription {
			return next(ctx)
		}
		dctx, release := withDeadlineContext(ctx, time.Now().Add(d))
		defer release()
		resp := next(dctx)
		if op.Operation == ast.Query && errors.Is(dctx.Err(), context.DeadlineExceeded) {
			// A mutation's answer stays: see requestState.write.
			return &graphql.Response{Errors: gqlerror.List{late}}
		}
		return resp
	}
}

// recheckKey holds, in a WebSocket connection's context, the function that
// looks its token up again. An HTTP request is authenticated as it
// arrives and ends soon after; a socket authenticates once and may live
// for days, so each of its operations, and each batch of events a
// subscription sends, asks again: a revoked token stops working on open
// sockets as soon as on new requests.
type recheckKey struct{}

// handshakeAuthKey holds the Authorization header of a WebSocket's
// handshake, for clients that authenticate there rather than in
// connection_init.
type handshakeAuthKey struct{}

// errTokenGone is what an open socket gets once its token is revoked.
var errTokenGone = errors.New("the token this connection authenticated with is no longer valid; connect again with a valid token")

// withRecheck returns ctx with recheck, which authenticates the
// connection's token again and returns a context with the caller it is
// now.
func withRecheck(ctx context.Context, recheck func() (context.Context, error)) context.Context {
	return context.WithValue(ctx, recheckKey{}, recheck)
}

// currentCaller returns the caller in ctx, and whether there is one; on a
// WebSocket, as its token stands now, or errTokenGone.
func currentCaller(ctx context.Context) (auth.Caller, bool, error) {
	if recheck, ok := ctx.Value(recheckKey{}).(func() (context.Context, error)); ok {
		fresh, err := recheck()
		if err != nil {
			return auth.Caller{}, false, errTokenGone
		}
		ctx = fresh
	}
	c, ok := auth.CallerIn(ctx)
	return c, ok, nil
}

func codedError(code domain.Code, pos *ast.Position, msg string) *gqlerror.Error {
	err := &gqlerror.Error{Message: msg, Extensions: map[string]any{extCode: string(code)}}
	if pos != nil {
		err.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return err
}

// tagInternalErrors adds the request id to INTERNAL errors, so that a user
// who reports one gives the operator what finds its log lines.
func tagInternalErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	id := RequestID(ctx)
	if id == "" {
		return resp
	}
	for _, e := range resp.Errors {
		if code, _ := e.Extensions[extCode].(string); code == string(domain.CodeInternal) {
			e.Extensions[ExtRequestID] = id
		}
	}
	return resp
}
