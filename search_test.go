package main

import (
	"slices"
	"strings"
	"testing"
)

// Issue 4's search acceptance, through HTTP on the sample data.

// searchQuery returns the statements a search finds, newest first, with
// their highlights.
const searchQuery = `query($q: String!, $speakers: [String!]) {
  statements(filter: {search: $q, speakers: $speakers}, first: 100) {
    totalCount
    edges { node { id externalId text highlight(search: $q) } }
  }
}`

type found struct {
	ID, ExternalID, Text string
	Highlight            *string
}

// search runs a search and returns what it found.
func (a *api) search(q string, speakers ...string) []found {
	a.t.Helper()
	v := vars{"q": q}
	if speakers != nil {
		v["speakers"] = speakers
	}
	var out struct {
		Statements struct {
			TotalCount int
			Edges      []struct{ Node found }
		}
	}
	a.do(searchQuery, v, &out)
	var fs []found
	for _, e := range out.Statements.Edges {
		fs = append(fs, e.Node)
	}
	if out.Statements.TotalCount != len(fs) {
		a.t.Errorf("search %q: totalCount %d, but %d statements listed", q, out.Statements.TotalCount, len(fs))
	}
	return fs
}

// externalIDs of the found statements, sorted.
func externalIDs(fs []found) []string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ExternalID
	}
	slices.Sort(ids)
	return ids
}

func TestSearchOnTheSample(t *testing.T) {
	a := newAPI(t, true)
	tests := []struct {
		name     string
		searches []string // each must find exactly want
		speakers []string
		want     []string
	}{
		{"a place name", []string{"Pokrovsk"}, nil, []string{"seed-0009"}},
		{"case and diacritics folded", []string{"pokrovsk", "POKROVSK", "Pokróvsk", "PÓKRÖVSK"}, nil, []string{"seed-0009"}},
		{"a phrase", []string{`"security guarantees"`, `"Security, guarantees"`, `"SECURITY GUARANTÉES"`}, nil,
			[]string{"seed-0005", "seed-0024"}},
		{"every word must match", []string{"Zelensky territorial"}, nil, []string{"seed-0006", "seed-0023"}},
		{"a name in any case", []string{"zelensky", "ZELENSKY", "Zelénsky"}, nil,
			[]string{"seed-0003", "seed-0005", "seed-0006", "seed-0023"}},
		{"with a speaker filter", []string{`"security guarantees"`}, []string{"emmanuel-macron"}, []string{"seed-0024"}},
		{"nothing", []string{"Kupiansk", "pokrovsk vovchansk zelensky"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range tt.searches {
				if got := externalIDs(a.search(q, tt.speakers...)); !slices.Equal(got, tt.want) {
					t.Errorf("search %q found %v, want %v", q, got, tt.want)
				}
			}
		})
	}
}

func TestSearchPhraseNeedsTheWordsInSequence(t *testing.T) {
	a := newAPI(t, true)
	a.do(`mutation { createStatement(input: {externalId: "reordered", text: "Guarantees of security were discussed.",
	  kind: PARAPHRASE, speaker: "emmanuel-macron", saidOn: "2025-12-02"}) { statement { id } } }`, nil, nil)
	if got, want := externalIDs(a.search("security guarantees")), []string{"reordered", "seed-0005", "seed-0024"}; !slices.Equal(got, want) {
		t.Errorf("words: found %v, want %v", got, want)
	}
	if got, want := externalIDs(a.search(`"security guarantees"`)), []string{"seed-0005", "seed-0024"}; !slices.Equal(got, want) {
		t.Errorf("phrase: found %v, want %v", got, want)
	}
}

func TestSearchNonLatinText(t *testing.T) {
	a := newAPI(t, true)
	a.do(`mutation { createStatement(input: {externalId: "uk-1", text: "Андрій Коваленко заявив про обстріли Покровська.",
	  kind: QUOTE, speaker: "volodymyr-zelensky", language: "uk"}) { statement { id } } }`, nil, nil)
	for _, q := range []string{"Коваленко", "КОВАЛЕНКО", "коваленко заявив"} {
		fs := a.search(q)
		if got := externalIDs(fs); !slices.Equal(got, []string{"uk-1"}) {
			t.Errorf("search %q found %v, want [uk-1]", q, got)
			continue
		}
		if h := fs[0].Highlight; h == nil || !strings.Contains(*h, "<mark>Коваленко</mark>") {
			t.Errorf("search %q: highlight %v", q, h)
		}
	}
}

// TestSearchFollowsWrites checks that the index changes with the data in
// the next request: an update's old words stop finding the statement and
// its new ones find it; after a delete nothing does.
func TestSearchFollowsWrites(t *testing.T) {
	a := newAPI(t, true)
	fs := a.search("Pokrovsk")
	if len(fs) != 1 {
		t.Fatalf("search Pokrovsk found %d statements, want 1", len(fs))
	}
	id := fs[0].ID

	a.do(`mutation($id: ID!) { updateStatement(id: $id, input: {text: "Russian officials claimed the capture of Kupiansk."}) {
	  statement { id } } }`, vars{"id": id}, nil)
	for q, want := range map[string]int{"Pokrovsk": 0, "Vovchansk": 0, "Kupiansk": 1, `"capture of kupiansk"`: 1, "officials kupiansk": 1} {
		if got := a.search(q); len(got) != want || (want == 1 && got[0].ID != id) {
			t.Errorf("after the update, search %q found %v, want %d (the updated statement)", q, got, want)
		}
	}

	a.do(`mutation($id: ID!) { deleteStatement(id: $id, cascade: true) { deletedId } }`, vars{"id": id}, nil)
	for _, q := range []string{"Kupiansk", "officials", "Pokrovsk"} {
		for _, f := range a.search(q) {
			if f.ID == id {
				t.Errorf("after the delete, search %q still finds it", q)
			}
		}
	}
	rep, err := a.store.Verify(t.Context())
	if err != nil || !rep.OK() {
		t.Errorf("Verify: %v %v", err, rep)
	}
}

func TestSearchHighlights(t *testing.T) {
	a := newAPI(t, true)
	tests := []struct {
		search, externalID, want string
	}{
		{"pokrovsk", "seed-0009", "town of <mark>Pokrovsk</mark> — known"},
		{`"security guarantees"`, "seed-0024", "frozen Russian assets, <mark>security guarantees</mark> for Ukraine"},
		{"ZELENSKY security", "seed-0005", "<mark>Zelensky</mark> reaffirmed that Ukraine’s priorities"},
	}
	for _, tt := range tests {
		var h string
		for _, f := range a.search(tt.search) {
			if f.ExternalID == tt.externalID && f.Highlight != nil {
				h = *f.Highlight
			}
		}
		if !strings.Contains(h, tt.want) {
			t.Errorf("search %q: highlight of %s is %q, want it to contain %q", tt.search, tt.externalID, h, tt.want)
		}
	}
	// A search without words highlights nothing.
	var out struct {
		Statements struct {
			Edges []struct{ Node struct{ Highlight *string } }
		}
	}
	a.do(`{ statements(first: 1) { edges { node { highlight(search: " \" ") } } } }`, nil, &out)
	if h := out.Statements.Edges[0].Node.Highlight; h != nil {
		t.Errorf("highlight of a search without words = %q, want null", *h)
	}
}
