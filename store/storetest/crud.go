package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/domain"
)

var crudTests = []testCase{
	{"Speaker", testSpeakerCRUD},
	{"Topic", testTopicCRUD},
	{"Source", testSourceCRUD},
	{"SourcePublishedAt", testSourcePublishedAt},
	{"Statement", testStatementCRUD},
	{"Position", testPositionCRUD},
	{"BatchedReadsSeeWrites", testBatchedReadsSeeWrites},
	{"StatementReadsSeeWrites", testStatementReadsSeeWrites},
	{"PositionReadsSeeWrites", testPositionReadsSeeWrites},
}

// wantEachByID reads each of ids with get and wants field of the record to
// be the matching want; the zero value wants NOT_FOUND.
func wantEachByID[T any, V comparable](t *testing.T, step, what string, ids []domain.ID, want []V, get func(domain.ID) (*T, error), field func(*T) V) {
	t.Helper()
	var gone V
	for i, id := range ids {
		got, err := get(id)
		if want[i] == gone {
			wantCode(t, err, domain.CodeNotFound, fmt.Sprintf("%s: %s %d", step, what, i))
			continue
		}
		noError(t, err, step+": "+what)
		if v := field(got); v != want[i] {
			t.Fatalf("%s: %s %d reads %v, want %v", step, what, i, v, want[i])
		}
	}
}

// testPositionReadsSeeWrites reads positions every way the API does (by
// id, in batches, in a stance map with the previous stance) around updates
// and deletes, alone and by a statement's cascade: each read must see the
// writes before it, whatever the store caches.
func testPositionReadsSeeWrites(t *testing.T, s domain.Store) {
	ctx := context.Background()
	sp := createSpeaker(t, s, person("Kaja Kallas", "EE"))
	tp := createTopic(t, s, "sanctions", "Sanctions", 0)
	st := createStatement(t, s, quote(sp.ID, "Sanctions must stay in place", "2025-11-20"))
	first := createPosition(t, s, stance(sp.ID, tp.ID, domain.StanceSupports, "2025-11-01", st.ID))
	later := createPosition(t, s, stance(sp.ID, tp.ID, domain.StanceOpposes, "2025-11-20", st.ID))
	// check reads both positions every way: wantFirst and wantLater are
	// their stances, "" for a position that must be gone.
	check := func(step string, wantFirst, wantLater domain.Stance) {
		t.Helper()
		wantEachByID(t, step, "Position", []domain.ID{first.ID, later.ID}, []domain.Stance{wantFirst, wantLater},
			func(id domain.ID) (*domain.Position, error) { return s.Position(ctx, id) },
			func(p *domain.Position) domain.Stance { return p.Stance })
		batch, err := s.PositionsByID(ctx, []domain.ID{first.ID, later.ID})
		noError(t, err, step+": PositionsByID")
		for i, want := range []domain.Stance{wantFirst, wantLater} {
			if (want == "") != (batch[i] == nil) || (batch[i] != nil && batch[i].Stance != want) {
				t.Fatalf("%s: PositionsByID[%d] = %+v, want stance %q", step, i, batch[i], want)
			}
		}
		m, err := s.StanceMap(ctx, tp.Key, day("2025-12-01"))
		noError(t, err, step+": StanceMap")
		var got []string
		for _, p := range m {
			got = append(got, fmt.Sprintf("%s after %s", p.Stance, p.PreviousStance))
		}
		var want []string
		switch {
		case wantLater != "":
			want = []string{fmt.Sprintf("%s after %s", wantLater, wantFirst)}
		case wantFirst != "":
			want = []string{fmt.Sprintf("%s after ", wantFirst)}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: StanceMap reads %q, want %q", step, got, want)
		}
	}

	check("created", domain.StanceSupports, domain.StanceOpposes)
	_, err := s.UpdatePosition(ctx, first.ID, func(p *domain.Position) error { p.Stance = domain.StanceMixed; return nil })
	noError(t, err, "UpdatePosition")
	check("after UpdatePosition of the earlier one", domain.StanceMixed, domain.StanceOpposes)
	noError(t, s.Update(ctx, func(tx domain.Tx) error {
		p, err := tx.PositionAt(sp.ID, tp.ID, later.AsOf)
		if err != nil {
			return err
		}
		p.Stance = domain.StanceSupports
		return tx.PutPosition(p)
	}), "Update (PutPosition)")
	check("after PutPosition in a transaction", domain.StanceMixed, domain.StanceSupports)
	failed := errors.New("roll back")
	err = s.Update(ctx, func(tx domain.Tx) error {
		p, err := tx.PositionAt(sp.ID, tp.ID, first.AsOf)
		if err != nil {
			return err
		}
		p.Stance = domain.StanceOpposes
		if err := tx.PutPosition(p); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("rolled back update: %v", err)
	}
	check("after a rolled back update", domain.StanceMixed, domain.StanceSupports)
	noError(t, s.DeletePosition(ctx, later.ID), "DeletePosition")
	check("after DeletePosition", domain.StanceMixed, "")
	noError(t, s.DeleteStatement(ctx, st.ID, true), "DeleteStatement with cascade")
	if p, err := s.Position(ctx, first.ID); err == nil && slices.Contains(p.EvidenceIDs, st.ID) {
		t.Fatalf("after a cascading delete: position %d still cites statement %d", first.ID, st.ID)
	}
}

// testStatementReadsSeeWrites reads statements every way a page does (by
// id, in batches, in filtered lists) around updates through each write
// path and deletes, alone and by cascade: each read must see the writes
// before it, whatever the store caches.
func testStatementReadsSeeWrites(t *testing.T, s domain.Store) {
	ctx := context.Background()
	sp := createSpeaker(t, s, person("Kaja Kallas", "EE"))
	other := createSpeaker(t, s, person("Annalena Baerbock", "DE"))
	a := createStatement(t, s, quote(sp.ID, "Sanctions must stay in place", "2025-11-20"))
	b := createStatement(t, s, quote(sp.ID, "Europe stands with Ukraine", "2025-11-21"))
	// check reads a and b every way and wants the texts given ("" for a
	// statement that must be gone).
	check := func(step, wantA, wantB string) {
		t.Helper()
		wantEachByID(t, step, "Statement", []domain.ID{a.ID, b.ID}, []string{wantA, wantB},
			func(id domain.ID) (*domain.Statement, error) { return s.Statement(ctx, id) },
			func(st *domain.Statement) string { return st.Text })
		batch, err := s.StatementsByID(ctx, []domain.ID{a.ID, b.ID})
		noError(t, err, step+": StatementsByID")
		for i, want := range []string{wantA, wantB} {
			switch {
			case want == "" && batch[i] != nil:
				t.Fatalf("%s: StatementsByID[%d] = %q, want none", step, i, batch[i].Text)
			case want != "" && (batch[i] == nil || batch[i].Text != want):
				t.Fatalf("%s: StatementsByID[%d] = %+v, want text %q", step, i, batch[i], want)
			}
		}
		var texts []string
		for _, f := range []domain.StatementFilter{{Speakers: []string{sp.Key, other.Key}}, {Search: "stands"}} {
			res, err := s.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 10})
			noError(t, err, step+": ListStatements")
			for _, st := range res.Items {
				texts = append(texts, st.Text)
			}
		}
		var want []string
		for _, w := range []string{wantB, wantA} {
			if w != "" {
				want = append(want, w)
			}
		}
		if strings.Contains(wantB, "stands") {
			want = append(want, wantB)
		}
		if !slices.Equal(texts, want) {
			t.Fatalf("%s: lists read %q, want %q", step, texts, want)
		}
	}

	check("created", a.Text, b.Text)
	_, err := s.UpdateStatement(ctx, a.ID, func(st *domain.Statement) error { st.Text = "Sanctions must be tightened"; return nil })
	noError(t, err, "UpdateStatement")
	check("after UpdateStatement", "Sanctions must be tightened", b.Text)
	noError(t, s.Update(ctx, func(tx domain.Tx) error {
		st, err := tx.Statement(b.ID)
		if err != nil {
			return err
		}
		st.Text, st.SpeakerID = "Europe stands firmly with Ukraine", other.ID
		return tx.PutStatement(st)
	}), "Update with PutStatement")
	check("after Tx.PutStatement", "Sanctions must be tightened", "Europe stands firmly with Ukraine")
	_, err = s.UpdateStatement(ctx, a.ID, func(st *domain.Statement) error { st.Text = "Never read"; return errRejected })
	wantCode(t, err, domain.CodeBadUserInput, "UpdateStatement whose fn fails")
	check("after a failed update", "Sanctions must be tightened", "Europe stands firmly with Ukraine")
	noError(t, s.DeleteStatement(ctx, a.ID, false), "DeleteStatement")
	check("after DeleteStatement", "", "Europe stands firmly with Ukraine")
	noError(t, s.DeleteSpeaker(ctx, other.ID, true), "DeleteSpeaker with cascade")
	check("after a cascading DeleteSpeaker", "", "")
}

// testBatchedReadsSeeWrites reads speakers and topics by id in batches
// (as every page of statements does) around updates and deletes: each
// read must see the writes before it, whatever the store caches.
func testBatchedReadsSeeWrites(t *testing.T, s domain.Store) {
	ctx := context.Background()
	sp := createSpeaker(t, s, person("Kaja Kallas", "EE"))
	tp := createTopic(t, s, "security-guarantees", "Security guarantees", 0)
	for round := range 3 {
		sps, err := s.SpeakersByID(ctx, []domain.ID{sp.ID, sp.ID + 1000})
		noError(t, err, "SpeakersByID")
		tps, err := s.TopicsByID(ctx, []domain.ID{tp.ID})
		noError(t, err, "TopicsByID")
		wantName := fmt.Sprintf("Kaja Kallas %d", round)
		if round == 0 {
			wantName = "Kaja Kallas"
		}
		if len(sps) != 2 || sps[0] == nil || sps[0].Name != wantName || sps[1] != nil {
			t.Fatalf("round %d: SpeakersByID = %+v, want %q and nil", round, sps, wantName)
		}
		if len(tps) != 1 || tps[0] == nil || tps[0].Name != fmt.Sprintf("Security guarantees %d", round) && round > 0 {
			t.Fatalf("round %d: TopicsByID = %+v", round, tps)
		}
		_, err = s.UpdateSpeaker(ctx, sp.ID, func(x *domain.Speaker) error { x.Name = fmt.Sprintf("Kaja Kallas %d", round+1); return nil })
		noError(t, err, "UpdateSpeaker")
		_, err = s.UpdateTopic(ctx, tp.ID, func(x *domain.Topic) error { x.Name = fmt.Sprintf("Security guarantees %d", round+1); return nil })
		noError(t, err, "UpdateTopic")
	}
	noError(t, s.DeleteSpeaker(ctx, sp.ID, false), "DeleteSpeaker")
	noError(t, s.DeleteTopic(ctx, tp.ID, false), "DeleteTopic")
	sps, err := s.SpeakersByID(ctx, []domain.ID{sp.ID})
	noError(t, err, "SpeakersByID after delete")
	tps, err := s.TopicsByID(ctx, []domain.ID{tp.ID})
	noError(t, err, "TopicsByID after delete")
	if sps[0] != nil || tps[0] != nil {
		t.Fatalf("deleted records still read: %+v %+v", sps[0], tps[0])
	}
}

// tick lets the clock move on, so that an update's UpdatedAt can be told
// from the one before it.
func tick() { time.Sleep(10 * time.Millisecond) }

// wantCreated checks the fields a store sets on create.
func wantCreated(t *testing.T, what string, id domain.ID, created, updated time.Time) {
	t.Helper()
	if id == 0 {
		t.Errorf("%s: created with ID 0", what)
	}
	if created.IsZero() || updated.IsZero() {
		t.Errorf("%s: CreatedAt %v, UpdatedAt %v; want both set", what, created, updated)
	}
	if updated.Before(created) {
		t.Errorf("%s: UpdatedAt %v before CreatedAt %v", what, updated, created)
	}
}

// wantTouched checks that an update kept CreatedAt and moved UpdatedAt on.
func wantTouched(t *testing.T, what string, oldCreated, oldUpdated, created, updated time.Time) {
	t.Helper()
	if !created.Equal(oldCreated) {
		t.Errorf("%s: CreatedAt changed from %v to %v", what, oldCreated, created)
	}
	if !updated.After(oldUpdated) {
		t.Errorf("%s: UpdatedAt %v, want after %v", what, updated, oldUpdated)
	}
}

// errRejected is what the update functions in these tests return to abort.
var errRejected = domain.FieldErrorf([]string{"name"}, "rejected by the caller")

func testSpeakerCRUD(t *testing.T, s domain.Store) {
	ctx := t.Context()
	kremlin := createSpeaker(t, s, domain.Speaker{Name: "The Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"})

	got, err := s.CreateSpeaker(ctx, &domain.Speaker{
		Name:        "  Dmitry Peskov ",
		Kind:        domain.SpeakerPerson,
		Country:     "RU",
		WikidataID:  "Q1337",
		Aliases:     []string{" Peskov ", "Peskov", "Dmitri Peskov"},
		Description: " Kremlin spokesman since 2012 ",
		Roles: []domain.Role{{
			Title: " Kremlin spokesman ", OrgID: kremlin.ID,
			From: domain.MustParsePartialDate("2012-05"),
		}},
	})
	noError(t, err, "CreateSpeaker")
	wantCreated(t, "CreateSpeaker", got.ID, got.CreatedAt, got.UpdatedAt)
	if got.ID == kremlin.ID {
		t.Errorf("CreateSpeaker reused ID %d", got.ID)
	}
	if got.Key != "dmitry-peskov" || got.Name != "Dmitry Peskov" || got.Description != "Kremlin spokesman since 2012" {
		t.Errorf("CreateSpeaker: key %q, name %q, description %q; want derived key, trimmed text", got.Key, got.Name, got.Description)
	}
	if want := []string{"Peskov", "Dmitri Peskov"}; !slices.Equal(got.Aliases, want) {
		t.Errorf("CreateSpeaker: aliases %q, want %q (trimmed, without duplicates)", got.Aliases, want)
	}
	if len(got.Roles) != 1 || got.Roles[0].Title != "Kremlin spokesman" || got.Roles[0].OrgID != kremlin.ID ||
		got.Roles[0].From.String() != "2012-05" || !got.Roles[0].To.IsZero() {
		t.Errorf("CreateSpeaker: roles %+v", got.Roles)
	}

	byID, err := s.Speaker(ctx, got.ID)
	noError(t, err, "Speaker")
	wantSame(t, "Speaker(id)", byID, got)
	byKey, err := s.SpeakerByKey(ctx, "dmitry-peskov")
	noError(t, err, "SpeakerByKey")
	wantSame(t, "SpeakerByKey", byKey, got)

	tick()
	updated, err := s.UpdateSpeaker(ctx, got.ID, func(sp *domain.Speaker) error {
		sp.Description = "Press secretary of the President of Russia"
		sp.Roles[0].To = domain.MustParsePartialDate("2030")
		return nil
	})
	noError(t, err, "UpdateSpeaker")
	if updated.Description != "Press secretary of the President of Russia" || updated.Roles[0].To.String() != "2030" {
		t.Errorf("UpdateSpeaker did not apply the changes: %+v", updated)
	}
	wantTouched(t, "UpdateSpeaker", got.CreatedAt, got.UpdatedAt, updated.CreatedAt, updated.UpdatedAt)
	reread, err := s.Speaker(ctx, got.ID)
	noError(t, err, "Speaker after update")
	wantSame(t, "Speaker after update", reread, updated)

	before := snapshot(t, s)
	_, err = s.UpdateSpeaker(ctx, got.ID, func(sp *domain.Speaker) error {
		sp.Name = "Somebody Else"
		return errRejected
	})
	wantCode(t, err, domain.CodeBadUserInput, "UpdateSpeaker whose fn fails")
	wantUnchanged(t, s, before, "UpdateSpeaker whose fn fails")

	list, err := s.SpeakersByID(ctx, []domain.ID{got.ID, 999_999, kremlin.ID, got.ID})
	noError(t, err, "SpeakersByID")
	if len(list) != 4 || list[1] != nil || !same(list[0], updated) || !same(list[2], kremlin) || !same(list[3], updated) {
		t.Errorf("SpeakersByID(peskov, missing, kremlin, peskov) = %v; want the records in input order, nil for the missing one", list)
	}

	noError(t, s.DeleteSpeaker(ctx, got.ID, false), "DeleteSpeaker")
	_, err = s.Speaker(ctx, got.ID)
	wantCode(t, err, domain.CodeNotFound, "Speaker after delete")
	_, err = s.SpeakerByKey(ctx, "dmitry-peskov")
	wantCode(t, err, domain.CodeNotFound, "SpeakerByKey after delete")
	wantCode(t, s.DeleteSpeaker(ctx, got.ID, false), domain.CodeNotFound, "second DeleteSpeaker")
	_, err = s.UpdateSpeaker(ctx, got.ID, func(*domain.Speaker) error { return nil })
	wantCode(t, err, domain.CodeNotFound, "UpdateSpeaker after delete")

	again := createSpeaker(t, s, person("Dmitry Peskov", "RU"))
	if again.ID <= got.ID {
		t.Errorf("a speaker created after deleting ID %d got ID %d; IDs are never reused", got.ID, again.ID)
	}
	if n, err := s.CountSpeakers(ctx, domain.SpeakerFilter{}); err != nil || n != 2 {
		t.Errorf("CountSpeakers = %d, %v; want 2", n, err)
	}
}

func testTopicCRUD(t *testing.T, s domain.Store) {
	ctx := t.Context()
	root, err := s.CreateTopic(ctx, &domain.Topic{Name: " Security guarantees for Ukraine ", Description: " who protects Ukraine "})
	noError(t, err, "CreateTopic")
	wantCreated(t, "CreateTopic", root.ID, root.CreatedAt, root.UpdatedAt)
	if root.Key != "security-guarantees-for-ukraine" || root.Name != "Security guarantees for Ukraine" ||
		root.Description != "who protects Ukraine" || root.ParentID != 0 {
		t.Errorf("CreateTopic = %+v; want derived key, trimmed name and description, no parent", root)
	}
	child := createTopic(t, s, "article-5", "Article 5-style guarantees", root.ID)
	if child.ParentID != root.ID {
		t.Errorf("CreateTopic with parent: ParentID %d, want %d", child.ParentID, root.ID)
	}

	byID, err := s.Topic(ctx, child.ID)
	noError(t, err, "Topic")
	wantSame(t, "Topic(id)", byID, child)
	byKey, err := s.TopicByKey(ctx, "security-guarantees-for-ukraine")
	noError(t, err, "TopicByKey")
	wantSame(t, "TopicByKey", byKey, root)

	tick()
	updated, err := s.UpdateTopic(ctx, child.ID, func(tp *domain.Topic) error {
		tp.Name = "Article 5-like guarantees"
		return nil
	})
	noError(t, err, "UpdateTopic")
	if updated.Name != "Article 5-like guarantees" || updated.Key != "article-5" || updated.ParentID != root.ID {
		t.Errorf("UpdateTopic = %+v; want the new name, same key and parent", updated)
	}
	wantTouched(t, "UpdateTopic", child.CreatedAt, child.UpdatedAt, updated.CreatedAt, updated.UpdatedAt)
	reread, err := s.Topic(ctx, child.ID)
	noError(t, err, "Topic after update")
	wantSame(t, "Topic after update", reread, updated)

	before := snapshot(t, s)
	_, err = s.UpdateTopic(ctx, child.ID, func(tp *domain.Topic) error {
		tp.Name = "Something else"
		return errRejected
	})
	wantCode(t, err, domain.CodeBadUserInput, "UpdateTopic whose fn fails")
	wantUnchanged(t, s, before, "UpdateTopic whose fn fails")

	list, err := s.TopicsByID(ctx, []domain.ID{child.ID, 999_999, root.ID})
	noError(t, err, "TopicsByID")
	if len(list) != 3 || !same(list[0], updated) || list[1] != nil || !same(list[2], root) {
		t.Errorf("TopicsByID(child, missing, root) = %v; want input order with nil for the missing one", list)
	}

	noError(t, s.DeleteTopic(ctx, child.ID, false), "DeleteTopic")
	_, err = s.Topic(ctx, child.ID)
	wantCode(t, err, domain.CodeNotFound, "Topic after delete")
	_, err = s.TopicByKey(ctx, "article-5")
	wantCode(t, err, domain.CodeNotFound, "TopicByKey after delete")
	wantCode(t, s.DeleteTopic(ctx, child.ID, false), domain.CodeNotFound, "second DeleteTopic")
	if n, err := s.CountTopics(ctx, domain.TopicFilter{}); err != nil || n != 1 {
		t.Errorf("CountTopics = %d, %v; want 1", n, err)
	}
}

// testSourcePublishedAt stores publication times at the edges of their
// range, the Unix epoch among them, and reads back each exactly; times
// out of range are refused.
func testSourcePublishedAt(t *testing.T, s domain.Store) {
	ctx := t.Context()
	for i, at := range []time.Time{
		time.Unix(0, 0).UTC(),
		domain.MinPublishedAt,
		domain.MaxPublishedAt.Add(-time.Nanosecond),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		got, err := s.CreateSource(ctx, &domain.Source{URL: fmt.Sprintf("https://example.org/%d", i), PublishedAt: at})
		noError(t, err, "CreateSource")
		byID, err := s.Source(ctx, got.ID)
		noError(t, err, "Source")
		if !byID.PublishedAt.Equal(at) || byID.PublishedAt.IsZero() {
			t.Errorf("PublishedAt %v stored, %v read back", at, byID.PublishedAt)
		}
	}
	for _, at := range []time.Time{
		domain.MinPublishedAt.Add(-time.Nanosecond),
		domain.MaxPublishedAt,
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		_, err := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/out-of-range", PublishedAt: at})
		wantCode(t, err, domain.CodeBadUserInput, "CreateSource with PublishedAt "+at.String())
	}
}

func testSourceCRUD(t *testing.T, s domain.Store) {
	ctx := t.Context()
	published := time.Date(2025, 12, 1, 19, 0, 0, 0, time.FixedZone("CET", 3600))
	got, err := s.CreateSource(ctx, &domain.Source{
		URL:         " HTTPS://News.Example.org:443/world/story?id=7#top ",
		Title:       " Peace talks ",
		Publisher:   "Example News",
		PublishedAt: published,
	})
	noError(t, err, "CreateSource")
	wantCreated(t, "CreateSource", got.ID, got.CreatedAt, got.UpdatedAt)
	if got.URL != "https://news.example.org/world/story?id=7" || got.Title != "Peace talks" {
		t.Errorf("CreateSource: URL %q, title %q; want the normalized URL and trimmed title", got.URL, got.Title)
	}
	if !got.PublishedAt.Equal(published) {
		t.Errorf("CreateSource: PublishedAt %v, want %v", got.PublishedAt, published)
	}

	byID, err := s.Source(ctx, got.ID)
	noError(t, err, "Source")
	wantSame(t, "Source(id)", byID, got)
	for _, url := range []string{"https://news.example.org/world/story?id=7", "https://NEWS.example.org/world/story?id=7#later"} {
		byURL, err := s.SourceByURL(ctx, url)
		noError(t, err, "SourceByURL("+url+")")
		wantSame(t, "SourceByURL("+url+")", byURL, got)
	}
	_, err = s.SourceByURL(ctx, "https://news.example.org/world/story?id=8")
	wantCode(t, err, domain.CodeNotFound, "SourceByURL of an unknown URL")

	tick()
	updated, err := s.UpdateSource(ctx, got.ID, func(src *domain.Source) error {
		src.Title = "Peace talks resume"
		return nil
	})
	noError(t, err, "UpdateSource")
	if updated.Title != "Peace talks resume" || updated.URL != got.URL {
		t.Errorf("UpdateSource = %+v", updated)
	}
	wantTouched(t, "UpdateSource", got.CreatedAt, got.UpdatedAt, updated.CreatedAt, updated.UpdatedAt)

	before := snapshot(t, s)
	_, err = s.UpdateSource(ctx, got.ID, func(src *domain.Source) error {
		src.Title = "Something else"
		return errRejected
	})
	wantCode(t, err, domain.CodeBadUserInput, "UpdateSource whose fn fails")
	wantUnchanged(t, s, before, "UpdateSource whose fn fails")

	other := createSource(t, s, "https://example.com/other")
	list, err := s.SourcesByID(ctx, []domain.ID{other.ID, 999_999, got.ID})
	noError(t, err, "SourcesByID")
	if len(list) != 3 || !same(list[0], other) || list[1] != nil || !same(list[2], updated) {
		t.Errorf("SourcesByID(other, missing, first) = %v; want input order with nil for the missing one", list)
	}

	noError(t, s.DeleteSource(ctx, got.ID, false), "DeleteSource")
	_, err = s.Source(ctx, got.ID)
	wantCode(t, err, domain.CodeNotFound, "Source after delete")
	_, err = s.SourceByURL(ctx, got.URL)
	wantCode(t, err, domain.CodeNotFound, "SourceByURL after delete")
	wantCode(t, s.DeleteSource(ctx, got.ID, false), domain.CodeNotFound, "second DeleteSource")
	if n, err := s.CountSources(ctx); err != nil || n != 1 {
		t.Errorf("CountSources = %d, %v; want 1", n, err)
	}
}

func testStatementCRUD(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Karoline Leavitt", "US"))
	plan := createTopic(t, s, "us-peace-plan", "U.S.-backed peace proposal", 0)
	nato := createTopic(t, s, "nato", "NATO", 0)
	src := createSource(t, s, "https://example.org/leavitt")

	got, err := s.CreateStatement(ctx, &domain.Statement{
		ExternalID: " seed-0007 ",
		Text:       "  The draft has been significantly improved. ",
		Kind:       domain.StatementQuote,
		SpeakerID:  sp.ID,
		SaidOn:     domain.MustParsePartialDate("2025-12"),
		DateText:   " on Monday ",
		Location:   "Washington",
		Context:    "on the draft peace agreement",
		TopicIDs:   []domain.ID{nato.ID, plan.ID, nato.ID},
		SourceIDs:  []domain.ID{src.ID, src.ID},
	})
	noError(t, err, "CreateStatement")
	wantCreated(t, "CreateStatement", got.ID, got.CreatedAt, got.UpdatedAt)
	switch {
	case got.Text != "The draft has been significantly improved." || got.ExternalID != "seed-0007" || got.DateText != "on Monday":
		t.Errorf("CreateStatement: text %q, externalId %q, dateText %q; want them trimmed", got.Text, got.ExternalID, got.DateText)
	case got.Language != "en":
		t.Errorf("CreateStatement: language %q, want the default en", got.Language)
	case got.SaidOn.Precision() != domain.PrecisionMonth || got.SaidOn.String() != "2025-12":
		t.Errorf("CreateStatement: saidOn %s (%s), want 2025-12 (MONTH)", got.SaidOn, got.SaidOn.Precision())
	case !slices.Equal(got.TopicIDs, sortedIDs(plan.ID, nato.ID)) || !slices.Equal(got.SourceIDs, []domain.ID{src.ID}):
		t.Errorf("CreateStatement: topics %v, sources %v; want sorted without duplicates", got.TopicIDs, got.SourceIDs)
	}

	byID, err := s.Statement(ctx, got.ID)
	noError(t, err, "Statement")
	wantSame(t, "Statement(id)", byID, got)

	fr := createStatement(t, s, domain.Statement{
		Text: "Il n'y a pas de plan de paix final.", Kind: domain.StatementParaphrase,
		SpeakerID: sp.ID, Language: "fr-FR",
	})
	if fr.Language != "fr-FR" || !fr.SaidOn.IsZero() {
		t.Errorf("CreateStatement: language %q, saidOn %q; want fr-FR and the unknown date", fr.Language, fr.SaidOn)
	}

	tick()
	updated, err := s.UpdateStatement(ctx, got.ID, func(st *domain.Statement) error {
		st.Kind = domain.StatementParaphrase
		st.SaidOn = domain.MustParsePartialDate("2025-12-01")
		st.TopicIDs = []domain.ID{plan.ID}
		return nil
	})
	noError(t, err, "UpdateStatement")
	if updated.Kind != domain.StatementParaphrase || updated.SaidOn.String() != "2025-12-01" || !slices.Equal(updated.TopicIDs, []domain.ID{plan.ID}) {
		t.Errorf("UpdateStatement did not apply the changes: %+v", updated)
	}
	wantTouched(t, "UpdateStatement", got.CreatedAt, got.UpdatedAt, updated.CreatedAt, updated.UpdatedAt)
	reread, err := s.Statement(ctx, got.ID)
	noError(t, err, "Statement after update")
	wantSame(t, "Statement after update", reread, updated)

	before := snapshot(t, s)
	_, err = s.UpdateStatement(ctx, got.ID, func(st *domain.Statement) error {
		st.Text = "Something else"
		return errRejected
	})
	wantCode(t, err, domain.CodeBadUserInput, "UpdateStatement whose fn fails")
	wantUnchanged(t, s, before, "UpdateStatement whose fn fails")

	list, err := s.StatementsByID(ctx, []domain.ID{fr.ID, 999_999, got.ID})
	noError(t, err, "StatementsByID")
	if len(list) != 3 || !same(list[0], fr) || list[1] != nil || !same(list[2], updated) {
		t.Errorf("StatementsByID(fr, missing, first) = %v; want input order with nil for the missing one", list)
	}

	noError(t, s.DeleteStatement(ctx, got.ID, false), "DeleteStatement")
	_, err = s.Statement(ctx, got.ID)
	wantCode(t, err, domain.CodeNotFound, "Statement after delete")
	wantCode(t, s.DeleteStatement(ctx, got.ID, false), domain.CodeNotFound, "second DeleteStatement")
	if n, err := s.CountStatements(ctx, domain.StatementFilter{}); err != nil || n != 1 {
		t.Errorf("CountStatements = %d, %v; want 1", n, err)
	}
}

func testPositionCRUD(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, domain.Speaker{Name: "Russia", Kind: domain.SpeakerCountry, Country: "RU"})
	nato := createTopic(t, s, "nato-membership", "Ukraine's membership in NATO", 0)
	st1 := createStatement(t, s, quote(sp.ID, "NATO expansion is unacceptable.", "2025-11-20"))
	st2 := createStatement(t, s, quote(sp.ID, "Kyiv must renounce NATO.", "2025-11-25"))

	got, err := s.CreatePosition(ctx, &domain.Position{
		SpeakerID: sp.ID, TopicID: nato.ID, Stance: domain.StanceOpposes,
		Summary:     " Russia strongly opposes Ukraine joining NATO. ",
		AsOf:        domain.MustParsePartialDate("2025-11-24/2025-11-30"),
		EvidenceIDs: []domain.ID{st2.ID, st1.ID, st2.ID},
	})
	noError(t, err, "CreatePosition")
	wantCreated(t, "CreatePosition", got.ID, got.CreatedAt, got.UpdatedAt)
	if got.Summary != "Russia strongly opposes Ukraine joining NATO." || got.AsOf.String() != "2025-11-24/2025-11-30" ||
		!slices.Equal(got.EvidenceIDs, sortedIDs(st1.ID, st2.ID)) || got.PreviousID != 0 || got.Shift() {
		t.Errorf("CreatePosition = %+v; want trimmed summary, same asOf, sorted evidence, no previous", got)
	}

	byID, err := s.Position(ctx, got.ID)
	noError(t, err, "Position")
	wantSame(t, "Position(id)", byID, got)

	tick()
	updated, err := s.UpdatePosition(ctx, got.ID, func(ps *domain.Position) error {
		ps.Stance = domain.StanceMixed
		ps.EvidenceIDs = nil
		return nil
	})
	noError(t, err, "UpdatePosition")
	if updated.Stance != domain.StanceMixed || len(updated.EvidenceIDs) != 0 {
		t.Errorf("UpdatePosition did not apply the changes: %+v", updated)
	}
	wantTouched(t, "UpdatePosition", got.CreatedAt, got.UpdatedAt, updated.CreatedAt, updated.UpdatedAt)
	reread, err := s.Position(ctx, got.ID)
	noError(t, err, "Position after update")
	wantSame(t, "Position after update", reread, updated)

	before := snapshot(t, s)
	_, err = s.UpdatePosition(ctx, got.ID, func(ps *domain.Position) error {
		ps.Stance = domain.StanceSupports
		return errRejected
	})
	wantCode(t, err, domain.CodeBadUserInput, "UpdatePosition whose fn fails")
	wantUnchanged(t, s, before, "UpdatePosition whose fn fails")

	list, err := s.PositionsByID(ctx, []domain.ID{999_999, got.ID})
	noError(t, err, "PositionsByID")
	if len(list) != 2 || list[0] != nil || !same(list[1], updated) {
		t.Errorf("PositionsByID(missing, position) = %v; want input order with nil for the missing one", list)
	}

	noError(t, s.DeletePosition(ctx, got.ID), "DeletePosition")
	_, err = s.Position(ctx, got.ID)
	wantCode(t, err, domain.CodeNotFound, "Position after delete")
	wantCode(t, s.DeletePosition(ctx, got.ID), domain.CodeNotFound, "second DeletePosition")
	if n, err := s.CountPositions(ctx, domain.PositionFilter{}); err != nil || n != 0 {
		t.Errorf("CountPositions = %d, %v; want 0", n, err)
	}
}

// sortedIDs returns the ids in ascending order.
func sortedIDs(ids ...domain.ID) []domain.ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
