package graph

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"parley/domain"
	"parley/graph/model"
)

// This file turns mutation inputs and filters into domain values. Inputs
// name related records by natural key (or, for evidence, by id); they are
// resolved here, before the write, and a reference to nothing is the
// client's mistake: BAD_USER_INPUT on the field that holds it. Whether a
// record is valid is the store's check, made inside its write transaction.

func statementFilter(in *model.StatementFilter) domain.StatementFilter {
	if in == nil {
		return domain.StatementFilter{}
	}
	return domain.StatementFilter{
		Speakers:  in.Speakers,
		Topics:    in.Topics,
		Countries: in.Countries,
		Kinds:     in.Kinds,
		SaidFrom:  deref(in.SaidFrom),
		SaidTo:    deref(in.SaidTo),
		Source:    deref(in.Source),
		Search:    deref(in.Search),
	}
}

func speakerFilter(in *model.SpeakerFilter) domain.SpeakerFilter {
	if in == nil {
		return domain.SpeakerFilter{}
	}
	return domain.SpeakerFilter{Kinds: in.Kinds, Countries: in.Countries, Search: deref(in.Search)}
}

func positionFilter(in *model.PositionFilter) domain.PositionFilter {
	if in == nil {
		return domain.PositionFilter{}
	}
	return domain.PositionFilter{
		Speakers:   in.Speakers,
		Topics:     in.Topics,
		Stances:    in.Stances,
		ShiftsOnly: deref(in.ShiftsOnly),
	}
}

// statementOrder applies the schema's default to an explicit null.
func statementOrder(o *domain.StatementOrder) domain.StatementOrder {
	if o == nil {
		return domain.SaidOnDesc
	}
	return *o
}

// scoped narrows a nested statements connection to its parent record of
// type parent, setting the filter field that names it. That field cannot
// also be given: the store ORs the values of one field, which is not what
// a client writing it on a nested connection would mean.
func scoped(filter *model.StatementFilter, field, parent string, set func(*domain.StatementFilter) bool) (domain.StatementFilter, error) {
	f := statementFilter(filter)
	if set(&f) {
		return f, domain.FieldErrorf([]string{"filter", field},
			"cannot be used on %s.statements, which lists the statements of one %s; filter Query.statements instead",
			parent, strings.ToLower(parent))
	}
	return f, nil
}

// idArg checks that the id argument names a record of type t.
func idArg(id model.ID, t model.NodeType) (domain.ID, error) {
	local, err := id.As(t)
	return local, domain.WithPath(err, "id")
}

func (r *Resolver) newSpeakerRecord(ctx context.Context, in model.CreateSpeakerInput) (*domain.Speaker, error) {
	roles, err := r.roles(ctx, in.Roles)
	if err != nil {
		return nil, err
	}
	return &domain.Speaker{
		Key:         deref(in.Key),
		Name:        in.Name,
		Kind:        in.Kind,
		Aliases:     in.Aliases,
		Description: deref(in.Description),
		Country:     deref(in.Country),
		WikidataID:  deref(in.WikidataID),
		Roles:       roles,
	}, nil
}

func (r *Resolver) speakerPatch(ctx context.Context, in model.UpdateSpeakerInput) (func(*domain.Speaker) error, error) {
	if err := cmp.Or(
		notNull("key", in.Key), notNull("name", in.Name), notNull("kind", in.Kind),
	); err != nil {
		return nil, err
	}
	var roles []domain.Role
	if v, ok := in.Roles.ValueOK(); ok {
		var err error
		if roles, err = r.roles(ctx, v); err != nil {
			return nil, err
		}
	}
	return func(s *domain.Speaker) error {
		set(&s.Key, in.Key)
		set(&s.Name, in.Name)
		set(&s.Kind, in.Kind)
		setList(&s.Aliases, in.Aliases)
		set(&s.Description, in.Description)
		set(&s.Country, in.Country)
		set(&s.WikidataID, in.WikidataID)
		if in.Roles.IsSet() {
			s.Roles = roles
		}
		return nil
	}, nil
}

// roles resolves the organizations of role inputs.
func (r *Resolver) roles(ctx context.Context, in []*model.RoleInput) ([]domain.Role, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]domain.Role, len(in))
	for i, ri := range in {
		out[i] = domain.Role{Title: ri.Title, From: deref(ri.From), To: deref(ri.To)}
		if ri.Organization != nil {
			id, err := r.speakerID(ctx, *ri.Organization, "roles", strconv.Itoa(i), "organization")
			if err != nil {
				return nil, err
			}
			out[i].OrgID = id
		}
	}
	return out, nil
}

func (r *Resolver) newTopicRecord(ctx context.Context, in model.CreateTopicInput) (*domain.Topic, error) {
	t := &domain.Topic{Key: deref(in.Key), Name: in.Name, Description: deref(in.Description)}
	if in.Parent != nil {
		id, err := r.topicID(ctx, *in.Parent, "parent")
		if err != nil {
			return nil, err
		}
		t.ParentID = id
	}
	return t, nil
}

func (r *Resolver) topicPatch(ctx context.Context, in model.UpdateTopicInput) (func(*domain.Topic) error, error) {
	if err := cmp.Or(notNull("key", in.Key), notNull("name", in.Name)); err != nil {
		return nil, err
	}
	var parent domain.ID
	if key := in.Parent.Value(); key != nil {
		var err error
		if parent, err = r.topicID(ctx, *key, "parent"); err != nil {
			return nil, err
		}
	}
	return func(t *domain.Topic) error {
		set(&t.Key, in.Key)
		set(&t.Name, in.Name)
		set(&t.Description, in.Description)
		if in.Parent.IsSet() {
			t.ParentID = parent
		}
		return nil
	}, nil
}

func newSourceRecord(in model.CreateSourceInput) *domain.Source {
	return &domain.Source{
		URL:         in.URL,
		Title:       deref(in.Title),
		Publisher:   deref(in.Publisher),
		PublishedAt: deref(in.PublishedAt),
	}
}

func sourcePatch(in model.UpdateSourceInput) (func(*domain.Source) error, error) {
	if err := notNull("url", in.URL); err != nil {
		return nil, err
	}
	return func(s *domain.Source) error {
		set(&s.URL, in.URL)
		set(&s.Title, in.Title)
		set(&s.Publisher, in.Publisher)
		set(&s.PublishedAt, in.PublishedAt)
		return nil
	}, nil
}

func (r *Resolver) newStatementRecord(ctx context.Context, in model.CreateStatementInput) (*domain.Statement, error) {
	speaker, err := r.speakerID(ctx, in.Speaker, "speaker")
	if err != nil {
		return nil, err
	}
	topics, err := r.topicIDs(ctx, in.Topics)
	if err != nil {
		return nil, err
	}
	sources, err := r.sourceIDs(ctx, in.Sources)
	if err != nil {
		return nil, err
	}
	return &domain.Statement{
		ExternalID: deref(in.ExternalID),
		Text:       in.Text,
		Kind:       in.Kind,
		SpeakerID:  speaker,
		SaidOn:     deref(in.SaidOn),
		DateText:   deref(in.DateText),
		Location:   deref(in.Location),
		Context:    deref(in.Context),
		Language:   deref(in.Language),
		TopicIDs:   topics,
		SourceIDs:  sources,
	}, nil
}

func (r *Resolver) statementPatch(ctx context.Context, in model.UpdateStatementInput) (func(*domain.Statement) error, error) {
	if err := cmp.Or(notNull("text", in.Text), notNull("kind", in.Kind), notNull("speaker", in.Speaker)); err != nil {
		return nil, err
	}
	var (
		speaker         domain.ID
		topics, sources []domain.ID
		err             error
	)
	if key := in.Speaker.Value(); key != nil {
		if speaker, err = r.speakerID(ctx, *key, "speaker"); err != nil {
			return nil, err
		}
	}
	if topics, err = r.topicIDs(ctx, in.Topics.Value()); err != nil {
		return nil, err
	}
	if sources, err = r.sourceIDs(ctx, in.Sources.Value()); err != nil {
		return nil, err
	}
	return func(s *domain.Statement) error {
		set(&s.ExternalID, in.ExternalID)
		set(&s.Text, in.Text)
		set(&s.Kind, in.Kind)
		if in.Speaker.IsSet() {
			s.SpeakerID = speaker
		}
		set(&s.SaidOn, in.SaidOn)
		set(&s.DateText, in.DateText)
		set(&s.Location, in.Location)
		set(&s.Context, in.Context)
		set(&s.Language, in.Language)
		if in.Topics.IsSet() {
			s.TopicIDs = topics
		}
		if in.Sources.IsSet() {
			s.SourceIDs = sources
		}
		return nil
	}, nil
}

func (r *Resolver) newPositionRecord(ctx context.Context, in model.CreatePositionInput) (*domain.Position, error) {
	speaker, err := r.speakerID(ctx, in.Speaker, "speaker")
	if err != nil {
		return nil, err
	}
	topic, err := r.topicID(ctx, in.Topic, "topic")
	if err != nil {
		return nil, err
	}
	evidence, err := r.evidence(ctx, derefAll(in.Evidence))
	if err != nil {
		return nil, err
	}
	return &domain.Position{
		SpeakerID:   speaker,
		TopicID:     topic,
		Stance:      in.Stance,
		Summary:     deref(in.Summary),
		AsOf:        in.AsOf,
		EvidenceIDs: evidence,
	}, nil
}

func (r *Resolver) positionPatch(ctx context.Context, in model.UpdatePositionInput) (func(*domain.Position) error, error) {
	if err := cmp.Or(
		notNull("speaker", in.Speaker), notNull("topic", in.Topic),
		notNull("stance", in.Stance), notNull("asOf", in.AsOf),
	); err != nil {
		return nil, err
	}
	var (
		speaker, topic domain.ID
		evidence       []domain.ID
		err            error
	)
	if key := in.Speaker.Value(); key != nil {
		if speaker, err = r.speakerID(ctx, *key, "speaker"); err != nil {
			return nil, err
		}
	}
	if key := in.Topic.Value(); key != nil {
		if topic, err = r.topicID(ctx, *key, "topic"); err != nil {
			return nil, err
		}
	}
	if evidence, err = r.evidence(ctx, in.Evidence.Value()); err != nil {
		return nil, err
	}
	return func(p *domain.Position) error {
		if in.Speaker.IsSet() {
			p.SpeakerID = speaker
		}
		if in.Topic.IsSet() {
			p.TopicID = topic
		}
		set(&p.Stance, in.Stance)
		set(&p.Summary, in.Summary)
		set(&p.AsOf, in.AsOf)
		if in.Evidence.IsSet() {
			p.EvidenceIDs = evidence
		}
		return nil
	}, nil
}

// speakerID resolves a speaker key given in the input field at path.
func (r *Resolver) speakerID(ctx context.Context, key string, path ...string) (domain.ID, error) {
	s, err := r.Store.SpeakerByKey(ctx, key)
	if err != nil {
		return 0, missing(err, path, "no speaker has key %q", key)
	}
	return s.ID, nil
}

// topicID resolves a topic key given in the input field at path.
func (r *Resolver) topicID(ctx context.Context, key string, path ...string) (domain.ID, error) {
	t, err := r.Store.TopicByKey(ctx, key)
	if err != nil {
		return 0, missing(err, path, "no topic has key %q", key)
	}
	return t.ID, nil
}

// topicIDs resolves the topic keys of the input field topics.
func (r *Resolver) topicIDs(ctx context.Context, keys []string) ([]domain.ID, error) {
	return resolveAll(keys, func(i int, key string) (domain.ID, error) {
		return r.topicID(ctx, key, "topics", strconv.Itoa(i))
	})
}

// sourceIDs resolves the source URLs of the input field sources.
func (r *Resolver) sourceIDs(ctx context.Context, urls []string) ([]domain.ID, error) {
	return resolveAll(urls, func(i int, url string) (domain.ID, error) {
		path := []string{"sources", strconv.Itoa(i)}
		s, err := r.Store.SourceByURL(ctx, url)
		if domain.ErrorCode(err) == domain.CodeBadUserInput {
			return 0, domain.WithPath(err, path...)
		}
		if err != nil {
			return 0, missing(err, path, "no source has URL %q; create it first", url)
		}
		return s.ID, nil
	})
}

// evidence checks that the ids of the input field evidence name existing
// statements, with one read for all of them.
func (r *Resolver) evidence(ctx context.Context, ids []model.ID) ([]domain.ID, error) {
	local, err := resolveAll(ids, func(i int, id model.ID) (domain.ID, error) {
		n, err := id.As(model.TypeStatement)
		return n, domain.WithPath(err, "evidence", strconv.Itoa(i))
	})
	if err != nil || len(local) == 0 {
		return local, err
	}
	found, err := r.Store.StatementsByID(ctx, local)
	if err != nil {
		return nil, err
	}
	for i, st := range found {
		if st == nil {
			return nil, domain.FieldErrorf([]string{"evidence", strconv.Itoa(i)}, "no statement has id %s", ids[i])
		}
	}
	return local, nil
}

func resolveAll[T any](in []T, f func(int, T) (domain.ID, error)) ([]domain.ID, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]domain.ID, len(in))
	for i, v := range in {
		id, err := f(i, v)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// missing turns the store's NOT_FOUND for a record named in the input
// field at path into BAD_USER_INPUT on that field.
func missing(err error, path []string, format string, args ...any) error {
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.FieldErrorf(path, format, args...)
	}
	return err
}

// notNull rejects an explicit null for a patch field that cannot be
// cleared.
func notNull[T any](field string, o graphql.Omittable[*T]) error {
	if v, ok := o.ValueOK(); ok && v == nil {
		return domain.FieldErrorf([]string{field}, "cannot be null; leave it out to keep the current value")
	}
	return nil
}

// set applies a patch field: left out keeps *dst, null clears it.
func set[T any](dst *T, o graphql.Omittable[*T]) {
	if v, ok := o.ValueOK(); ok {
		*dst = deref(v)
	}
}

// setList applies a list patch field: a list replaces *dst, null empties it.
func setList[T any](dst *[]T, o graphql.Omittable[[]T]) {
	if v, ok := o.ValueOK(); ok {
		*dst = v
	}
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func derefAll[T any](ps []*T) []T {
	if ps == nil {
		return nil
	}
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
