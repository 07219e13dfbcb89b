package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"parley/domain"
)

var concurrencyTests = []testCase{
	{"WritersAndReaders", testWritersAndReaders},
	{"UniqueKeyRace", testUniqueKeyRace},
	{"NoLostUpdates", testNoLostUpdates},
}

// testWritersAndReaders creates statements from several goroutines while
// others list them. Run it with -race.
func testWritersAndReaders(t *testing.T, s domain.Store) {
	const writers, perWriter, readers = 4, 25, 2
	ctx := t.Context()
	sp := createSpeaker(t, s, person("Jean-Noël Barrot", "FR"))
	topic := createTopic(t, s, "ukraine-peace", "Peace in Ukraine", 0)

	var (
		wg       sync.WaitGroup
		done     atomic.Bool
		mu       sync.Mutex
		createdS []domain.ID
	)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				st, err := s.CreateStatement(ctx, &domain.Statement{
					Text: fmt.Sprintf("Writer %d says %d.", w, i), Kind: domain.StatementParaphrase, SpeakerID: sp.ID,
					SaidOn: domain.DayDate(day("2025-01-01") + domain.Day(i)), TopicIDs: []domain.ID{topic.ID},
				})
				if err != nil {
					t.Errorf("writer %d: CreateStatement: %v", w, err)
					return
				}
				mu.Lock()
				createdS = append(createdS, st.ID)
				mu.Unlock()
			}
		})
	}
	var rg sync.WaitGroup
	for r := range readers {
		rg.Go(func() {
			last := 0
			for !done.Load() {
				n, err := s.CountStatements(ctx, domain.StatementFilter{Topics: []string{"ukraine-peace"}})
				if err != nil {
					t.Errorf("reader %d: CountStatements: %v", r, err)
					return
				}
				if n < last || n > writers*perWriter {
					t.Errorf("reader %d: CountStatements went from %d to %d", r, last, n)
				}
				last = n
				res, err := s.ListStatements(ctx, domain.StatementFilter{Speakers: []string{sp.Key}}, domain.SaidOnDesc, domain.Page{First: 50})
				if err != nil {
					t.Errorf("reader %d: ListStatements: %v", r, err)
					return
				}
				if len(res.Items) > 50 || len(res.Items) != len(res.Cursors) {
					t.Errorf("reader %d: a page of %d items and %d cursors", r, len(res.Items), len(res.Cursors))
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	rg.Wait()

	if n, err := s.CountStatements(ctx, domain.StatementFilter{}); err != nil || n != writers*perWriter {
		t.Errorf("CountStatements after the writers = %d, %v; want %d", n, err, writers*perWriter)
	}
	seen := map[domain.ID]bool{}
	for _, id := range createdS {
		if seen[id] {
			t.Errorf("two concurrent creates got ID %d", id)
		}
		seen[id] = true
	}
	got := listAll(t, "ListStatements", func(p domain.Page) (*domain.Result[*domain.Statement], error) {
		return s.ListStatements(ctx, domain.StatementFilter{Topics: []string{"ukraine-peace"}}, domain.CreatedAtDesc, p)
	})
	if len(got) != writers*perWriter {
		t.Errorf("ListStatements after the writers: %d statements, want %d", len(got), writers*perWriter)
	}
}

// testUniqueKeyRace creates the same speaker from several goroutines:
// exactly one wins, the others get CONFLICT.
func testUniqueKeyRace(t *testing.T, s domain.Store) {
	const racers = 8
	var wg sync.WaitGroup
	var won, conflicts atomic.Int32
	for range racers {
		wg.Go(func() {
			_, err := s.CreateSpeaker(t.Context(), &domain.Speaker{Key: "rustem-umerov", Name: "Rustem Umerov", Kind: domain.SpeakerPerson, Country: "UA"})
			switch domain.ErrorCode(err) {
			case domain.CodeConflict:
				conflicts.Add(1)
			default:
				if err != nil {
					t.Errorf("CreateSpeaker: %v", err)
					return
				}
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || conflicts.Load() != racers-1 {
		t.Errorf("%d racers creating one key: %d succeeded, %d got CONFLICT; want 1 and %d", racers, won.Load(), conflicts.Load(), racers-1)
	}
}

// testNoLostUpdates updates one speaker from several goroutines; each
// update reads and writes inside one transaction, so none is lost.
func testNoLostUpdates(t *testing.T, s domain.Store) {
	const updaters, each = 4, 10
	sp := createSpeaker(t, s, person("Andriy Yermak", "UA"))
	var wg sync.WaitGroup
	for u := range updaters {
		wg.Go(func() {
			for i := range each {
				_, err := s.UpdateSpeaker(t.Context(), sp.ID, func(x *domain.Speaker) error {
					x.Aliases = append(x.Aliases, fmt.Sprintf("alias %d-%d", u, i))
					return nil
				})
				if err != nil {
					t.Errorf("UpdateSpeaker: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.Speaker(t.Context(), sp.ID)
	noError(t, err, "Speaker")
	if len(got.Aliases) != updaters*each {
		t.Errorf("after %d concurrent alias additions the speaker has %d aliases", updaters*each, len(got.Aliases))
	}
}
