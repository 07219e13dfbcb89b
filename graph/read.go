package graph

import (
	"context"
	"strconv"

	"parley/domain"
	"parley/graph/model"
)

// The read helpers behind the query resolvers. A record that does not
// exist is null, not an error: that is what a client asking for one by id
// or key expects.

func (r *Resolver) node(ctx context.Context, id model.ID) (model.Node, error) {
	// Each case returns its own nil: a typed nil pointer in the interface
	// would not be null.
	switch id.Type {
	case model.TypeSpeaker:
		if n, err := r.speaker(ctx, id.Local); n != nil || err != nil {
			return n, err
		}
	case model.TypeTopic:
		if n, err := r.topic(ctx, id.Local); n != nil || err != nil {
			return n, err
		}
	case model.TypeSource:
		if n, err := r.source(ctx, id.Local); n != nil || err != nil {
			return n, err
		}
	case model.TypeStatement:
		if n, err := r.statement(ctx, id.Local); n != nil || err != nil {
			return n, err
		}
	case model.TypePosition:
		if n, err := r.position(ctx, id.Local); n != nil || err != nil {
			return n, err
		}
	}
	return nil, nil
}

func (r *Resolver) speaker(ctx context.Context, id domain.ID) (*model.Speaker, error) {
	s, err := r.Store.Speaker(ctx, id)
	return newSpeaker(s), nilIfNotFound(err)
}

// speakerByKeyOrID serves the lookups that take a key or an id.
func (r *Resolver) speakerByKeyOrID(ctx context.Context, key *string, id *model.ID) (*model.Speaker, error) {
	local, err := keyOrID(key, id, model.TypeSpeaker)
	if err != nil {
		return nil, err
	}
	if key != nil {
		s, err := r.Store.SpeakerByKey(ctx, *key)
		return newSpeaker(s), nilIfNotFound(err)
	}
	return r.speaker(ctx, local)
}

func (r *Resolver) topic(ctx context.Context, id domain.ID) (*model.Topic, error) {
	t, err := r.Store.Topic(ctx, id)
	return newTopic(t), nilIfNotFound(err)
}

func (r *Resolver) topicByKeyOrID(ctx context.Context, key *string, id *model.ID) (*model.Topic, error) {
	local, err := keyOrID(key, id, model.TypeTopic)
	if err != nil {
		return nil, err
	}
	if key != nil {
		t, err := r.Store.TopicByKey(ctx, *key)
		return newTopic(t), nilIfNotFound(err)
	}
	return r.topic(ctx, local)
}

func (r *Resolver) source(ctx context.Context, id domain.ID) (*model.Source, error) {
	s, err := r.Store.Source(ctx, id)
	return newSource(s), nilIfNotFound(err)
}

func (r *Resolver) sourceByURL(ctx context.Context, url string) (*model.Source, error) {
	s, err := r.Store.SourceByURL(ctx, url)
	if domain.ErrorCode(err) == domain.CodeBadUserInput {
		// The URL is the only input: the error is about it.
		return nil, domain.WithPath(err, "url")
	}
	return newSource(s), nilIfNotFound(err)
}

func (r *Resolver) statement(ctx context.Context, id domain.ID) (*model.Statement, error) {
	s, err := r.Store.Statement(ctx, id)
	if err != nil {
		return nil, nilIfNotFound(err)
	}
	return first(newStatements(ctx, r.Store, []*domain.Statement{s}))
}

func (r *Resolver) position(ctx context.Context, id domain.ID) (*model.Position, error) {
	p, err := r.Store.Position(ctx, id)
	if err != nil {
		return nil, nilIfNotFound(err)
	}
	return first(newPositions(ctx, r.Store, []*domain.Position{p}))
}

func (r *Resolver) speakers(ctx context.Context, f domain.SpeakerFilter, p domain.Page) (*model.SpeakerConnection, error) {
	res, err := r.Store.ListSpeakers(ctx, f, p)
	if err != nil {
		return nil, err
	}
	edges, info := connection(res, mapSlice(res.Items, newSpeaker), func(c string, n *model.Speaker) *model.SpeakerEdge {
		return &model.SpeakerEdge{Cursor: c, Node: n}
	})
	return &model.SpeakerConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

func (r *Resolver) topics(ctx context.Context, f domain.TopicFilter, p domain.Page) (*model.TopicConnection, error) {
	res, err := r.Store.ListTopics(ctx, f, p)
	if err != nil {
		return nil, err
	}
	edges, info := connection(res, mapSlice(res.Items, newTopic), func(c string, n *model.Topic) *model.TopicEdge {
		return &model.TopicEdge{Cursor: c, Node: n}
	})
	return &model.TopicConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

// topicFilter resolves the parent key of a topics filter.
func (r *Resolver) topicFilter(ctx context.Context, in *model.TopicFilter) (domain.TopicFilter, error) {
	var f domain.TopicFilter
	if in == nil {
		return f, nil
	}
	f.RootOnly = deref(in.RootOnly)
	if in.Parent != nil {
		id, err := r.topicID(ctx, *in.Parent, "parent")
		if err != nil {
			return f, err
		}
		f.ParentID = id
	}
	return f, nil
}

func (r *Resolver) sources(ctx context.Context, p domain.Page) (*model.SourceConnection, error) {
	res, err := r.Store.ListSources(ctx, p)
	if err != nil {
		return nil, err
	}
	edges, info := connection(res, mapSlice(res.Items, newSource), func(c string, n *model.Source) *model.SourceEdge {
		return &model.SourceEdge{Cursor: c, Node: n}
	})
	return &model.SourceConnection{Edges: edges, PageInfo: info}, nil
}

func (r *Resolver) statements(ctx context.Context, f domain.StatementFilter, o domain.StatementOrder, p domain.Page) (*model.StatementConnection, error) {
	res, err := r.Store.ListStatements(ctx, f, o, p)
	if err != nil {
		return nil, argError("filter", err)
	}
	nodes, err := newStatements(ctx, r.Store, res.Items)
	if err != nil {
		return nil, err
	}
	edges, info := connection(res, nodes, func(c string, n *model.Statement) *model.StatementEdge {
		return &model.StatementEdge{Cursor: c, Node: n}
	})
	return &model.StatementConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

func (r *Resolver) positions(ctx context.Context, f domain.PositionFilter, p domain.Page) (*model.PositionConnection, error) {
	res, err := r.Store.ListPositions(ctx, f, p)
	if err != nil {
		return nil, err
	}
	nodes, err := newPositions(ctx, r.Store, res.Items)
	if err != nil {
		return nil, err
	}
	edges, info := connection(res, nodes, func(c string, n *model.Position) *model.PositionEdge {
		return &model.PositionEdge{Cursor: c, Node: n}
	})
	return &model.PositionConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

func (r *Resolver) stanceMap(ctx context.Context, topic string, asOf *domain.PartialDate) (*model.StanceMap, error) {
	t, err := r.Store.TopicByKey(ctx, topic)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil, &domain.Error{Code: domain.CodeNotFound, Path: []string{"topic"}, Message: "no topic has key " + strconv.Quote(topic)}
	}
	if err != nil {
		return nil, err
	}
	date := domain.DayDate(domain.Today())
	if asOf != nil {
		date = *asOf
	}
	ps, err := r.Store.StanceMap(ctx, t.Key, date.End())
	if err != nil {
		return nil, err
	}
	positions, err := newPositions(ctx, r.Store, ps)
	if err != nil {
		return nil, err
	}
	return &model.StanceMap{Topic: newTopic(t), AsOf: &date, Positions: compact(positions)}, nil
}

// keyOrID checks that exactly one of key and id is given, and that id names
// a record of type t.
func keyOrID(key *string, id *model.ID, t model.NodeType) (domain.ID, error) {
	if (key == nil) == (id == nil) {
		return 0, domain.Errorf(domain.CodeBadUserInput, "give either key or id")
	}
	if id == nil {
		return 0, nil
	}
	return idArg(*id, t)
}

func nilIfNotFound(err error) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil
	}
	return err
}

// first returns the only element of a converted one-record slice.
func first[T any](s []*T, err error) (*T, error) {
	if err != nil || len(s) == 0 {
		return nil, err
	}
	return s[0], nil
}
