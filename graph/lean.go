package graph

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/domain"
	"parley/graph/model"
)

// Lean rendering of the hot read results.
//
// gqlgen executes every field of every object through the same generic
// path: a FieldContext, a context value, a closure, the field middleware
// chain, a FieldSet and a deferred group per object, and a goroutine per
// list element. For a page of 20 statements that is about 5,000
// allocations, and for a 1,500-entry stance map 180,000: most of a read's
// cost (docs/benchmarks.md). The statement, position and stance-map results
// are plain data once their resolver has returned (their references are
// pre-joined by one batched read per page), so nothing in them can fail or
// needs a resolver. leanResults renders such a result straight to JSON.
//
// It only ever takes the fast path when the whole selection below the
// result is made of the plain fields listed in leanFields: a selection
// with an argument-taking or resolver field (totalCount, highlight,
// sources, evidence, a role's organization ...), or a @defer, is left to
// gqlgen, as is a result with a missing non-null value (gqlgen reports
// that as an error). Aliases, fragments, @skip and @include are applied by
// gqlgen's own CollectFields, so the fields and their order are gqlgen's.
// TestLeanMatchesGqlgen checks the output against gqlgen's for the same
// queries.

// leanType is a GraphQL object type that can be rendered lean.
type leanType uint8

const (
	leanNone leanType = iota // a scalar, enum or list of them
	leanStatementConnection
	leanStatementEdge
	leanPageInfo
	leanStatement
	leanSpeaker
	leanRole
	leanTopic
	leanDateValue
	leanStanceMap
	leanPosition
	leanPositionConnection
	leanPositionEdge
)

// leanObject is what the renderer needs of an object type: its name, the
// names it satisfies in fragments, and its plain fields with the type of
// each (leanNone for a scalar or enum).
type leanObject struct {
	name       string
	implements []string
	fields     map[string]leanType
}

var leanObjects = [...]leanObject{
	leanStatementConnection: {"StatementConnection", statementConnectionImplementors, map[string]leanType{
		"edges": leanStatementEdge, "pageInfo": leanPageInfo}},
	leanStatementEdge: {"StatementEdge", statementEdgeImplementors, map[string]leanType{
		"cursor": leanNone, "node": leanStatement}},
	leanPageInfo: {"PageInfo", pageInfoImplementors, map[string]leanType{
		"hasNextPage": leanNone, "hasPreviousPage": leanNone, "startCursor": leanNone, "endCursor": leanNone}},
	leanStatement: {"Statement", statementImplementors, map[string]leanType{
		"id": leanNone, "externalId": leanNone, "text": leanNone, "kind": leanNone, "speaker": leanSpeaker,
		"speakerRole": leanRole, "saidOn": leanDateValue, "dateText": leanNone, "location": leanNone,
		"context": leanNone, "language": leanNone, "topics": leanTopic, "createdAt": leanNone, "updatedAt": leanNone}},
	leanSpeaker: {"Speaker", speakerImplementors, map[string]leanType{
		"id": leanNone, "key": leanNone, "name": leanNone, "kind": leanNone, "aliases": leanNone,
		"description": leanNone, "country": leanNone, "wikidataId": leanNone, "roles": leanRole,
		"createdAt": leanNone, "updatedAt": leanNone}},
	leanRole: {"Role", roleImplementors, map[string]leanType{
		"title": leanNone, "from": leanDateValue, "to": leanDateValue}},
	leanTopic: {"Topic", topicImplementors, map[string]leanType{
		"id": leanNone, "key": leanNone, "name": leanNone, "description": leanNone,
		"createdAt": leanNone, "updatedAt": leanNone}},
	leanDateValue: {"DateValue", dateValueImplementors, map[string]leanType{
		"value": leanNone, "start": leanNone, "end": leanNone, "precision": leanNone}},
	leanStanceMap: {"StanceMap", stanceMapImplementors, map[string]leanType{
		"topic": leanTopic, "asOf": leanDateValue, "positions": leanPosition}},
	leanPosition: {"Position", positionImplementors, map[string]leanType{
		"id": leanNone, "speaker": leanSpeaker, "topic": leanTopic, "stance": leanNone, "summary": leanNone,
		"asOf": leanDateValue, "shift": leanNone, "createdAt": leanNone, "updatedAt": leanNone}},
	leanPositionConnection: {"PositionConnection", positionConnectionImplementors, map[string]leanType{
		"edges": leanPositionEdge, "pageInfo": leanPageInfo}},
	leanPositionEdge: {"PositionEdge", positionEdgeImplementors, map[string]leanType{
		"cursor": leanNone, "node": leanPosition}},
}

// leanPlan is a selection set resolved against one object type: the
// fields to write, in order.
type leanPlan struct {
	typeName string // for __typename
	fields   []leanField
	sizeHint atomic.Int64 // the size to allocate for a rendering
}

type leanField struct {
	name  string
	key   []byte    // `"responseKey":`, ready to append
	child *leanPlan // for an object-typed field
}

// planLean resolves sel against type t. It reports false when some field
// cannot be rendered lean.
func planLean(oc *graphql.OperationContext, sel ast.SelectionSet, t leanType) (*leanPlan, bool) {
	obj := &leanObjects[t]
	collected := graphql.CollectFields(oc, sel, obj.implements)
	p := &leanPlan{typeName: obj.name, fields: make([]leanField, 0, len(collected))}
	for _, f := range collected {
		if f.IsDeferred() || len(f.Arguments) > 0 {
			return nil, false
		}
		lf := leanField{name: f.Name}
		lf.key = append(appendJSONString(nil, f.Alias), ':')
		if f.Name != "__typename" {
			ct, ok := obj.fields[f.Name]
			if !ok {
				return nil, false
			}
			if ct != leanNone {
				if lf.child, ok = planLean(oc, f.Selections, ct); !ok {
					return nil, false
				}
			}
		}
		p.fields = append(p.fields, lf)
	}
	return p, true
}

// leanPlanCacheSize bounds the plans kept across requests: one per field
// of the documents clients send over and over, like gqlgen's query cache.
const leanPlanCacheSize = 1000

// leanPlanKey names a plan: a field of a parsed document, and the type of
// its result. The parsed document is gqlgen's cached one, the same object
// for every request with the same text; holding the field as a key keeps
// it alive, so its address cannot be reused by another document.
type leanPlanKey struct {
	field *ast.Field
	t     leanType
}

// leanPlans caches the plans of selections whose fields do not depend on
// variables (no @skip or @include anywhere below them), which is all a
// plan's inputs then: the document and the result type. A plan that
// could not be made is cached as nil.
var leanPlans = func() *lru.Cache[leanPlanKey, *leanPlan] {
	c, err := lru.New[leanPlanKey, *leanPlan](leanPlanCacheSize)
	if err != nil {
		panic(err) // only for a size below one
	}
	return c
}()

// cachedPlan returns the plan of field's selection for t, from the cache
// when the selection is the field's own (not merged with another
// occurrence of the same response key, which depends on what the
// variables include) and has no variable directives.
func cachedPlan(oc *graphql.OperationContext, field graphql.CollectedField, t leanType) (*leanPlan, bool) {
	if field.Field == nil || !sameSelections(field.Selections, field.Field.SelectionSet) {
		return planLean(oc, field.Selections, t)
	}
	key := leanPlanKey{field.Field, t}
	if p, ok := leanPlans.Get(key); ok {
		return p, p != nil
	}
	p, ok := planLean(oc, field.Selections, t)
	if !variableFree(oc.Doc, field.Selections, nil, 0) {
		return p, ok
	}
	if !ok {
		p = nil
	}
	leanPlans.Add(key, p)
	return p, ok
}

// sameSelections reports whether a and b hold the same selections.
func sameSelections(a, b ast.SelectionSet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// leanRenders counts the results rendered lean, for tests to tell that
// the fast path was taken.
var leanRenders atomic.Uint64

// leanJSON is a rendered result.
type leanJSON []byte

// MarshalGQL implements graphql.Marshaler.
func (j leanJSON) MarshalGQL(w io.Writer) { w.Write(j) }

// leanResults is the field middleware that renders statement, position
// and stance-map results lean when their selection allows; a field
// middleware may return a graphql.Marshaler in place of its result, and
// gqlgen writes it as the field's value.
func leanResults(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	var t leanType
	switch v := res.(type) {
	case *model.StatementConnection:
		t = leanIf(v != nil, leanStatementConnection)
	case *model.Statement:
		t = leanIf(v != nil, leanStatement)
	case *model.StanceMap:
		t = leanIf(v != nil, leanStanceMap)
	case *model.PositionConnection:
		t = leanIf(v != nil, leanPositionConnection)
	}
	if t == leanNone {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return res, err
	}
	plan, ok := cachedPlan(graphql.GetOperationContext(ctx), fc.Field, t)
	if !ok {
		return res, err
	}
	if b, ok := renderLean(make([]byte, 0, max(1024, plan.sizeHint.Load())), plan, t, res); ok {
		leanRenders.Add(1)
		// The next result of a cached plan is likely the same size: one
		// allocation instead of a doubling series.
		plan.sizeHint.Store(int64(len(b) + len(b)/8))
		return leanJSON(b), nil
	}
	return res, err
}

// leanIf is t when the result is there to render, leanNone otherwise (a
// typed nil that gqlgen writes as null).
func leanIf(present bool, t leanType) leanType {
	if present {
		return t
	}
	return leanNone
}

// renderLean appends v, a value of type t, as plan selects it. It reports
// false, and the caller discards b, when a non-null value is missing.
func renderLean(b []byte, p *leanPlan, t leanType, v any) ([]byte, bool) {
	switch t {
	case leanStatementConnection:
		c := v.(*model.StatementConnection)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "edges":
				return renderList(b, f.child, leanStatementEdge, c.Edges)
			case "pageInfo":
				return renderNonNull(b, f.child, leanPageInfo, c.PageInfo)
			}
			return b, false
		})
	case leanStatementEdge:
		e := v.(*model.StatementEdge)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "cursor":
				return appendJSONString(b, e.Cursor), true
			case "node":
				return renderNonNull(b, f.child, leanStatement, e.Node)
			}
			return b, false
		})
	case leanPositionConnection:
		c := v.(*model.PositionConnection)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "edges":
				return renderList(b, f.child, leanPositionEdge, c.Edges)
			case "pageInfo":
				return renderNonNull(b, f.child, leanPageInfo, c.PageInfo)
			}
			return b, false
		})
	case leanPositionEdge:
		e := v.(*model.PositionEdge)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "cursor":
				return appendJSONString(b, e.Cursor), true
			case "node":
				return renderNonNull(b, f.child, leanPosition, e.Node)
			}
			return b, false
		})
	case leanPageInfo:
		pi := v.(*model.PageInfo)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "hasNextPage":
				return strconv.AppendBool(b, pi.HasNextPage), true
			case "hasPreviousPage":
				return strconv.AppendBool(b, pi.HasPreviousPage), true
			case "startCursor":
				return appendOptString(b, pi.StartCursor), true
			case "endCursor":
				return appendOptString(b, pi.EndCursor), true
			}
			return b, false
		})
	case leanStatement:
		s := v.(*model.Statement)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "id":
				return appendID(b, s.ID), true
			case "externalId":
				return appendOptString(b, s.ExternalID), true
			case "text":
				return appendJSONString(b, s.Text), true
			case "kind":
				return appendEnum(b, string(s.Kind), s.Kind.Valid())
			case "speaker":
				return renderNonNull(b, f.child, leanSpeaker, s.Speaker)
			case "speakerRole":
				return renderNullable(b, f.child, leanRole, s.SpeakerRole)
			case "saidOn":
				return renderNullable(b, f.child, leanDateValue, s.SaidOn)
			case "dateText":
				return appendOptString(b, s.DateText), true
			case "location":
				return appendOptString(b, s.Location), true
			case "context":
				return appendOptString(b, s.Context), true
			case "language":
				return appendJSONString(b, s.Language), true
			case "topics":
				return renderList(b, f.child, leanTopic, s.Topics)
			case "createdAt":
				return appendDateTime(b, s.CreatedAt), true
			case "updatedAt":
				return appendDateTime(b, s.UpdatedAt), true
			}
			return b, false
		})
	case leanSpeaker:
		s := v.(*model.Speaker)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "id":
				return appendID(b, s.ID), true
			case "key":
				return appendJSONString(b, s.Key), true
			case "name":
				return appendJSONString(b, s.Name), true
			case "kind":
				return appendEnum(b, string(s.Kind), s.Kind.Valid())
			case "aliases":
				b = append(b, '[')
				for i, a := range s.Aliases {
					if i > 0 {
						b = append(b, ',')
					}
					b = appendJSONString(b, a)
				}
				return append(b, ']'), true
			case "description":
				return appendOptString(b, s.Description), true
			case "country":
				return appendOptString(b, s.Country), true
			case "wikidataId":
				return appendOptString(b, s.WikidataID), true
			case "roles":
				return renderList(b, f.child, leanRole, s.Roles)
			case "createdAt":
				return appendDateTime(b, s.CreatedAt), true
			case "updatedAt":
				return appendDateTime(b, s.UpdatedAt), true
			}
			return b, false
		})
	case leanRole:
		r := v.(*model.Role)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "title":
				return appendJSONString(b, r.Title), true
			case "from":
				return renderNullable(b, f.child, leanDateValue, r.From)
			case "to":
				return renderNullable(b, f.child, leanDateValue, r.To)
			}
			return b, false
		})
	case leanTopic:
		tp := v.(*model.Topic)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "id":
				return appendID(b, tp.ID), true
			case "key":
				return appendJSONString(b, tp.Key), true
			case "name":
				return appendJSONString(b, tp.Name), true
			case "description":
				return appendOptString(b, tp.Description), true
			case "createdAt":
				return appendDateTime(b, tp.CreatedAt), true
			case "updatedAt":
				return appendDateTime(b, tp.UpdatedAt), true
			}
			return b, false
		})
	case leanDateValue:
		d := v.(*domain.PartialDate)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "value":
				b = append(b, '"') // a date's text needs no escaping
				b, _ = d.AppendText(b)
				return append(b, '"'), true
			case "start":
				return appendDay(b, d.Start()), true
			case "end":
				return appendDay(b, d.End()), true
			case "precision":
				return appendJSONString(b, string(d.Precision())), true
			}
			return b, false
		})
	case leanStanceMap:
		m := v.(*model.StanceMap)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "topic":
				return renderNonNull(b, f.child, leanTopic, m.Topic)
			case "asOf":
				return renderNonNull(b, f.child, leanDateValue, m.AsOf)
			case "positions":
				return renderList(b, f.child, leanPosition, m.Positions)
			}
			return b, false
		})
	case leanPosition:
		ps := v.(*model.Position)
		return renderObject(b, p, func(b []byte, f *leanField) ([]byte, bool) {
			switch f.name {
			case "id":
				return appendID(b, ps.ID), true
			case "speaker":
				return renderNonNull(b, f.child, leanSpeaker, ps.Speaker)
			case "topic":
				return renderNonNull(b, f.child, leanTopic, ps.Topic)
			case "stance":
				return appendEnum(b, string(ps.Stance), ps.Stance.Valid())
			case "summary":
				return appendOptString(b, ps.Summary), true
			case "asOf":
				return renderNonNull(b, f.child, leanDateValue, &ps.AsOf)
			case "shift":
				return strconv.AppendBool(b, ps.Shift), true
			case "createdAt":
				return appendDateTime(b, ps.CreatedAt), true
			case "updatedAt":
				return appendDateTime(b, ps.UpdatedAt), true
			}
			return b, false
		})
	}
	return b, false
}

// renderObject writes the braces, keys and __typename of an object and
// asks field for the value of every other field.
func renderObject(b []byte, p *leanPlan, field func(b []byte, f *leanField) ([]byte, bool)) ([]byte, bool) {
	b = append(b, '{')
	for i := range p.fields {
		f := &p.fields[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		if f.name == "__typename" {
			b = appendJSONString(b, p.typeName)
			continue
		}
		var ok bool
		if b, ok = field(b, f); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// renderNonNull renders a non-null object field: a nil value is the
// error case that gqlgen must report.
func renderNonNull[T any](b []byte, p *leanPlan, t leanType, v *T) ([]byte, bool) {
	if v == nil {
		return b, false
	}
	return renderLean(b, p, t, v)
}

// renderNullable renders a nullable object field.
func renderNullable[T any](b []byte, p *leanPlan, t leanType, v *T) ([]byte, bool) {
	if v == nil {
		return append(b, "null"...), true
	}
	return renderLean(b, p, t, v)
}

// renderList renders a non-null list of non-null objects.
func renderList[T any](b []byte, p *leanPlan, t leanType, vs []*T) ([]byte, bool) {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = renderNonNull(b, p, t, v); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}
