package store

import (
	"context"

	"parley/domain"
)

func (s *Store) Source(ctx context.Context, id domain.ID) (*domain.Source, error) {
	return get(s, ctx, func(t *txn) (*domain.Source, error) { return t.Source(id) })
}

func (s *Store) SourceByURL(ctx context.Context, url string) (*domain.Source, error) {
	return get(s, ctx, func(t *txn) (*domain.Source, error) { return t.SourceByURL(url) })
}

func (s *Store) SourcesByID(ctx context.Context, ids []domain.ID) ([]*domain.Source, error) {
	return byIDs(s, ctx, ids, (*txn).Source)
}

func (s *Store) CreateSource(ctx context.Context, src *domain.Source) (*domain.Source, error) {
	c := *src
	c.ID = 0
	return put(s, ctx, &c, (*txn).PutSource)
}

func (s *Store) UpdateSource(ctx context.Context, id domain.ID, fn func(*domain.Source) error) (*domain.Source, error) {
	return modify(s, ctx, id, (*txn).Source, fn, (*txn).PutSource, func(rec, old *domain.Source) {
		rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
	})
}

func (s *Store) DeleteSource(ctx context.Context, id domain.ID, cascade bool) error {
	return s.update(ctx, func(t *txn) error { return t.deleteSource(id, cascade) })
}

func (t *txn) sourceList() *list[*domain.Source] {
	return &list[*domain.Source]{
		src: &merged{its: []*iter{newIter(t.b(bSourceURL), nil, nil, nil)}},
		load: func(_, v []byte) (*domain.Source, bool, error) {
			src, err := t.Source(getID(v))
			return src, err == nil, err
		},
	}
}

func (s *Store) ListSources(ctx context.Context, p domain.Page) (*domain.Result[*domain.Source], error) {
	return get(s, ctx, func(t *txn) (*domain.Result[*domain.Source], error) { return t.sourceList().page(p, tagSource) })
}

func (s *Store) CountSources(ctx context.Context) (int, error) {
	return get(s, ctx, func(t *txn) (int, error) { return t.b(bSources).Stats().KeyN, nil })
}
