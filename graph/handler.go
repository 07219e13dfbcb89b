package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/domain"
	"parley/importer"
)

// queryCacheSize is how many parsed and validated documents are kept:
// clients send the same few queries over and over.
const queryCacheSize = 1000

// apqCacheSize bounds the Automatic Persisted Queries cache (query text by
// its SHA-256): a client that finds its hash evicted sends the text again.
const apqCacheSize = 1000

// Options tune the API. The zero value takes the documented defaults.
type Options struct {
	// MaxImportRecords bounds the records of one importStatements call;
	// 0 means DefaultMaxImportRecords.
	MaxImportRecords int

	// Observer is told about operations, imports and subscriptions, for
	// metrics and logs; nil tells no one.
	Observer Observer
	// SubscriptionBuffer is how many changes a subscription may have
	// pending before it is dropped; 0 means DefaultSubscriptionBuffer.
	SubscriptionBuffer int
	// AllowedOrigins are the origins, besides the server's own, whose
	// pages may open a WebSocket: the CORS allow-list. "*" allows any.
	AllowedOrigins []string
	// Authenticate, when set, checks the Authorization value that a
	// WebSocket client sends in its connection_init payload (browsers
	// cannot set headers on a WebSocket) and returns the context its
	// operations run in; an error refuses the connection.
	Authenticate func(ctx context.Context, authorization string) (context.Context, error)

	// Limits bound what one request may ask for (limits.go); zero fields
	// take their defaults.
	Limits Limits
	// DisableIntrospection turns off __schema and __type, and the
	// field suggestions that would reveal the schema one typo at a time.
	// Introspection is on by default: Parley is a public data API.
	DisableIntrospection bool
}

// DefaultMaxImportRecords is the default bound on records per
// importStatements call: large enough for efficient batches, small enough
// that one call's transaction and report stay modest.
const DefaultMaxImportRecords = 5000

// NewServer returns the GraphQL HTTP handler over store: JSON over POST, and
// GET for queries, with introspection on unless opts turn it off, the
// guard and the limits installed. Serve it behind Protect. Callers may add
// transports and extensions before serving.
func NewServer(store domain.Store, opts Options) *handler.Server {
	return newServer(store, opts, true)
}

// newServer is NewServer with the lean rendering of hot results (lean.go)
// on or off; tests turn it off to compare with gqlgen's own output.
func newServer(store domain.Store, opts Options, lean bool) *handler.Server {
	if opts.MaxImportRecords <= 0 {
		opts.MaxImportRecords = DefaultMaxImportRecords
	}
	if opts.SubscriptionBuffer <= 0 {
		opts.SubscriptionBuffer = DefaultSubscriptionBuffer
	}
	obs := opts.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	imports := importer.NewSequencer(0)
	imports.ObserveGroups(obs.ImportGroup)
	res := &Resolver{Store: store, MaxImportRecords: opts.MaxImportRecords, imports: imports, obs: obs}
	if n, ok := store.(domain.Notifier); ok {
		res.live = newHub(n, opts.SubscriptionBuffer, obs)
	}
	es := NewExecutableSchema(Config{Resolvers: res})
	srv := handler.New(es)
	srv.AddTransport(websocketTransport(opts))
	srv.AddTransport(spec{transport.GET{}})
	post := postJSON{}
	if lean {
		post.direct = newDirect(es.(*executableSchema), res, store, obs)
	}
	srv.AddTransport(post)
	srv.SetQueryCache(lru.New[*ast.QueryDocument](queryCacheSize))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](apqCacheSize)})
	// After APQ, which fills in the query text: guard.go and limits.go.
	installGuard(srv)
	installLimits(srv, opts)
	srv.AroundOperations(observeSubscriptions)
	srv.AroundResponses(observeResponses(obs))
	srv.AroundOperations(trackStreams)
	srv.AroundResponses(streamEvents(store))
	srv.AroundResponses(socketDeadline(opts.Limits.withDefaults().Deadline))
	if lean {
		srv.AroundFields(leanResults)
	}
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundRootFields(withLoaders(store))
	return srv
}
