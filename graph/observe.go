package graph

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"parley/domain"
)

// Observer is told what the API does, for metrics and logs. The graph
// package knows what an operation is called and which error codes it
// returned; what to count and what to log is the observer's business. Its
// methods are called on request paths, concurrently: they must be quick
// and safe for concurrent use.
type Observer interface {
	// Operation reports a finished query or mutation, or a request that
	// never became an operation (a syntax or validation error), or a
	// subscription that failed to start. The events of a running
	// subscription are not operations.
	Operation(ctx context.Context, op OperationInfo)
	// Imported reports records that importStatements wrote (or skipped,
	// or rejected), by status; dry runs are not reported.
	Imported(status domain.ImportStatus, n int)
	// ImportGroup reports the calls of an import stream that one write
	// transaction committed together: 1 for a call that ran alone.
	ImportGroup(calls int)
	// Subscription reports that a subscription to field started, ended,
	// or was dropped for falling behind (then it also ends).
	Subscription(field string, ev SubscriptionEvent)
}

// OperationInfo describes a finished operation.
type OperationInfo struct {
	// Name is the operation name, "" for an anonymous one.
	Name string
	// Type is "query", "mutation" or "subscription"; "" when the document
	// has no valid operation to take it from.
	Type string
	// Query is the document as the client sent it, for slow-query logs.
	// Variables are never included: they carry the client's data.
	Query string
	// Duration runs from the arrival of the request to the end of the
	// response.
	Duration time.Duration
	// Codes are the extensions.code of the response's errors, in order,
	// without duplicates; empty for a response without errors.
	Codes []string
}

// SubscriptionEvent is what happened to a subscription.
type SubscriptionEvent int

// The subscription events.
const (
	SubscriptionStarted SubscriptionEvent = iota
	SubscriptionEnded
	SubscriptionDropped
)

// nopObserver is the Observer of a server built without one.
type nopObserver struct{}

func (nopObserver) Operation(context.Context, OperationInfo) {}
func (nopObserver) Imported(domain.ImportStatus, int)        {}
func (nopObserver) ImportGroup(int)                          {}
func (nopObserver) Subscription(string, SubscriptionEvent)   {}

// observeResponses is the response interceptor that reports operations.
// A query or mutation has one response. A subscription has one per event,
// then a nil response when its stream ends: it is reported then, once,
// with its lifetime as duration and the codes of the errors it sent.
func observeResponses(o Observer) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		var info OperationInfo
		start := graphql.GetStartTime(ctx)
		if graphql.HasOperationContext(ctx) {
			oc := graphql.GetOperationContext(ctx)
			info.Name, info.Query = oc.OperationName, oc.RawQuery
			if oc.Operation != nil {
				info.Type = string(oc.Operation.Operation)
				if info.Name == "" {
					info.Name = oc.Operation.Name
				}
			}
			if !oc.Stats.OperationStart.IsZero() {
				start = oc.Stats.OperationStart
			}
		}
		if sub, ok := ctx.Value(subscriptionKey{}).(*subscriptionCodes); ok {
			if !sub.end(resp) {
				return resp
			}
			info.Codes = sub.codes
		} else if resp != nil {
			info.Codes = errorCodes(resp, nil)
		}
		if !start.IsZero() {
			info.Duration = time.Since(start)
		}
		o.Operation(ctx, info)
		return resp
	}
}

type subscriptionKey struct{}

// subscriptionCodes gathers the error codes of a subscription's events.
type subscriptionCodes struct {
	mu    sync.Mutex
	codes []string
	ended bool
}

// end records the codes of resp and reports whether resp ends the
// stream, the first time it does.
func (s *subscriptionCodes) end(resp *graphql.Response) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if resp != nil {
		s.codes = errorCodes(resp, s.codes)
		return false
	}
	if s.ended {
		return false
	}
	s.ended = true
	return true
}

// observeSubscriptions is the operation interceptor that lets
// observeResponses tell the end of a subscription from its events.
func observeSubscriptions(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if isSubscription(ctx) {
		ctx = context.WithValue(ctx, subscriptionKey{}, &subscriptionCodes{})
	}
	return next(ctx)
}

// errorCodes adds the extensions.code values of resp's errors to codes,
// without duplicates.
func errorCodes(resp *graphql.Response, codes []string) []string {
	for _, e := range resp.Errors {
		code, _ := e.Extensions[extCode].(string)
		if code == "" {
			code = string(domain.CodeInternal)
		}
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	return codes
}

// reportImport tells o what an import wrote, skipped or rejected, by
// status; a dry run wrote nothing and is not reported.
func reportImport(o Observer, rep *domain.ImportReport, opts domain.ImportOptions) {
	if opts.DryRun {
		return
	}
	for status, n := range map[domain.ImportStatus]int{
		domain.ImportCreated:   rep.Created,
		domain.ImportUpdated:   rep.Updated,
		domain.ImportUnchanged: rep.Unchanged,
		domain.ImportSkipped:   rep.Skipped,
		domain.ImportFailed:    rep.Failed,
	} {
		if n > 0 {
			o.Imported(status, n)
		}
	}
}
