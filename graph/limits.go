package graph

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	hlru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"parley/domain"
)

// This file bounds the work one request can ask of the server. A GraphQL
// document is small to send and can be expensive to answer: deep nesting,
// lists of lists, thousands of aliases or repeated fields. Each bound has a
// documented default (docs/security.md), a flag, and an error that names it:
// extensions.code BAD_USER_INPUT, extensions.limit the bound's name and
// extensions.max its value, with HTTP status 422 (400 for clients that
// accept application/graphql-response+json).
//
// The structural bounds (tokens, depth, aliases, directives, selections)
// are checked on the raw document before gqlparser validates it, because
// validation itself is the first expensive step: its overlapping-fields
// rule is quadratic in the fields that share a name, and a few thousand
// repeated fields cost seconds. Complexity needs the validated document
// and is checked right after validation, before anything runs.

// Limits bound what one request may ask for. A zero field takes its
// default.
type Limits struct {
	// Depth bounds how deeply fields nest: { a { b } } has depth 2.
	// Introspection fields (__schema, __type) and what they select do not
	// count: gqlparser bounds introspection depth itself, and the
	// playground's introspection query nests deeper than any data query.
	Depth int
	// Complexity bounds the estimated cost: one per field, and a
	// connection costs its selection times the page size it asks for
	// (first or last, 20 when neither is given).
	Complexity int
	// Aliases bounds the aliased fields, fragments counted at every use.
	Aliases int
	// Directives bounds the directives used, fragments counted at every use.
	Directives int
	// Tokens bounds the lexical tokens of the document (names,
	// punctuation, values). Variables do not count, so bulk data sent in
	// variables is bounded only by the body size.
	Tokens int
	// Selections bounds the fields, fragment spreads and inline fragments
	// of the document with fragments expanded at every use: it keeps
	// validation cheap and stops fragment "billion laughs".
	Selections int
	// Deadline bounds how long a request may take.
	Deadline time.Duration
}

// The default limits. They leave ample room for every query in README.md
// and the playground's introspection, and stop documents built to exhaust
// the server.
const (
	DefaultMaxDepth      = 12
	DefaultMaxComplexity = 20000
	DefaultMaxAliases    = 30
	DefaultMaxDirectives = 50
	DefaultMaxTokens     = 2000
	DefaultMaxSelections = 1000
	DefaultDeadline      = 10 * time.Second
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		Depth:      DefaultMaxDepth,
		Complexity: DefaultMaxComplexity,
		Aliases:    DefaultMaxAliases,
		Directives: DefaultMaxDirectives,
		Tokens:     DefaultMaxTokens,
		Selections: DefaultMaxSelections,
		Deadline:   DefaultDeadline,
	}
}

// withDefaults fills the zero fields of l with their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.Depth, &d.Depth}, {&l.Complexity, &d.Complexity}, {&l.Aliases, &d.Aliases},
		{&l.Directives, &d.Directives}, {&l.Tokens, &d.Tokens}, {&l.Selections, &d.Selections},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if l.Deadline <= 0 {
		l.Deadline = d.Deadline
	}
	return l
}

// Keys of the extensions map of a limit error.
const (
	extLimit = "limit"
	extMax   = "max"
)

func init() {
	// Errors found before execution get a 4xx status only when gqlgen
	// knows their code as a protocol error; unknown codes get 200. The
	// limits and the guard (guard.go) report with these codes.
	for _, code := range []domain.Code{domain.CodeBadUserInput, domain.CodeUnauthenticated, domain.CodeForbidden} {
		errcode.RegisterErrorType(string(code), errcode.KindProtocol)
	}
}

// limitError reports that a document exceeds limit name, whose value is
// max, at pos when known.
func limitError(name string, max int, pos *ast.Position, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	if pos != nil {
		err.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	err.Extensions = map[string]any{extCode: string(domain.CodeBadUserInput), extLimit: name, extMax: max}
	return err
}

// installLimits adds the limits and the introspection setting to srv.
func installLimits(srv *handler.Server, opts Options) {
	lim := opts.Limits.withDefaults()
	srv.Use(documentLimits{Limits: lim, passed: lru.New[struct{}](queryCacheSize)})
	srv.Use(&complexityLimit{max: lim.Complexity})
	if opts.DisableIntrospection {
		// Without the Introspection extension gqlgen refuses __schema and
		// __type only when it resolves them, as an error without a code;
		// the validation rule refuses them up front, with a clear message.
		// Suggestions ("did you mean ...?") would list the schema's names
		// one typo at a time, so they go too.
		srv.SetValidationRulesFn(func() *rules.Rules {
			r := rules.NewDefaultRules()
			r.AddRule(noIntrospection.Name, noIntrospection.RuleFunc)
			return r
		})
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
}

// noIntrospection is the validation rule of a server whose introspection
// is off.
var noIntrospection = core.Rule{Name: "NoIntrospection", RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
	observers.OnField(func(_ *core.Walker, field *ast.Field) {
		if field.Name == "__schema" || field.Name == "__type" {
			addError(core.Message("introspection is disabled on this server; the schema is documented in schema.graphqls"), core.At(field.Position))
		}
	})
}}

// documentLimits checks the structural limits on the raw document, before
// gqlgen parses and validates it. Clients send the same few documents over
// and over, so the documents that passed are remembered, as gqlgen
// remembers parsed ones: the check costs a lookup after the first time.
type documentLimits struct {
	Limits
	passed graphql.Cache[struct{}]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimits{}

func (documentLimits) ExtensionName() string                   { return "DocumentLimits" }
func (documentLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (d documentLimits) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if _, ok := d.passed.Get(ctx, params.Query); ok {
		return nil
	}
	if err := d.check(params.Query); err != nil {
		return err
	}
	d.passed.Add(ctx, params.Query, struct{}{})
	return nil
}

// check measures query against the limits.
func (d documentLimits) check(query string) *gqlerror.Error {
	if n := countTokens(query, d.Tokens); n > d.Tokens {
		return limitError("tokens", d.Tokens, nil,
			"the document has more than %d tokens; send data in variables, which do not count, or split the request", d.Tokens)
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil // gqlgen parses it again and reports the syntax error
	}
	w := walker{lim: d.Limits, doc: doc, using: map[string]bool{}}
	for _, op := range doc.Operations {
		w.directives(op.Directives, op.Position)
		for _, v := range op.VariableDefinitions {
			w.directives(v.Directives, v.Position)
		}
		w.selectionSet(op.SelectionSet, 0, false)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

// countTokens counts the tokens of query, stopping once past limit. A
// lexical error ends the count: the parser reports it.
func countTokens(query string, limit int) int {
	lex := lexer.New(&ast.Source{Input: query})
	n := 0
	for n <= limit {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			break
		}
		n++
	}
	return n
}

// walker measures a document's operations, fragments expanded at every
// use, and stops at the first limit exceeded.
type walker struct {
	lim   Limits
	doc   *ast.QueryDocument
	using map[string]bool // fragments being expanded, against cycles

	aliases, directiveCount, selections int
	err                                 *gqlerror.Error
}

func (w *walker) selectionSet(set ast.SelectionSet, depth int, introspection bool) {
	for _, sel := range set {
		if w.err != nil {
			return
		}
		if w.selections++; w.selections > w.lim.Selections {
			w.err = limitError("selections", w.lim.Selections, position(sel),
				"the document selects more than %d fields and fragments (fragments count at every use); ask for less", w.lim.Selections)
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			w.directives(s.Directives, s.Position)
			if s.Alias != "" && s.Alias != s.Name {
				if w.aliases++; w.aliases > w.lim.Aliases {
					w.err = limitError("aliases", w.lim.Aliases, s.Position,
						"the document has more than %d aliases; ask for fewer aliased fields", w.lim.Aliases)
					return
				}
			}
			introspection := introspection || s.Name == "__schema" || s.Name == "__type"
			if !introspection && depth+1 > w.lim.Depth {
				w.err = limitError("depth", w.lim.Depth, s.Position,
					"fields nest more than %d deep at %q; ask for less nested data", w.lim.Depth, s.Name)
				return
			}
			w.selectionSet(s.SelectionSet, depth+1, introspection)
		case *ast.InlineFragment:
			w.directives(s.Directives, s.Position)
			w.selectionSet(s.SelectionSet, depth, introspection)
		case *ast.FragmentSpread:
			w.directives(s.Directives, s.Position)
			def := w.doc.Fragments.ForName(s.Name)
			if def == nil || w.using[s.Name] {
				continue // unknown or cyclic: validation reports it
			}
			w.using[s.Name] = true
			w.directives(def.Directives, def.Position)
			w.selectionSet(def.SelectionSet, depth, introspection)
			w.using[s.Name] = false
		}
	}
}

func (w *walker) directives(list ast.DirectiveList, pos *ast.Position) {
	if w.err != nil || len(list) == 0 {
		return
	}
	if w.directiveCount += len(list); w.directiveCount > w.lim.Directives {
		w.err = limitError("directives", w.lim.Directives, pos,
			"the document uses more than %d directives; use fewer", w.lim.Directives)
	}
}

func position(sel ast.Selection) *ast.Position {
	switch s := sel.(type) {
	case *ast.Field:
		return s.Position
	case *ast.InlineFragment:
		return s.Position
	case *ast.FragmentSpread:
		return s.Position
	}
	return nil
}

// complexityLimit is gqlgen's complexity extension over a schema whose
// connections cost their page size times their selection, with its error
// coded like the other limits.
//
// An operation whose page sizes are literals and which has no directives
// costs the same whatever its variables; once such an operation has
// passed, it is remembered and not priced again: pricing walks the whole
// operation and is a tenth of a small read's cost.
type complexityLimit struct {
	max    int
	inner  *extension.ComplexityLimit
	passed *hlru.Cache[*ast.OperationDefinition, struct{}] // keyed by gqlgen's cached documents
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*complexityLimit)(nil)

func (c *complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.inner = extension.FixedComplexityLimit(c.max)
	passed, err := hlru.New[*ast.OperationDefinition, struct{}](queryCacheSize)
	if err != nil {
		return err
	}
	c.passed = passed
	return c.inner.Validate(pagedSchema{ExecutableSchema: es, connections: connectionFields(es.Schema())})
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op != nil && c.passed.Contains(op) {
		return nil
	}
	err := c.inner.MutateOperationContext(ctx, opCtx)
	if err == nil {
		if op != nil && variableFree(opCtx.Doc, op.SelectionSet, literalPageSize, 0) {
			c.passed.Add(op, struct{}{})
		}
		return nil
	}
	return limitError("complexity", c.max, nil,
		"%s; ask for smaller pages (first, last) or fewer nested lists", err.Message)
}

// literalPageSize reports whether f's page size, the one argument pricing
// reads, is written in the document rather than a variable.
func literalPageSize(f *ast.Field) bool {
	for _, a := range f.Arguments {
		if (a.Name == "first" || a.Name == "last") && a.Value != nil && a.Value.Kind == ast.Variable {
			return false
		}
	}
	return true
}

// pagedSchema prices connections: a connection field costs its selection
// times the page size it asks for, so { speakers(first: 100) {
// statements(first: 100) { ... } } } costs 10,000 times its innermost
// selection, which is what it may read.
type pagedSchema struct {
	graphql.ExecutableSchema
	connections map[string]bool // "Type.field"
}

func (s pagedSchema) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	if n, ok := s.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args); ok {
		return n, ok
	}
	if !s.connections[typeName+"."+field] {
		return 0, false
	}
	return satMul(pageSize(args), max(childComplexity, 1)), true
}

// connectionFields lists the fields that return a Relay connection.
func connectionFields(schema *ast.Schema) map[string]bool {
	out := map[string]bool{}
	for name, def := range schema.Types {
		for _, f := range def.Fields {
			if strings.HasSuffix(f.Type.Name(), "Connection") && f.Arguments.ForName("first") != nil {
				out[name+"."+f.Name] = true
			}
		}
	}
	return out
}

// pageSize is the page a connection's arguments ask for, within the range
// the resolvers accept: out-of-range values are priced at the nearest
// bound and then refused by the resolver with a precise message.
func pageSize(args map[string]any) int {
	for _, name := range []string{"first", "last"} {
		if n, ok := toInt(args[name]); ok {
			return int(min(max(n, domain.MinPageSize), domain.MaxPageSize))
		}
	}
	return domain.DefaultPageSize
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n >= math.MinInt64 && n <= math.MaxInt64 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// satMul multiplies two non-negative ints, saturating instead of
// overflowing, so that no document can wrap its cost around to a small
// number.
func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

// deadlineText is the message of the error of a request that runs past
// its deadline; deadlineMessage is that error as the answer's body.
const (
	deadlineText    = "the request did not finish within its %s deadline; ask for less (smaller pages, narrower filters) or try again later"
	deadlineMessage = `{"errors":[{"message":"` + deadlineText + `","extensions":{"code":"INTERNAL","limit":"deadline"}}]}`
)
