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

// NewServer returns the GraphQL HTTP handler over store: JSON over POST, and
// GET for queries, with introspection on. Callers may add transports and
// extensions before serving.
func NewServer(store domain.Store) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{Store: store}}))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	srv.Use(extension.Introspection{})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundRootFields(withLoaders(store))
	return srv
}
