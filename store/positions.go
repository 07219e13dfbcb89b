package store

import (
	"bytes"
	"context"
	"slices"

	"parley/domain"
)

func (s *Store) Position(ctx context.Context, id domain.ID) (*domain.Position, error) {
	return get(s, ctx, func(t *txn) (*domain.Position, error) { return t.Position(id) })
}

func (s *Store) PositionsByID(ctx context.Context, ids []domain.ID) ([]*domain.Position, error) {
	return byIDs(s, ctx, ids, (*txn).Position)
}

func (s *Store) CreatePosition(ctx context.Context, p *domain.Position) (*domain.Position, error) {
	c := *p
	c.ID = 0
	return put(s, ctx, &c, (*txn).PutPosition)
}

func (s *Store) UpdatePosition(ctx context.Context, id domain.ID, fn func(*domain.Position) error) (*domain.Position, error) {
	return modify(s, ctx, id, (*txn).Position, fn, (*txn).PutPosition, func(rec, old *domain.Position) {
		rec.ID, rec.CreatedAt = old.ID, old.CreatedAt
	})
}

func (s *Store) DeletePosition(ctx context.Context, id domain.ID) error {
	return s.update(ctx, func(t *txn) error { return t.deletePosition(id) })
}

func (s *Store) PositionsCiting(ctx context.Context, ids []domain.ID) ([][]*domain.Position, error) {
	return get(s, ctx, func(t *txn) ([][]*domain.Position, error) {
		out := make([][]*domain.Position, len(ids))
		for i, id := range ids {
			ps, err := t.PositionsCiting(id)
			if err != nil {
				return nil, err
			}
			out[i] = ps
		}
		return out, nil
	})
}

// positionList lists positions newest first. Speakers drive the scan when
// given, else topics (with subtopics), else all positions; the remaining
// filters are checked on each record.
func (t *txn) positionList(f domain.PositionFilter) (*list[*domain.Position], error) {
	for _, st := range f.Stances {
		if !st.Valid() {
			return nil, domain.FieldErrorf([]string{"stances"}, "%q is not one of SUPPORTS, OPPOSES, NEUTRAL, MIXED", st)
		}
	}
	var speakers, topics map[domain.ID]bool
	if len(f.Speakers) > 0 {
		speakers = map[domain.ID]bool{}
		for _, k := range f.Speakers {
			if id := t.lookupID(bSpeakerKey, []byte(k)); id != 0 {
				speakers[id] = true
			}
		}
	}
	if len(f.Topics) > 0 {
		topics = map[domain.ID]bool{}
		for _, k := range f.Topics {
			if id := t.lookupID(bTopicKey, []byte(k)); id != 0 {
				for _, sub := range t.subtree(id) {
					topics[sub] = true
				}
			}
		}
	}
	m := &merged{}
	switch {
	case speakers != nil:
		for id := range speakers {
			m.its = append(m.its, t.runIters(bPxSpeaker, idKey(id), nil, nil)...)
		}
	case topics != nil:
		for id := range topics {
			m.its = append(m.its, t.runIters(bPxTopic, idKey(id), nil, nil)...)
		}
	default:
		m.its = append(m.its, t.runIters(bPxAll, nil, nil, nil)...)
	}
	return &list[*domain.Position]{src: m, desc: true, load: func(k, _ []byte) (*domain.Position, bool, error) {
		p, err := t.Position(getID(k[dateKeyLen:]))
		if err != nil {
			return nil, false, err
		}
		ok := (speakers == nil || speakers[p.SpeakerID]) &&
			(topics == nil || topics[p.TopicID]) &&
			(len(f.Stances) == 0 || slices.Contains(f.Stances, p.Stance)) &&
			(!f.ShiftsOnly || p.Shift())
		return p, ok, nil
	}}, nil
}

func (s *Store) ListPositions(ctx context.Context, f domain.PositionFilter, p domain.Page) (*domain.Result[*domain.Position], error) {
	return get(s, ctx, func(t *txn) (*domain.Result[*domain.Position], error) {
		l, err := t.positionList(f)
		if err != nil {
			return nil, err
		}
		return l.page(p, tagPosition)
	})
}

func (s *Store) CountPositions(ctx context.Context, f domain.PositionFilter) (int, error) {
	return get(s, ctx, func(t *txn) (int, error) {
		l, err := t.positionList(f)
		if err != nil {
			return 0, err
		}
		return l.count()
	})
}

// StanceMap reads the topic's timeline index, keyed topic, speaker, asOf:
// for each speaker one seek to the last entry starting on or before the
// day, then one seek past the speaker. Its cost grows with the number of
// speakers holding a position on the topic, not with their history.
func (s *Store) StanceMap(ctx context.Context, topicKey string, asOf domain.Day) ([]*domain.Position, error) {
	return get(s, ctx, func(t *txn) ([]*domain.Position, error) {
		tp, err := t.TopicByKey(topicKey)
		if err != nil {
			return nil, err
		}
		topic := idKey(tp.ID)
		c := t.b(bPxTimeline).Cursor()
		var out []*domain.Position
		upper := dayUpper(asOf)
		for k, _ := c.Seek(topic); k != nil && bytes.HasPrefix(k, topic); {
			speaker := copyBytes(k[idLen : 2*idLen])
			prefix := cat(topic, speaker)
			// The last entry of this speaker not after the day.
			pk, _ := c.Seek(cat(prefix, upper))
			if pk == nil {
				pk, _ = c.Last()
			} else {
				pk, _ = c.Prev()
			}
			if pk != nil && bytes.HasPrefix(pk, prefix) {
				p, err := t.positionAt(c, pk, prefix)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
			next := successor(prefix)
			if next == nil {
				break
			}
			k, _ = c.Seek(next)
		}
		keys := map[domain.ID]string{}
		for _, p := range out {
			sp, err := t.Speaker(p.SpeakerID)
			if err != nil {
				return nil, err
			}
			keys[p.SpeakerID] = sp.Key
		}
		slices.SortFunc(out, func(a, b *domain.Position) int {
			return bytes.Compare([]byte(keys[a.SpeakerID]), []byte(keys[b.SpeakerID]))
		})
		return out, nil
	})
}
