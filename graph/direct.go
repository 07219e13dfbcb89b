package graph

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/domain"
	"parley/graph/model"
)

// Direct execution of plain reads.
//
// Once lean rendering (lean.go) covers the whole result of a query's only
// root field, what gqlgen's executor still does for it is machinery: an
// operation and a response context, the operation and response
// interceptor chains, a field set whose root field runs in a goroutine of
// its own, and the field middleware chain. For a statement by id that is
// about a third of the server's time per request (docs/benchmarks.md).
// direct runs such an operation itself, after gqlgen has parsed,
// validated and limited it and coerced its variables (CreateOperationContext,
// with the guard and the limits): it coerces the root field's arguments
// with the generated code, calls the resolver, renders the result lean
// and reports the operation to the observer as observeResponses would.
//
// Only success is answered here. An error, a null, a panic, a missing
// non-null value or a cancelled request all fall back to gqlgen, which
// runs the operation again from the start and answers it exactly as it
// always does: a read has no side effects, so running it twice costs time
// only, and only on the rare path. TestLeanMatchesGqlgen checks the answers
// against gqlgen's, byte for byte, and which path each case takes.

// directRoot is a root query field that direct can run.
type directRoot uint8

const (
	directStatement directRoot = iota + 1
	directStatements
	directStanceMap
	directPositions
)

// directRoots are the root fields direct runs, with the lean type of
// their result.
var directRoots = map[string]struct {
	root directRoot
	t    leanType
}{
	"statement":  {directStatement, leanStatement},
	"statements": {directStatements, leanStatementConnection},
	"stanceMap":  {directStanceMap, leanStanceMap},
	"positions":  {directPositions, leanPositionConnection},
}

// directPlan is how direct runs one operation: its only root field, and
// the lean plan of the field's selection.
type directPlan struct {
	root  directRoot
	field graphql.CollectedField
	lean  *leanPlan
	t     leanType
	head  []byte // `{"data":{"responseKey":`
}

// direct runs plain reads without gqlgen's executor; see above.
type direct struct {
	es    *executableSchema
	query QueryResolver
	store domain.Store
	obs   Observer
	// plans holds a plan, or nil for an operation direct leaves to
	// gqlgen, by gqlgen's cached operation: the same object for every
	// request with the same document, kept alive by the key.
	plans *lru.Cache[*ast.OperationDefinition, *directPlan]
}

// renderBuffers hold the buffers direct renders answers into: the
// response writer copies an answer, so its buffer serves the next one.
var renderBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledBuffer bounds the buffers kept in renderBuffers: a rare large
// answer (a stance map of thousands of entries) is not kept alive.
const maxPooledBuffer = 256 << 10

// directRuns counts the operations answered directly, for tests to tell
// which path a request took.
var directRuns atomic.Uint64

func newDirect(es *executableSchema, res *Resolver, store domain.Store, obs Observer) *direct {
	plans, err := lru.New[*ast.OperationDefinition, *directPlan](queryCacheSize)
	if err != nil {
		panic(err) // only for a size below one
	}
	return &direct{es: es, query: res.Query(), store: store, obs: obs, plans: plans}
}

// plan returns the plan of oc's operation, or nil when direct does not
// run it: not a query, not exactly one root field that direct knows, a
// selection lean rendering cannot cover, or one that depends on the
// variables (@skip, @include), whose plan could not be kept.
func (d *direct) plan(oc *graphql.OperationContext) *directPlan {
	op := oc.Operation
	if p, ok := d.plans.Get(op); ok {
		return p
	}
	var p *directPlan
	if op.Operation == ast.Query && len(op.Directives) == 0 && variableFree(oc.Doc, op.SelectionSet, nil, 0) {
		p = newDirectPlan(oc)
	}
	d.plans.Add(op, p)
	return p
}

func newDirectPlan(oc *graphql.OperationContext) *directPlan {
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})
	if len(fields) != 1 {
		return nil
	}
	f := fields[0]
	r, ok := directRoots[f.Name]
	if !ok || f.IsDeferred() {
		return nil
	}
	lp, ok := planLean(oc, f.Selections, r.t)
	if !ok {
		return nil
	}
	head := append([]byte(`{"data":{`), appendJSONString(nil, f.Alias)...)
	return &directPlan{root: r.root, field: f, lean: lp, t: r.t, head: append(head, ':')}
}

// serve answers oc's operation when direct can, and reports whether it
// did; when it reports false it has written nothing.
func (d *direct) serve(ctx context.Context, w http.ResponseWriter, oc *graphql.OperationContext) bool {
	p := d.plan(oc)
	if p == nil {
		return false
	}
	buf := renderBuffers.Get().(*[]byte)
	defer renderBuffers.Put(buf)
	b, ok := d.answer(ctx, oc, p, (*buf)[:0])
	if !ok {
		return false
	}
	if cap(b) <= maxPooledBuffer {
		*buf = b
	}
	directRuns.Add(1)
	leanRenders.Add(1)
	w.Header().Set("Content-Length", strconv.Itoa(len(b))) // not chunked: see writeResponse
	w.Write(b)
	info := OperationInfo{Name: oc.OperationName, Type: string(ast.Query), Query: oc.RawQuery}
	if info.Name == "" {
		info.Name = oc.Operation.Name
	}
	if start := oc.Stats.OperationStart; !start.IsZero() {
		info.Duration = graphql.Now().Sub(start)
	}
	d.obs.Operation(ctx, info)
	return true
}

// answer resolves p's field and appends the whole response to b. It
// reports false, and the operation is left to gqlgen, on anything but a
// result rendered whole: an error, a null, a missing non-null value, an
// ended request, or a panic, which gqlgen meets again when it runs the
// operation, recovers and reports as an INTERNAL error.
func (d *direct) answer(ctx context.Context, oc *graphql.OperationContext, p *directPlan, b []byte) (_ []byte, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	ec := newExecutionContext(oc, d.es, nil)
	ctx = context.WithValue(ctx, loadersKey{}, &lazyLoaders{store: d.store})
	res, err := d.resolve(ctx, ec, p)
	if err != nil || res == nil || ctx.Err() != nil {
		return nil, false
	}
	b, ok = renderLean(append(b, p.head...), p.lean, p.t, res)
	if !ok {
		return nil, false
	}
	return append(b, "}}"...), true
}

// resolve coerces the root field's arguments as the generated code does
// and calls its resolver; the result is a typed nil when the resolver
// found nothing, which serve leaves to gqlgen.
func (d *direct) resolve(ctx context.Context, ec *executionContext, p *directPlan) (any, error) {
	raw := p.field.ArgumentMap(ec.OperationContext.Variables)
	switch p.root {
	case directStatement:
		args, err := ec.field_Query_statement_args(ctx, raw)
		if err != nil {
			return nil, err
		}
		return nonNil(d.query.Statement(ctx, args["id"].(model.ID)))
	case directStatements:
		args, err := ec.field_Query_statements_args(ctx, raw)
		if err != nil {
			return nil, err
		}
		return nonNil(d.query.Statements(ctx, args["filter"].(*model.StatementFilter), args["orderBy"].(*domain.StatementOrder),
			args["first"].(*int), args["after"].(*string), args["last"].(*int), args["before"].(*string)))
	case directStanceMap:
		args, err := ec.field_Query_stanceMap_args(ctx, raw)
		if err != nil {
			return nil, err
		}
		return nonNil(d.query.StanceMap(ctx, args["topic"].(string), args["asOf"].(*domain.PartialDate)))
	case directPositions:
		args, err := ec.field_Query_positions_args(ctx, raw)
		if err != nil {
			return nil, err
		}
		return nonNil(d.query.Positions(ctx, args["filter"].(*model.PositionFilter),
			args["first"].(*int), args["after"].(*string), args["last"].(*int), args["before"].(*string)))
	}
	return nil, nil
}

// nonNil turns a typed nil result into an untyped one.
func nonNil[T any](v *T, err error) (any, error) {
	if v == nil || err != nil {
		return nil, err
	}
	return v, nil
}
