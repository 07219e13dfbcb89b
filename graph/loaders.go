package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"parley/domain"
	"parley/graph/model"
)

// loaderWait is how long a loader collects keys before it fetches them.
// gqlgen starts the field resolvers of a list's items within microseconds
// of each other, so a short wait catches them all on an idle machine and
// most of them on a busy one; dataloadgen's default of 16ms would add more
// latency than it saves.
const loaderWait = 2 * time.Millisecond

// loaders batch the per-item reads that a list cannot join in advance:
// each loader turns the keys its resolvers ask for within loaderWait into
// one store call. They cache what they read, so a set lives for one root
// field: the mutations of a document run one after another, and each must
// see what the one before it wrote.
type loaders struct {
	speaker   *dataloadgen.Loader[domain.ID, *model.Speaker]
	topic     *dataloadgen.Loader[domain.ID, *model.Topic]
	source    *dataloadgen.Loader[domain.ID, *model.Source]
	statement *dataloadgen.Loader[domain.ID, *model.Statement]
	position  *dataloadgen.Loader[domain.ID, *model.Position]
	// citing maps a statement id to the positions citing it as evidence.
	citing *dataloadgen.Loader[domain.ID, []*model.Position]
}

func newLoaders(s domain.Store) *loaders {
	opt := dataloadgen.WithWait(loaderWait)
	return &loaders{
		speaker: dataloadgen.NewLoader(byID(s.SpeakersByID, func(_ context.Context, v []*domain.Speaker) ([]*model.Speaker, error) {
			return mapSlice(v, newSpeaker), nil
		}), opt),
		topic: dataloadgen.NewLoader(byID(s.TopicsByID, func(_ context.Context, v []*domain.Topic) ([]*model.Topic, error) {
			return mapSlice(v, newTopic), nil
		}), opt),
		source: dataloadgen.NewLoader(byID(s.SourcesByID, func(_ context.Context, v []*domain.Source) ([]*model.Source, error) {
			return mapSlice(v, newSource), nil
		}), opt),
		statement: dataloadgen.NewLoader(byID(s.StatementsByID, func(ctx context.Context, v []*domain.Statement) ([]*model.Statement, error) {
			return newStatements(ctx, s, v)
		}), opt),
		position: dataloadgen.NewLoader(byID(s.PositionsByID, func(ctx context.Context, v []*domain.Position) ([]*model.Position, error) {
			return newPositions(ctx, s, v)
		}), opt),
		citing: dataloadgen.NewLoader(func(ctx context.Context, ids []domain.ID) ([][]*model.Position, []error) {
			return fetchCiting(ctx, s, ids)
		}, opt),
	}
}

// byID makes a loader fetch function from a store's batch read and a
// converter that keeps the order and the nils of missing records.
func byID[D, M any](
	read func(context.Context, []domain.ID) ([]D, error),
	convert func(context.Context, []D) ([]M, error),
) func(context.Context, []domain.ID) ([]M, []error) {
	return func(ctx context.Context, ids []domain.ID) ([]M, []error) {
		recs, err := read(ctx, ids)
		if err != nil {
			return nil, []error{err}
		}
		out, err := convert(ctx, recs)
		if err != nil {
			return nil, []error{err}
		}
		return out, nil
	}
}

// fetchCiting reads the positions citing each statement and converts them
// all in one batch.
func fetchCiting(ctx context.Context, s domain.Store, ids []domain.ID) ([][]*model.Position, []error) {
	groups, err := s.PositionsCiting(ctx, ids)
	if err != nil {
		return nil, []error{err}
	}
	var all []*domain.Position
	for _, g := range groups {
		all = append(all, g...)
	}
	conv, err := newPositions(ctx, s, all)
	if err != nil {
		return nil, []error{err}
	}
	out := make([][]*model.Position, len(groups))
	i := 0
	for gi, g := range groups {
		out[gi] = compact(conv[i : i+len(g)])
		i += len(g)
	}
	return out, nil
}

type loadersKey struct{}

// withLoaders is a root field middleware that gives each root field of an
// operation a fresh set of loaders.
func withLoaders(s domain.Store) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		return next(context.WithValue(ctx, loadersKey{}, &lazyLoaders{store: s}))
	}
}

// lazyLoaders makes a root field's loaders when a resolver first needs
// them: most reads join their references in advance and need none.
type lazyLoaders struct {
	store domain.Store
	once  sync.Once
	l     *loaders
}

func (z *lazyLoaders) get() *loaders {
	z.once.Do(func() { z.l = newLoaders(z.store) })
	return z.l
}

// loadersFor returns the request's loaders. A resolver reached without
// them is a wiring bug; the panic is recovered into an INTERNAL error.
func loadersFor(ctx context.Context) *loaders {
	z, ok := ctx.Value(loadersKey{}).(*lazyLoaders)
	if !ok {
		panic("graph: no loaders in context; is the server built with NewServer?")
	}
	return z.get()
}
