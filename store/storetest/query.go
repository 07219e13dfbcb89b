package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"parley/domain"
)

var queryTests = []testCase{
	{"Statements", testStatementQueries},
	{"Speakers", testSpeakerFilter},
	{"Topics", testTopicFilter},
}

// worldSize is the number of random statements in a world: enough for
// every filter to meet matches and non-matches and for lists to span
// several pages of the default size.
const worldSize = 80

// matchNothing names the hand-written filters meant to match no statement;
// every other one must match some, or it no longer tests anything.
var matchNothing = map[string]bool{
	"speakers=unknown": true, "topics=unknown": true, "countries=unused": true,
	"said=before_everything": true, "source=unknown": true, "search=absent_word": true,
	"every_field_unknown_speaker": true, "countries=not_a_code": true,
	"search=chinese_pairs_out_of_order": true,
}

type namedFilter struct {
	name string
	f    domain.StatementFilter
}

func date(s string) domain.PartialDate { return domain.MustParsePartialDate(s) }

// filterCases are single fields, pairs, triples and all fields together,
// then pseudo-random combinations.
func (w *world) filterCases() []namedFilter {
	src0, src1 := worldSources[0], worldSources[1]
	kinds := func(k ...domain.StatementKind) []domain.StatementKind { return k }
	strs := func(s ...string) []string { return s }
	cases := []namedFilter{
		{"all", domain.StatementFilter{}},

		{"speakers=one", domain.StatementFilter{Speakers: strs("vladimir-putin")}},
		{"speakers=two", domain.StatementFilter{Speakers: strs("dmitry-peskov", "the-kremlin")}},
		{"speakers=unknown", domain.StatementFilter{Speakers: strs("no-such-speaker")}},
		{"speakers=unknown_and_known", domain.StatementFilter{Speakers: strs("no-such-speaker", "volodymyr-zelensky")}},

		{"topics=root_with_subtopics", domain.StatementFilter{Topics: strs("ukraine-peace")}},
		{"topics=child_with_subtopic", domain.StatementFilter{Topics: strs("us-peace-plan")}},
		{"topics=leaf", domain.StatementFilter{Topics: strs("plan-territory")}},
		{"topics=two_roots", domain.StatementFilter{Topics: strs("nato", "sanctions")}},
		{"topics=root_and_its_leaf", domain.StatementFilter{Topics: strs("ukraine-peace", "plan-territory")}},
		{"topics=unknown", domain.StatementFilter{Topics: strs("no-such-topic")}},

		{"countries=RU", domain.StatementFilter{Countries: strs("RU")}},
		{"countries=UA_FR", domain.StatementFilter{Countries: strs("UA", "FR")}},
		{"countries=EU", domain.StatementFilter{Countries: strs("EU")}},
		{"countries=unused", domain.StatementFilter{Countries: strs("GB")}},
		{"countries=not_a_code", domain.StatementFilter{Countries: strs("--", "R", "r u")}},

		{"kinds=QUOTE", domain.StatementFilter{Kinds: kinds(domain.StatementQuote)}},
		{"kinds=PARAPHRASE", domain.StatementFilter{Kinds: kinds(domain.StatementParaphrase)}},
		{"kinds=both", domain.StatementFilter{Kinds: kinds(domain.StatementQuote, domain.StatementParaphrase)}},

		{"saidFrom=month", domain.StatementFilter{SaidFrom: date("2025-06")}},
		{"saidTo=year", domain.StatementFilter{SaidTo: date("2024")}},
		{"saidTo=month", domain.StatementFilter{SaidTo: date("2025-11")}},
		{"said=days", domain.StatementFilter{SaidFrom: date("2025-11-15"), SaidTo: date("2025-11-20")}},
		{"said=one_day", domain.StatementFilter{SaidFrom: date("2025-11-30"), SaidTo: date("2025-11-30")}},
		{"said=year", domain.StatementFilter{SaidFrom: date("2025"), SaidTo: date("2025")}},
		{"said=intervals", domain.StatementFilter{SaidFrom: date("2024-06-10/2024-06-20"), SaidTo: date("2024-07-01/2024-07-20")}},
		{"said=before_everything", domain.StatementFilter{SaidTo: date("2023-12-31")}},

		{"source=one", domain.StatementFilter{Source: src0}},
		{"source=not_normalized", domain.StatementFilter{Source: strings.Replace(src1, "https://wire", "HTTPS://WIRE", 1) + "#para-3"}},
		{"source=unknown", domain.StatementFilter{Source: "https://example.org/nothing"}},

		{"search=word", domain.StatementFilter{Search: "peace"}},
		{"search=two_words", domain.StatementFilter{Search: "security plan"}},
		{"search=phrase", domain.StatementFilter{Search: `"peace plan"`}},
		{"search=phrase_reversed", domain.StatementFilter{Search: `"plan peace"`}},
		{"search=phrase_and_word", domain.StatementFilter{Search: `talks "security guarantees"`}},
		{"search=folded", domain.StatementFilter{Search: "ZELÉNSKYY"}},
		{"search=case", domain.StatementFilter{Search: "Ceasefire DIALOGUE"}},
		{"search=punctuation", domain.StatementFilter{Search: "summit, talks!"}},
		{"search=absent_word", domain.StatementFilter{Search: "banana"}},
		{"search=chinese_word", domain.StatementFilter{Search: "反对"}},
		{"search=chinese_word_in_a_run", domain.StatementFilter{Search: "坚决"}},
		{"search=chinese_long_word", domain.StatementFilter{Search: "坚决反对"}},
		{"search=chinese_pairs_out_of_order", domain.StatementFilter{Search: "反对坚决"}},
		{"search=chinese_and_latin", domain.StatementFilter{Search: "中方 peace"}},

		{"speakers+topics", domain.StatementFilter{Speakers: strs("vladimir-putin", "dmitry-peskov"), Topics: strs("ukraine-peace")}},
		{"topics+said", domain.StatementFilter{Topics: strs("nato"), SaidFrom: date("2024-01-01"), SaidTo: date("2025-06-30")}},
		{"countries+kinds", domain.StatementFilter{Countries: strs("RU"), Kinds: kinds(domain.StatementQuote)}},
		{"search+speakers", domain.StatementFilter{Search: "peace", Speakers: strs("vladimir-putin", "the-kremlin")}},
		{"source+said", domain.StatementFilter{Source: src0, SaidFrom: date("2025")}},
		{"speakers+topics+kinds", domain.StatementFilter{Speakers: strs("vladimir-putin"), Topics: strs("us-peace-plan", "nato"), Kinds: kinds(domain.StatementParaphrase)}},
		{"countries+said+search", domain.StatementFilter{Countries: strs("RU", "UA"), SaidFrom: date("2024-06"), Search: "plan"}},
		{"every_field", domain.StatementFilter{
			Speakers: strs("vladimir-putin", "dmitry-peskov", "volodymyr-zelensky"), Topics: strs("ukraine-peace", "nato"),
			Countries: strs("RU", "UA"), Kinds: kinds(domain.StatementQuote, domain.StatementParaphrase),
			SaidFrom: date("2024"), SaidTo: date("2026"), Source: src1, Search: "talks",
		}},
		{"every_field_unknown_speaker", domain.StatementFilter{
			Speakers: strs("no-such-speaker"), Topics: strs("ukraine-peace"), Countries: strs("RU"),
			Kinds: kinds(domain.StatementQuote), SaidFrom: date("2024"), Search: "peace",
		}},
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 40 {
		cases = append(cases, namedFilter{fmt.Sprintf("random_%02d", i), w.randomFilter(rng)})
	}
	return cases
}

// randomFilter sets each field with probability 2/5.
func (w *world) randomFilter(rng *rand.Rand) domain.StatementFilter {
	var f domain.StatementFilter
	maybe := func() bool { return rng.IntN(5) < 2 }
	pick := func(n int, name func(int) string) []string {
		var out []string
		for range 1 + rng.IntN(2) {
			out = append(out, name(rng.IntN(n)))
		}
		return out
	}
	if maybe() {
		f.Speakers = pick(len(w.speakers), func(i int) string { return w.speakers[i].Key })
	}
	if maybe() {
		f.Topics = pick(len(w.topics), func(i int) string { return w.topics[i].Key })
	}
	if maybe() {
		countries := []string{"RU", "UA", "FR", "US", "EU", "GB"}
		f.Countries = pick(len(countries), func(i int) string { return countries[i] })
	}
	if maybe() {
		f.Kinds = []domain.StatementKind{[]domain.StatementKind{domain.StatementQuote, domain.StatementParaphrase}[rng.IntN(2)]}
	}
	if maybe() {
		f.SaidFrom = randomDate(rng)
	}
	if maybe() {
		f.SaidTo = randomDate(rng)
	}
	if !f.SaidFrom.IsZero() && !f.SaidTo.IsZero() && f.SaidTo.End() < f.SaidFrom.Start() {
		// A reversed range is an error (testValidation), not a filter.
		f.SaidFrom, f.SaidTo = f.SaidTo, f.SaidFrom
	}
	if maybe() {
		f.Source = w.sources[rng.IntN(len(w.sources))].URL
	}
	if maybe() {
		f.Search = strings.Join(pick(len(vocabulary), func(i int) string { return vocabulary[i] }), " ")
	}
	return f
}

func testStatementQueries(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, worldSize)
	ctx := t.Context()
	for _, tc := range w.filterCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := w.match(tc.f)
			if !strings.HasPrefix(tc.name, "random_") && (len(want) == 0) != matchNothing[tc.name] {
				t.Fatalf("the model matches %d statements: the dataset no longer exercises this filter", len(want))
			}
			n, err := s.CountStatements(ctx, tc.f)
			noError(t, err, "CountStatements")
			if n != len(want) {
				t.Errorf("CountStatements(%+v) = %d, want %d", tc.f, n, len(want))
			}
			for _, o := range orders {
				got := listAll(t, "ListStatements", func(p domain.Page) (*domain.Result[*domain.Statement], error) {
					return s.ListStatements(ctx, tc.f, o, p)
				})
				if wantIDs := sorted(want, o); !slices.Equal(ids(got, statementID), wantIDs) {
					t.Errorf("ListStatements(%+v, %s):\n got %v\nwant %v", tc.f, o, ids(got, statementID), wantIDs)
					continue
				}
				for _, st := range got {
					if !same(st, w.statement[st.ID]) {
						t.Errorf("ListStatements(%s) returned statement %d as\n%+v\nwant %+v", o, st.ID, canonical(st), canonical(w.statement[st.ID]))
						break
					}
				}
			}
		})
	}
}

func testSpeakerFilter(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, 0)
	ctx := t.Context()
	tests := []struct {
		name string
		f    domain.SpeakerFilter
		want []string // keys
	}{
		{"all", domain.SpeakerFilter{}, keysOf(w.speakers)},
		{"kinds=ORGANIZATION", domain.SpeakerFilter{Kinds: []domain.SpeakerKind{domain.SpeakerOrganization}}, []string{"the-kremlin", "european-commission"}},
		{"kinds=COUNTRY", domain.SpeakerFilter{Kinds: []domain.SpeakerKind{domain.SpeakerCountry}}, nil},
		{"countries=RU", domain.SpeakerFilter{Countries: []string{"RU"}}, []string{"vladimir-putin", "dmitry-peskov", "the-kremlin"}},
		{"countries=UA_EU", domain.SpeakerFilter{Countries: []string{"UA", "EU"}}, []string{"volodymyr-zelensky", "european-commission"}},
		{"kinds+countries", domain.SpeakerFilter{Kinds: []domain.SpeakerKind{domain.SpeakerPerson}, Countries: []string{"RU"}}, []string{"vladimir-putin", "dmitry-peskov"}},
		{"search=name_word", domain.SpeakerFilter{Search: "macron"}, []string{"emmanuel-macron"}},
		{"search=alias", domain.SpeakerFilter{Search: "Zelenskyy"}, []string{"volodymyr-zelensky"}},
		{"search=two_words", domain.SpeakerFilter{Search: "Dmitry PESKOV"}, []string{"dmitry-peskov"}},
		{"search=words_of_different_speakers", domain.SpeakerFilter{Search: "dmitry macron"}, nil},
		{"search=absent", domain.SpeakerFilter{Search: "lavrov"}, nil},
		{"search+countries", domain.SpeakerFilter{Search: "kremlin", Countries: []string{"US"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, "ListSpeakers", func(p domain.Page) (*domain.Result[*domain.Speaker], error) {
				return s.ListSpeakers(ctx, tt.f, p)
			})
			gotKeys := keysOf(got)
			slices.Sort(gotKeys)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(gotKeys, want) {
				t.Errorf("ListSpeakers(%+v) = %v, want %v", tt.f, gotKeys, want)
			}
			if n, err := s.CountSpeakers(ctx, tt.f); err != nil || n != len(want) {
				t.Errorf("CountSpeakers(%+v) = %d, %v; want %d", tt.f, n, err, len(want))
			}
		})
	}
}

func keysOf(speakers []*domain.Speaker) []string {
	out := make([]string, len(speakers))
	for i, sp := range speakers {
		out[i] = sp.Key
	}
	return out
}

func testTopicFilter(t *testing.T, s domain.Store) {
	w := buildWorld(t, s, 0)
	ctx := t.Context()
	tests := []struct {
		name string
		f    domain.TopicFilter
		want []string // keys, in key order
	}{
		{"all", domain.TopicFilter{}, []string{"frozen-assets", "nato", "nato-membership", "plan-territory", "sanctions", "security-guarantees", "ukraine-peace", "us-peace-plan"}},
		{"roots", domain.TopicFilter{RootOnly: true}, []string{"frozen-assets", "nato", "sanctions", "ukraine-peace"}},
		{"children", domain.TopicFilter{ParentID: w.topicByKey["ukraine-peace"].ID}, []string{"security-guarantees", "us-peace-plan"}},
		{"grandchildren", domain.TopicFilter{ParentID: w.topicByKey["us-peace-plan"].ID}, []string{"plan-territory"}},
		{"leaf", domain.TopicFilter{ParentID: w.topicByKey["sanctions"].ID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, "ListTopics", func(p domain.Page) (*domain.Result[*domain.Topic], error) {
				return s.ListTopics(ctx, tt.f, p)
			})
			var keys []string
			for _, tp := range got {
				keys = append(keys, tp.Key)
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("ListTopics(%+v) = %v, want %v (in key order)", tt.f, keys, tt.want)
			}
			if n, err := s.CountTopics(ctx, tt.f); err != nil || n != len(tt.want) {
				t.Errorf("CountTopics(%+v) = %d, %v; want %d", tt.f, n, err, len(tt.want))
			}
		})
	}
}
