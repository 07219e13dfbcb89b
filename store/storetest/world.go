package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/domain"
)

// A world is a deterministic dataset of statements in a store, together
// with a naive in-memory model of the statement queries: every filter and
// order is computed here by brute force over all statements, the
// executable form of the StatementFilter and StatementOrder docs.
type world struct {
	speakers   []*domain.Speaker
	topics     []*domain.Topic
	sources    []*domain.Source
	statements []*domain.Statement // in creation order

	speakerByID  map[domain.ID]*domain.Speaker
	speakerByKey map[string]*domain.Speaker
	topicByKey   map[string]*domain.Topic
	sourceByURL  map[string]*domain.Source
	statement    map[domain.ID]*domain.Statement
}

var worldSpeakers = []domain.Speaker{
	{Key: "vladimir-putin", Name: "Vladimir Putin", Kind: domain.SpeakerPerson, Country: "RU"},
	{Name: "Dmitry Peskov", Kind: domain.SpeakerPerson, Country: "RU"},
	{Name: "Volodymyr Zelensky", Kind: domain.SpeakerPerson, Country: "UA", Aliases: []string{"Zelenskyy"}},
	{Name: "Emmanuel Macron", Kind: domain.SpeakerPerson, Country: "FR"},
	{Name: "Steve Witkoff", Kind: domain.SpeakerPerson, Country: "US"},
	{Name: "The Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"},
	{Name: "European Commission", Kind: domain.SpeakerOrganization, Country: "EU"},
	{Name: "Unnamed Official", Kind: domain.SpeakerPerson},
}

// worldTopics is a forest: ukraine-peace > us-peace-plan > plan-territory,
// ukraine-peace > security-guarantees, nato > nato-membership, and two
// single roots. Parents come before their children.
var worldTopics = []struct{ key, name, parent string }{
	{"ukraine-peace", "Peace in Ukraine", ""},
	{"us-peace-plan", "The U.S. draft peace plan", "ukraine-peace"},
	{"plan-territory", "Territorial clauses of the plan", "us-peace-plan"},
	{"security-guarantees", "Security guarantees for Ukraine", "ukraine-peace"},
	{"nato", "NATO", ""},
	{"nato-membership", "Ukraine's membership in NATO", "nato"},
	{"frozen-assets", "Frozen Russian assets", ""},
	{"sanctions", "Sanctions", ""},
}

var worldSources = []string{
	"https://news.example.org/2025/12/01/talks",
	"https://wire.example.com/story/42",
	"https://example.org/briefing",
	"https://example.net/interview",
}

// vocabulary is the words statements are made of. No word is a prefix of
// another, so a search for one word is unambiguous whatever the backend's
// tokenizer does beyond the contract.
var vocabulary = strings.Fields(`peace plan security guarantees territory ceasefire
	negotiations sanctions assets membership alliance talks constructive draft
	envoy summit frontline dialogue sovereignty withdrawal referendum moscow kyiv
	washington brussels`)

// zelensky is one name spelled four ways: search folds case and diacritics.
var zelensky = []string{"Zelenskyy", "ZELENSKYY", "Zelénskyy", "zelénskyy"}

// buildWorld creates n pseudo-random statements (plus a few with chosen
// dates) by the world's speakers, on its topics, citing its sources.
func buildWorld(t *testing.T, s domain.Store, n int) *world {
	t.Helper()
	w := &world{
		speakerByID:  map[domain.ID]*domain.Speaker{},
		speakerByKey: map[string]*domain.Speaker{},
		topicByKey:   map[string]*domain.Topic{},
		sourceByURL:  map[string]*domain.Source{},
		statement:    map[domain.ID]*domain.Statement{},
	}
	for _, sp := range worldSpeakers {
		sp.Aliases = slices.Clone(sp.Aliases)
		got := createSpeaker(t, s, sp)
		w.speakers = append(w.speakers, got)
		w.speakerByID[got.ID] = got
		w.speakerByKey[got.Key] = got
	}
	for _, tp := range worldTopics {
		var parent domain.ID
		if tp.parent != "" {
			parent = w.topicByKey[tp.parent].ID
		}
		got := createTopic(t, s, tp.key, tp.name, parent)
		w.topics = append(w.topics, got)
		w.topicByKey[got.Key] = got
	}
	for _, url := range worldSources {
		got := createSource(t, s, url)
		w.sources = append(w.sources, got)
		w.sourceByURL[got.URL] = got
	}

	rng := rand.New(rand.NewPCG(2025, 12))
	seen := map[string]bool{}
	var prev domain.PartialDate
	add := func(st domain.Statement) {
		got := createStatement(t, s, st)
		w.statements = append(w.statements, got)
		w.statement[got.ID] = got
		seen[got.NaturalKey()] = true
	}
	for i := range n {
		st := domain.Statement{
			Kind:      []domain.StatementKind{domain.StatementQuote, domain.StatementParaphrase}[rng.IntN(2)],
			SpeakerID: w.speakers[min(rng.IntN(len(w.speakers)), rng.IntN(len(w.speakers)))].ID, // skewed
			SaidOn:    randomDate(rng),
		}
		if i%9 == 8 {
			st.SaidOn = prev // equal dates: the order falls back to ids
		}
		prev = st.SaidOn
		for {
			st.Text = randomText(rng, i)
			if !seen[st.NaturalKey()] {
				break
			}
		}
		for _, j := range rng.Perm(len(w.topics))[:rng.IntN(4)] {
			st.TopicIDs = append(st.TopicIDs, w.topics[j].ID)
		}
		for _, j := range rng.Perm(len(w.sources))[:rng.IntN(3)] {
			st.SourceIDs = append(st.SourceIDs, w.sources[j].ID)
		}
		add(st)
	}
	// Dates that meet at their edges: a day, the month that starts with
	// it, the same interval given as days, a year and the same year as an
	// interval.
	for i, d := range []string{"2025-11-01", "2025-11", "2025-11-01/2025-11-30", "2025", "2025-01-01/2025-12-31", "2025-11-30"} {
		st := quote(w.speakers[i].ID, fmt.Sprintf("Edge %d of the summit talks.", i), d)
		st.TopicIDs = []domain.ID{w.topicByKey["plan-territory"].ID}
		add(st)
	}
	return w
}

// randomDate returns a date in 2024-2026: mostly days, then months, years
// and intervals, and a tenth unknown.
func randomDate(rng *rand.Rand) domain.PartialDate {
	d := domain.DayOf(2024, 1, 1) + domain.Day(rng.IntN(800))
	switch r := rng.IntN(100); {
	case r < 10:
		return domain.PartialDate{}
	case r < 55:
		return domain.DayDate(d)
	case r < 75:
		return domain.MustParsePartialDate(d.String()[:7])
	case r < 85:
		return domain.MustParsePartialDate(d.String()[:4])
	default:
		p, err := domain.NewInterval(d, d+domain.Day(1+rng.IntN(30)))
		if err != nil {
			panic(err)
		}
		return p
	}
}

// randomText returns 5 to 10 vocabulary words with varied case and
// punctuation; every fifth text holds "peace plan", some "security
// guarantees", and some a spelling of Zelenskyy.
func randomText(rng *rand.Rand, i int) string {
	words := make([]string, 5+rng.IntN(6))
	for j := range words {
		words[j] = vocabulary[rng.IntN(len(vocabulary))]
	}
	insert := func(phrase ...string) {
		at := rng.IntN(len(words) + 1)
		words = slices.Insert(words, at, phrase...)
	}
	if i%5 == 0 {
		insert("peace", "plan")
	}
	if i%7 == 3 {
		insert("security", "guarantees")
	}
	if rng.IntN(5) == 0 {
		insert(zelensky[rng.IntN(len(zelensky))])
	}
	// Chinese, written without spaces: a word inside a longer run of
	// characters, and on its own.
	switch i % 11 {
	case 4:
		insert("中方坚决反对")
	case 8:
		insert("反对")
	}
	var b strings.Builder
	for j, word := range words {
		if j > 0 {
			b.WriteString([]string{" ", " ", " ", ", ", " - ", "; "}[rng.IntN(6)])
		}
		if (j == 0 || rng.IntN(8) == 0) && word[0] < utf8.RuneSelf {
			word = strings.ToUpper(word[:1]) + word[1:]
		}
		b.WriteString(word)
	}
	b.WriteString([]string{".", "!", "?", "..."}[rng.IntN(4)])
	return b.String()
}

// match returns the statements the filter selects, in creation order.
func (w *world) match(f domain.StatementFilter) []*domain.Statement {
	var speakers, topics, sources map[domain.ID]bool
	if len(f.Speakers) > 0 {
		speakers = map[domain.ID]bool{}
		for _, key := range f.Speakers {
			if sp, ok := w.speakerByKey[key]; ok {
				speakers[sp.ID] = true
			}
		}
	}
	if len(f.Topics) > 0 {
		topics = map[domain.ID]bool{}
		for _, key := range f.Topics {
			if tp, ok := w.topicByKey[key]; ok {
				for _, id := range w.subtree(tp.ID) {
					topics[id] = true
				}
			}
		}
	}
	if f.Source != "" {
		sources = map[domain.ID]bool{}
		if url, err := domain.NormalizeURL(f.Source); err == nil {
			if src, ok := w.sourceByURL[url]; ok {
				sources[src.ID] = true
			}
		}
	}
	dated := !f.SaidFrom.IsZero() || !f.SaidTo.IsZero()
	from, to := domain.Day(-1<<31), domain.Day(1<<31-1)
	if !f.SaidFrom.IsZero() {
		from = f.SaidFrom.Start()
	}
	if !f.SaidTo.IsZero() {
		to = f.SaidTo.End()
	}
	terms := searchTerms(f.Search)

	var out []*domain.Statement
	for _, st := range w.statements {
		switch {
		case speakers != nil && !speakers[st.SpeakerID]:
		case topics != nil && !slices.ContainsFunc(st.TopicIDs, func(id domain.ID) bool { return topics[id] }):
		case sources != nil && !slices.ContainsFunc(st.SourceIDs, func(id domain.ID) bool { return sources[id] }):
		case len(f.Countries) > 0 && !slices.Contains(f.Countries, w.speakerByID[st.SpeakerID].Country):
		case len(f.Kinds) > 0 && !slices.Contains(f.Kinds, st.Kind):
		case dated && (st.SaidOn.IsZero() || st.SaidOn.Start() > to || st.SaidOn.End() < from):
		case !matchesSearch(domain.Tokens(st.Text), terms):
		default:
			out = append(out, st)
		}
	}
	return out
}

// subtree returns the topic and all its descendants.
func (w *world) subtree(root domain.ID) []domain.ID {
	out := []domain.ID{root}
	for i := 0; i < len(out); i++ {
		for _, tp := range w.topics {
			if tp.ParentID == out[i] {
				out = append(out, tp.ID)
			}
		}
	}
	return out
}

// searchTerms splits a search into terms that must all occur: each of
// its words, and each phrase of consecutive words (domain.ParseSearch,
// the contract's parser: quoted phrases, and the pairs of a Chinese or
// Japanese word).
func searchTerms(q string) [][]string {
	var terms [][]string
	words, phrases := domain.ParseSearch(q)
	for _, word := range words {
		terms = append(terms, []string{word})
	}
	return append(terms, phrases...)
}

func matchesSearch(text []string, terms [][]string) bool {
	for _, term := range terms {
		found := false
		for i := 0; i+len(term) <= len(text) && !found; i++ {
			found = slices.Equal(text[i:i+len(term)], term)
		}
		if !found {
			return false
		}
	}
	return true
}

// sorted returns the ids of the statements in the order's sequence.
func sorted(list []*domain.Statement, o domain.StatementOrder) []domain.ID {
	list = slices.Clone(list)
	switch o {
	case domain.SaidOnAsc:
		slices.SortFunc(list, saidOnAsc)
	case domain.SaidOnDesc:
		slices.SortFunc(list, func(a, b *domain.Statement) int { return saidOnAsc(b, a) })
	case domain.CreatedAtDesc:
		slices.SortFunc(list, func(a, b *domain.Statement) int { return cmpID(b.ID, a.ID) })
	default:
		panic("storetest: unknown order " + o)
	}
	return ids(list, statementID)
}

// saidOnAsc is the documented date order: unknown dates first, then by
// start, the narrower interval first, then by id.
func saidOnAsc(a, b *domain.Statement) int {
	x, y := a.SaidOn, b.SaidOn
	switch {
	case x.IsZero() != y.IsZero():
		if x.IsZero() {
			return -1
		}
		return 1
	case x.Start() != y.Start():
		return cmpDay(x.Start(), y.Start())
	case x.End() != y.End():
		return cmpDay(x.End(), y.End())
	}
	return cmpID(a.ID, b.ID)
}

func cmpDay(a, b domain.Day) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var orders = []domain.StatementOrder{domain.SaidOnDesc, domain.SaidOnAsc, domain.CreatedAtDesc}
