package graph

import (
	"context"
	"slices"
	"time"

	"parley/domain"
	"parley/graph/model"
)

// This file turns domain records into the API's models. Lists of
// statements and positions are converted a page at a time, with one store
// read for all the speakers and one for all the topics they refer to,
// so that no list costs a read per item.

func newSpeaker(s *domain.Speaker) *model.Speaker {
	if s == nil {
		return nil
	}
	m := new(model.Speaker)
	setSpeaker(m, s)
	return m
}

// setSpeaker fills m from s, for callers that allocate models in blocks.
func setSpeaker(m *model.Speaker, s *domain.Speaker) {
	var roles []*model.Role
	if len(s.Roles) > 0 {
		roles = make([]*model.Role, len(s.Roles))
		for i := range s.Roles {
			roles[i] = newRole(&s.Roles[i])
		}
	}
	*m = model.Speaker{
		ID:          model.NewID(model.TypeSpeaker, s.ID),
		Key:         s.Key,
		Name:        s.Name,
		Kind:        s.Kind,
		Aliases:     orEmpty(s.Aliases),
		Description: optionalIn(&s.Description),
		Country:     optionalIn(&s.Country),
		WikidataID:  optionalIn(&s.WikidataID),
		Roles:       roles,
		CreatedAt:   s.CreatedAt,
		UpdatedAt:   s.UpdatedAt,
	}
}

func newRole(r *domain.Role) *model.Role {
	if r == nil {
		return nil
	}
	return &model.Role{
		Title: r.Title,
		From:  optionalDate(r.From),
		To:    optionalDate(r.To),
		OrgID: r.OrgID,
	}
}

func newTopic(t *domain.Topic) *model.Topic {
	if t == nil {
		return nil
	}
	return &model.Topic{
		ID:          model.NewID(model.TypeTopic, t.ID),
		Key:         t.Key,
		Name:        t.Name,
		Description: optionalIn(&t.Description),
		CreatedAt:   t.CreatedAt,
		UpdatedAt:   t.UpdatedAt,
		ParentID:    t.ParentID,
	}
}

func newSource(s *domain.Source) *model.Source {
	if s == nil {
		return nil
	}
	return &model.Source{
		ID:          model.NewID(model.TypeSource, s.ID),
		URL:         s.URL,
		Title:       optional(s.Title),
		Publisher:   optional(s.Publisher),
		PublishedAt: optionalTime(s.PublishedAt),
		CreatedAt:   s.CreatedAt,
		UpdatedAt:   s.UpdatedAt,
	}
}

// newStatements converts a page of statements with their speakers, the
// roles those held and their topics. The result is aligned with ss: an
// entry is nil where ss has nil, or where the statement's speaker is gone,
// deleted between the list's read and this one (each store call is its own
// transaction).
func newStatements(ctx context.Context, s domain.Store, ss []*domain.Statement) ([]*model.Statement, error) {
	var speakerIDs, topicIDs []domain.ID
	for _, st := range ss {
		if st != nil {
			speakerIDs = append(speakerIDs, st.SpeakerID)
			topicIDs = append(topicIDs, st.TopicIDs...)
		}
	}
	speakers, err := readSpeakers(ctx, s, speakerIDs)
	if err != nil {
		return nil, err
	}
	topics, err := readTopics(ctx, s, topicIDs)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Statement, len(ss))
	// One block for the page's statements: one allocation, not one each.
	block := make([]model.Statement, len(ss))
	for i, st := range ss {
		if st == nil {
			continue
		}
		sp, ok := speakers[st.SpeakerID]
		if !ok {
			continue
		}
		block[i] = model.Statement{
			ID:          model.NewID(model.TypeStatement, st.ID),
			ExternalID:  optionalIn(&st.ExternalID),
			Text:        st.Text,
			Kind:        st.Kind,
			Speaker:     sp.model,
			SpeakerRole: newRole(sp.record.RoleOn(st.SaidOn)),
			SaidOn:      optionalDateIn(&st.SaidOn),
			DateText:    optionalIn(&st.DateText),
			Location:    optionalIn(&st.Location),
			Context:     optionalIn(&st.Context),
			Language:    st.Language,
			Topics:      pick(topics, st.TopicIDs),
			CreatedAt:   st.CreatedAt,
			UpdatedAt:   st.UpdatedAt,
			SourceIDs:   st.SourceIDs,
		}
		out[i] = &block[i]
	}
	return out, nil
}

// newPositions converts positions with their speakers and topics, aligned
// with ps like newStatements.
func newPositions(ctx context.Context, s domain.Store, ps []*domain.Position) ([]*model.Position, error) {
	var speakerIDs, topicIDs []domain.ID
	for _, p := range ps {
		if p != nil {
			speakerIDs = append(speakerIDs, p.SpeakerID)
			topicIDs = append(topicIDs, p.TopicID)
		}
	}
	speakers, err := readSpeakers(ctx, s, speakerIDs)
	if err != nil {
		return nil, err
	}
	topics, err := readTopics(ctx, s, topicIDs)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Position, len(ps))
	block := make([]model.Position, len(ps)) // one allocation, as in newStatements
	for i, p := range ps {
		if p == nil {
			continue
		}
		sp, ok := speakers[p.SpeakerID]
		t := topics[p.TopicID]
		if !ok || t == nil {
			continue
		}
		block[i] = model.Position{
			ID:          model.NewID(model.TypePosition, p.ID),
			Speaker:     sp.model,
			Topic:       t,
			Stance:      p.Stance,
			Summary:     optionalIn(&p.Summary),
			AsOf:        p.AsOf,
			Shift:       p.Shift(),
			CreatedAt:   p.CreatedAt,
			UpdatedAt:   p.UpdatedAt,
			EvidenceIDs: p.EvidenceIDs,
			PreviousID:  p.PreviousID,
		}
		out[i] = &block[i]
	}
	return out, nil
}

// speaker is a speaker record with its model: statements need the record
// to tell the role the speaker held.
type speaker struct {
	record *domain.Speaker
	model  *model.Speaker
}

// readSpeakers reads the distinct speakers among ids in one store call.
func readSpeakers(ctx context.Context, s domain.Store, ids []domain.ID) (map[domain.ID]speaker, error) {
	ids = distinct(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := s.SpeakersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.ID]speaker, len(recs))
	block := make([]model.Speaker, len(recs)) // one allocation for the models
	for i, r := range recs {
		if r != nil {
			setSpeaker(&block[i], r)
			out[r.ID] = speaker{record: r, model: &block[i]}
		}
	}
	return out, nil
}

// readTopics reads the distinct topics among ids in one store call.
func readTopics(ctx context.Context, s domain.Store, ids []domain.ID) (map[domain.ID]*model.Topic, error) {
	ids = distinct(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := s.TopicsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[domain.ID]*model.Topic, len(recs))
	for _, r := range recs {
		if r != nil {
			out[r.ID] = newTopic(r)
		}
	}
	return out, nil
}

// pick returns the values of m at ids, in order, skipping missing ones.
func pick[V any](m map[domain.ID]*V, ids []domain.ID) []*V {
	out := make([]*V, 0, len(ids))
	for _, id := range ids {
		if v := m[id]; v != nil {
			out = append(out, v)
		}
	}
	return out
}

func distinct(ids []domain.ID) []domain.ID {
	if len(ids) < 2 {
		return ids
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// compact returns s without its nil entries.
func compact[T any](s []*T) []*T {
	return slices.DeleteFunc(slices.Clone(s), func(v *T) bool { return v == nil })
}

func mapSlice[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optionalIn is optional for a field of a record that the model may point
// into: records read for a response are the response's own, so pointing
// saves a copy and an allocation per field.
func optionalIn(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

// optionalDateIn is optionalDate pointing into the record, as optionalIn.
func optionalDateIn(d *domain.PartialDate) *domain.PartialDate {
	if d.IsZero() {
		return nil
	}
	return d
}

func optionalDate(d domain.PartialDate) *domain.PartialDate {
	if d.IsZero() {
		return nil
	}
	return &d
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// newImportReport converts an import report; a result's id is the
// statement's global id, null when no statement was written.
func newImportReport(rep *domain.ImportReport) *model.ImportReport {
	out := &model.ImportReport{Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
		Skipped: rep.Skipped, Failed: rep.Failed, Results: make([]*model.ImportResult, len(rep.Results))}
	for i := range rep.Results {
		r := &rep.Results[i]
		res := &model.ImportResult{Index: r.Index, Status: r.Status, Errors: issues(r.Errors), Warnings: issues(r.Warnings)}
		if r.ID != 0 {
			id := model.NewID(model.TypeStatement, r.ID)
			res.ID = &id
		}
		out.Results[i] = res
	}
	return out
}

func issues(in []domain.Issue) []*domain.Issue {
	out := make([]*domain.Issue, len(in))
	for i := range in {
		out[i] = &in[i]
		if out[i].Path == nil {
			out[i].Path = []string{}
		}
	}
	return out
}
