package sample

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/domain"
)

// articlePath is a copy of the seed article: the sample's quotes are checked
// against it, and a clone of the repository has no ../shared to read.
const articlePath = "testdata/article-2025-12-01.txt"

func records(t *testing.T) []domain.StatementImport {
	t.Helper()
	recs, err := Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("the sample has no records")
	}
	return recs
}

func article(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(articlePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeJSONLRejects(t *testing.T) {
	good := `{"text":"basis","kind":"QUOTE","speaker":{"key":"vladimir-putin"}}`
	tests := []struct {
		name, data, wantErr string
	}{
		{"unknown field", good + "\n" + `{"text":"x","speaker":{"key":"a","nickname":"b"}}` + "\n", `line 2: json: unknown field "nickname"`},
		{"blank line", good + "\n\n" + good + "\n", "line 2: blank line"},
		{"two objects", good + " " + good + "\n", "line 1: text after the JSON object"},
		{"null", "null\n", "line 1: want a JSON object"},
		{"array", "[" + good + "]\n", "line 1: want a JSON object"},
		{"truncated", good[:20] + "\n", "line 1: unexpected EOF"},
		{"wrong type", `{"text":7}` + "\n", "line 1: json: cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeJSONL([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeJSONLAccepts(t *testing.T) {
	good := `{"text":"basis","kind":"QUOTE","speaker":{"key":"vladimir-putin"}}`
	for name, data := range map[string]string{
		"empty":                 "",
		"final newline":         good + "\n" + good + "\n",
		"no final newline":      good + "\n" + good,
		"surrounding blanks":    " " + good + " \n",
		"carriage return lines": good + "\r\n" + good + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			recs, err := decodeJSONL([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Count(data, "basis"); len(recs) != want {
				t.Errorf("got %d records, want %d", len(recs), want)
			}
		})
	}
}

// The file is exactly what an export of these records writes, so that
// importing it and exporting again gives the same bytes.
func TestFileIsInExportForm(t *testing.T) {
	recs := records(t)
	data := JSONL()
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Error("the file does not end with a newline")
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != len(recs) {
		t.Fatalf("%d lines, %d records", len(lines), len(recs))
	}
	for i, rec := range recs {
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, lines[i]) {
			t.Errorf("line %d is not in export form:\n got %s\nwant %s", i+1, lines[i], b)
		}
	}
}

// Lists are in the order an export writes them (see package importer), so
// that the file survives an import and export unchanged: topics by key,
// except that a parent listed on the same line comes just before the first
// of its subtopics; positions by topic key, then asOf.
func TestListsAreInExportOrder(t *testing.T) {
	for _, rec := range records(t) {
		var got, want []string
		for _, ref := range rec.Topics {
			got = append(got, ref.Key)
		}
		parent := map[string]string{}
		for _, ref := range rec.Topics {
			parent[ref.Key] = ref.Parent
		}
		var add func(key string)
		add = func(key string) {
			if slices.Contains(want, key) {
				return
			}
			if p := parent[key]; slices.Contains(got, p) {
				add(p)
			}
			want = append(want, key)
		}
		for _, key := range slices.Sorted(slices.Values(got)) {
			add(key)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: topics %q, want them in export order %q", rec.ExternalID, got, want)
		}
		asOf := func(p domain.PositionRef) domain.PartialDate {
			if p.AsOf == "" {
				p.AsOf = rec.SaidOn
			}
			d, _ := domain.ParsePartialDate(p.AsOf) // checked by TestRecordsAreValid
			return d
		}
		if !slices.IsSortedFunc(rec.Positions, func(a, b domain.PositionRef) int {
			return cmp.Or(strings.Compare(a.Topic, b.Topic), asOf(a).Compare(asOf(b)), strings.Compare(asOf(a).String(), asOf(b).String()))
		}) {
			t.Errorf("%s: positions are not in export order (by topic key, then asOf)", rec.ExternalID)
		}
	}
}

func TestJSONLReturnsACopy(t *testing.T) {
	b := JSONL()
	b[0] = 'x'
	if JSONL()[0] == 'x' {
		t.Error("modifying JSONL's result changed the sample")
	}
}

func TestExternalIDsFollowFileOrder(t *testing.T) {
	for i, rec := range records(t) {
		if want := fmt.Sprintf("seed-%04d", i+1); rec.ExternalID != want {
			t.Errorf("line %d: externalId %q, want %q", i+1, rec.ExternalID, want)
		}
	}
}

// checkDate parses a partial date and requires it in canonical form.
func checkDate(t *testing.T, field, s string) domain.PartialDate {
	t.Helper()
	d, err := domain.ParsePartialDate(s)
	if err != nil {
		t.Errorf("%s: %v", field, err)
		return d
	}
	if d.String() != s {
		t.Errorf("%s: %q is not canonical; write %q", field, s, d.String())
	}
	return d
}

// Every record passes the domain's validation unchanged: what Normalize
// would trim or rewrite is already in its final form.
func TestRecordsAreValid(t *testing.T) {
	for _, rec := range records(t) {
		t.Run(rec.ExternalID, func(t *testing.T) {
			var saidOn domain.PartialDate
			if rec.SaidOn != "" {
				saidOn = checkDate(t, "saidOn", rec.SaidOn)
			}
			st := domain.Statement{
				ExternalID: rec.ExternalID, Text: rec.Text, Kind: rec.Kind, SpeakerID: 1, SaidOn: saidOn,
				DateText: rec.DateText, Location: rec.Location, Context: rec.Context, Language: rec.Language,
			}
			if err := st.Normalize(); err != nil {
				t.Errorf("statement: %v", err)
			}
			if st.Text != rec.Text || st.DateText != rec.DateText || st.Location != rec.Location || st.Context != rec.Context {
				t.Error("statement fields have surrounding white space")
			}

			checkSpeaker(t, rec.Speaker)

			if len(rec.Topics) == 0 {
				t.Error("no topics")
			}
			for i, ref := range rec.Topics {
				tp := domain.Topic{Key: ref.Key, Name: ref.Name, Description: ref.Description}
				if err := tp.Normalize(); err != nil {
					t.Errorf("topics[%d]: %v", i, err)
				}
				if ref.Description == "" {
					t.Errorf("topics[%d] %s has no description", i, ref.Key)
				}
				if ref.Parent != "" {
					if err := domain.ValidateKey(ref.Parent); err != nil {
						t.Errorf("topics[%d].parent: %v", i, err)
					}
				}
			}

			if len(rec.Sources) == 0 {
				t.Error("no sources")
			}
			for i, ref := range rec.Sources {
				published, err := time.Parse(time.RFC3339, ref.PublishedAt)
				if err != nil {
					t.Errorf("sources[%d].publishedAt: %v", i, err)
				}
				src := domain.Source{URL: ref.URL, Title: ref.Title, Publisher: ref.Publisher, PublishedAt: published}
				if err := src.Normalize(); err != nil {
					t.Errorf("sources[%d]: %v", i, err)
				}
				if src.URL != ref.URL {
					t.Errorf("sources[%d].url %q is not normalized; write %q", i, ref.URL, src.URL)
				}
			}

			for i, ref := range rec.Positions {
				if !ref.Stance.Valid() {
					t.Errorf("positions[%d].stance %q is not valid", i, ref.Stance)
				}
				if ref.Summary == "" {
					t.Errorf("positions[%d] has no summary", i)
				}
				switch {
				case ref.AsOf != "":
					checkDate(t, fmt.Sprintf("positions[%d].asOf", i), ref.AsOf)
					if ref.AsOf == rec.SaidOn {
						t.Errorf("positions[%d].asOf repeats saidOn; omit it", i)
					}
				case rec.SaidOn == "":
					t.Errorf("positions[%d] has no asOf and the statement no saidOn", i)
				}
			}
		})
	}
}

func checkSpeaker(t *testing.T, ref domain.SpeakerRef) {
	t.Helper()
	sp := domain.Speaker{
		Key: ref.Key, Name: ref.Name, Kind: ref.Kind, Aliases: ref.Aliases,
		Description: ref.Description, Country: ref.Country, WikidataID: ref.WikidataID,
	}
	for i, r := range ref.Roles {
		role := domain.Role{Title: r.Title}
		if r.From != "" {
			role.From = checkDate(t, fmt.Sprintf("speaker.roles[%d].from", i), r.From)
		}
		if r.To != "" {
			role.To = checkDate(t, fmt.Sprintf("speaker.roles[%d].to", i), r.To)
		}
		if err := domain.ValidateKey(r.Org); err != nil {
			t.Errorf("speaker.roles[%d].org: %v", i, err)
		}
		if r.OrgName == "" || !r.OrgKind.Valid() || r.OrgKind == domain.SpeakerPerson {
			t.Errorf("speaker.roles[%d]: org %s needs a name and the kind ORGANIZATION or COUNTRY to be created", i, r.Org)
		}
		sp.Roles = append(sp.Roles, role)
	}
	if err := sp.Normalize(); err != nil {
		t.Errorf("speaker %s: %v", ref.Key, err)
	}
	if sp.Key != ref.Key || sp.Name != ref.Name || !slices.Equal(sp.Aliases, ref.Aliases) {
		t.Errorf("speaker %s is not in normalized form", ref.Key)
	}
	if ref.Country == "" {
		t.Errorf("speaker %s has no country", ref.Key)
	}
}

// The export format repeats each speaker, topic and source in full on every
// line that refers to it; an import fills fields from whichever line it
// reads first, so the copies must agree.
func TestSharedRefsAreIdentical(t *testing.T) {
	recs := records(t)
	speakers := map[string]domain.SpeakerRef{}
	topics := map[string]domain.TopicRef{}
	orgs := map[string]domain.RoleRef{}
	for _, rec := range recs {
		if prev, ok := speakers[rec.Speaker.Key]; ok && !reflect.DeepEqual(prev, rec.Speaker) {
			t.Errorf("%s: speaker %s differs from its first appearance", rec.ExternalID, rec.Speaker.Key)
		}
		speakers[rec.Speaker.Key] = rec.Speaker
		for _, ref := range rec.Topics {
			if prev, ok := topics[ref.Key]; ok && prev != ref {
				t.Errorf("%s: topic %s differs from its first appearance", rec.ExternalID, ref.Key)
			}
			topics[ref.Key] = ref
		}
		if len(rec.Sources) != 1 || rec.Sources[0] != recs[0].Sources[0] {
			t.Errorf("%s: sources %v, want the article alone, as on the first line", rec.ExternalID, rec.Sources)
		}
		for _, r := range rec.Speaker.Roles {
			if prev, ok := orgs[r.Org]; ok && (prev.OrgName != r.OrgName || prev.OrgKind != r.OrgKind) {
				t.Errorf("%s: org %s is %s %q here, %s %q elsewhere", rec.ExternalID, r.Org, r.OrgKind, r.OrgName, prev.OrgKind, prev.OrgName)
			}
			orgs[r.Org] = r
		}
	}
	// An organization that also speaks is one speaker, however it is met.
	for key, r := range orgs {
		if sp, ok := speakers[key]; ok && (sp.Name != r.OrgName || sp.Kind != r.OrgKind) {
			t.Errorf("org %s is %s %q in roles but speaker %s %q", key, r.OrgKind, r.OrgName, sp.Kind, sp.Name)
		}
	}
}

func TestEveryExpectedSpeakerSpeaks(t *testing.T) {
	have := map[string]bool{}
	for _, rec := range records(t) {
		have[rec.Speaker.Key] = true
	}
	for _, key := range []string{
		"vladimir-putin", "donald-trump", "volodymyr-zelensky", "dmitry-peskov", "emmanuel-macron",
		"andriy-kovalenko", "karoline-leavitt", "kaja-kallas", "kremlin", "white-house", "russia", "ukraine",
	} {
		if !have[key] {
			t.Errorf("no statement by %s", key)
		}
	}
}

// Each speaker is one the article names, by its name or an alias.
func TestSpeakersAreNamedInTheArticle(t *testing.T) {
	text := article(t)
	for _, rec := range records(t) {
		sp := rec.Speaker
		if !slices.ContainsFunc(append([]string{sp.Name}, sp.Aliases...), func(n string) bool { return strings.Contains(text, n) }) {
			t.Errorf("%s: the article names speaker %s neither %q nor by an alias", rec.ExternalID, sp.Key, sp.Name)
		}
	}
}

// quoteRE finds the article's quotations: the words between curly quote
// marks, without the punctuation that American style puts inside them.
var quoteRE = regexp.MustCompile(`“([^”]*?)[,.;:!?]?”`)

func TestQuotesAreVerbatimAndComplete(t *testing.T) {
	var inArticle []string
	for _, m := range quoteRE.FindAllStringSubmatch(article(t), -1) {
		inArticle = append(inArticle, m[1])
	}
	if len(inArticle) == 0 {
		t.Fatal("found no quotations in the article")
	}
	var quoted []string
	for _, rec := range records(t) {
		if rec.Kind != domain.StatementQuote {
			continue
		}
		quoted = append(quoted, rec.Text)
		if !slices.Contains(inArticle, rec.Text) {
			t.Errorf("%s: QUOTE %q is not a quotation printed in the article", rec.ExternalID, rec.Text)
		}
	}
	for _, q := range inArticle {
		if !slices.Contains(quoted, q) {
			t.Errorf("the article's quotation %q has no QUOTE record", q)
		}
	}
}

// The importer creates topics in file order, so a parent must come first,
// and a position can only name a topic that exists by then.
func TestTopicsAreDefinedBeforeUse(t *testing.T) {
	defined := map[string]bool{}
	for _, rec := range records(t) {
		for _, ref := range rec.Topics {
			if ref.Parent != "" && !defined[ref.Parent] {
				t.Errorf("%s: topic %s comes before its parent %s", rec.ExternalID, ref.Key, ref.Parent)
			}
			defined[ref.Key] = true
		}
		for _, p := range rec.Positions {
			if !defined[p.Topic] {
				t.Errorf("%s: position on topic %s, which is not defined by then", rec.ExternalID, p.Topic)
			}
		}
	}
}

// position is a PositionRef resolved against its statement.
type position struct {
	speaker, topic string
	stance         domain.Stance
	asOf           domain.PartialDate
	evidence       string // externalId
}

func positions(t *testing.T) []position {
	t.Helper()
	var out []position
	for _, rec := range records(t) {
		for _, p := range rec.Positions {
			asOf := p.AsOf
			if asOf == "" {
				asOf = rec.SaidOn
			}
			d, err := domain.ParsePartialDate(asOf)
			if err != nil {
				t.Fatalf("%s: position on %s: %v", rec.ExternalID, p.Topic, err)
			}
			out = append(out, position{rec.Speaker.Key, p.Topic, p.Stance, d, rec.ExternalID})
		}
	}
	return out
}

// A position is identified by (speaker, topic, asOf): two records claiming
// the same one would overwrite each other on import.
func TestPositionsAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, p := range positions(t) {
		id := p.speaker + " " + p.topic + " " + p.asOf.String()
		if prev, ok := seen[id]; ok {
			t.Errorf("%s and %s both give %s's position on %s as of %s", prev, p.evidence, p.speaker, p.topic, p.asOf)
		}
		seen[id] = p.evidence
	}
}

// stanceMap returns each speaker's latest position on topic held on day:
// the same rule the API's stanceMap follows.
func stanceMap(ps []position, topic string, day domain.Day) map[string]position {
	m := map[string]position{}
	for _, p := range ps {
		if p.topic != topic || p.asOf.Start() > day {
			continue
		}
		if prev, ok := m[p.speaker]; !ok || prev.asOf.Compare(p.asOf) < 0 {
			m[p.speaker] = p
		}
	}
	return m
}

// The positions the article reports, as they stand on publication day.
func TestStancesOnPublicationDay(t *testing.T) {
	ps := positions(t)
	day := domain.DayOf(2025, time.December, 1)
	tests := []struct {
		topic, speaker string
		want           domain.Stance
	}{
		{"ukraine-nato-membership", "russia", domain.StanceOpposes},
		{"ukraine-nato-membership", "donald-trump", domain.StanceOpposes},
		{"ukraine-nato-membership", "ukraine", domain.StanceSupports},
		{"security-guarantees-for-ukraine", "ukraine", domain.StanceSupports},
		{"security-guarantees-for-ukraine", "volodymyr-zelensky", domain.StanceSupports},
		{"territorial-concessions-by-ukraine", "ukraine", domain.StanceOpposes},
		{"territorial-concessions-by-ukraine", "russia", domain.StanceSupports},
		{"territorial-concessions-by-ukraine", "kaja-kallas", domain.StanceOpposes},
		{"us-peace-plan", "vladimir-putin", domain.StanceSupports},
		{"us-peace-plan", "kremlin", domain.StanceMixed},
		{"us-peace-plan", "karoline-leavitt", domain.StanceSupports},
		{"us-peace-plan", "white-house", domain.StanceSupports},
	}
	for _, tt := range tests {
		t.Run(tt.topic+"/"+tt.speaker, func(t *testing.T) {
			got, ok := stanceMap(ps, tt.topic, day)[tt.speaker]
			switch {
			case !ok:
				t.Errorf("no position held on %s", day)
			case got.stance != tt.want:
				t.Errorf("stance %s (%s), want %s", got.stance, got.evidence, tt.want)
			}
		})
	}
}
