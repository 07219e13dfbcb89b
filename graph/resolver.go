package graph

import (
	"parley/domain"
	"parley/importer"
)

// Resolver is the root of the resolver tree. Resolvers stay thin: they
// convert arguments, call the store and convert results; every store
// method runs in its own transaction, so resolvers running concurrently
// never share one.
type Resolver struct {
	Store            domain.Store
	MaxImportRecords int

	// imports orders the calls of import streams.
	imports *importer.Sequencer
	// live feeds subscriptions; nil when the store reports no changes.
	live *hub
	// obs is told what imports did.
	obs Observer
}
