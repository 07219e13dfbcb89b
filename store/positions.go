package store

import (
	"bytes"
	"context"
	"slices"
	"strings"

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

// StanceMap reads the topic's timeline index, keyed topic, speaker, asOf,
// in one walk: for each speaker, its entries starting on or before the
// day, then one seek past its later ones. Its cost grows with the number
// of speakers holding a position on the topic and their positions up to
// the day, not with the rest of the database.
func (s *Store) StanceMap(ctx context.Context, topicKey string, asOf domain.Day) ([]*domain.Position, error) {
	return get(s, ctx, func(t *txn) ([]*domain.Position, error) {
		tp, err := t.TopicByKey(topicKey)
		if err != nil {
			return nil, err
		}
		topic := idKey(tp.ID)
		upper := dayUpper(asOf)
		var out []*domain.Position
		// One walk of the topic's timeline, speaker by speaker (keys are
		// topic · speaker · posKey): each speaker's entries not after the
		// day come first, and the last of them is the speaker's stance.
		// Most speakers hold a position or two on a topic, so stepping
		// through them costs less than seeking each speaker's last entry;
		// a speaker's entries after the day are skipped with one seek.
		var group, last, prev []byte // the speaker's prefix, its stance's entry and the one before
		settle := func() error {
			if last == nil {
				return nil
			}
			p, err := t.positionAt(last, prev, len(group))
			if err == nil {
				out = append(out, p)
			}
			return err
		}
		c := t.b(bPxTimeline).Cursor()
		for k, _ := c.Seek(topic); k != nil && bytes.HasPrefix(k, topic); {
			if group == nil || !bytes.HasPrefix(k, group) {
				if err := settle(); err != nil {
					return nil, err
				}
				group, last, prev = k[:2*idLen], nil, nil
			}
			if bytes.Compare(k[2*idLen:], upper) < 0 {
				last, prev = k, last
				k, _ = c.Next()
				continue
			}
			next := successor(group)
			if next == nil {
				break
			}
			k, _ = c.Seek(next)
		}
		if err := settle(); err != nil {
			return nil, err
		}
		// By speaker key: one position per speaker, so the keys are
		// distinct and the order total.
		type keyed struct {
			key string
			p   *domain.Position
		}
		byKey := make([]keyed, len(out))
		for i, p := range out {
			sp, err := s.speakerIn(t, p.SpeakerID)
			if err != nil {
				return nil, err
			}
			byKey[i] = keyed{sp.Key, p}
		}
		slices.SortFunc(byKey, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
		for i, k := range byKey {
			out[i] = k.p
		}
		return out, nil
	})
}
