package store

import (
	"context"
	"slices"
	"strings"

	"parley/domain"
)

// get runs a read of one record.
func get[T any](s *Store, ctx context.Context, fn func(t *txn) (T, error)) (T, error) {
	var out T
	err := s.view(ctx, func(t *txn) error {
		var err error
		out, err = fn(t)
		return err
	})
	return out, err
}

// byIDs reads several records in one transaction, nil for missing ones.
func byIDs[T any](s *Store, ctx context.Context, ids []domain.ID, fn func(t *txn, id domain.ID) (*T, error)) ([]*T, error) {
	out := make([]*T, len(ids))
	err := s.view(ctx, func(t *txn) error {
		for i, id := range ids {
			v, err := fn(t, id)
			if domain.ErrorCode(err) == domain.CodeNotFound {
				continue
			}
			if err != nil {
				return err
			}
			out[i] = v
		}
		return nil
	})
	return out, err
}

// put creates or updates a record in a write transaction.
func put[T any](s *Store, ctx context.Context, rec *T, fn func(t *txn, rec *T) error) (*T, error) {
	c := *rec
	err := s.update(ctx, func(t *txn) error { return fn(t, &c) })
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// modify loads a record, applies the caller's change and stores it, all in
// one write transaction; the id and creation time are not the caller's to
// change.
func modify[T any](s *Store, ctx context.Context, id domain.ID, load func(t *txn, id domain.ID) (*T, error),
	fn func(*T) error, store func(t *txn, rec *T) error, fix func(rec, old *T)) (*T, error) {
	var out *T
	err := s.update(ctx, func(t *txn) error {
		old, err := load(t, id)
		if err != nil {
			return err
		}
		rec := *old
		if err := fn(&rec); err != nil {
			return err
		}
		fix(&rec, old)
		if err := store(t, &rec); err != nil {
			return err
		}
		out = &rec
		return nil
	})
	return out, err
}

func (s *Store) Speaker(ctx context.Context, id domain.ID) (*domain.Speaker, error) {
	return get(s, ctx, func(t *txn) (*domain.Speaker, error) { return t.Speaker(id) })
}

func (s *Store) SpeakerByKey(ctx context.Context, key string) (*domain.Speaker, error) {
	return get(s, ctx, func(t *txn) (*domain.Speaker, error) { return t.SpeakerByKey(key) })
}

func (s *Store) SpeakersByID(ctx context.Context, ids []domain.ID) ([]*domain.Speaker, error) {
	return cachedByIDs(s, ctx, &s.speakers, ids, (*txn).Speaker)
}

func (s *Store) CreateSpeaker(ctx context.Context, sp *domain.Speaker) (*domain.Speaker, error) {
	c := *sp
	c.ID = 0
	c.Roles = slices.Clone(sp.Roles)
	return put(s, ctx, &c, (*txn).putSpeaker)
}

func (t *txn) putSpeaker(sp *domain.Speaker) error { return t.PutSpeaker(sp) }

func (s *Store) UpdateSpeaker(ctx context.Context, id domain.ID, fn func(*domain.Speaker) error) (*domain.Speaker, error) {
	return modify(s, ctx, id, (*txn).Speaker, fn, (*txn).putSpeaker, func(rec, old *domain.Speaker) {
		rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
	})
}

func (s *Store) DeleteSpeaker(ctx context.Context, id domain.ID, cascade bool) error {
	return s.update(ctx, func(t *txn) error { return t.deleteSpeaker(id, cascade) })
}

func (t *txn) speakerList(f domain.SpeakerFilter) *list[*domain.Speaker] {
	words := domain.Tokens(f.Search)
	return &list[*domain.Speaker]{
		src: &merged{its: []*iter{newIter(t.b(bSpeakerKey), nil, nil, nil)}},
		load: func(_, v []byte) (*domain.Speaker, bool, error) {
			sp, err := t.Speaker(getID(v))
			if err != nil {
				return nil, false, err
			}
			if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, sp.Kind) {
				return nil, false, nil
			}
			if len(f.Countries) > 0 && !slices.ContainsFunc(f.Countries, func(c string) bool { return strings.EqualFold(c, sp.Country) }) {
				return nil, false, nil
			}
			if len(words) > 0 {
				have := domain.Tokens(sp.Key + " " + sp.Name + " " + strings.Join(sp.Aliases, " "))
				for _, w := range words {
					if !slices.Contains(have, w) {
						return nil, false, nil
					}
				}
			}
			return sp, true, nil
		},
	}
}

func (s *Store) ListSpeakers(ctx context.Context, f domain.SpeakerFilter, p domain.Page) (*domain.Result[*domain.Speaker], error) {
	return get(s, ctx, func(t *txn) (*domain.Result[*domain.Speaker], error) { return t.speakerList(f).page(p, tagSpeaker) })
}

func (s *Store) CountSpeakers(ctx context.Context, f domain.SpeakerFilter) (int, error) {
	return get(s, ctx, func(t *txn) (int, error) { return t.speakerList(f).count() })
}
