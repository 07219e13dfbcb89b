package store

import (
	"context"

	"parley/domain"
)

func (s *Store) Topic(ctx context.Context, id domain.ID) (*domain.Topic, error) {
	return get(s, ctx, func(t *txn) (*domain.Topic, error) { return t.Topic(id) })
}

func (s *Store) TopicByKey(ctx context.Context, key string) (*domain.Topic, error) {
	return get(s, ctx, func(t *txn) (*domain.Topic, error) { return t.TopicByKey(key) })
}

func (s *Store) TopicsByID(ctx context.Context, ids []domain.ID) ([]*domain.Topic, error) {
	return cachedByIDs(s, ctx, &s.topics, ids, (*txn).Topic)
}

func (s *Store) CreateTopic(ctx context.Context, tp *domain.Topic) (*domain.Topic, error) {
	c := *tp
	c.ID = 0
	return put(s, ctx, &c, (*txn).PutTopic)
}

func (s *Store) UpdateTopic(ctx context.Context, id domain.ID, fn func(*domain.Topic) error) (*domain.Topic, error) {
	return modify(s, ctx, id, (*txn).Topic, fn, (*txn).PutTopic, func(rec, old *domain.Topic) {
		rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
	})
}

func (s *Store) DeleteTopic(ctx context.Context, id domain.ID, cascade bool) error {
	return s.update(ctx, func(t *txn) error { return t.deleteTopic(id, cascade) })
}

func (t *txn) topicList(f domain.TopicFilter) *list[*domain.Topic] {
	return &list[*domain.Topic]{
		src: &merged{its: []*iter{newIter(t.b(bTopicKey), nil, nil, nil)}},
		load: func(_, v []byte) (*domain.Topic, bool, error) {
			tp, err := t.Topic(getID(v))
			if err != nil {
				return nil, false, err
			}
			if f.RootOnly && tp.ParentID != 0 || f.ParentID != 0 && tp.ParentID != f.ParentID {
				return nil, false, nil
			}
			return tp, true, nil
		},
	}
}

func (s *Store) ListTopics(ctx context.Context, f domain.TopicFilter, p domain.Page) (*domain.Result[*domain.Topic], error) {
	return get(s, ctx, func(t *txn) (*domain.Result[*domain.Topic], error) { return t.topicList(f).page(p, tagTopic) })
}

func (s *Store) CountTopics(ctx context.Context, f domain.TopicFilter) (int, error) {
	return get(s, ctx, func(t *txn) (int, error) { return t.topicList(f).count() })
}
