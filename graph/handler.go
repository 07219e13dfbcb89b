package graph

import (
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/domain"
)

// queryCacheSize is how many parsed and validated documents are kept:
// clients send the same few queries over and over.
const queryCacheSize = 1000

// Options tune the API. The zero value takes the documented defaults.
type Options struct {
	// MaxImportRecords bounds the records of one importStatements call;
	// 0 means DefaultMaxImportRecords.
	MaxImportRecords int
}

// DefaultMaxImportRecords is the default bound on records per
// importStatements call: large enough for efficient batches, small enough
// that one call's transaction and report stay modest.
const DefaultMaxImportRecords = 5000

// NewServer returns the GraphQL HTTP handler over store: JSON over POST, and
// GET for queries, with introspection on. Callers may add transports and
// extensions before serving.
func NewServer(store domain.Store, opts Options) *handler.Server {
	if opts.MaxImportRecords <= 0 {
		opts.MaxImportRecords = DefaultMaxImportRecords
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Store: store, MaxImportRecords: opts.MaxImportRecords}}))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundRootFields(withLoaders(store))
	return srv
}
