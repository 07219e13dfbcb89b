package bench

import (
	"context"
	"fmt"
	"time"

	"parley/domain"
	"parley/gen"
)

// Stub is a store-less domain.Store for measuring the GraphQL layer's own
// ceiling (issue 4): every read answers at once from objects built when the
// stub is made, whatever the filter, so a load run against a server over a
// Stub measures HTTP, gqlgen and conversion alone. Results have the shapes
// of Q1–Q5: a page of 20 statements with speakers and topics, a statement
// by id, and a stance map of as many positions as asked for.
//
// Only the reads those queries and the load tool's sampling make are
// implemented; every other method is the embedded nil interface's and
// panics, which the server reports as an internal error. A Stub is for
// benchmarks, never for serving data.
type Stub struct {
	domain.Store

	statements []*domain.Statement
	speakers   map[domain.ID]*domain.Speaker
	topics     map[domain.ID]*domain.Topic
	positions  []*domain.Position
}

// NewStub builds a stub from the first 20 records of the generated
// workload and a stance map of stancePositions entries (about 1,500 at 1M
// statements).
func NewStub(stancePositions int) *Stub {
	s := &Stub{speakers: map[domain.ID]*domain.Speaker{}, topics: map[domain.ID]*domain.Topic{}}
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	d := gen.New(gen.Config{N: 20, Seed: 1})
	speakerIDs, topicIDs := map[string]domain.ID{}, map[string]domain.ID{}
	for i := 1; ; i++ {
		rec, ok := d.Next()
		if !ok {
			break
		}
		sid, ok := speakerIDs[rec.Speaker.Key]
		if !ok {
			sid = domain.ID(len(speakerIDs) + 1)
			speakerIDs[rec.Speaker.Key] = sid
			s.speakers[sid] = &domain.Speaker{ID: sid, Key: rec.Speaker.Key, Name: rec.Speaker.Name, Kind: rec.Speaker.Kind,
				Country: rec.Speaker.Country, CreatedAt: now, UpdatedAt: now}
		}
		st := &domain.Statement{ID: domain.ID(i), ExternalID: rec.ExternalID, Text: rec.Text, Kind: rec.Kind, SpeakerID: sid,
			SaidOn: domain.MustParsePartialDate(rec.SaidOn), Language: "en", CreatedAt: now, UpdatedAt: now}
		for _, t := range rec.Topics {
			tid, ok := topicIDs[t.Key]
			if !ok {
				tid = domain.ID(len(topicIDs) + 1)
				topicIDs[t.Key] = tid
				s.topics[tid] = &domain.Topic{ID: tid, Key: t.Key, Name: t.Name, CreatedAt: now, UpdatedAt: now}
			}
			st.TopicIDs = append(st.TopicIDs, tid)
		}
		s.statements = append(s.statements, st)
	}
	for i := range stancePositions {
		sid := domain.ID(1000 + i)
		s.speakers[sid] = &domain.Speaker{ID: sid, Key: fmt.Sprintf("stub-speaker-%05d", i), Name: fmt.Sprintf("Stub Speaker %d", i),
			Kind: domain.SpeakerPerson, CreatedAt: now, UpdatedAt: now}
		s.positions = append(s.positions, &domain.Position{ID: domain.ID(i + 1), SpeakerID: sid, TopicID: 1,
			Stance: domain.StanceSupports, AsOf: domain.MustParsePartialDate("2025-12-01"), CreatedAt: now, UpdatedAt: now})
	}
	return s
}

func page[T any](items []T, cursor func(T) []byte) *domain.Result[T] {
	r := &domain.Result[T]{Items: items}
	for _, it := range items {
		r.Cursors = append(r.Cursors, cursor(it))
	}
	return r
}

func idCursor(id domain.ID) []byte { return []byte(fmt.Sprintf("c%d", id)) }

// ListStatements answers every filter with the same 20 statements.
func (s *Stub) ListStatements(context.Context, domain.StatementFilter, domain.StatementOrder, domain.Page) (*domain.Result[*domain.Statement], error) {
	return page(s.statements, func(st *domain.Statement) []byte { return idCursor(st.ID) }), nil
}

// CountStatements counts the stub's statements.
func (s *Stub) CountStatements(context.Context, domain.StatementFilter) (int, error) {
	return len(s.statements), nil
}

// Statement answers every id with one of the stub's statements.
func (s *Stub) Statement(_ context.Context, id domain.ID) (*domain.Statement, error) {
	return s.statements[int(id)%len(s.statements)], nil
}

// StatementsByID answers every id with one of the stub's statements.
func (s *Stub) StatementsByID(ctx context.Context, ids []domain.ID) ([]*domain.Statement, error) {
	out := make([]*domain.Statement, len(ids))
	for i, id := range ids {
		out[i], _ = s.Statement(ctx, id)
	}
	return out, nil
}

// SpeakersByID returns the stub's speakers.
func (s *Stub) SpeakersByID(_ context.Context, ids []domain.ID) ([]*domain.Speaker, error) {
	out := make([]*domain.Speaker, len(ids))
	for i, id := range ids {
		out[i] = s.speakers[id]
	}
	return out, nil
}

// TopicsByID returns the stub's topics.
func (s *Stub) TopicsByID(_ context.Context, ids []domain.ID) ([]*domain.Topic, error) {
	out := make([]*domain.Topic, len(ids))
	for i, id := range ids {
		out[i] = s.topics[id]
	}
	return out, nil
}

// ListSpeakers lists the speakers of the stub's statements.
func (s *Stub) ListSpeakers(context.Context, domain.SpeakerFilter, domain.Page) (*domain.Result[*domain.Speaker], error) {
	var items []*domain.Speaker
	for _, st := range s.statements {
		items = append(items, s.speakers[st.SpeakerID])
	}
	return page(items, func(sp *domain.Speaker) []byte { return idCursor(sp.ID) }), nil
}

// ListTopics lists the stub's topics.
func (s *Stub) ListTopics(context.Context, domain.TopicFilter, domain.Page) (*domain.Result[*domain.Topic], error) {
	var items []*domain.Topic
	for id := 1; id <= len(s.topics); id++ {
		items = append(items, s.topics[domain.ID(id)])
	}
	return page(items, func(t *domain.Topic) []byte { return idCursor(t.ID) }), nil
}

// TopicByKey finds a stub topic by key.
func (s *Stub) TopicByKey(_ context.Context, key string) (*domain.Topic, error) {
	for _, t := range s.topics {
		if t.Key == key {
			return t, nil
		}
	}
	return s.topics[1], nil
}

// StanceMap answers every topic and day with the stub's positions.
func (s *Stub) StanceMap(context.Context, string, domain.Day) ([]*domain.Position, error) {
	return s.positions, nil
}

// PositionsCiting reports no evidence links.
func (s *Stub) PositionsCiting(_ context.Context, ids []domain.ID) ([][]*domain.Position, error) {
	return make([][]*domain.Position, len(ids)), nil
}
