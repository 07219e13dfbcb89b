package storetest

import (
	"slices"
	"testing"

	"parley/domain"
)

var integrityTests = []testCase{
	{"DeleteSpeaker", testDeleteSpeaker},
	{"DeleteTopic", testDeleteTopic},
	{"DeleteSource", testDeleteSource},
	{"DeleteStatement", testDeleteStatement},
}

func testDeleteSpeaker(t *testing.T, s domain.Store) {
	ctx := t.Context()
	topic := createTopic(t, s, "us-peace-plan", "The U.S. draft peace plan", 0)
	kremlin := createSpeaker(t, s, domain.Speaker{Name: "The Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"})
	russia := createSpeaker(t, s, domain.Speaker{Name: "Russia", Kind: domain.SpeakerCountry, Country: "RU"})
	peskovIn := person("Dmitry Peskov", "RU")
	peskovIn.Roles = []domain.Role{
		{Title: "Kremlin spokesman", OrgID: kremlin.ID, From: domain.MustParsePartialDate("2012")},
		{Title: "Diplomat", OrgID: russia.ID, To: domain.MustParsePartialDate("2000")},
		{Title: "Press secretary"},
	}
	peskov := createSpeaker(t, s, peskovIn)
	putin := createSpeaker(t, s, person("Vladimir Putin", "RU"))
	lavrov := createSpeaker(t, s, person("Sergei Lavrov", "RU"))
	loner := createSpeaker(t, s, person("Nobody In Particular", ""))

	kremlinSaid := createStatement(t, s, quote(kremlin.ID, "The Kremlin expressed doubts.", "2025-11-28"))
	putinSaid := createStatement(t, s, quote(putin.ID, "The plan could be a basis.", "2025-11-21"))
	kremlinPos := createPosition(t, s, stance(kremlin.ID, topic.ID, domain.StanceMixed, "2025-11-28", kremlinSaid.ID))
	putinPos := createPosition(t, s, stance(putin.ID, topic.ID, domain.StanceSupports, "2025-11-21", putinSaid.ID, kremlinSaid.ID))
	createPosition(t, s, stance(lavrov.ID, topic.ID, domain.StanceOpposes, "2025-11"))

	for _, tt := range []struct {
		name string
		id   domain.ID
	}{
		{"with statements and positions", kremlin.ID},
		{"with statements", putin.ID},
		{"with positions only", lavrov.ID},
		{"that is another speaker's role org", russia.ID},
	} {
		before := snapshot(t, s)
		wantCode(t, s.DeleteSpeaker(ctx, tt.id, false), domain.CodeConflict, "DeleteSpeaker "+tt.name)
		wantUnchanged(t, s, before, "DeleteSpeaker "+tt.name)
	}
	noError(t, s.DeleteSpeaker(ctx, loner.ID, false), "DeleteSpeaker of an unreferenced speaker")

	noError(t, s.DeleteSpeaker(ctx, kremlin.ID, true), "DeleteSpeaker with cascade")
	_, err := s.Statement(ctx, kremlinSaid.ID)
	wantCode(t, err, domain.CodeNotFound, "the deleted speaker's statement")
	_, err = s.Position(ctx, kremlinPos.ID)
	wantCode(t, err, domain.CodeNotFound, "the deleted speaker's position")
	got, err := s.Speaker(ctx, peskov.ID)
	noError(t, err, "Speaker(peskov)")
	if want := peskov.Roles[1:]; !equalRoles(got.Roles, want) {
		t.Errorf("peskov's roles after deleting the Kremlin = %+v; want only %+v", got.Roles, want)
	}
	pos, err := s.Position(ctx, putinPos.ID)
	noError(t, err, "another speaker's position citing a deleted statement")
	if want := []domain.ID{putinSaid.ID}; !slices.Equal(pos.EvidenceIDs, want) {
		t.Errorf("evidence of the position citing a deleted statement = %v, want %v", pos.EvidenceIDs, want)
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{Speakers: []string{kremlin.Key}}); err != nil || n != 0 {
		t.Errorf("CountStatements(deleted speaker) = %d, %v; want 0", n, err)
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{}); err != nil || n != 1 {
		t.Errorf("CountStatements = %d, %v; want 1", n, err)
	}
	if n, err := s.CountPositions(ctx, domain.PositionFilter{}); err != nil || n != 2 {
		t.Errorf("CountPositions = %d, %v; want 2", n, err)
	}
	wantNoDangling(t, s)

	noError(t, s.DeleteSpeaker(ctx, russia.ID, true), "DeleteSpeaker with cascade of a role org")
	got, err = s.Speaker(ctx, peskov.ID)
	noError(t, err, "Speaker(peskov)")
	if want := peskov.Roles[2:]; !equalRoles(got.Roles, want) {
		t.Errorf("peskov's roles after deleting Russia = %+v; want only %+v", got.Roles, want)
	}
	wantNoDangling(t, s)
}

func equalRoles(a, b []domain.Role) bool {
	return slices.EqualFunc(a, b, func(x, y domain.Role) bool { return x == y })
}

func testDeleteTopic(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Vladimir Putin", "RU"))
	root := createTopic(t, s, "ukraine-peace", "Peace in Ukraine", 0)
	child := createTopic(t, s, "us-peace-plan", "The U.S. draft peace plan", root.ID)
	grandchild := createTopic(t, s, "plan-territory", "Territory in the plan", child.ID)
	other := createTopic(t, s, "nato", "NATO", 0)
	positionOnly := createTopic(t, s, "frozen-assets", "Frozen Russian assets", 0)
	leaf := createTopic(t, s, "sanctions", "Sanctions", 0)

	stIn := quote(sp.ID, "Territory is the key question.", "2025-11-27")
	stIn.TopicIDs = []domain.ID{grandchild.ID, other.ID}
	both := createStatement(t, s, stIn)
	stIn = quote(sp.ID, "The plan could be a basis.", "2025-11-21")
	stIn.TopicIDs = []domain.ID{child.ID}
	onChild := createStatement(t, s, stIn)
	stIn = quote(sp.ID, "NATO expansion is unacceptable.", "2025-11-20")
	stIn.TopicIDs = []domain.ID{other.ID}
	onOther := createStatement(t, s, stIn)
	posGrand := createPosition(t, s, stance(sp.ID, grandchild.ID, domain.StanceOpposes, "2025-11-27", both.ID))
	posOther := createPosition(t, s, stance(sp.ID, other.ID, domain.StanceOpposes, "2025-11-20", onOther.ID))
	createPosition(t, s, stance(sp.ID, positionOnly.ID, domain.StanceOpposes, "2025"))

	for _, tt := range []struct {
		name string
		id   domain.ID
	}{
		{"with subtopics", root.ID},
		{"with subtopics and statements", child.ID},
		{"with statements and positions", grandchild.ID},
		{"with positions only", positionOnly.ID},
	} {
		before := snapshot(t, s)
		wantCode(t, s.DeleteTopic(ctx, tt.id, false), domain.CodeConflict, "DeleteTopic "+tt.name)
		wantUnchanged(t, s, before, "DeleteTopic "+tt.name)
	}
	noError(t, s.DeleteTopic(ctx, leaf.ID, false), "DeleteTopic of an unreferenced topic")

	noError(t, s.DeleteTopic(ctx, root.ID, true), "DeleteTopic with cascade")
	for _, tp := range []*domain.Topic{root, child, grandchild} {
		_, err := s.Topic(ctx, tp.ID)
		wantCode(t, err, domain.CodeNotFound, "Topic "+tp.Key+" after its root was deleted")
		_, err = s.TopicByKey(ctx, tp.Key)
		wantCode(t, err, domain.CodeNotFound, "TopicByKey "+tp.Key+" after its root was deleted")
	}
	for _, tt := range []struct {
		st   *domain.Statement
		want []domain.ID
	}{
		{both, []domain.ID{other.ID}},
		{onChild, nil},
		{onOther, []domain.ID{other.ID}},
	} {
		got, err := s.Statement(ctx, tt.st.ID)
		if err != nil {
			t.Errorf("statement %d after DeleteTopic with cascade: %v; statements lose the topic, they are not deleted", tt.st.ID, err)
			continue
		}
		if !slices.Equal(nilIfEmpty(got.TopicIDs), tt.want) {
			t.Errorf("statement %d topics after DeleteTopic with cascade = %v, want %v", tt.st.ID, got.TopicIDs, tt.want)
		}
	}
	_, err := s.Position(ctx, posGrand.ID)
	wantCode(t, err, domain.CodeNotFound, "position on a deleted subtopic")
	if _, err := s.Position(ctx, posOther.ID); err != nil {
		t.Errorf("position on another topic: %v", err)
	}
	res, err := s.ListStatements(ctx, domain.StatementFilter{Topics: []string{"nato"}}, domain.SaidOnAsc, domain.Page{})
	noError(t, err, "ListStatements(topics: nato)")
	if got, want := ids(res.Items, statementID), []domain.ID{onOther.ID, both.ID}; !slices.Equal(got, want) {
		t.Errorf("ListStatements(topics: nato) after the cascade = %v, want %v", got, want)
	}
	if n, err := s.CountTopics(ctx, domain.TopicFilter{}); err != nil || n != 2 {
		t.Errorf("CountTopics = %d, %v; want 2", n, err)
	}
	wantNoDangling(t, s)
}

func testDeleteSource(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Emmanuel Macron", "FR"))
	a := createSource(t, s, "https://example.org/a")
	b := createSource(t, s, "https://example.org/b")
	unused := createSource(t, s, "https://example.org/unused")
	in := quote(sp.ID, "There is no final peace plan.", "2025-12-01")
	in.SourceIDs = []domain.ID{a.ID}
	onlyA := createStatement(t, s, in)
	in = quote(sp.ID, "Europe must be at the table.", "2025-12-01")
	in.SourceIDs = []domain.ID{a.ID, b.ID}
	aAndB := createStatement(t, s, in)

	before := snapshot(t, s)
	wantCode(t, s.DeleteSource(ctx, a.ID, false), domain.CodeConflict, "DeleteSource of a cited source")
	wantUnchanged(t, s, before, "DeleteSource of a cited source")
	noError(t, s.DeleteSource(ctx, unused.ID, false), "DeleteSource of an uncited source")

	noError(t, s.DeleteSource(ctx, a.ID, true), "DeleteSource with cascade")
	for _, tt := range []struct {
		st   *domain.Statement
		want []domain.ID
	}{{onlyA, nil}, {aAndB, []domain.ID{b.ID}}} {
		got, err := s.Statement(ctx, tt.st.ID)
		if err != nil {
			t.Errorf("statement %d after DeleteSource with cascade: %v; statements stop citing, they are not deleted", tt.st.ID, err)
			continue
		}
		if !slices.Equal(nilIfEmpty(got.SourceIDs), tt.want) {
			t.Errorf("statement %d sources after DeleteSource with cascade = %v, want %v", tt.st.ID, got.SourceIDs, tt.want)
		}
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{Source: a.URL}); err != nil || n != 0 {
		t.Errorf("CountStatements(source: deleted URL) = %d, %v; want 0", n, err)
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{Source: b.URL}); err != nil || n != 1 {
		t.Errorf("CountStatements(source: remaining URL) = %d, %v; want 1", n, err)
	}
	wantNoDangling(t, s)
}

func testDeleteStatement(t *testing.T, s domain.Store) {
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Volodymyr Zelensky", "UA"))
	topic := createTopic(t, s, "security-guarantees", "Security guarantees", 0)
	cited := createStatement(t, s, quote(sp.ID, "We need real security guarantees.", "2025-11-30"))
	also := createStatement(t, s, quote(sp.ID, "Guarantees must be binding.", "2025-12-01"))
	uncited := createStatement(t, s, quote(sp.ID, "Thank you.", "2025-12-01"))
	pos := createPosition(t, s, stance(sp.ID, topic.ID, domain.StanceSupports, "2025-12-01", cited.ID, also.ID))

	before := snapshot(t, s)
	wantCode(t, s.DeleteStatement(ctx, cited.ID, false), domain.CodeConflict, "DeleteStatement of cited evidence")
	wantUnchanged(t, s, before, "DeleteStatement of cited evidence")
	noError(t, s.DeleteStatement(ctx, uncited.ID, false), "DeleteStatement of an uncited statement")

	noError(t, s.DeleteStatement(ctx, cited.ID, true), "DeleteStatement with cascade")
	got, err := s.Position(ctx, pos.ID)
	noError(t, err, "the position citing a deleted statement")
	if want := []domain.ID{also.ID}; !slices.Equal(got.EvidenceIDs, want) {
		t.Errorf("evidence after DeleteStatement with cascade = %v, want %v", got.EvidenceIDs, want)
	}
	citing, err := s.PositionsCiting(ctx, []domain.ID{cited.ID, also.ID})
	noError(t, err, "PositionsCiting")
	if len(citing) != 2 || len(citing[0]) != 0 || len(citing[1]) != 1 || citing[1][0].ID != pos.ID {
		t.Errorf("PositionsCiting(deleted, remaining) = %v; want [] and [position %d]", citing, pos.ID)
	}
	wantNoDangling(t, s)
}
