package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/domain"
)

// Fixture constructors. Each creates one record and stops the test when
// the store refuses it: the subtests that use them test something else.

func createSpeaker(t *testing.T, s domain.Store, sp domain.Speaker) *domain.Speaker {
	t.Helper()
	got, err := s.CreateSpeaker(t.Context(), &sp)
	if err != nil {
		t.Fatalf("CreateSpeaker(%q): %v", sp.Name, err)
	}
	return got
}

func createTopic(t *testing.T, s domain.Store, key, name string, parent domain.ID) *domain.Topic {
	t.Helper()
	got, err := s.CreateTopic(t.Context(), &domain.Topic{Key: key, Name: name, ParentID: parent})
	if err != nil {
		t.Fatalf("CreateTopic(%q): %v", key, err)
	}
	return got
}

func createSource(t *testing.T, s domain.Store, url string) *domain.Source {
	t.Helper()
	got, err := s.CreateSource(t.Context(), &domain.Source{URL: url, Title: "Report " + url, Publisher: "Example News"})
	if err != nil {
		t.Fatalf("CreateSource(%q): %v", url, err)
	}
	return got
}

func createStatement(t *testing.T, s domain.Store, st domain.Statement) *domain.Statement {
	t.Helper()
	got, err := s.CreateStatement(t.Context(), &st)
	if err != nil {
		t.Fatalf("CreateStatement(%q): %v", st.Text, err)
	}
	return got
}

func createPosition(t *testing.T, s domain.Store, ps domain.Position) *domain.Position {
	t.Helper()
	got, err := s.CreatePosition(t.Context(), &ps)
	if err != nil {
		t.Fatalf("CreatePosition(speaker %d, topic %d, %s): %v", ps.SpeakerID, ps.TopicID, ps.AsOf, err)
	}
	return got
}

// person is a speaker of kind PERSON with a derived key.
func person(name, country string) domain.Speaker {
	return domain.Speaker{Name: name, Kind: domain.SpeakerPerson, Country: country}
}

// quote is a QUOTE statement by the speaker on the date ("" unknown).
func quote(speaker domain.ID, text, saidOn string) domain.Statement {
	st := domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: speaker}
	if saidOn != "" {
		st.SaidOn = domain.MustParsePartialDate(saidOn)
	}
	return st
}

// stance is a position of the speaker on the topic as of the date.
func stance(speaker, topic domain.ID, st domain.Stance, asOf string, evidence ...domain.ID) domain.Position {
	return domain.Position{
		SpeakerID: speaker, TopicID: topic, Stance: st,
		Summary: string(st) + " as of " + asOf,
		AsOf:    domain.MustParsePartialDate(asOf), EvidenceIDs: evidence,
	}
}

func day(s string) domain.Day { return domain.MustParsePartialDate(s).Start() }

// Error assertions.

// wantCode fails t unless err carries the code.
func wantCode(t *testing.T, err error, want domain.Code, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, want)
		return
	}
	if got := domain.ErrorCode(err); got != want {
		t.Errorf("%s: %s error %q, want %s", what, got, err, want)
	}
}

// wantFieldError fails t unless err is BAD_USER_INPUT with a path that
// starts at the named input field, so that a client can tell what to fix.
func wantFieldError(t *testing.T, err error, field, what string) {
	t.Helper()
	wantCode(t, err, domain.CodeBadUserInput, what)
	if err == nil || domain.ErrorCode(err) != domain.CodeBadUserInput {
		return
	}
	if path := errorPath(err); len(path) == 0 || path[0] != field {
		t.Errorf("%s: error %q has path %q, want a path starting at %q", what, err, path, field)
	}
}

func errorPath(err error) []string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Path
	}
	return nil
}

// noError stops the test when err is not nil.
func noError(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Record comparison. Stores may return timestamps without a monotonic
// clock reading or in another location, and empty lists as nil; canonical
// erases those differences and nothing else.

func canonTime(tm time.Time) time.Time { return tm.Round(0).UTC() }

func nilIfEmpty[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

func canonical(v any) any {
	switch r := v.(type) {
	case *domain.Speaker:
		if r == nil {
			return r
		}
		c := *r
		c.Aliases = nilIfEmpty(c.Aliases)
		c.Roles = nilIfEmpty(c.Roles)
		c.CreatedAt, c.UpdatedAt = canonTime(c.CreatedAt), canonTime(c.UpdatedAt)
		return c
	case *domain.Topic:
		if r == nil {
			return r
		}
		c := *r
		c.CreatedAt, c.UpdatedAt = canonTime(c.CreatedAt), canonTime(c.UpdatedAt)
		return c
	case *domain.Source:
		if r == nil {
			return r
		}
		c := *r
		c.PublishedAt = canonTime(c.PublishedAt)
		c.CreatedAt, c.UpdatedAt = canonTime(c.CreatedAt), canonTime(c.UpdatedAt)
		return c
	case *domain.Statement:
		if r == nil {
			return r
		}
		c := *r
		c.TopicIDs, c.SourceIDs = nilIfEmpty(c.TopicIDs), nilIfEmpty(c.SourceIDs)
		c.CreatedAt, c.UpdatedAt = canonTime(c.CreatedAt), canonTime(c.UpdatedAt)
		return c
	case *domain.Position:
		if r == nil {
			return r
		}
		c := *r
		c.EvidenceIDs = nilIfEmpty(c.EvidenceIDs)
		c.CreatedAt, c.UpdatedAt = canonTime(c.CreatedAt), canonTime(c.UpdatedAt)
		return c
	}
	panic(fmt.Sprintf("storetest: canonical(%T)", v))
}

func same(a, b any) bool { return reflect.DeepEqual(canonical(a), canonical(b)) }

// wantSame fails t unless the two records are equal.
func wantSame(t *testing.T, what string, got, want any) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, canonical(got), canonical(want))
	}
}

// The whole contents of a store, read through its public methods, ordered
// by id. Comparing two snapshots proves that a rejected write wrote nothing.

type contents struct {
	speakers   []*domain.Speaker
	topics     []*domain.Topic
	sources    []*domain.Source
	statements []*domain.Statement
	positions  []*domain.Position
}

func snapshot(t *testing.T, s domain.Store) *contents {
	t.Helper()
	ctx := t.Context()
	c := &contents{
		speakers: listAll(t, "ListSpeakers", func(p domain.Page) (*domain.Result[*domain.Speaker], error) {
			return s.ListSpeakers(ctx, domain.SpeakerFilter{}, p)
		}),
		topics: listAll(t, "ListTopics", func(p domain.Page) (*domain.Result[*domain.Topic], error) {
			return s.ListTopics(ctx, domain.TopicFilter{}, p)
		}),
		sources: listAll(t, "ListSources", func(p domain.Page) (*domain.Result[*domain.Source], error) {
			return s.ListSources(ctx, p)
		}),
		statements: listAll(t, "ListStatements", func(p domain.Page) (*domain.Result[*domain.Statement], error) {
			return s.ListStatements(ctx, domain.StatementFilter{}, domain.CreatedAtDesc, p)
		}),
		positions: listAll(t, "ListPositions", func(p domain.Page) (*domain.Result[*domain.Position], error) {
			return s.ListPositions(ctx, domain.PositionFilter{}, p)
		}),
	}
	slices.SortFunc(c.speakers, byID(speakerID))
	slices.SortFunc(c.topics, byID(topicID))
	slices.SortFunc(c.sources, byID(sourceID))
	slices.SortFunc(c.statements, byID(statementID))
	slices.SortFunc(c.positions, byID(positionID))
	return c
}

func byID[T any](id func(T) domain.ID) func(a, b T) int {
	return func(a, b T) int { return cmpID(id(a), id(b)) }
}

func cmpID(a, b domain.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// listAll walks a list forward in pages of MaxPageSize.
func listAll[T any](t *testing.T, what string, list func(domain.Page) (*domain.Result[T], error)) []T {
	t.Helper()
	var all []T
	p := domain.Page{First: domain.MaxPageSize}
	for range 10_000 {
		res, err := list(p)
		noError(t, err, what)
		all = append(all, res.Items...)
		if !res.HasNextPage {
			return all
		}
		if len(res.Cursors) == 0 {
			t.Fatalf("%s: a page with hasNextPage has no cursors", what)
		}
		p.After = res.Cursors[len(res.Cursors)-1]
	}
	t.Fatalf("%s: no end after 10000 pages", what)
	return nil
}

// wantUnchanged fails t when the store's contents differ from before.
func wantUnchanged(t *testing.T, s domain.Store, before *contents, what string) {
	t.Helper()
	after := snapshot(t, s)
	var diffs []string
	diffs = append(diffs, diffRecords("speaker", before.speakers, after.speakers, speakerID)...)
	diffs = append(diffs, diffRecords("topic", before.topics, after.topics, topicID)...)
	diffs = append(diffs, diffRecords("source", before.sources, after.sources, sourceID)...)
	diffs = append(diffs, diffRecords("statement", before.statements, after.statements, statementID)...)
	diffs = append(diffs, diffRecords("position", before.positions, after.positions, positionID)...)
	if len(diffs) > 0 {
		t.Errorf("%s changed the store:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

func diffRecords[T any](typ string, before, after []T, id func(T) domain.ID) []string {
	old := make(map[domain.ID]T, len(before))
	for _, r := range before {
		old[id(r)] = r
	}
	var diffs []string
	for _, r := range after {
		o, ok := old[id(r)]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s %d appeared: %+v", typ, id(r), canonical(r)))
		case !same(o, r):
			diffs = append(diffs, fmt.Sprintf("%s %d changed:\n\t  from %+v\n\t    to %+v", typ, id(r), canonical(o), canonical(r)))
		}
		delete(old, id(r))
	}
	for i, r := range old {
		diffs = append(diffs, fmt.Sprintf("%s %d disappeared: %+v", typ, i, canonical(r)))
	}
	return diffs
}

// wantNoDangling fails t when any record refers to one that does not exist.
func wantNoDangling(t *testing.T, s domain.Store) {
	t.Helper()
	c := snapshot(t, s)
	speakers := idSet(c.speakers, speakerID)
	topics := idSet(c.topics, topicID)
	sources := idSet(c.sources, sourceID)
	statements := idSet(c.statements, statementID)
	for _, sp := range c.speakers {
		for _, r := range sp.Roles {
			if r.OrgID != 0 && !speakers[r.OrgID] {
				t.Errorf("speaker %s has role %q in missing speaker %d", sp.Key, r.Title, r.OrgID)
			}
		}
	}
	for _, tp := range c.topics {
		if tp.ParentID != 0 && !topics[tp.ParentID] {
			t.Errorf("topic %s has missing parent %d", tp.Key, tp.ParentID)
		}
	}
	for _, st := range c.statements {
		if !speakers[st.SpeakerID] {
			t.Errorf("statement %d has missing speaker %d", st.ID, st.SpeakerID)
		}
		for _, id := range st.TopicIDs {
			if !topics[id] {
				t.Errorf("statement %d has missing topic %d", st.ID, id)
			}
		}
		for _, id := range st.SourceIDs {
			if !sources[id] {
				t.Errorf("statement %d cites missing source %d", st.ID, id)
			}
		}
	}
	for _, ps := range c.positions {
		if !speakers[ps.SpeakerID] {
			t.Errorf("position %d has missing speaker %d", ps.ID, ps.SpeakerID)
		}
		if !topics[ps.TopicID] {
			t.Errorf("position %d has missing topic %d", ps.ID, ps.TopicID)
		}
		for _, id := range ps.EvidenceIDs {
			if !statements[id] {
				t.Errorf("position %d cites missing statement %d", ps.ID, id)
			}
		}
	}
}

// idSet returns the set of the records' ids.
func idSet[T any](xs []T, id func(T) domain.ID) map[domain.ID]bool {
	m := make(map[domain.ID]bool, len(xs))
	for _, x := range xs {
		m[id(x)] = true
	}
	return m
}

// ids returns the ids of records, in order.
func ids[T any](xs []T, id func(T) domain.ID) []domain.ID {
	out := make([]domain.ID, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func statementID(s *domain.Statement) domain.ID { return s.ID }
func positionID(p *domain.Position) domain.ID   { return p.ID }
func speakerID(s *domain.Speaker) domain.ID     { return s.ID }
func topicID(x *domain.Topic) domain.ID         { return x.ID }
func sourceID(x *domain.Source) domain.ID       { return x.ID }
