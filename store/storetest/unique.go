package storetest

import (
	"context"
	"testing"

	"parley/domain"
)

var uniqueTests = []testCase{
	{"Conflicts", testUniqueConflicts},
	{"NotConflicts", testUniqueNotConflicts},
	{"RenameFreesKey", testRenameFreesKey},
}

// uniq is the dataset the unique-constraint tests collide with.
type uniq struct {
	putin, macron  *domain.Speaker
	nato, plan     *domain.Topic
	src, other     *domain.Source
	ext, nat, none *domain.Statement
	pos, later     *domain.Position
}

func newUniq(t *testing.T, s domain.Store) *uniq {
	t.Helper()
	u := &uniq{}
	u.putin = createSpeaker(t, s, domain.Speaker{Key: "vladimir-putin", Name: "Vladimir Putin", Kind: domain.SpeakerPerson, Country: "RU", WikidataID: "Q7747"})
	u.macron = createSpeaker(t, s, domain.Speaker{Name: "Emmanuel Macron", Kind: domain.SpeakerPerson, Country: "FR", WikidataID: "Q3052772"})
	u.nato = createTopic(t, s, "nato-membership", "Ukraine's membership in NATO", 0)
	u.plan = createTopic(t, s, "", "US peace plan", 0)
	u.src = createSource(t, s, "HTTPS://Example.org")
	u.other = createSource(t, s, "https://example.org/other")
	ext := quote(u.putin.ID, "The plan could be a basis for a settlement.", "2025-11-21")
	ext.ExternalID = "seed-0001"
	u.ext = createStatement(t, s, ext)
	u.nat = createStatement(t, s, quote(u.putin.ID, "We are ready to talk.", "2025-12-02"))
	u.none = createStatement(t, s, quote(u.macron.ID, "There is no final peace plan.", ""))
	u.pos = createPosition(t, s, stance(u.putin.ID, u.nato.ID, domain.StanceOpposes, "2025-11"))
	u.later = createPosition(t, s, stance(u.putin.ID, u.nato.ID, domain.StanceMixed, "2025-12"))
	return u
}

func testUniqueConflicts(t *testing.T, s domain.Store) {
	u := newUniq(t, s)
	if u.src.URL != "https://example.org/" {
		t.Fatalf("CreateSource(HTTPS://Example.org) stored URL %q, want https://example.org/", u.src.URL)
	}
	createSp := func(sp domain.Speaker) func(context.Context) error {
		return func(ctx context.Context) error { _, err := s.CreateSpeaker(ctx, &sp); return err }
	}
	createTp := func(key, name string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.CreateTopic(ctx, &domain.Topic{Key: key, Name: name})
			return err
		}
	}
	createSrc := func(url string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := s.CreateSource(ctx, &domain.Source{URL: url}); return err }
	}
	createSt := func(st domain.Statement) func(context.Context) error {
		return func(ctx context.Context) error { _, err := s.CreateStatement(ctx, &st); return err }
	}
	createPs := func(ps domain.Position) func(context.Context) error {
		return func(ctx context.Context) error { _, err := s.CreatePosition(ctx, &ps); return err }
	}
	withExternalID := func(st domain.Statement, id string) domain.Statement { st.ExternalID = id; return st }

	tests := []struct {
		name  string
		write func(context.Context) error
	}{
		{"speaker key", createSp(domain.Speaker{Key: "vladimir-putin", Name: "V. Putin", Kind: domain.SpeakerPerson})},
		{"derived speaker key", createSp(person("Emmanuel  Macron", "FR"))},
		{"wikidataId", createSp(domain.Speaker{Name: "Putin again", Kind: domain.SpeakerPerson, WikidataID: "Q7747"})},
		{"topic key", createTp("nato-membership", "NATO membership")},
		{"derived topic key", createTp("", "US Peace Plan")},
		{"source URL", createSrc("https://example.org/")},
		{"source URL before normalization", createSrc("https://EXAMPLE.org:443#top")},
		{"statement externalId", createSt(withExternalID(quote(u.macron.ID, "Something else entirely.", "2025-12-01"), "seed-0001"))},
		{"statement natural key", createSt(quote(u.putin.ID, "  we are READY -- to talk!! ", "2025-12-02"))},
		{"statement natural key with unknown date", createSt(quote(u.macron.ID, "there is no final PEACE plan", ""))},
		{"position", createPs(stance(u.putin.ID, u.nato.ID, domain.StanceSupports, "2025-11"))},

		{"update speaker key", func(ctx context.Context) error {
			_, err := s.UpdateSpeaker(ctx, u.macron.ID, func(sp *domain.Speaker) error { sp.Key = "vladimir-putin"; return nil })
			return err
		}},
		{"update wikidataId", func(ctx context.Context) error {
			_, err := s.UpdateSpeaker(ctx, u.macron.ID, func(sp *domain.Speaker) error { sp.WikidataID = "Q7747"; return nil })
			return err
		}},
		{"update topic key", func(ctx context.Context) error {
			_, err := s.UpdateTopic(ctx, u.plan.ID, func(tp *domain.Topic) error { tp.Key = "nato-membership"; return nil })
			return err
		}},
		{"update source URL", func(ctx context.Context) error {
			_, err := s.UpdateSource(ctx, u.other.ID, func(src *domain.Source) error { src.URL = "https://Example.org"; return nil })
			return err
		}},
		{"update statement externalId", func(ctx context.Context) error {
			_, err := s.UpdateStatement(ctx, u.nat.ID, func(st *domain.Statement) error { st.ExternalID = "seed-0001"; return nil })
			return err
		}},
		{"update statement to an existing natural key", func(ctx context.Context) error {
			_, err := s.UpdateStatement(ctx, u.none.ID, func(st *domain.Statement) error {
				st.SpeakerID, st.Text, st.SaidOn = u.putin.ID, "We are ready to talk", u.nat.SaidOn
				return nil
			})
			return err
		}},
		{"update position to an existing asOf", func(ctx context.Context) error {
			_, err := s.UpdatePosition(ctx, u.later.ID, func(ps *domain.Position) error { ps.AsOf = u.pos.AsOf; return nil })
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, s)
			wantCode(t, tt.write(t.Context()), domain.CodeConflict, tt.name)
			wantUnchanged(t, s, before, "a write rejected as a conflict")
		})
	}
}

// testUniqueNotConflicts checks that values that only look alike, and
// absent optional keys, are not conflicts.
func testUniqueNotConflicts(t *testing.T, s domain.Store) {
	u := newUniq(t, s)
	ctx := t.Context()
	tests := []struct {
		name  string
		write func() error
	}{
		{"two speakers without wikidataId", func() error {
			if _, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Andriy Yermak", Kind: domain.SpeakerPerson}); err != nil {
				return err
			}
			_, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Rustem Umerov", Kind: domain.SpeakerPerson})
			return err
		}},
		{"same text on another date", func() error {
			_, err := s.CreateStatement(ctx, new(quote(u.putin.ID, "We are ready to talk.", "2025-12-03")))
			return err
		}},
		{"same text at a coarser precision", func() error {
			_, err := s.CreateStatement(ctx, new(quote(u.putin.ID, "We are ready to talk.", "2025-12")))
			return err
		}},
		{"same text with an unknown date", func() error {
			_, err := s.CreateStatement(ctx, new(quote(u.putin.ID, "We are ready to talk.", "")))
			return err
		}},
		{"same text by another speaker", func() error {
			_, err := s.CreateStatement(ctx, new(quote(u.macron.ID, "We are ready to talk.", "2025-12-02")))
			return err
		}},
		{"different words on the same date", func() error {
			_, err := s.CreateStatement(ctx, new(quote(u.putin.ID, "We are ready to walk.", "2025-12-02")))
			return err
		}},
		{"position at another date", func() error {
			_, err := s.CreatePosition(ctx, new(stance(u.putin.ID, u.nato.ID, domain.StanceOpposes, "2025-11-30")))
			return err
		}},
		{"position on another topic", func() error {
			_, err := s.CreatePosition(ctx, new(stance(u.putin.ID, u.plan.ID, domain.StanceOpposes, "2025-11")))
			return err
		}},
		{"source with another path", func() error {
			_, err := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/Other"})
			return err
		}},
		{"update keeping its own keys", func() error {
			_, err := s.UpdateSpeaker(ctx, u.putin.ID, func(sp *domain.Speaker) error { sp.Description = "President of Russia"; return nil })
			if err != nil {
				return err
			}
			_, err = s.UpdateStatement(ctx, u.ext.ID, func(st *domain.Statement) error { st.Context = "in Bishkek"; return nil })
			return err
		}},
	}
	for _, tt := range tests {
		if err := tt.write(); err != nil {
			t.Errorf("%s: %v; want no error", tt.name, err)
		}
	}
}

// testRenameFreesKey checks that changing a unique value releases the old
// one for another record, and that lookups follow the change.
func testRenameFreesKey(t *testing.T, s domain.Store) {
	u := newUniq(t, s)
	ctx := t.Context()

	_, err := s.UpdateSpeaker(ctx, u.putin.ID, func(sp *domain.Speaker) error {
		sp.Key, sp.WikidataID = "putin", ""
		return nil
	})
	noError(t, err, "UpdateSpeaker renaming the key")
	if got, err := s.SpeakerByKey(ctx, "putin"); err != nil || got.ID != u.putin.ID {
		t.Errorf("SpeakerByKey(new key) = %v, %v; want speaker %d", got, err, u.putin.ID)
	}
	_, err = s.SpeakerByKey(ctx, "vladimir-putin")
	wantCode(t, err, domain.CodeNotFound, "SpeakerByKey(old key)")
	createSpeaker(t, s, domain.Speaker{Key: "vladimir-putin", Name: "Vladimir Putin", Kind: domain.SpeakerPerson, WikidataID: "Q7747"})

	_, err = s.UpdateTopic(ctx, u.nato.ID, func(tp *domain.Topic) error { tp.Key = "nato"; return nil })
	noError(t, err, "UpdateTopic renaming the key")
	createTopic(t, s, "nato-membership", "NATO membership", 0)

	_, err = s.UpdateSource(ctx, u.src.ID, func(src *domain.Source) error { src.URL = "https://example.org/moved"; return nil })
	noError(t, err, "UpdateSource changing the URL")
	if got, err := s.SourceByURL(ctx, "https://example.org/moved"); err != nil || got.ID != u.src.ID {
		t.Errorf("SourceByURL(new URL) = %v, %v; want source %d", got, err, u.src.ID)
	}
	createSource(t, s, "https://example.org/")

	_, err = s.UpdateStatement(ctx, u.ext.ID, func(st *domain.Statement) error { st.ExternalID = "seed-0001-b"; return nil })
	noError(t, err, "UpdateStatement changing the externalId")
	reused := quote(u.macron.ID, "Another statement.", "2025-12-01")
	reused.ExternalID = "seed-0001"
	createStatement(t, s, reused)

	_, err = s.UpdateStatement(ctx, u.nat.ID, func(st *domain.Statement) error { st.Text = "We are not ready to talk."; return nil })
	noError(t, err, "UpdateStatement changing the text")
	createStatement(t, s, quote(u.putin.ID, "We are ready to talk.", "2025-12-02"))

	_, err = s.UpdatePosition(ctx, u.pos.ID, func(ps *domain.Position) error {
		ps.AsOf = domain.MustParsePartialDate("2025-10")
		return nil
	})
	noError(t, err, "UpdatePosition changing asOf")
	createPosition(t, s, stance(u.putin.ID, u.nato.ID, domain.StanceOpposes, "2025-11"))
}
