package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSpeakerLifecycle(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	type speaker struct {
		ID          string
		Key         string
		Name        string
		Kind        string
		Aliases     []string
		Description *string
		Country     *string
		WikidataID  *string
		Roles       []struct {
			Title        string
			Organization *struct{ Key string }
			From         *struct{ Value, Precision string }
			To           *struct{ Value string }
		}
	}
	const fields = `id key name kind aliases description country wikidataId
	  roles { title organization { key } from { value precision } to { value } }`

	var byKey struct{ Speaker speaker }
	a.do(`{ speaker(key: "dmitry-peskov") { `+fields+` } }`, nil, &byKey)
	got := byKey.Speaker
	if got.ID != f.peskov || got.Name != "Dmitry Peskov" || got.Kind != "PERSON" || *got.Country != "RU" ||
		len(got.Aliases) != 1 || got.Description != nil || got.WikidataID != nil {
		t.Fatalf("created speaker = %+v", got)
	}
	if len(got.Roles) != 1 || got.Roles[0].Organization.Key != "kremlin" ||
		got.Roles[0].From.Value != "2012-05" || got.Roles[0].From.Precision != "MONTH" || got.Roles[0].To != nil {
		t.Fatalf("roles = %+v", got.Roles)
	}

	var byID struct{ Speaker speaker }
	a.do(`query($id: ID) { speaker(id: $id) { `+fields+` } }`, vars{"id": f.peskov}, &byID)
	if byID.Speaker.Key != "dmitry-peskov" {
		t.Fatalf("speaker(id) = %+v", byID.Speaker)
	}

	// A patch changes what it names, clears what it sets to null and
	// keeps the rest.
	var upd struct{ UpdateSpeaker struct{ Speaker speaker } }
	a.do(`mutation($id: ID!) {
	  updateSpeaker(id: $id, input: {description: "Press secretary", wikidataId: "Q4165541", aliases: null, country: null}) {
	    speaker { `+fields+` } }
	}`, vars{"id": f.peskov}, &upd)
	got = upd.UpdateSpeaker.Speaker
	if *got.Description != "Press secretary" || *got.WikidataID != "Q4165541" || len(got.Aliases) != 0 ||
		got.Country != nil || got.Name != "Dmitry Peskov" || len(got.Roles) != 1 {
		t.Fatalf("updated speaker = %+v", got)
	}

	var del struct{ DeleteSpeaker struct{ DeletedID string } }
	a.do(`mutation($id: ID!) { deleteSpeaker(id: $id, cascade: true) { deletedId } }`, vars{"id": f.peskov}, &del)
	if del.DeleteSpeaker.DeletedID != f.peskov {
		t.Fatalf("deletedId = %q, want %q", del.DeleteSpeaker.DeletedID, f.peskov)
	}
	var after struct{ Speaker *speaker }
	a.do(`{ speaker(key: "dmitry-peskov") { id } }`, nil, &after)
	if after.Speaker != nil {
		t.Fatalf("deleted speaker still found: %+v", after.Speaker)
	}
}

func TestTopicLifecycle(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	type topic struct {
		ID, Key, Name string
		Description   *string
		Parent        *struct{ Key string }
		Children      struct {
			TotalCount int
			Edges      []struct{ Node struct{ Key string } }
		}
	}
	const fields = `id key name description parent { key } children { totalCount edges { node { key } } }`

	var got struct{ Topic topic }
	a.do(`{ topic(key: "peace-process") { `+fields+` } }`, nil, &got)
	if got.Topic.ID != f.parent || got.Topic.Parent != nil || got.Topic.Children.TotalCount != 1 ||
		got.Topic.Children.Edges[0].Node.Key != "us-peace-plan" {
		t.Fatalf("parent topic = %+v", got.Topic)
	}
	a.do(`query($id: ID) { topic(id: $id) { `+fields+` } }`, vars{"id": f.topic}, &got)
	if got.Topic.Key != "us-peace-plan" || got.Topic.Parent == nil || got.Topic.Parent.Key != "peace-process" {
		t.Fatalf("subtopic = %+v", got.Topic)
	}

	var upd struct{ UpdateTopic struct{ Topic topic } }
	a.do(`mutation($id: ID!) { updateTopic(id: $id, input: {parent: null, description: "The draft"}) { topic { `+fields+` } } }`,
		vars{"id": f.topic}, &upd)
	if upd.UpdateTopic.Topic.Parent != nil || *upd.UpdateTopic.Topic.Description != "The draft" || upd.UpdateTopic.Topic.Name != "U.S. peace plan" {
		t.Fatalf("updated topic = %+v", upd.UpdateTopic.Topic)
	}

	a.do(`mutation($id: ID!) { deleteTopic(id: $id) { deletedId } }`, vars{"id": f.parent}, nil)
	var after struct{ Topic *topic }
	a.do(`{ topic(key: "peace-process") { id } }`, nil, &after)
	if after.Topic != nil {
		t.Fatalf("deleted topic still found")
	}
}

func TestSourceLifecycle(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	type source struct {
		ID, URL     string
		Title       *string
		Publisher   *string
		PublishedAt *string
		Statements  struct{ TotalCount int }
	}
	const fields = `id url title publisher publishedAt statements { totalCount }`

	var got struct{ Source source }
	// The lookup normalizes the URL first.
	a.do(`{ source(url: "HTTPS://Example.org:443/a#top") { `+fields+` } }`, nil, &got)
	if got.Source.ID != f.source || *got.Source.Title != "A report" || got.Source.Publisher != nil ||
		*got.Source.PublishedAt != "2025-12-01T18:00:00Z" || got.Source.Statements.TotalCount != 1 {
		t.Fatalf("source = %+v", got.Source)
	}

	var upd struct{ UpdateSource struct{ Source source } }
	a.do(`mutation($id: ID!) { updateSource(id: $id, input: {publisher: "Wire", publishedAt: null}) { source { `+fields+` } } }`,
		vars{"id": f.source}, &upd)
	if *upd.UpdateSource.Source.Publisher != "Wire" || upd.UpdateSource.Source.PublishedAt != nil || *upd.UpdateSource.Source.Title != "A report" {
		t.Fatalf("updated source = %+v", upd.UpdateSource.Source)
	}

	a.do(`mutation($id: ID!) { deleteSource(id: $id, cascade: true) { deletedId } }`, vars{"id": f.source}, nil)
	var after struct{ Source *source }
	a.do(`{ source(url: "https://example.org/a") { id } }`, nil, &after)
	if after.Source != nil {
		t.Fatalf("deleted source still found")
	}
}

func TestStatementLifecycle(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	type statement struct {
		ID, Text, Kind, Language string
		ExternalID               *string
		Speaker                  struct{ Key string }
		SpeakerRole              *struct {
			Title        string
			Organization struct{ Key string }
		}
		SaidOn *struct {
			Value, Start, End, Precision string
		}
		DateText  *string
		Topics    []struct{ Key string }
		Sources   []struct{ URL string }
		Positions []struct{ ID string }
	}
	const fields = `id text kind language externalId speaker { key } speakerRole { title organization { key } }
	  saidOn { value start end precision } dateText topics { key } sources { url } positions { id }`

	var got struct{ Statement statement }
	a.do(`query($id: ID!) { statement(id: $id) { `+fields+` } }`, vars{"id": f.statement}, &got)
	s := got.Statement
	if s.ID != f.statement || s.Text != "The talks were useful." || s.Kind != "QUOTE" || s.Language != "en" ||
		*s.ExternalID != "s-1" || s.Speaker.Key != "dmitry-peskov" || s.SaidOn.Value != "2025-12-02" ||
		s.SaidOn.Precision != "DAY" || s.DateText != nil || len(s.Topics) != 1 || s.Sources[0].URL != "https://example.org/a" ||
		len(s.Positions) != 1 || s.Positions[0].ID != f.position {
		t.Fatalf("statement = %+v", s)
	}
	if s.SpeakerRole == nil || s.SpeakerRole.Title != "Kremlin spokesman" || s.SpeakerRole.Organization.Key != "kremlin" {
		t.Fatalf("speakerRole = %+v", s.SpeakerRole)
	}

	// A month is never shown as its first day; an unknown date is null,
	// and with it the role the speaker held.
	var upd struct{ UpdateStatement struct{ Statement statement } }
	a.do(`mutation($id: ID!) { updateStatement(id: $id, input: {saidOn: "2025-12", dateText: "in December", topics: null}) {
	  statement { `+fields+` } } }`, vars{"id": f.statement}, &upd)
	s = upd.UpdateStatement.Statement
	if s.SaidOn.Value != "2025-12" || s.SaidOn.Start != "2025-12-01" || s.SaidOn.End != "2025-12-31" ||
		s.SaidOn.Precision != "MONTH" || *s.DateText != "in December" || len(s.Topics) != 0 || len(s.Sources) != 1 {
		t.Fatalf("updated statement = %+v", s)
	}
	a.do(`mutation($id: ID!) { updateStatement(id: $id, input: {saidOn: null}) { statement { `+fields+` } } }`,
		vars{"id": f.statement}, &upd)
	if s = upd.UpdateStatement.Statement; s.SaidOn != nil || s.SpeakerRole != nil {
		t.Fatalf("statement with unknown date = %+v", s)
	}

	a.do(`mutation($id: ID!) { deleteStatement(id: $id, cascade: true) { deletedId } }`, vars{"id": f.statement}, nil)
	var after struct{ Statement *statement }
	a.do(`query($id: ID!) { statement(id: $id) { id } }`, vars{"id": f.statement}, &after)
	if after.Statement != nil {
		t.Fatalf("deleted statement still found")
	}
}

func TestPositionLifecycle(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	type position struct {
		ID, Stance string
		Summary    *string
		Speaker    struct{ Key string }
		Topic      struct{ Key string }
		AsOf       struct{ Value string }
		Evidence   []struct{ ID string }
		Previous   *struct{ ID, Stance string }
		Shift      bool
	}
	const fields = `id stance summary speaker { key } topic { key } asOf { value } evidence { id } previous { id stance } shift`

	// A later position with another stance is a shift from the earlier.
	var created struct{ CreatePosition struct{ Position position } }
	a.do(`mutation { createPosition(input: {speaker: "dmitry-peskov", topic: "us-peace-plan", stance: OPPOSES,
	  asOf: "2025-12-05", summary: "Doubts"}) { position { `+fields+` } } }`, nil, &created)
	p := created.CreatePosition.Position
	if p.Stance != "OPPOSES" || *p.Summary != "Doubts" || p.AsOf.Value != "2025-12-05" || len(p.Evidence) != 0 ||
		p.Previous == nil || p.Previous.ID != f.position || !p.Shift {
		t.Fatalf("created position = %+v", p)
	}

	var got struct{ Node position }
	a.do(`query($id: ID!) { node(id: $id) { ... on Position { `+fields+` } } }`, vars{"id": f.position}, &got)
	if p = got.Node; p.Stance != "MIXED" || p.Speaker.Key != "dmitry-peskov" || p.Topic.Key != "us-peace-plan" ||
		len(p.Evidence) != 1 || p.Evidence[0].ID != f.statement || p.Previous != nil || p.Shift {
		t.Fatalf("first position = %+v", p)
	}

	var upd struct{ UpdatePosition struct{ Position position } }
	a.do(`mutation($id: ID!) { updatePosition(id: $id, input: {stance: OPPOSES, evidence: []}) { position { `+fields+` } } }`,
		vars{"id": f.position}, &upd)
	if p = upd.UpdatePosition.Position; p.Stance != "OPPOSES" || len(p.Evidence) != 0 || p.AsOf.Value != "2025-12-02" {
		t.Fatalf("updated position = %+v", p)
	}

	var del struct{ DeletePosition struct{ DeletedID string } }
	a.do(`mutation($id: ID!) { deletePosition(id: $id) { deletedId } }`, vars{"id": f.position}, &del)
	var after struct{ Node *position }
	a.do(`query($id: ID!) { node(id: $id) { id } }`, vars{"id": f.position}, &after)
	if del.DeletePosition.DeletedID != f.position || after.Node != nil {
		t.Fatalf("delete: payload %+v, node afterwards %+v", del, after.Node)
	}
}

// TestMutationsRejectBadInput checks that every mutation rejects bad input
// with the specific code, on the field at fault, and writes nothing.
func TestMutationsRejectBadInput(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)
	before := a.snapshot()

	tests := []struct {
		name  string
		query string
		vars  vars
		code  string
		field string // extensions.field; "" when the error names none
	}{
		// createSpeaker
		{"speaker country", `mutation { createSpeaker(input: {name: "X", kind: PERSON, country: "XX"}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.country"},
		{"speaker lower-case country", `mutation { createSpeaker(input: {name: "X", kind: PERSON, country: "ru"}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.country"},
		{"speaker key", `mutation { createSpeaker(input: {key: "Not A Key", name: "X", kind: PERSON}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.key"},
		{"speaker key taken", `mutation { createSpeaker(input: {key: "kremlin", name: "X", kind: PERSON}) { speaker { id } } }`, nil, "CONFLICT", "input.key"},
		{"speaker blank name", `mutation { createSpeaker(input: {name: "  ", kind: PERSON}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.name"},
		{"speaker wikidata", `mutation { createSpeaker(input: {name: "X", kind: PERSON, wikidataId: "7747"}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.wikidataId"},
		{"speaker kind", `mutation { createSpeaker(input: {name: "X", kind: ROBOT}) { speaker { id } } }`, nil, "BAD_USER_INPUT", ""},
		{"speaker kind variable", `mutation($k: SpeakerKind!) { createSpeaker(input: {name: "X", kind: $k}) { speaker { id } } }`, vars{"k": "ROBOT"}, "BAD_USER_INPUT", ""},
		{"role organization", `mutation { createSpeaker(input: {name: "X", kind: PERSON, roles: [{title: "T", organization: "nobody"}]}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.roles.0.organization"},
		{"role date", `mutation { createSpeaker(input: {name: "X", kind: PERSON, roles: [{title: "T", from: "2025-13"}]}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.roles.0.from"},
		{"role ends before it starts", `mutation { createSpeaker(input: {name: "X", kind: PERSON, roles: [{title: "T", from: "2025", to: "2024"}]}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "input.roles.0.to"},
		// updateSpeaker, deleteSpeaker
		{"speaker id malformed", `mutation { updateSpeaker(id: "nope", input: {name: "X"}) { speaker { id } } }`, nil, "BAD_USER_INPUT", "id"},
		{"speaker id of a topic", `mutation($id: ID!) { updateSpeaker(id: $id, input: {name: "X"}) { speaker { id } } }`, vars{"id": f.topic}, "BAD_USER_INPUT", "id"},
		{"speaker missing", `mutation($id: ID!) { updateSpeaker(id: $id, input: {name: "X"}) { speaker { id } } }`, vars{"id": "U3BlYWtlcjo5OTk"}, "NOT_FOUND", ""},
		{"speaker name null", `mutation($id: ID!) { updateSpeaker(id: $id, input: {name: null}) { speaker { id } } }`, vars{"id": f.peskov}, "BAD_USER_INPUT", "input.name"},
		{"speaker update country", `mutation($id: ID!) { updateSpeaker(id: $id, input: {country: "Russia"}) { speaker { id } } }`, vars{"id": f.peskov}, "BAD_USER_INPUT", "input.country"},
		{"speaker rename to taken key", `mutation($id: ID!) { updateSpeaker(id: $id, input: {key: "kremlin"}) { speaker { id } } }`, vars{"id": f.peskov}, "CONFLICT", "input.key"},
		{"delete speaker id of a statement", `mutation($id: ID!) { deleteSpeaker(id: $id) { deletedId } }`, vars{"id": f.statement}, "BAD_USER_INPUT", "id"},
		// topics
		{"topic parent", `mutation { createTopic(input: {name: "X", parent: "nothing"}) { topic { id } } }`, nil, "BAD_USER_INPUT", "input.parent"},
		{"topic key taken", `mutation { createTopic(input: {key: "us-peace-plan", name: "X"}) { topic { id } } }`, nil, "CONFLICT", "input.key"},
		{"topic cycle", `mutation($id: ID!) { updateTopic(id: $id, input: {parent: "us-peace-plan"}) { topic { id } } }`, vars{"id": f.parent}, "BAD_USER_INPUT", "input.parent"},
		{"topic own parent", `mutation($id: ID!) { updateTopic(id: $id, input: {parent: "us-peace-plan"}) { topic { id } } }`, vars{"id": f.topic}, "BAD_USER_INPUT", "input.parent"},
		{"topic name null", `mutation($id: ID!) { updateTopic(id: $id, input: {name: null}) { topic { id } } }`, vars{"id": f.topic}, "BAD_USER_INPUT", "input.name"},
		// sources
		{"source url", `mutation { createSource(input: {url: "example.org/b"}) { source { id } } }`, nil, "BAD_USER_INPUT", "input.url"},
		{"source url taken", `mutation { createSource(input: {url: "https://EXAMPLE.org/a"}) { source { id } } }`, nil, "CONFLICT", "input.url"},
		{"source publishedAt", `mutation { createSource(input: {url: "https://example.org/b", publishedAt: "yesterday"}) { source { id } } }`, nil, "BAD_USER_INPUT", "input.publishedAt"},
		{"source url null", `mutation($id: ID!) { updateSource(id: $id, input: {url: null}) { source { id } } }`, vars{"id": f.source}, "BAD_USER_INPUT", "input.url"},
		// statements
		{"statement speaker", `mutation { createStatement(input: {text: "T", kind: QUOTE, speaker: "nobody"}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.speaker"},
		{"statement topic", `mutation { createStatement(input: {text: "T", kind: QUOTE, speaker: "kremlin", topics: ["us-peace-plan", "nothing"]}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.topics.1"},
		{"statement source", `mutation { createStatement(input: {text: "T", kind: QUOTE, speaker: "kremlin", sources: ["https://example.org/zzz"]}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.sources.0"},
		{"statement date", `mutation { createStatement(input: {text: "T", kind: QUOTE, speaker: "kremlin", saidOn: "12/02/2025"}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.saidOn"},
		{"statement date variable", `mutation($d: PartialDate) { createStatement(input: {text: "T", kind: QUOTE, speaker: "kremlin", saidOn: $d}) { statement { id } } }`, vars{"d": "2025-12-02/2025-12-01"}, "BAD_USER_INPUT", "input.saidOn"},
		{"statement blank text", `mutation { createStatement(input: {text: " ", kind: QUOTE, speaker: "kremlin"}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.text"},
		{"statement language", `mutation { createStatement(input: {text: "T", kind: QUOTE, speaker: "kremlin", language: "not a tag"}) { statement { id } } }`, nil, "BAD_USER_INPUT", "input.language"},
		{"statement externalId taken", `mutation { createStatement(input: {externalId: "s-1", text: "Other", kind: QUOTE, speaker: "kremlin"}) { statement { id } } }`, nil, "CONFLICT", "input.externalId"},
		{"statement natural key taken", `mutation { createStatement(input: {text: "the talks were USEFUL", kind: PARAPHRASE, speaker: "dmitry-peskov", saidOn: "2025-12-02"}) { statement { id } } }`, nil, "CONFLICT", "input.text"},
		{"statement text null", `mutation($id: ID!) { updateStatement(id: $id, input: {text: null}) { statement { id } } }`, vars{"id": f.statement}, "BAD_USER_INPUT", "input.text"},
		{"statement new speaker", `mutation($id: ID!) { updateStatement(id: $id, input: {speaker: "nobody"}) { statement { id } } }`, vars{"id": f.statement}, "BAD_USER_INPUT", "input.speaker"},
		// positions
		{"position evidence malformed", `mutation { createPosition(input: {speaker: "kremlin", topic: "us-peace-plan", stance: SUPPORTS, asOf: "2025", evidence: ["x"]}) { position { id } } }`, nil, "BAD_USER_INPUT", "input.evidence.0"},
		{"position evidence of a speaker", `mutation($ev: ID!) { createPosition(input: {speaker: "kremlin", topic: "us-peace-plan", stance: SUPPORTS, asOf: "2025", evidence: [$ev]}) { position { id } } }`, vars{"ev": f.peskov}, "BAD_USER_INPUT", "input.evidence.0"},
		{"position evidence missing", `mutation { createPosition(input: {speaker: "kremlin", topic: "us-peace-plan", stance: SUPPORTS, asOf: "2025", evidence: ["U3RhdGVtZW50Ojk5OQ"]}) { position { id } } }`, nil, "BAD_USER_INPUT", "input.evidence.0"},
		{"position topic", `mutation { createPosition(input: {speaker: "kremlin", topic: "nothing", stance: SUPPORTS, asOf: "2025"}) { position { id } } }`, nil, "BAD_USER_INPUT", "input.topic"},
		{"position asOf", `mutation { createPosition(input: {speaker: "kremlin", topic: "us-peace-plan", stance: SUPPORTS, asOf: "2025-02-30"}) { position { id } } }`, nil, "BAD_USER_INPUT", "input.asOf"},
		{"position stance", `mutation { createPosition(input: {speaker: "kremlin", topic: "us-peace-plan", stance: LOVES, asOf: "2025"}) { position { id } } }`, nil, "BAD_USER_INPUT", ""},
		{"position taken", `mutation { createPosition(input: {speaker: "dmitry-peskov", topic: "us-peace-plan", stance: SUPPORTS, asOf: "2025-12-02"}) { position { id } } }`, nil, "CONFLICT", "input.asOf"},
		{"position stance null", `mutation($id: ID!) { updatePosition(id: $id, input: {stance: null}) { position { id } } }`, vars{"id": f.position}, "BAD_USER_INPUT", "input.stance"},
		{"position asOf null", `mutation($id: ID!) { updatePosition(id: $id, input: {asOf: null}) { position { id } } }`, vars{"id": f.position}, "BAD_USER_INPUT", "input.asOf"},
		{"delete position missing", `mutation { deletePosition(id: "UG9zaXRpb246OTk5") { deletedId } }`, nil, "NOT_FOUND", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			e := a.fail(tt.query, tt.vars)
			if e.Extensions.Code != tt.code || e.Extensions.Field != tt.field {
				t.Errorf("error %q: code %s, field %q; want %s, %q", e.Message, e.Extensions.Code, e.Extensions.Field, tt.code, tt.field)
			}
			if tt.field != "" && !strings.HasPrefix(e.Message, tt.field+": ") {
				t.Errorf("message %q does not name the field %s", e.Message, tt.field)
			}
			if after := a.snapshot(); after != before {
				t.Errorf("a rejected mutation changed the data:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestDeleteReferenced checks referential integrity: deleting a record that
// others refer to is a CONFLICT that writes nothing, unless cascade is asked
// for.
func TestDeleteReferenced(t *testing.T) {
	tests := []struct {
		name, mutation string
		id             func(fixture) string
		// gone lists what cascade removes, as a query and its expected data.
		check, want string
	}{
		{
			name:     "speaker",
			mutation: "deleteSpeaker",
			id:       func(f fixture) string { return f.peskov },
			check:    `{ statements { totalCount } positions { totalCount } }`,
			want:     `{"statements":{"totalCount":0},"positions":{"totalCount":0}}`,
		},
		{
			name:     "organization of a role",
			mutation: "deleteSpeaker",
			id:       func(f fixture) string { return f.kremlin },
			check:    `{ speaker(key: "dmitry-peskov") { roles { title } } }`,
			want:     `{"speaker":{"roles":[]}}`,
		},
		{
			name:     "topic",
			mutation: "deleteTopic",
			id:       func(f fixture) string { return f.parent },
			check:    `{ topics { totalCount } statements { totalCount edges { node { topics { key } } } } positions { totalCount } }`,
			want:     `{"topics":{"totalCount":0},"statements":{"totalCount":1,"edges":[{"node":{"topics":[]}}]},"positions":{"totalCount":0}}`,
		},
		{
			name:     "source",
			mutation: "deleteSource",
			id:       func(f fixture) string { return f.source },
			check:    `{ statements { edges { node { sources { url } } } } }`,
			want:     `{"statements":{"edges":[{"node":{"sources":[]}}]}}`,
		},
		{
			name:     "statement",
			mutation: "deleteStatement",
			id:       func(f fixture) string { return f.statement },
			check:    `{ statements { totalCount } positions { edges { node { evidence { id } } } } }`,
			want:     `{"statements":{"totalCount":0},"positions":{"edges":[{"node":{"evidence":[]}}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, false)
			f := newFixture(a)
			before := a.snapshot()
			q := `mutation($id: ID!, $cascade: Boolean) { ` + tt.mutation + `(id: $id, cascade: $cascade) { deletedId } }`

			for _, cascade := range []any{nil, false} {
				if e := a.fail(q, vars{"id": tt.id(f), "cascade": cascade}); e.Extensions.Code != "CONFLICT" {
					t.Fatalf("cascade %v: got %s %q, want CONFLICT", cascade, e.Extensions.Code, e.Message)
				}
				if a.snapshot() != before {
					t.Fatalf("cascade %v: a refused delete changed the data", cascade)
				}
			}

			a.do(q, vars{"id": tt.id(f), "cascade": true}, nil)
			var got json.RawMessage
			a.do(tt.check, nil, &got)
			if string(got) != tt.want {
				t.Errorf("after cascade: %s\nwant %s", got, tt.want)
			}
		})
	}
}
