package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"parley/domain"
)

// TestStanceMapMatchesAModel (from a review of the stance map's single
// walk) checks StanceMap against a brute-force model on random partial
// dates: years, months, intervals and days, many positions per speaker,
// each speaker's stance and previous position.
func TestStanceMapMatchesAModel(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(99, 1))
	var topics []*domain.Topic
	for i := 0; i < 3; i++ {
		tp, err := s.CreateTopic(ctx, &domain.Topic{Key: fmt.Sprintf("t%d", i), Name: fmt.Sprintf("T %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		topics = append(topics, tp)
	}
	var speakers []*domain.Speaker
	for i := 0; i < 12; i++ {
		sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: fmt.Sprintf("Speaker %c", 'z'-i), Kind: domain.SpeakerPerson})
		if err != nil {
			t.Fatal(err)
		}
		speakers = append(speakers, sp)
	}
	stances := []domain.Stance{domain.StanceSupports, domain.StanceOpposes, domain.StanceNeutral, domain.StanceMixed}
	randDate := func() domain.PartialDate {
		y := 2020 + rng.IntN(3)
		switch rng.IntN(4) {
		case 0:
			return domain.MustParsePartialDate(fmt.Sprintf("%d", y))
		case 1:
			return domain.MustParsePartialDate(fmt.Sprintf("%d-%02d", y, 1+rng.IntN(12)))
		case 2:
			a := domain.DayOf(y, 1, 1) + domain.Day(rng.IntN(700))
			d, err := domain.NewInterval(a, a+domain.Day(rng.IntN(90)))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		return domain.DayDate(domain.DayOf(y, 1, 1) + domain.Day(rng.IntN(3*365)))
	}
	var all []*domain.Position
	for i := 0; i < 400; i++ {
		p, err := s.CreatePosition(ctx, &domain.Position{
			SpeakerID: speakers[rng.IntN(len(speakers))].ID, TopicID: topics[rng.IntN(len(topics))].ID,
			Stance: stances[rng.IntN(4)], Summary: fmt.Sprint("p", i), AsOf: randDate(),
		})
		if err != nil {
			if strings.Contains(err.Error(), "already holds") {
				continue
			}
			t.Fatal(err)
		}
		all = append(all, p)
		if i%37 == 0 && len(all) > 3 { // some updates and deletes
			victim := all[rng.IntN(len(all))]
			np, err := s.UpdatePosition(ctx, victim.ID, func(q *domain.Position) error { q.AsOf = randDate(); return nil })
			if err != nil && !strings.Contains(err.Error(), "already holds") {
				t.Fatal(err)
			}
			if err == nil {
				for j := range all {
					if all[j].ID == np.ID {
						all[j] = np
					}
				}
			}
		}
	}
	key := func(p *domain.Position) string {
		return fmt.Sprintf("%011d%011d%020d", int64(p.AsOf.Start())+1<<33, int64(p.AsOf.End())+1<<33, p.ID)
	}
	spKey := map[domain.ID]string{}
	for _, sp := range speakers {
		spKey[sp.ID] = sp.Key
	}
	for _, tp := range topics {
		for day := domain.DayOf(2019, 12, 1); day < domain.DayOf(2023, 3, 1); day += 11 {
			var want []string
			for _, sp := range speakers {
				var hist []*domain.Position
				for _, p := range all {
					if p.TopicID == tp.ID && p.SpeakerID == sp.ID {
						hist = append(hist, p)
					}
				}
				slices.SortFunc(hist, func(a, b *domain.Position) int { return strings.Compare(key(a), key(b)) })
				at := -1
				for i, p := range hist {
					if p.AsOf.Start() <= day {
						at = i
					}
				}
				if at < 0 {
					continue
				}
				var prev domain.ID
				if at > 0 {
					prev = hist[at-1].ID
				}
				want = append(want, fmt.Sprintf("%s:%d<%d", sp.Key, hist[at].ID, prev))
			}
			slices.Sort(want)
			got, err := s.StanceMap(ctx, tp.Key, day)
			if err != nil {
				t.Fatal(err)
			}
			var g []string
			for _, p := range got {
				g = append(g, fmt.Sprintf("%s:%d<%d", spKey[p.SpeakerID], p.ID, p.PreviousID))
			}
			if !slices.Equal(g, want) {
				t.Fatalf("topic %s day %d:\n got %v\nwant %v", tp.Key, day, g, want)
			}
		}
	}
}
