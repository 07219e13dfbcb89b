package storetest

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"parley/domain"
)

var positionTests = []testCase{
	{"Timeline", testPositionTimeline},
}

// stances is a positions dataset with a model of its derived fields.
type stances struct {
	yuri, anna, carl   *domain.Speaker
	root, nato, assets *domain.Topic
	st1, st2, st3      *domain.Statement
	byName             map[string]*domain.Position
}

// previous returns the position that precedes p in its speaker's timeline
// on its topic: asOf by start, then end, then id.
func (d *stances) previous(p *domain.Position) *domain.Position {
	var best *domain.Position
	for _, q := range d.byName {
		if q.SpeakerID != p.SpeakerID || q.TopicID != p.TopicID || asOfCmp(q, p) >= 0 {
			continue
		}
		if best == nil || asOfCmp(q, best) > 0 {
			best = q
		}
	}
	return best
}

func asOfCmp(a, b *domain.Position) int {
	switch {
	case a.AsOf.Start() != b.AsOf.Start():
		return cmpDay(a.AsOf.Start(), b.AsOf.Start())
	case a.AsOf.End() != b.AsOf.End():
		return cmpDay(a.AsOf.End(), b.AsOf.End())
	}
	return cmpID(a.ID, b.ID)
}

// wantDerived checks a position read from the store against the model:
// its stored fields and its derived previous position.
func (d *stances) wantDerived(t *testing.T, how string, got *domain.Position) {
	t.Helper()
	var want *domain.Position
	for _, p := range d.byName {
		if p.ID == got.ID {
			want = p
		}
	}
	if want == nil {
		t.Errorf("%s: unexpected position %d", how, got.ID)
		return
	}
	wantPrevID, wantPrevStance := domain.ID(0), domain.Stance("")
	if prev := d.previous(want); prev != nil {
		wantPrevID, wantPrevStance = prev.ID, prev.Stance
	}
	if got.PreviousID != wantPrevID || got.PreviousStance != wantPrevStance {
		t.Errorf("%s: position %d (%s %s) has previous %d %q, want %d %q",
			how, got.ID, got.Stance, got.AsOf, got.PreviousID, got.PreviousStance, wantPrevID, wantPrevStance)
	}
	g, w := *got, *want
	g.PreviousID, g.PreviousStance, w.PreviousID, w.PreviousStance = 0, "", 0, ""
	if !same(&g, &w) {
		t.Errorf("%s: position %d = %+v, want %+v", how, got.ID, canonical(&g), canonical(&w))
	}
}

func newStances(t *testing.T, s domain.Store) *stances {
	t.Helper()
	d := &stances{byName: map[string]*domain.Position{}}
	// Creation order differs from key order: anna < carl < yuri.
	d.yuri = createSpeaker(t, s, domain.Speaker{Key: "yuri", Name: "Yuri", Kind: domain.SpeakerPerson, Country: "RU"})
	d.anna = createSpeaker(t, s, domain.Speaker{Key: "anna", Name: "Anna", Kind: domain.SpeakerPerson, Country: "UA"})
	d.carl = createSpeaker(t, s, domain.Speaker{Key: "carl", Name: "Carl", Kind: domain.SpeakerPerson, Country: "US"})
	d.root = createTopic(t, s, "security-architecture", "European security architecture", 0)
	d.nato = createTopic(t, s, "nato-membership", "Ukraine's membership in NATO", d.root.ID)
	d.assets = createTopic(t, s, "frozen-assets", "Frozen Russian assets", 0)
	d.st1 = createStatement(t, s, quote(d.yuri.ID, "NATO membership is out of the question.", "2025-11-20"))
	d.st2 = createStatement(t, s, quote(d.anna.ID, "We keep every option open.", "2025-11-10"))
	d.st3 = createStatement(t, s, quote(d.carl.ID, "No comment.", "2025-11-10"))

	// Out of date order on purpose: previous positions are derived when
	// read, whatever order they were written in.
	for _, p := range []struct {
		name string
		ps   domain.Position
	}{
		{"yuriOpposes", stance(d.yuri.ID, d.nato.ID, domain.StanceOpposes, "2025-11-20", d.st1.ID)},
		{"yuriSupports", stance(d.yuri.ID, d.nato.ID, domain.StanceSupports, "2025-11-01")},
		{"annaNeutral", stance(d.anna.ID, d.nato.ID, domain.StanceNeutral, "2025-11-10", d.st2.ID)},
		{"yuriStillOpposes", stance(d.yuri.ID, d.nato.ID, domain.StanceOpposes, "2025-12")},
		{"carlMixed", stance(d.carl.ID, d.root.ID, domain.StanceMixed, "2025-11-15")},
		{"annaSupportsAssets", stance(d.anna.ID, d.assets.ID, domain.StanceSupports, "2025")},
		{"annaOpposesAssets", stance(d.anna.ID, d.assets.ID, domain.StanceOpposes, "2025-11-24/2025-11-30", d.st1.ID, d.st2.ID)},
		{"yuriMonthEnd", stance(d.yuri.ID, d.root.ID, domain.StanceNeutral, "2025-11")},
		{"yuriMonthStart", stance(d.yuri.ID, d.root.ID, domain.StanceOpposes, "2025-11-01")},
	} {
		d.byName[p.name] = createPosition(t, s, p.ps)
	}
	return d
}

func testPositionTimeline(t *testing.T, s domain.Store) {
	ctx := t.Context()
	d := newStances(t, s)
	pos := d.byName

	// The timeline, spelled out: the model must agree before it judges.
	for _, tt := range []struct{ name, prev string }{
		{"yuriSupports", ""}, {"yuriOpposes", "yuriSupports"}, {"yuriStillOpposes", "yuriOpposes"},
		{"annaNeutral", ""}, {"annaSupportsAssets", ""}, {"annaOpposesAssets", "annaSupportsAssets"},
		{"yuriMonthStart", ""}, {"yuriMonthEnd", "yuriMonthStart"},
	} {
		if got, want := d.previous(pos[tt.name]), pos[tt.prev]; got != want {
			t.Fatalf("model: previous of %s = %v, want %s", tt.name, got, tt.prev)
		}
	}

	t.Run("Position", func(t *testing.T) {
		for name, p := range pos {
			got, err := s.Position(ctx, p.ID)
			noError(t, err, "Position("+name+")")
			d.wantDerived(t, "Position("+name+")", got)
		}
		for name, shift := range map[string]bool{
			"yuriSupports": false, "yuriOpposes": true, "yuriStillOpposes": false,
			"annaOpposesAssets": true, "yuriMonthEnd": true,
		} {
			got, err := s.Position(ctx, pos[name].ID)
			noError(t, err, "Position("+name+")")
			if got.Shift() != shift {
				t.Errorf("Position(%s).Shift() = %t, want %t", name, got.Shift(), shift)
			}
		}
		list, err := s.PositionsByID(ctx, []domain.ID{pos["yuriOpposes"].ID, pos["yuriSupports"].ID})
		noError(t, err, "PositionsByID")
		for _, p := range list {
			d.wantDerived(t, "PositionsByID", p)
		}
	})

	t.Run("StanceMap", func(t *testing.T) {
		for _, tt := range []struct {
			topic *domain.Topic
			day   string
			want  []string // by speaker key
		}{
			{d.nato, "2025-10-31", nil},
			{d.nato, "2025-11-01", []string{"yuriSupports"}},
			{d.nato, "2025-11-09", []string{"yuriSupports"}},
			{d.nato, "2025-11-10", []string{"annaNeutral", "yuriSupports"}},
			{d.nato, "2025-11-20", []string{"annaNeutral", "yuriOpposes"}},
			{d.nato, "2025-11-30", []string{"annaNeutral", "yuriOpposes"}},
			{d.nato, "2025-12-01", []string{"annaNeutral", "yuriStillOpposes"}},
			{d.nato, "2030-01-01", []string{"annaNeutral", "yuriStillOpposes"}},
			{d.assets, "2024-12-31", nil},
			{d.assets, "2025-01-01", []string{"annaSupportsAssets"}},
			{d.assets, "2025-11-23", []string{"annaSupportsAssets"}},
			{d.assets, "2025-11-24", []string{"annaOpposesAssets"}},
			// Same start: the narrower date is earlier, so the month is latest.
			{d.root, "2025-11-01", []string{"yuriMonthEnd"}},
			{d.root, "2025-11-15", []string{"carlMixed", "yuriMonthEnd"}},
		} {
			got, err := s.StanceMap(ctx, tt.topic.Key, day(tt.day))
			noError(t, err, "StanceMap")
			var want []domain.ID
			for _, name := range tt.want {
				want = append(want, pos[name].ID)
			}
			if !slices.Equal(ids(got, positionID), want) {
				t.Errorf("StanceMap(%s, %s) = %v, want %v %v", tt.topic.Key, tt.day, ids(got, positionID), tt.want, want)
				continue
			}
			for _, p := range got {
				d.wantDerived(t, fmt.Sprintf("StanceMap(%s, %s)", tt.topic.Key, tt.day), p)
			}
		}
		_, err := s.StanceMap(ctx, "no-such-topic", day("2025-12-01"))
		wantCode(t, err, domain.CodeNotFound, "StanceMap of an unknown topic")
	})

	t.Run("ListPositions", func(t *testing.T) {
		all := slices.Collect(maps.Values(pos))
		subtree := map[string][]domain.ID{
			d.root.Key: {d.root.ID, d.nato.ID}, d.nato.Key: {d.nato.ID}, d.assets.Key: {d.assets.ID},
		}
		speakerKey := map[domain.ID]string{d.yuri.ID: "yuri", d.anna.ID: "anna", d.carl.ID: "carl"}
		model := func(f domain.PositionFilter) []domain.ID {
			var out []domain.ID
			for _, p := range all {
				var topics []domain.ID
				for _, key := range f.Topics {
					topics = append(topics, subtree[key]...)
				}
				prev := d.previous(p)
				switch {
				case len(f.Speakers) > 0 && !slices.Contains(f.Speakers, speakerKey[p.SpeakerID]):
				case len(f.Topics) > 0 && !slices.Contains(topics, p.TopicID):
				case len(f.Stances) > 0 && !slices.Contains(f.Stances, p.Stance):
				case f.ShiftsOnly && (prev == nil || prev.Stance == p.Stance):
				default:
					out = append(out, p.ID)
				}
			}
			slices.Sort(out)
			return out
		}
		for _, f := range []domain.PositionFilter{
			{},
			{Speakers: []string{"yuri"}},
			{Speakers: []string{"anna", "carl"}},
			{Speakers: []string{"nobody"}},
			{Topics: []string{d.root.Key}},
			{Topics: []string{d.nato.Key}},
			{Topics: []string{d.assets.Key, "no-such-topic"}},
			{Topics: []string{"no-such-topic"}},
			{Stances: []domain.Stance{domain.StanceOpposes}},
			{Stances: []domain.Stance{domain.StanceSupports, domain.StanceNeutral}},
			{ShiftsOnly: true},
			{Speakers: []string{"anna"}, ShiftsOnly: true},
			{Speakers: []string{"yuri"}, Topics: []string{d.nato.Key}, Stances: []domain.Stance{domain.StanceOpposes}},
		} {
			got := listAll(t, "ListPositions", func(p domain.Page) (*domain.Result[*domain.Position], error) {
				return s.ListPositions(ctx, f, p)
			})
			gotIDs := ids(got, positionID)
			wantNewestFirst(t, s, gotIDs)
			slices.Sort(gotIDs)
			if want := model(f); !slices.Equal(gotIDs, want) {
				t.Errorf("ListPositions(%+v) = %v, want %v", f, gotIDs, want)
			}
			if n, err := s.CountPositions(ctx, f); err != nil || n != len(model(f)) {
				t.Errorf("CountPositions(%+v) = %d, %v; want %d", f, n, err, len(model(f)))
			}
			for _, p := range got {
				d.wantDerived(t, fmt.Sprintf("ListPositions(%+v)", f), p)
			}
		}
	})

	t.Run("PositionsCiting", func(t *testing.T) {
		got, err := s.PositionsCiting(ctx, []domain.ID{d.st1.ID, d.st2.ID, d.st3.ID, d.st1.ID})
		noError(t, err, "PositionsCiting")
		want := [][]domain.ID{
			sortedIDs(pos["yuriOpposes"].ID, pos["annaOpposesAssets"].ID),
			sortedIDs(pos["annaNeutral"].ID, pos["annaOpposesAssets"].ID),
			nil,
			sortedIDs(pos["yuriOpposes"].ID, pos["annaOpposesAssets"].ID),
		}
		if len(got) != len(want) {
			t.Fatalf("PositionsCiting of 4 statements returned %d lists", len(got))
		}
		for i := range want {
			if g := nilIfEmpty(ids(got[i], positionID)); !slices.Equal(g, want[i]) {
				t.Errorf("PositionsCiting, statement %d: %v, want %v", i, g, want[i])
			}
		}
	})

	// Previous positions are derived, so they follow updates and deletes.
	t.Run("AfterWrites", func(t *testing.T) {
		updated, err := s.UpdatePosition(ctx, pos["yuriSupports"].ID, func(p *domain.Position) error {
			p.Stance = domain.StanceOpposes
			return nil
		})
		noError(t, err, "UpdatePosition")
		pos["yuriSupports"] = updated
		got, err := s.Position(ctx, pos["yuriOpposes"].ID)
		noError(t, err, "Position")
		if got.PreviousStance != domain.StanceOpposes || got.Shift() {
			t.Errorf("after the previous position changed stance: previous %q, shift %t; want OPPOSES, no shift", got.PreviousStance, got.Shift())
		}

		noError(t, s.DeletePosition(ctx, pos["yuriSupports"].ID), "DeletePosition")
		delete(pos, "yuriSupports")
		got, err = s.Position(ctx, pos["yuriOpposes"].ID)
		noError(t, err, "Position")
		d.wantDerived(t, "Position after its previous was deleted", got)

		moved, err := s.UpdatePosition(ctx, pos["yuriStillOpposes"].ID, func(p *domain.Position) error {
			p.AsOf, p.Stance = date("2025-10"), domain.StanceSupports
			return nil
		})
		noError(t, err, "UpdatePosition moving asOf")
		pos["yuriStillOpposes"] = moved
		for _, name := range []string{"yuriStillOpposes", "yuriOpposes"} {
			got, err := s.Position(ctx, pos[name].ID)
			noError(t, err, "Position")
			d.wantDerived(t, "Position after asOf moved", got)
		}
		sm, err := s.StanceMap(ctx, d.nato.Key, day("2025-10-15"))
		noError(t, err, "StanceMap")
		if got := ids(sm, positionID); !slices.Equal(got, []domain.ID{moved.ID}) {
			t.Errorf("StanceMap after asOf moved = %v, want [%d]", got, moved.ID)
		}
	})
}
