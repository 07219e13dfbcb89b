package domain

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// oneMB is a megabyte of statement text: ten times MaxTextLen.
var oneMB = strings.Repeat("peace plan ", 1<<20/len("peace plan "))

// invalidUTF8 holds a byte sequence that is not UTF-8.
const invalidUTF8 = "Pe\xffskov"

func TestSpeakerNormalize(t *testing.T) {
	s := Speaker{
		Name:        "  Dmitry Peskov\n",
		Kind:        SpeakerPerson,
		Aliases:     []string{" Peskov ", "Dmitri Peskov", "Peskov"},
		Description: "  Kremlin spokesman  ",
		Country:     "RU",
		WikidataID:  "Q706453",
		Roles:       []Role{{Title: " Kremlin spokesman ", From: date("2008-05"), To: date("")}},
	}
	aliases := s.Aliases
	if err := s.Normalize(); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	want := Speaker{
		Key:         "dmitry-peskov",
		Name:        "Dmitry Peskov",
		Kind:        SpeakerPerson,
		Aliases:     []string{"Peskov", "Dmitri Peskov"},
		Description: "Kremlin spokesman",
		Country:     "RU",
		WikidataID:  "Q706453",
		Roles:       []Role{{Title: "Kremlin spokesman", From: date("2008-05")}},
	}
	if !speakersEqual(s, want) {
		t.Errorf("Normalize gave\n%+v\nwant\n%+v", s, want)
	}
	// Deduplicating must not write through to the caller's slice.
	if aliases[0] != " Peskov " || len(aliases) != 3 {
		t.Errorf("Normalize modified the caller's aliases: %q", aliases)
	}
}

func TestSpeakerNormalizeKey(t *testing.T) {
	tests := []struct {
		name, key string
		want      string
	}{
		{"Volodymyr Zelensky", "", "volodymyr-zelensky"},
		{"Volodymyr Zelensky", "zelensky", "zelensky"},
		{"Kaja Kallas (EU)", "", "kaja-kallas-eu"},
		// A derived key is cut to MaxKeyLen, never in the middle of a '-'.
		{strings.Repeat("a", 99) + " b c", "", strings.Repeat("a", 99)},
		{strings.Repeat("abc ", 30), "", strings.Repeat("abc-", 24) + "abc"},
		{strings.Repeat("a", 150), "", strings.Repeat("a", MaxKeyLen)},
	}
	for _, tt := range tests {
		s := Speaker{Name: tt.name, Key: tt.key, Kind: SpeakerPerson}
		if err := s.Normalize(); err != nil {
			t.Errorf("Normalize(name %q, key %q): %v", tt.name, tt.key, err)
			continue
		}
		if s.Key != tt.want {
			t.Errorf("Normalize(name %q, key %q): key = %q, want %q", tt.name, tt.key, s.Key, tt.want)
		}
	}
}

func TestSpeakerNormalizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Speaker)
		path   []string
	}{
		{"empty name", func(s *Speaker) { s.Name = "" }, p("name")},
		{"blank name", func(s *Speaker) { s.Name = " \t\n" }, p("name")},
		{"long name", func(s *Speaker) { s.Name = strings.Repeat("x", MaxNameLen+1) }, p("name")},
		{"invalid UTF-8 name", func(s *Speaker) { s.Name = invalidUTF8 }, p("name")},
		{"bad key", func(s *Speaker) { s.Key = "Dmitry Peskov" }, p("key")},
		{"key with edge dash", func(s *Speaker) { s.Key = "peskov-" }, p("key")},
		{"underivable key", func(s *Speaker) { s.Name = "Дмитрий Песков" }, p("key")},
		{"empty kind", func(s *Speaker) { s.Kind = "" }, p("kind")},
		{"lowercase kind", func(s *Speaker) { s.Kind = "person" }, p("kind")},
		{"long description", func(s *Speaker) { s.Description = strings.Repeat("x", MaxLongLen+1) }, p("description")},
		{"invalid UTF-8 description", func(s *Speaker) { s.Description = invalidUTF8 }, p("description")},
		{"lowercase country", func(s *Speaker) { s.Country = "ru" }, p("country")},
		{"unknown country", func(s *Speaker) { s.Country = "XX" }, p("country")},
		{"alpha-3 country", func(s *Speaker) { s.Country = "USA" }, p("country")},
		{"bad wikidataId", func(s *Speaker) { s.WikidataID = "q706453" }, p("wikidataId")},
		{"too many aliases", func(s *Speaker) { s.Aliases = make([]string, MaxAliases+1) }, p("aliases")},
		{"blank alias", func(s *Speaker) { s.Aliases = []string{"Peskov", " "} }, p("aliases", "1")},
		{"long alias", func(s *Speaker) { s.Aliases = []string{strings.Repeat("x", MaxNameLen+1)} }, p("aliases", "0")},
		{"too many roles", func(s *Speaker) { s.Roles = make([]Role, MaxRoles+1) }, p("roles")},
		{"blank role title", func(s *Speaker) { s.Roles[0].Title = "  " }, p("roles", "0", "title")},
		{"invalid UTF-8 role title", func(s *Speaker) {
			s.Roles = append(s.Roles, Role{Title: invalidUTF8})
		}, p("roles", "1", "title")},
		{"role ends before it starts", func(s *Speaker) {
			s.Roles[0].From, s.Roles[0].To = date("2012-05"), date("2012-04-30")
		}, p("roles", "0", "to")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Speaker{
				Name:    "Dmitry Peskov",
				Kind:    SpeakerPerson,
				Country: "RU",
				Roles:   []Role{{Title: "Kremlin spokesman", From: date("2008-05")}},
			}
			tt.modify(&s)
			wantBadInput(t, s.Normalize(), tt.path)
		})
	}
}

func TestSpeakerNormalizeRoleBounds(t *testing.T) {
	// A role may start and end within the same month, and a month may end
	// a role that started on a day inside it.
	for _, r := range []Role{
		{Title: "envoy", From: date("2025-11-24"), To: date("2025-11-24")},
		{Title: "envoy", From: date("2025-11-24"), To: date("2025-11")},
		{Title: "envoy", From: date("2025"), To: date("2025-01-01")},
	} {
		s := Speaker{Name: "Steve Witkoff", Kind: SpeakerPerson, Roles: []Role{r}}
		if err := s.Normalize(); err != nil {
			t.Errorf("Normalize with role %s..%s: %v", r.From, r.To, err)
		}
	}
}

func TestTopicNormalize(t *testing.T) {
	tp := Topic{ID: 4, Name: "  Security guarantees for Ukraine ", Description: " What allies would commit to. ", ParentID: 2}
	if err := tp.Normalize(); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	want := Topic{ID: 4, Key: "security-guarantees-for-ukraine", Name: "Security guarantees for Ukraine", Description: "What allies would commit to.", ParentID: 2}
	if tp != want {
		t.Errorf("Normalize gave %+v, want %+v", tp, want)
	}
}

func TestTopicNormalizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Topic)
		path   []string
	}{
		{"empty name", func(tp *Topic) { tp.Name = "" }, p("name")},
		{"long name", func(tp *Topic) { tp.Name = strings.Repeat("x", MaxNameLen+1) }, p("name")},
		{"invalid UTF-8 name", func(tp *Topic) { tp.Name = invalidUTF8 }, p("name")},
		{"bad key", func(tp *Topic) { tp.Key = "NATO" }, p("key")},
		{"underivable key", func(tp *Topic) { tp.Name = "Членство в НАТО" }, p("key")},
		{"own parent", func(tp *Topic) { tp.ParentID = tp.ID }, p("parent")},
		{"long description", func(tp *Topic) { tp.Description = strings.Repeat("x", MaxLongLen+1) }, p("description")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := Topic{ID: 4, Name: "NATO membership"}
			tt.modify(&tp)
			wantBadInput(t, tp.Normalize(), tt.path)
		})
	}
}

func TestSourceNormalize(t *testing.T) {
	kyiv := time.FixedZone("EET", 2*3600)
	s := Source{
		URL:         "HTTPS://News.Example.com:443/ukraine#top",
		Title:       "  Peace talks  ",
		Publisher:   " Example News ",
		PublishedAt: time.Date(2025, 12, 1, 20, 0, 0, 0, kyiv),
	}
	if err := s.Normalize(); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	if s.URL != "https://news.example.com/ukraine" || s.Title != "Peace talks" || s.Publisher != "Example News" {
		t.Errorf("Normalize gave %+v", s)
	}
	if s.PublishedAt.Location() != time.UTC || !s.PublishedAt.Equal(time.Date(2025, 12, 1, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("PublishedAt = %v, want 2025-12-01 18:00 UTC", s.PublishedAt)
	}

	// An unknown publication time stays unknown rather than becoming a
	// UTC instant.
	s = Source{URL: "https://example.com/"}
	if err := s.Normalize(); err != nil || !s.PublishedAt.IsZero() {
		t.Errorf("Normalize without publishedAt: %v, PublishedAt = %v", err, s.PublishedAt)
	}
}

func TestSourceNormalizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Source)
		path   []string
	}{
		{"empty url", func(s *Source) { s.URL = "" }, p("url")},
		{"relative url", func(s *Source) { s.URL = "/news/1" }, p("url")},
		{"ftp url", func(s *Source) { s.URL = "ftp://example.com/a" }, p("url")},
		{"long title", func(s *Source) { s.Title = strings.Repeat("x", MaxNameLen+1) }, p("title")},
		{"invalid UTF-8 publisher", func(s *Source) { s.Publisher = invalidUTF8 }, p("publisher")},
		{"published before 1678", func(s *Source) { s.PublishedAt = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }, p("publishedAt")},
		{"published in 2262", func(s *Source) { s.PublishedAt = MaxPublishedAt }, p("publishedAt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Source{URL: "https://example.com/a", Title: "Peace talks"}
			tt.modify(&s)
			wantBadInput(t, s.Normalize(), tt.path)
		})
	}
}

func TestStatementNormalize(t *testing.T) {
	topics := []ID{7, 3, 7, 1, 3}
	s := Statement{
		ExternalID: " seed-0007 ",
		Text:       "  significantly improved\n",
		Kind:       StatementQuote,
		SpeakerID:  5,
		SaidOn:     date("2025-12-01"),
		DateText:   " on Monday ",
		Location:   " Washington ",
		Context:    " on the draft peace agreement ",
		TopicIDs:   topics,
		SourceIDs:  []ID{2, 2},
	}
	if err := s.Normalize(); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	want := Statement{
		ExternalID: "seed-0007",
		Text:       "significantly improved",
		Kind:       StatementQuote,
		SpeakerID:  5,
		SaidOn:     date("2025-12-01"),
		DateText:   "on Monday",
		Location:   "Washington",
		Context:    "on the draft peace agreement",
		Language:   "en",
		TopicIDs:   []ID{1, 3, 7},
		SourceIDs:  []ID{2},
	}
	if !statementsEqual(s, want) {
		t.Errorf("Normalize gave\n%+v\nwant\n%+v", s, want)
	}
	if !slices.Equal(topics, []ID{7, 3, 7, 1, 3}) {
		t.Errorf("Normalize modified the caller's topic ids: %v", topics)
	}

	s = Statement{Text: "Ми не віддамо землю", Kind: StatementParaphrase, SpeakerID: 1, Language: " UK "}
	if err := s.Normalize(); err != nil || s.Language != "uk" || s.TopicIDs != nil || s.SourceIDs != nil {
		t.Errorf("Normalize: %v; language %q, topics %v, sources %v; want uk and nil ids", err, s.Language, s.TopicIDs, s.SourceIDs)
	}

	// Duplicates are dropped before the limit is checked.
	s = Statement{Text: "x", Kind: StatementQuote, SpeakerID: 1, TopicIDs: make([]ID, 2*MaxTopicsPer)}
	for i := range s.TopicIDs {
		s.TopicIDs[i] = ID(i%3 + 1)
	}
	if err := s.Normalize(); err != nil || !slices.Equal(s.TopicIDs, []ID{1, 2, 3}) {
		t.Errorf("Normalize with repeated topics: %v, topics %v", err, s.TopicIDs)
	}
}

func TestStatementNormalizeErrors(t *testing.T) {
	manyIDs := func(n int) []ID {
		ids := make([]ID, n)
		for i := range ids {
			ids[i] = ID(i + 1)
		}
		return ids
	}
	tests := []struct {
		name   string
		modify func(*Statement)
		path   []string
	}{
		{"long externalId", func(s *Statement) { s.ExternalID = strings.Repeat("x", MaxExternalID+1) }, p("externalId")},
		{"invalid UTF-8 externalId", func(s *Statement) { s.ExternalID = invalidUTF8 }, p("externalId")},
		{"empty text", func(s *Statement) { s.Text = "" }, p("text")},
		{"blank text", func(s *Statement) { s.Text = "\u00a0\t " }, p("text")},
		{"punctuation-only text", func(s *Statement) { s.Text = "“…”" }, p("text")},
		{"1 MB text", func(s *Statement) { s.Text = oneMB }, p("text")},
		{"text just over the limit", func(s *Statement) { s.Text = strings.Repeat("x", MaxTextLen+1) }, p("text")},
		{"invalid UTF-8 text", func(s *Statement) { s.Text = invalidUTF8 }, p("text")},
		{"empty kind", func(s *Statement) { s.Kind = "" }, p("kind")},
		{"unknown kind", func(s *Statement) { s.Kind = "RUMOUR" }, p("kind")},
		{"no speaker", func(s *Statement) { s.SpeakerID = 0 }, p("speaker")},
		{"long dateText", func(s *Statement) { s.DateText = strings.Repeat("x", MaxShortLen+1) }, p("dateText")},
		{"invalid UTF-8 location", func(s *Statement) { s.Location = invalidUTF8 }, p("location")},
		{"long context", func(s *Statement) { s.Context = strings.Repeat("x", MaxLongLen+1) }, p("context")},
		{"bad language", func(s *Statement) { s.Language = "english" }, p("language")},
		{"too many topics", func(s *Statement) { s.TopicIDs = manyIDs(MaxTopicsPer + 1) }, p("topics")},
		{"too many sources", func(s *Statement) { s.SourceIDs = manyIDs(MaxSourcesPer + 1) }, p("sources")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Statement{Text: "constructive", Kind: StatementQuote, SpeakerID: 1}
			tt.modify(&s)
			wantBadInput(t, s.Normalize(), tt.path)
		})
	}
}

func TestStatementNormalizeLimits(t *testing.T) {
	// Limits are inclusive.
	s := Statement{
		ExternalID: strings.Repeat("x", MaxExternalID),
		Text:       strings.Repeat("x", MaxTextLen),
		Kind:       StatementQuote,
		SpeakerID:  1,
		DateText:   strings.Repeat("x", MaxShortLen),
		Context:    strings.Repeat("x", MaxLongLen),
		TopicIDs:   make([]ID, MaxTopicsPer),
	}
	for i := range s.TopicIDs {
		s.TopicIDs[i] = ID(i + 1)
	}
	if err := s.Normalize(); err != nil {
		t.Errorf("Normalize at the limits: %v", err)
	}
}

func TestStatementNaturalKey(t *testing.T) {
	base := Statement{SpeakerID: 5, Text: "“Significantly improved,” she said.", SaidOn: date("2025-12-01")}
	same := []Statement{
		{SpeakerID: 5, Text: `"significantly improved" she said`, SaidOn: date("2025-12-01")},
		{SpeakerID: 5, Text: "SIGNIFICANTLY   improved, she said!", SaidOn: date("2025-12-01")},
		{SpeakerID: 5, Text: "ｓｉｇｎｉｆｉｃａｎｔｌｙ improved — she said", SaidOn: date("2025-12-01")},
	}
	for _, s := range same {
		if s.NaturalKey() != base.NaturalKey() {
			t.Errorf("NaturalKey(%q) = %q, want %q", s.Text, s.NaturalKey(), base.NaturalKey())
		}
	}
	different := []Statement{
		{SpeakerID: 6, Text: base.Text, SaidOn: base.SaidOn},
		{SpeakerID: 5, Text: "significantly improved", SaidOn: base.SaidOn},
		{SpeakerID: 5, Text: base.Text},
		// A month is not its first day.
		{SpeakerID: 5, Text: base.Text, SaidOn: date("2025-12")},
		{SpeakerID: 5, Text: base.Text, SaidOn: date("2025-12-01/2025-12-01")},
	}
	for _, s := range different {
		if s.NaturalKey() == base.NaturalKey() {
			t.Errorf("NaturalKey(speaker %d, %q, %q) collides with the base statement's", s.SpeakerID, s.SaidOn, s.Text)
		}
	}
}

func TestPositionNormalize(t *testing.T) {
	evidence := []ID{9, 4, 9}
	ps := Position{SpeakerID: 1, TopicID: 2, Stance: StanceOpposes, Summary: "  Opposes NATO membership. ", AsOf: date("2025-12"), EvidenceIDs: evidence}
	if err := ps.Normalize(); err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	if ps.Summary != "Opposes NATO membership." || !slices.Equal(ps.EvidenceIDs, []ID{4, 9}) || ps.AsOf != date("2025-12") {
		t.Errorf("Normalize gave %+v", ps)
	}
	if !slices.Equal(evidence, []ID{9, 4, 9}) {
		t.Errorf("Normalize modified the caller's evidence ids: %v", evidence)
	}
	// Evidence may be empty: a report can state a position without a quote.
	ps = Position{SpeakerID: 1, TopicID: 2, Stance: StanceSupports, AsOf: date("2025")}
	if err := ps.Normalize(); err != nil || ps.EvidenceIDs != nil {
		t.Errorf("Normalize without evidence: %v, evidence %v", err, ps.EvidenceIDs)
	}
}

func TestPositionNormalizeErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Position)
		path   []string
	}{
		{"no speaker", func(ps *Position) { ps.SpeakerID = 0 }, p("speaker")},
		{"no topic", func(ps *Position) { ps.TopicID = 0 }, p("topic")},
		{"empty stance", func(ps *Position) { ps.Stance = "" }, p("stance")},
		{"lowercase stance", func(ps *Position) { ps.Stance = "supports" }, p("stance")},
		{"unknown asOf", func(ps *Position) { ps.AsOf = PartialDate{} }, p("asOf")},
		{"long summary", func(ps *Position) { ps.Summary = strings.Repeat("x", MaxLongLen+1) }, p("summary")},
		{"invalid UTF-8 summary", func(ps *Position) { ps.Summary = invalidUTF8 }, p("summary")},
		{"too much evidence", func(ps *Position) {
			ps.EvidenceIDs = make([]ID, MaxEvidence+1)
			for i := range ps.EvidenceIDs {
				ps.EvidenceIDs[i] = ID(i + 1)
			}
		}, p("evidence")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Position{SpeakerID: 1, TopicID: 2, Stance: StanceSupports, AsOf: date("2025-12-01")}
			tt.modify(&ps)
			wantBadInput(t, ps.Normalize(), tt.path)
		})
	}
}

// speakersEqual compares the fields Normalize touches.
func speakersEqual(a, b Speaker) bool {
	return a.Key == b.Key && a.Name == b.Name && a.Kind == b.Kind &&
		slices.Equal(a.Aliases, b.Aliases) && a.Description == b.Description &&
		a.Country == b.Country && a.WikidataID == b.WikidataID && slices.Equal(a.Roles, b.Roles)
}

// statementsEqual compares every field but the timestamps.
func statementsEqual(a, b Statement) bool {
	return a.ExternalID == b.ExternalID && a.Text == b.Text && a.Kind == b.Kind &&
		a.SpeakerID == b.SpeakerID && a.SaidOn == b.SaidOn && a.DateText == b.DateText &&
		a.Location == b.Location && a.Context == b.Context && a.Language == b.Language &&
		slices.Equal(a.TopicIDs, b.TopicIDs) && slices.Equal(a.SourceIDs, b.SourceIDs)
}
