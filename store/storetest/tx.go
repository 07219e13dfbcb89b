package storetest

import (
	"errors"
	"testing"

	"parley/domain"
)

var txTests = []testCase{
	{"RollsBackOnError", testTxRollback},
	{"Commits", testTxCommit},
	{"Lookups", testTxLookups},
	{"PutReplaces", testTxPutReplaces},
	{"PutChecks", testTxPutChecks},
}

var errAbort = errors.New("storetest: abort the transaction")

// putAll writes a speaker, topic, source, statement and position in tx,
// checking that each gets its ID and that tx sees its own writes.
func putAll(t *testing.T, tx domain.Tx) (*domain.Speaker, *domain.Statement, *domain.Position) {
	t.Helper()
	sp := &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson, Country: "EE"}
	tp := &domain.Topic{Key: "frozen-assets", Name: "Frozen Russian assets"}
	src := &domain.Source{URL: "https://example.org/kallas"}
	noError(t, tx.PutSpeaker(sp), "PutSpeaker")
	noError(t, tx.PutTopic(tp), "PutTopic")
	noError(t, tx.PutSource(src), "PutSource")
	if sp.ID == 0 || tp.ID == 0 || src.ID == 0 {
		t.Fatalf("Put with ID 0 did not assign IDs: speaker %d, topic %d, source %d", sp.ID, tp.ID, src.ID)
	}
	if got, err := tx.SpeakerByKey("kaja-kallas"); err != nil || got.ID != sp.ID {
		t.Errorf("tx.SpeakerByKey of a speaker put in the same transaction = %v, %v", got, err)
	}
	st := &domain.Statement{
		Text: "The assets must pay for the damage.", Kind: domain.StatementQuote, SpeakerID: sp.ID,
		SaidOn: date("2025-12-03"), TopicIDs: []domain.ID{tp.ID}, SourceIDs: []domain.ID{src.ID}, ExternalID: "tx-1",
	}
	noError(t, tx.PutStatement(st), "PutStatement")
	if st.ID == 0 {
		t.Fatalf("PutStatement with ID 0 did not assign an ID")
	}
	if got, err := tx.StatementByExternalID("tx-1"); err != nil || got.ID != st.ID {
		t.Errorf("tx.StatementByExternalID of a statement put in the same transaction = %v, %v", got, err)
	}
	ps := &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceSupports, AsOf: date("2025-12-03"), EvidenceIDs: []domain.ID{st.ID}}
	noError(t, tx.PutPosition(ps), "PutPosition")
	if ps.ID == 0 {
		t.Fatalf("PutPosition with ID 0 did not assign an ID")
	}
	if got, err := tx.PositionsCiting(st.ID); err != nil || len(got) != 1 || got[0].ID != ps.ID {
		t.Errorf("tx.PositionsCiting of a position put in the same transaction = %v, %v", got, err)
	}
	return sp, st, ps
}

func testTxRollback(t *testing.T, s domain.Store) {
	ctx := t.Context()
	before := snapshot(t, s)
	err := s.Update(ctx, func(tx domain.Tx) error {
		putAll(t, tx)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Errorf("Update returned %v, want the error fn returned", err)
	}
	wantUnchanged(t, s, before, "an Update whose fn failed")
	_, err = s.SpeakerByKey(ctx, "kaja-kallas")
	wantCode(t, err, domain.CodeNotFound, "SpeakerByKey after the rollback")
	_, err = s.SourceByURL(ctx, "https://example.org/kallas")
	wantCode(t, err, domain.CodeNotFound, "SourceByURL after the rollback")

	// The keys the rolled back transaction used are free.
	err = s.Update(ctx, func(tx domain.Tx) error {
		putAll(t, tx)
		return nil
	})
	noError(t, err, "Update reusing the keys of a rolled back transaction")

	err = s.Update(ctx, func(tx domain.Tx) error {
		return domain.Errorf(domain.CodeConflict, "the caller found a conflict")
	})
	wantCode(t, err, domain.CodeConflict, "Update whose fn returns a coded error")
}

func testTxCommit(t *testing.T, s domain.Store) {
	ctx := t.Context()
	var sp *domain.Speaker
	var st *domain.Statement
	var ps *domain.Position
	err := s.Update(ctx, func(tx domain.Tx) error {
		sp, st, ps = putAll(t, tx)
		return nil
	})
	noError(t, err, "Update")
	gotSp, err := s.Speaker(ctx, sp.ID)
	noError(t, err, "Speaker after commit")
	gotSt, err := s.Statement(ctx, st.ID)
	noError(t, err, "Statement after commit")
	gotPs, err := s.Position(ctx, ps.ID)
	noError(t, err, "Position after commit")
	wantCreated(t, "speaker put in a transaction", gotSp.ID, gotSp.CreatedAt, gotSp.UpdatedAt)
	wantCreated(t, "statement put in a transaction", gotSt.ID, gotSt.CreatedAt, gotSt.UpdatedAt)
	wantCreated(t, "position put in a transaction", gotPs.ID, gotPs.CreatedAt, gotPs.UpdatedAt)
	if gotSt.Text != st.Text || gotSt.SpeakerID != sp.ID || gotSt.Language != "en" || gotPs.EvidenceIDs[0] != st.ID {
		t.Errorf("records put in a transaction read back as %+v and %+v", gotSt, gotPs)
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{Topics: []string{"frozen-assets"}, Search: "damage"}); err != nil || n != 1 {
		t.Errorf("CountStatements of the statement put in a transaction = %d, %v; want 1 (indexes written)", n, err)
	}
}

func testTxLookups(t *testing.T, s domain.Store) {
	b := newBase(t, s)
	ext := quote(b.speaker.ID, "We will study the plan.", "2025-11-22")
	ext.ExternalID = "seed-0042"
	extSt := createStatement(t, s, ext)
	before := snapshot(t, s)
	err := s.Update(t.Context(), func(tx domain.Tx) error {
		found := []struct {
			what string
			id   domain.ID
			get  func() (domain.ID, error)
		}{
			{"Speaker", b.speaker.ID, func() (domain.ID, error) { x, err := tx.Speaker(b.speaker.ID); return idOr0(x, err, speakerID) }},
			{"SpeakerByKey", b.speaker.ID, func() (domain.ID, error) { x, err := tx.SpeakerByKey(b.speaker.Key); return idOr0(x, err, speakerID) }},
			{"Topic", b.child.ID, func() (domain.ID, error) { x, err := tx.Topic(b.child.ID); return idOr0(x, err, topicID) }},
			{"TopicByKey", b.child.ID, func() (domain.ID, error) { x, err := tx.TopicByKey(b.child.Key); return idOr0(x, err, topicID) }},
			{"Source", b.source.ID, func() (domain.ID, error) { x, err := tx.Source(b.source.ID); return idOr0(x, err, sourceID) }},
			{"SourceByURL", b.source.ID, func() (domain.ID, error) { x, err := tx.SourceByURL(b.source.URL); return idOr0(x, err, sourceID) }},
			{"Statement", b.statement.ID, func() (domain.ID, error) { x, err := tx.Statement(b.statement.ID); return idOr0(x, err, statementID) }},
			{"StatementByExternalID", extSt.ID, func() (domain.ID, error) {
				x, err := tx.StatementByExternalID("seed-0042")
				return idOr0(x, err, statementID)
			}},
			{"StatementByNaturalKey", b.statement.ID, func() (domain.ID, error) {
				x, err := tx.StatementByNaturalKey(&domain.Statement{SpeakerID: b.speaker.ID, Text: "the PLAN could be -- a basis", SaidOn: b.statement.SaidOn})
				return idOr0(x, err, statementID)
			}},
			{"PositionAt", b.position.ID, func() (domain.ID, error) {
				x, err := tx.PositionAt(b.speaker.ID, b.child.ID, b.position.AsOf)
				return idOr0(x, err, positionID)
			}},
		}
		for _, f := range found {
			if id, err := f.get(); err != nil || id != f.id {
				t.Errorf("tx.%s = %d, %v; want %d", f.what, id, err, f.id)
			}
		}
		if got, err := tx.PositionsCiting(b.statement.ID); err != nil || len(got) != 1 || got[0].ID != b.position.ID {
			t.Errorf("tx.PositionsCiting = %v, %v; want [position %d]", got, err, b.position.ID)
		}
		if got, err := tx.PositionsCiting(extSt.ID); err != nil || len(got) != 0 {
			t.Errorf("tx.PositionsCiting of an uncited statement = %v, %v; want none", got, err)
		}

		notFound := map[string]func() error{
			"Speaker":               func() error { _, err := tx.Speaker(missing); return err },
			"SpeakerByKey":          func() error { _, err := tx.SpeakerByKey("nobody"); return err },
			"Topic":                 func() error { _, err := tx.Topic(missing); return err },
			"TopicByKey":            func() error { _, err := tx.TopicByKey("nothing"); return err },
			"Source":                func() error { _, err := tx.Source(missing); return err },
			"SourceByURL":           func() error { _, err := tx.SourceByURL("https://example.org/nowhere"); return err },
			"Statement":             func() error { _, err := tx.Statement(missing); return err },
			"StatementByExternalID": func() error { _, err := tx.StatementByExternalID("seed-9999"); return err },
			"StatementByNaturalKey": func() error {
				_, err := tx.StatementByNaturalKey(&domain.Statement{SpeakerID: b.speaker.ID, Text: "The plan could be a basis.", SaidOn: date("2025-11-22")})
				return err
			},
			"PositionAt": func() error { _, err := tx.PositionAt(b.speaker.ID, b.child.ID, date("2025-11")); return err },
		}
		for what, call := range notFound {
			wantCode(t, call(), domain.CodeNotFound, "tx."+what+" of a missing record")
		}
		return nil
	})
	noError(t, err, "Update")
	wantUnchanged(t, s, before, "an Update that only reads")
}

// idOr0 returns the record's id, or 0 with the error.
func idOr0[T any](x *T, err error, id func(*T) domain.ID) (domain.ID, error) {
	if err != nil || x == nil {
		return 0, err
	}
	return id(x), nil
}

func testTxPutReplaces(t *testing.T, s domain.Store) {
	ctx := t.Context()
	b := newBase(t, s)
	tick()
	err := s.Update(ctx, func(tx domain.Tx) error {
		sp, err := tx.Speaker(b.speaker.ID)
		if err != nil {
			return err
		}
		sp.Description = "Kremlin spokesman"
		if err := tx.PutSpeaker(sp); err != nil {
			return err
		}
		st, err := tx.Statement(b.statement.ID)
		if err != nil {
			return err
		}
		st.TopicIDs = []domain.ID{b.grandchild.ID}
		if err := tx.PutStatement(st); err != nil {
			return err
		}
		if got, err := tx.Speaker(b.speaker.ID); err != nil || got.Description != "Kremlin spokesman" {
			t.Errorf("tx.Speaker after PutSpeaker = %+v, %v; want the new description", got, err)
		}
		return nil
	})
	noError(t, err, "Update")
	sp, err := s.Speaker(ctx, b.speaker.ID)
	noError(t, err, "Speaker")
	if sp.Description != "Kremlin spokesman" {
		t.Errorf("speaker replaced in a transaction has description %q", sp.Description)
	}
	wantTouched(t, "PutSpeaker replacing a speaker", b.speaker.CreatedAt, b.speaker.UpdatedAt, sp.CreatedAt, sp.UpdatedAt)
	if n, err := s.CountSpeakers(ctx, domain.SpeakerFilter{}); err != nil || n != 2 {
		t.Errorf("CountSpeakers = %d, %v; want 2 (Put with an ID replaces)", n, err)
	}
	for key, want := range map[string]int{"plan-territory": 1, "us-peace-plan": 1, "ukraine-peace": 1} {
		if n, err := s.CountStatements(ctx, domain.StatementFilter{Topics: []string{key}}); err != nil || n != want {
			t.Errorf("CountStatements(topics: %s) after PutStatement moved the topic = %d, %v; want %d", key, n, err, want)
		}
	}
	res, err := s.ListStatements(ctx, domain.StatementFilter{Topics: []string{"plan-territory"}}, domain.SaidOnDesc, domain.Page{})
	noError(t, err, "ListStatements")
	if len(res.Items) != 1 || res.Items[0].ID != b.statement.ID {
		t.Errorf("ListStatements(topics: plan-territory) = %v, want the moved statement", ids(res.Items, statementID))
	}
}

func testTxPutChecks(t *testing.T, s domain.Store) {
	b := newBase(t, s)
	before := snapshot(t, s)
	err := s.Update(t.Context(), func(tx domain.Tx) error {
		err := tx.PutStatement(&domain.Statement{Text: "Orphan.", Kind: domain.StatementQuote, SpeakerID: missing})
		wantFieldError(t, err, "speaker", "tx.PutStatement with an unknown speaker")
		err = tx.PutSpeaker(&domain.Speaker{Name: "Bad", Kind: domain.SpeakerPerson, Country: "Russia"})
		wantFieldError(t, err, "country", "tx.PutSpeaker with a bad country")
		err = tx.PutSpeaker(&domain.Speaker{Key: b.speaker.Key, Name: "Copy", Kind: domain.SpeakerPerson})
		wantCode(t, err, domain.CodeConflict, "tx.PutSpeaker with a taken key")
		first := &domain.Speaker{Key: "new-in-tx", Name: "New", Kind: domain.SpeakerPerson}
		noError(t, tx.PutSpeaker(first), "tx.PutSpeaker")
		err = tx.PutSpeaker(&domain.Speaker{Key: "new-in-tx", Name: "New again", Kind: domain.SpeakerPerson})
		wantCode(t, err, domain.CodeConflict, "tx.PutSpeaker with a key taken in the same transaction")
		err = tx.PutTopic(&domain.Topic{ID: missing, Key: "ghost", Name: "Ghost"})
		if code := domain.ErrorCode(err); code != domain.CodeNotFound && code != domain.CodeBadUserInput {
			t.Errorf("tx.PutTopic with an unknown nonzero ID: %v (%s); want NOT_FOUND or BAD_USER_INPUT", err, code)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Errorf("Update returned %v, want the error fn returned", err)
	}
	wantUnchanged(t, s, before, "an Update whose fn failed")
}
