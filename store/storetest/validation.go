package storetest

import (
	"context"
	"testing"

	"parley/domain"
)

var validationTests = []testCase{
	{"RejectsInvalidInput", testValidation},
	{"NotFound", testNotFound},
}

// missing is an id no store in the suite ever assigns.
const missing domain.ID = 999_999

// base is a small consistent dataset that invalid writes must leave alone.
type base struct {
	speaker, org            *domain.Speaker
	root, child, grandchild *domain.Topic
	source                  *domain.Source
	statement               *domain.Statement
	position                *domain.Position
}

func newBase(t *testing.T, s domain.Store) *base {
	t.Helper()
	b := &base{}
	b.org = createSpeaker(t, s, domain.Speaker{Name: "The Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"})
	sp := person("Dmitry Peskov", "RU")
	sp.Roles = []domain.Role{{Title: "Kremlin spokesman", OrgID: b.org.ID}}
	b.speaker = createSpeaker(t, s, sp)
	b.root = createTopic(t, s, "ukraine-peace", "Peace in Ukraine", 0)
	b.child = createTopic(t, s, "us-peace-plan", "The U.S. draft peace plan", b.root.ID)
	b.grandchild = createTopic(t, s, "plan-territory", "Territory in the plan", b.child.ID)
	b.source = createSource(t, s, "https://example.org/peskov")
	st := quote(b.speaker.ID, "The plan could be a basis.", "2025-11-21")
	st.TopicIDs = []domain.ID{b.child.ID}
	st.SourceIDs = []domain.ID{b.source.ID}
	b.statement = createStatement(t, s, st)
	b.position = createPosition(t, s, stance(b.speaker.ID, b.child.ID, domain.StanceMixed, "2025-11-21", b.statement.ID))
	return b
}

func testValidation(t *testing.T, s domain.Store) {
	b := newBase(t, s)
	speaker := func(mod func(*domain.Speaker)) func(context.Context) error {
		return func(ctx context.Context) error {
			sp := person("Yuri Ushakov", "RU")
			mod(&sp)
			_, err := s.CreateSpeaker(ctx, &sp)
			return err
		}
	}
	statement := func(mod func(*domain.Statement)) func(context.Context) error {
		return func(ctx context.Context) error {
			st := quote(b.speaker.ID, "A new statement.", "2025-12-02")
			mod(&st)
			_, err := s.CreateStatement(ctx, &st)
			return err
		}
	}
	position := func(mod func(*domain.Position)) func(context.Context) error {
		return func(ctx context.Context) error {
			ps := stance(b.speaker.ID, b.root.ID, domain.StanceSupports, "2025-12-02")
			mod(&ps)
			_, err := s.CreatePosition(ctx, &ps)
			return err
		}
	}
	topic := func(key, name string, parent domain.ID) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.CreateTopic(ctx, &domain.Topic{Key: key, Name: name, ParentID: parent})
			return err
		}
	}
	list := func(f domain.StatementFilter) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 10})
			return err
		}
	}
	count := func(f domain.StatementFilter) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.CountStatements(ctx, f)
			return err
		}
	}
	source := func(url string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.CreateSource(ctx, &domain.Source{URL: url})
			return err
		}
	}
	updateSpeaker := func(mod func(*domain.Speaker)) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.UpdateSpeaker(ctx, b.speaker.ID, func(sp *domain.Speaker) error { mod(sp); return nil })
			return err
		}
	}
	updateTopic := func(id domain.ID, mod func(*domain.Topic)) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.UpdateTopic(ctx, id, func(tp *domain.Topic) error { mod(tp); return nil })
			return err
		}
	}
	updateStatement := func(mod func(*domain.Statement)) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.UpdateStatement(ctx, b.statement.ID, func(st *domain.Statement) error { mod(st); return nil })
			return err
		}
	}
	updatePosition := func(mod func(*domain.Position)) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.UpdatePosition(ctx, b.position.ID, func(ps *domain.Position) error { mod(ps); return nil })
			return err
		}
	}

	tests := []struct {
		name  string
		write func(context.Context) error
		field string // the path the BAD_USER_INPUT error must start with
	}{
		{"speaker/empty name", speaker(func(sp *domain.Speaker) { sp.Name = "  " }), "name"},
		{"speaker/key with spaces", speaker(func(sp *domain.Speaker) { sp.Key = "Yuri Ushakov" }), "key"},
		{"speaker/key with leading dash", speaker(func(sp *domain.Speaker) { sp.Key = "-ushakov" }), "key"},
		{"speaker/underivable key", speaker(func(sp *domain.Speaker) { sp.Name = "Юрий Ушаков" }), "key"},
		{"speaker/country name", speaker(func(sp *domain.Speaker) { sp.Country = "Russia" }), "country"},
		{"speaker/lower-case country", speaker(func(sp *domain.Speaker) { sp.Country = "ru" }), "country"},
		{"speaker/bad kind", speaker(func(sp *domain.Speaker) { sp.Kind = "ALIEN" }), "kind"},
		{"speaker/no kind", speaker(func(sp *domain.Speaker) { sp.Kind = "" }), "kind"},
		{"speaker/bad wikidataId", speaker(func(sp *domain.Speaker) { sp.WikidataID = "X42" }), "wikidataId"},
		{"speaker/role without title", speaker(func(sp *domain.Speaker) { sp.Roles = []domain.Role{{Title: " ", OrgID: b.org.ID}} }), "roles"},
		{"speaker/role in unknown org", speaker(func(sp *domain.Speaker) { sp.Roles = []domain.Role{{Title: "Aide", OrgID: missing}} }), "roles"},
		{"speaker/role ending before it starts", speaker(func(sp *domain.Speaker) {
			sp.Roles = []domain.Role{{Title: "Aide", From: domain.MustParsePartialDate("2020"), To: domain.MustParsePartialDate("2019")}}
		}), "roles"},
		{"speaker/update to bad country", updateSpeaker(func(sp *domain.Speaker) { sp.Country = "Russia" }), "country"},
		{"speaker/update to bad key", updateSpeaker(func(sp *domain.Speaker) { sp.Key = "Dmitry Peskov" }), "key"},
		{"speaker/update to role in unknown org", updateSpeaker(func(sp *domain.Speaker) { sp.Roles[0].OrgID = missing }), "roles"},

		{"topic/empty name", topic("empty", " ", 0), "name"},
		{"topic/bad key", topic("Bad_Key", "Bad key", 0), "key"},
		{"topic/unknown parent", topic("orphan", "Orphan", missing), "parent"},
		{"topic/update to own parent", updateTopic(b.root.ID, func(tp *domain.Topic) { tp.ParentID = b.root.ID }), "parent"},
		{"topic/update to a cycle", updateTopic(b.root.ID, func(tp *domain.Topic) { tp.ParentID = b.grandchild.ID }), "parent"},
		{"topic/update to a child cycle", updateTopic(b.child.ID, func(tp *domain.Topic) { tp.ParentID = b.grandchild.ID }), "parent"},
		{"topic/update to unknown parent", updateTopic(b.child.ID, func(tp *domain.Topic) { tp.ParentID = missing }), "parent"},

		{"source/not a URL", source("not a url"), "url"},
		{"source/ftp URL", source("ftp://example.org/file"), "url"},
		{"source/empty URL", source(""), "url"},

		{"statement/empty text", statement(func(st *domain.Statement) { st.Text = "" }), "text"},
		{"statement/blank text", statement(func(st *domain.Statement) { st.Text = " \t\n" }), "text"},
		{"statement/punctuation only", statement(func(st *domain.Statement) { st.Text = "!!! ..." }), "text"},
		{"statement/bad kind", statement(func(st *domain.Statement) { st.Kind = "RUMOUR" }), "kind"},
		{"statement/no speaker", statement(func(st *domain.Statement) { st.SpeakerID = 0 }), "speaker"},
		{"statement/unknown speaker", statement(func(st *domain.Statement) { st.SpeakerID = missing }), "speaker"},
		{"statement/unknown topic", statement(func(st *domain.Statement) { st.TopicIDs = []domain.ID{b.root.ID, missing} }), "topics"},
		{"statement/unknown source", statement(func(st *domain.Statement) { st.SourceIDs = []domain.ID{missing} }), "sources"},
		{"statement/bad language", statement(func(st *domain.Statement) { st.Language = "not a language" }), "language"},
		{"statement/update to unknown speaker", updateStatement(func(st *domain.Statement) { st.SpeakerID = missing }), "speaker"},
		{"statement/update to empty text", updateStatement(func(st *domain.Statement) { st.Text = "" }), "text"},
		{"statement/update to unknown topic", updateStatement(func(st *domain.Statement) { st.TopicIDs = append(st.TopicIDs, missing) }), "topics"},

		{"position/unknown speaker", position(func(ps *domain.Position) { ps.SpeakerID = missing }), "speaker"},
		{"position/unknown topic", position(func(ps *domain.Position) { ps.TopicID = missing }), "topic"},
		{"position/bad stance", position(func(ps *domain.Position) { ps.Stance = "MAYBE" }), "stance"},
		{"position/unknown date", position(func(ps *domain.Position) { ps.AsOf = domain.PartialDate{} }), "asOf"},
		{"position/unknown evidence", position(func(ps *domain.Position) { ps.EvidenceIDs = []domain.ID{b.statement.ID, missing} }), "evidence"},
		{"position/update to unknown evidence", updatePosition(func(ps *domain.Position) { ps.EvidenceIDs = []domain.ID{missing} }), "evidence"},
		{"position/update to bad stance", updatePosition(func(ps *domain.Position) { ps.Stance = "" }), "stance"},

		{"filter/bad kind", list(domain.StatementFilter{Kinds: []domain.StatementKind{"RUMOUR"}}), "kinds"},
		{"filter/saidTo before saidFrom", list(domain.StatementFilter{SaidFrom: domain.MustParsePartialDate("2025-12"), SaidTo: domain.MustParsePartialDate("2025-11-30")}), "saidTo"},
		{"filter/count, saidTo before saidFrom", count(domain.StatementFilter{SaidFrom: domain.MustParsePartialDate("2025"), SaidTo: domain.MustParsePartialDate("2024")}), "saidTo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, s)
			err := tt.write(t.Context())
			wantFieldError(t, err, tt.field, tt.name)
			wantUnchanged(t, s, before, "a rejected write")
		})
	}
}

// testNotFound checks that reading, updating or deleting a missing record
// is NOT_FOUND and writes nothing.
func testNotFound(t *testing.T, s domain.Store) {
	newBase(t, s)
	ctx := t.Context()
	before := snapshot(t, s)
	tests := []struct {
		name string
		call func() error
	}{
		{"Speaker", func() error { _, err := s.Speaker(ctx, missing); return err }},
		{"SpeakerByKey", func() error { _, err := s.SpeakerByKey(ctx, "nobody"); return err }},
		{"Topic", func() error { _, err := s.Topic(ctx, missing); return err }},
		{"TopicByKey", func() error { _, err := s.TopicByKey(ctx, "nothing"); return err }},
		{"Source", func() error { _, err := s.Source(ctx, missing); return err }},
		{"SourceByURL", func() error { _, err := s.SourceByURL(ctx, "https://example.org/nowhere"); return err }},
		{"Statement", func() error { _, err := s.Statement(ctx, missing); return err }},
		{"Position", func() error { _, err := s.Position(ctx, missing); return err }},
		{"UpdateSpeaker", func() error {
			_, err := s.UpdateSpeaker(ctx, missing, func(*domain.Speaker) error { return nil })
			return err
		}},
		{"UpdateTopic", func() error {
			_, err := s.UpdateTopic(ctx, missing, func(*domain.Topic) error { return nil })
			return err
		}},
		{"UpdateSource", func() error {
			_, err := s.UpdateSource(ctx, missing, func(*domain.Source) error { return nil })
			return err
		}},
		{"UpdateStatement", func() error {
			_, err := s.UpdateStatement(ctx, missing, func(*domain.Statement) error { return nil })
			return err
		}},
		{"UpdatePosition", func() error {
			_, err := s.UpdatePosition(ctx, missing, func(*domain.Position) error { return nil })
			return err
		}},
		{"DeleteSpeaker", func() error { return s.DeleteSpeaker(ctx, missing, true) }},
		{"DeleteTopic", func() error { return s.DeleteTopic(ctx, missing, true) }},
		{"DeleteSource", func() error { return s.DeleteSource(ctx, missing, true) }},
		{"DeleteStatement", func() error { return s.DeleteStatement(ctx, missing, true) }},
		{"DeletePosition", func() error { return s.DeletePosition(ctx, missing) }},
	}
	for _, tt := range tests {
		wantCode(t, tt.call(), domain.CodeNotFound, tt.name+" of a missing record")
	}
	wantUnchanged(t, s, before, "calls on missing records")
}
