package storetest

import (
	"fmt"
	"slices"
	"testing"

	"parley/domain"
)

var paginationTests = []testCase{
	{"Statements", testPaginateStatements},
	{"OtherLists", testPaginateOtherLists},
	{"PageRules", testPageRules},
	{"CursorOfDeletedItem", testCursorOfDeletedItem},
}

// pageSizes are the page sizes every walk is tried with: single items,
// sizes that do and do not divide the list, and one page for everything.
var pageSizes = []int{1, 2, 3, 7, 100}

// lister reads one page of a list.
type lister[T any] func(p domain.Page) (*domain.Result[T], error)

// wantPageShape checks what holds for every page: one cursor per item,
// no empty cursor, at most size items.
func wantPageShape[T any](t *testing.T, res *domain.Result[T], size int, what string) bool {
	t.Helper()
	switch {
	case len(res.Cursors) != len(res.Items):
		t.Errorf("%s: %d items but %d cursors", what, len(res.Items), len(res.Cursors))
		return false
	case len(res.Items) > size:
		t.Errorf("%s: %d items, more than the %d asked for", what, len(res.Items), size)
		return false
	case slices.ContainsFunc(res.Cursors, func(c []byte) bool { return len(c) == 0 }):
		t.Errorf("%s: an empty cursor", what)
		return false
	}
	return true
}

// walkForward reads the whole list with First=k and After cursors. Every
// page but the last is full and says hasNextPage; the last says it has no
// next page; the first says it has no previous page.
func walkForward[T any](t *testing.T, list lister[T], k int) []T {
	t.Helper()
	var all []T
	p := domain.Page{First: k}
	for page := 0; page <= 10_000; page++ {
		what := fmt.Sprintf("forward page %d with first=%d", page, k)
		res, err := list(p)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return all
		}
		if !wantPageShape(t, res, k, what) {
			return all
		}
		if page == 0 && res.HasPreviousPage {
			t.Errorf("%s: hasPreviousPage on the first page", what)
		}
		if page > 0 && len(res.Items) == 0 {
			t.Errorf("%s: empty, but the page before said hasNextPage", what)
		}
		all = append(all, res.Items...)
		if !res.HasNextPage {
			return all
		}
		if len(res.Items) < k {
			t.Errorf("%s: %d items and hasNextPage; want a full page", what, len(res.Items))
			if len(res.Items) == 0 {
				return all
			}
		}
		p.After = res.Cursors[len(res.Cursors)-1]
	}
	t.Errorf("forward walk with first=%d did not end", k)
	return all
}

// walkBackward reads the whole list from its end with Last=k and Before
// cursors; each page comes in list order. Every page but the first of the
// list is full and says hasPreviousPage; the first says it has none; the
// last says it has no next page.
func walkBackward[T any](t *testing.T, list lister[T], k int) []T {
	t.Helper()
	var all []T
	p := domain.Page{Last: k}
	for page := 0; page <= 10_000; page++ {
		what := fmt.Sprintf("backward page %d with last=%d", page, k)
		res, err := list(p)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return all
		}
		if !wantPageShape(t, res, k, what) {
			return all
		}
		if page == 0 && res.HasNextPage {
			t.Errorf("%s: hasNextPage on the last page of the list", what)
		}
		if page > 0 && len(res.Items) == 0 {
			t.Errorf("%s: empty, but the page after it said hasPreviousPage", what)
		}
		all = append(slices.Clone(res.Items), all...)
		if !res.HasPreviousPage {
			return all
		}
		if len(res.Items) < k {
			t.Errorf("%s: %d items and hasPreviousPage; want a full page", what, len(res.Items))
			if len(res.Items) == 0 {
				return all
			}
		}
		p.Before = res.Cursors[0]
	}
	t.Errorf("backward walk with last=%d did not end", k)
	return all
}

// wantWalks walks the list both ways with every page size and compares
// the items with want, in order.
func wantWalks[T any](t *testing.T, list lister[T], id func(T) domain.ID, want []domain.ID) {
	t.Helper()
	for _, k := range pageSizes {
		if got := ids(walkForward(t, list, k), id); !slices.Equal(got, want) {
			t.Errorf("forward walk with first=%d:\n got %v\nwant %v", k, got, want)
		}
		if got := ids(walkBackward(t, list, k), id); !slices.Equal(got, want) {
			t.Errorf("backward walk with last=%d:\n got %v\nwant %v", k, got, want)
		}
	}
}

func testPaginateStatements(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, worldSize)
	ctx := t.Context()
	filters := []namedFilter{
		{"all", domain.StatementFilter{}},
		{"topics=ukraine-peace", domain.StatementFilter{Topics: []string{"ukraine-peace"}}},
		{"said=2025", domain.StatementFilter{SaidFrom: date("2025"), SaidTo: date("2025")}},
		{"search=peace", domain.StatementFilter{Search: "peace"}},
		{"speakers+kinds", domain.StatementFilter{Speakers: []string{"vladimir-putin", "dmitry-peskov"}, Kinds: []domain.StatementKind{domain.StatementQuote}}},
		{"nothing", domain.StatementFilter{Speakers: []string{"no-such-speaker"}}},
	}
	for _, tc := range filters {
		for _, o := range orders {
			t.Run(tc.name+"/"+string(o), func(t *testing.T) {
				wantWalks(t, func(p domain.Page) (*domain.Result[*domain.Statement], error) {
					return s.ListStatements(ctx, tc.f, o, p)
				}, statementID, sorted(w.match(tc.f), o))
			})
		}
	}
}

func testPaginateOtherLists(t *testing.T, s domain.Store) {
	ctx := t.Context()
	const n = 23
	var speakers []*domain.Speaker
	var topics []*domain.Topic
	var sources []*domain.Source
	for i := range n {
		// Names out of key order, so that creation order and key order differ.
		speakers = append(speakers, createSpeaker(t, s, person(fmt.Sprintf("Speaker %c%02d", 'z'-i%7, i), "")))
		var parent domain.ID
		if i%3 == 2 {
			parent = topics[i-1].ID
		}
		topics = append(topics, createTopic(t, s, fmt.Sprintf("topic-%c-%02d", 'z'-i%5, i), fmt.Sprintf("Topic %d", i), parent))
		sources = append(sources, createSource(t, s, fmt.Sprintf("https://example.org/%c/%d", 'z'-i%4, i)))
	}
	var positions []*domain.Position
	for i := range n {
		asOf := fmt.Sprintf("2025-%02d", 1+i%12)
		if i%4 == 1 {
			asOf = fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i)
		}
		positions = append(positions, createPosition(t, s, stance(speakers[i%5].ID, topics[i%6].ID, domain.StanceSupports, asOf)))
	}

	t.Run("Speakers", func(t *testing.T) {
		list := func(p domain.Page) (*domain.Result[*domain.Speaker], error) {
			return s.ListSpeakers(ctx, domain.SpeakerFilter{}, p)
		}
		wantWalks(t, list, speakerID, onePage(t, list, speakerID, ids(speakers, speakerID)))
	})
	t.Run("Topics", func(t *testing.T) {
		list := func(p domain.Page) (*domain.Result[*domain.Topic], error) {
			return s.ListTopics(ctx, domain.TopicFilter{}, p)
		}
		byKey := slices.Clone(topics)
		slices.SortFunc(byKey, func(a, b *domain.Topic) int { return cmpString(a.Key, b.Key) })
		wantWalks(t, list, topicID, ids(byKey, topicID))
	})
	t.Run("Sources", func(t *testing.T) {
		list := func(p domain.Page) (*domain.Result[*domain.Source], error) { return s.ListSources(ctx, p) }
		wantWalks(t, list, sourceID, onePage(t, list, sourceID, ids(sources, sourceID)))
	})
	t.Run("Positions", func(t *testing.T) {
		list := func(p domain.Page) (*domain.Result[*domain.Position], error) {
			return s.ListPositions(ctx, domain.PositionFilter{}, p)
		}
		want := onePage(t, list, positionID, ids(positions, positionID))
		wantNewestFirst(t, s, want)
		wantWalks(t, list, positionID, want)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// onePage reads a list whose order the contract leaves to the store in one
// page, checks it holds exactly the records created, and returns its ids:
// the order every walk must then follow.
func onePage[T any](t *testing.T, list lister[T], id func(T) domain.ID, created []domain.ID) []domain.ID {
	t.Helper()
	res, err := list(domain.Page{First: domain.MaxPageSize})
	noError(t, err, "one page of the whole list")
	got := ids(res.Items, id)
	if res.HasNextPage || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(created))) {
		t.Errorf("one page of the whole list = %v (hasNextPage %t), want the records %v", got, res.HasNextPage, created)
	}
	return got
}

// wantNewestFirst checks that positions are listed by asOf, newest first.
func wantNewestFirst(t *testing.T, s domain.Store, positionIDs []domain.ID) {
	t.Helper()
	list, err := s.PositionsByID(t.Context(), positionIDs)
	noError(t, err, "PositionsByID")
	for i := 1; i < len(list); i++ {
		if list[i-1].AsOf.Start() < list[i].AsOf.Start() {
			t.Errorf("ListPositions puts asOf %s before %s; want newest first", list[i-1].AsOf, list[i].AsOf)
		}
	}
}

func testPageRules(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, 25)
	ctx := t.Context()
	want := sorted(w.match(domain.StatementFilter{}), domain.SaidOnDesc)
	list := func(p domain.Page) (*domain.Result[*domain.Statement], error) {
		return s.ListStatements(ctx, domain.StatementFilter{}, domain.SaidOnDesc, p)
	}

	res, err := list(domain.Page{})
	noError(t, err, "ListStatements without first or last")
	if got := ids(res.Items, statementID); !slices.Equal(got, want[:domain.DefaultPageSize]) || !res.HasNextPage || res.HasPreviousPage {
		t.Errorf("ListStatements without first or last = %v (next %t, previous %t); want the first %d: %v",
			got, res.HasNextPage, res.HasPreviousPage, domain.DefaultPageSize, want[:domain.DefaultPageSize])
	}
	whole, err := list(domain.Page{First: domain.MaxPageSize})
	noError(t, err, "ListStatements with first=100")
	at := len(want) - 2
	res, err = list(domain.Page{Before: whole.Cursors[at]})
	noError(t, err, "ListStatements with only before")
	if got, wantBefore := ids(res.Items, statementID), want[at-domain.DefaultPageSize:at]; !slices.Equal(got, wantBefore) || !res.HasPreviousPage {
		t.Errorf("ListStatements with only before = %v (previous %t); want the %d items before it: %v",
			got, res.HasPreviousPage, domain.DefaultPageSize, wantBefore)
	}

	type namedPage struct {
		name string
		p    domain.Page
	}
	bad := []namedPage{
		{"first=101", domain.Page{First: domain.MaxPageSize + 1}},
		{"last=101", domain.Page{Last: domain.MaxPageSize + 1}},
		{"first=-1", domain.Page{First: -1}},
		{"last=-1", domain.Page{Last: -1}},
		{"first and last", domain.Page{First: 1, Last: 1}},
	}
	for i, c := range [][]byte{[]byte("garbage"), {0xff, 0x00, 0x13, 0x37}} {
		bad = append(bad,
			namedPage{fmt.Sprintf("garbage after %d", i), domain.Page{First: 5, After: c}},
			namedPage{fmt.Sprintf("garbage before %d", i), domain.Page{Last: 5, Before: c}})
	}
	for _, tt := range bad {
		_, err := list(tt.p)
		wantCode(t, err, domain.CodeBadUserInput, "ListStatements with "+tt.name)
		_, err = s.ListSpeakers(ctx, domain.SpeakerFilter{}, tt.p)
		wantCode(t, err, domain.CodeBadUserInput, "ListSpeakers with "+tt.name)
		_, err = s.ListTopics(ctx, domain.TopicFilter{}, tt.p)
		wantCode(t, err, domain.CodeBadUserInput, "ListTopics with "+tt.name)
		_, err = s.ListSources(ctx, tt.p)
		wantCode(t, err, domain.CodeBadUserInput, "ListSources with "+tt.name)
		_, err = s.ListPositions(ctx, domain.PositionFilter{}, tt.p)
		wantCode(t, err, domain.CodeBadUserInput, "ListPositions with "+tt.name)
	}
}

// testCursorOfDeletedItem checks that a cursor stays a valid place in the
// list after its item is deleted: clients page on while others write.
func testCursorOfDeletedItem(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, 20)
	ctx := t.Context()
	list := func(p domain.Page) (*domain.Result[*domain.Statement], error) {
		return s.ListStatements(ctx, domain.StatementFilter{}, domain.SaidOnAsc, p)
	}
	remaining := sorted(w.match(domain.StatementFilter{}), domain.SaidOnAsc)
	del := func(id domain.ID) {
		t.Helper()
		noError(t, s.DeleteStatement(ctx, id, true), "DeleteStatement")
		remaining = slices.DeleteFunc(remaining, func(x domain.ID) bool { return x == id })
	}

	first, err := list(domain.Page{First: 5})
	noError(t, err, "first page")
	last := first.Items[4].ID
	del(last)
	next, err := list(domain.Page{First: 5, After: first.Cursors[4]})
	noError(t, err, "the page after a deleted item's cursor")
	if got, want := ids(next.Items, statementID), remaining[4:9]; !slices.Equal(got, want) {
		t.Errorf("the page after deleted item %d = %v, want %v", last, got, want)
	}

	end, err := list(domain.Page{Last: 5})
	noError(t, err, "last page")
	firstOfEnd := end.Items[0].ID
	del(firstOfEnd)
	prev, err := list(domain.Page{Last: 5, Before: end.Cursors[0]})
	noError(t, err, "the page before a deleted item's cursor")
	n := len(remaining) - 4
	if got, want := ids(prev.Items, statementID), remaining[n-5:n]; !slices.Equal(got, want) {
		t.Errorf("the page before deleted item %d = %v, want %v", firstOfEnd, got, want)
	}
}
