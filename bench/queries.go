package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"parley/domain"
)

// Query is one of the DESIGN.md workload queries: its GraphQL document and
// how to draw its variables.
type Query struct {
	Name  string
	Doc   string
	About string
	vars  func(r *rand.Rand, w *Workload) map[string]any
}

// statementFields is what Q1–Q3 ask of each statement: text, date,
// speaker name and topic keys.
const statementFields = `edges { node { id text saidOn { value } speaker { name } topics { key } } }`

// Queries are Q1–Q5 of DESIGN.md, in order.
var Queries = []Query{
	{
		Name:  "Q1",
		About: "speaker feed: one speaker's 20 newest statements",
		Doc:   `query Q1($speaker: String!) { statements(filter: {speakers: [$speaker]}, first: 20) { ` + statementFields + ` } }`,
		vars: func(r *rand.Rand, w *Workload) map[string]any {
			return map[string]any{"speaker": pick(r, w.Speakers)}
		},
	},
	{
		Name:  "Q2",
		About: "topic window: one topic's 20 newest statements in 2024-01-01..2025-06-30",
		Doc: `query Q2($topic: String!) { statements(filter: {topics: [$topic], saidFrom: "2024-01-01", saidTo: "2025-06-30"}, first: 20) { ` +
			statementFields + ` } }`,
		vars: func(r *rand.Rand, w *Workload) map[string]any {
			return map[string]any{"topic": pick(r, w.Topics)}
		},
	},
	{
		Name:  "Q3",
		About: "search: the 20 newest statements matching two words",
		Doc:   `query Q3($search: String!) { statements(filter: {search: $search}, first: 20) { ` + statementFields + ` } }`,
		vars: func(r *rand.Rand, w *Workload) map[string]any {
			return map[string]any{"search": pick(r, w.Searches)}
		},
	},
	{
		Name:  "Q4",
		About: "stance map: one topic as of a date",
		Doc: `query Q4($topic: String!, $asOf: PartialDate!) { stanceMap(topic: $topic, asOf: $asOf) { ` +
			`positions { speaker { key name } stance asOf { value } } } }`,
		vars: func(r *rand.Rand, w *Workload) map[string]any {
			return map[string]any{"topic": pick(r, w.Topics), "asOf": randomDay(r)}
		},
	},
	{
		Name:  "Q5",
		About: "one statement by id with speaker and topics",
		Doc:   `query Q5($id: ID!) { statement(id: $id) { id text kind saidOn { value } speaker { key name } topics { key name } } }`,
		vars: func(r *rand.Rand, w *Workload) map[string]any {
			return map[string]any{"id": pick(r, w.StatementIDs)}
		},
	},
}

// QueryNamed returns the query called name (Q1 … Q5, any case).
func QueryNamed(name string) (Query, bool) {
	for _, q := range Queries {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Query{}, false
}

// Body is one request for q, with variables freshly drawn from w.
func (q Query) Body(r *rand.Rand, w *Workload) []byte {
	b, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}{q.Doc, q.vars(r, w)})
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	return b
}

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// randomDay draws a day in the generator's date range, 2000 to 2026.
func randomDay(r *rand.Rand) string {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	return start.AddDate(0, 0, r.IntN(27*365)).Format(time.DateOnly)
}

// Workload is what requests draw their variables from, sampled from the
// data behind the URL under test.
type Workload struct {
	Speakers     []string // speaker keys
	Topics       []string // topic keys
	StatementIDs []string // global ids
	// Searches are two words of one statement's text, so that every
	// search finds at least that statement; common and rare words mix
	// as they do in the texts.
	Searches []string
}

// Sampling bounds: enough variety that requests rarely repeat, little
// enough that sampling takes well under a second.
const (
	samplePages = 10 // pages of speakers and topics
	sampleYears = 10 // date windows statements are drawn from
)

// Sample reads a Workload through the API at url.
func Sample(ctx context.Context, httpc *http.Client, url string, seed uint64) (*Workload, error) {
	w := &Workload{}
	var err error
	if w.Speakers, err = keys(ctx, httpc, url, "speakers"); err != nil {
		return nil, fmt.Errorf("sample speakers: %w", err)
	}
	if w.Topics, err = keys(ctx, httpc, url, "topics"); err != nil {
		return nil, fmt.Errorf("sample topics: %w", err)
	}
	r := rand.New(rand.NewPCG(seed, 0xbe7c4))
	const q = `query($from: PartialDate, $to: PartialDate) {
	  statements(filter: {saidFrom: $from, saidTo: $to}, first: 100) { edges { node { id text } } } }`
	// One newest-first page overall, then pages from random years, so that
	// Q5 reads ids from all over the file rather than its newest corner.
	windows := []map[string]any{{}}
	for range sampleYears {
		y := fmt.Sprint(2000 + r.IntN(27))
		windows = append(windows, map[string]any{"from": y, "to": y})
	}
	for _, v := range windows {
		var out struct {
			Statements struct {
				Edges []struct {
					Node struct{ ID, Text string }
				}
			}
		}
		if err := gqlPost(ctx, httpc, url, q, v, &out); err != nil {
			return nil, fmt.Errorf("sample statements: %w", err)
		}
		for _, e := range out.Statements.Edges {
			w.StatementIDs = append(w.StatementIDs, e.Node.ID)
			if s, ok := twoWords(r, e.Node.Text); ok {
				w.Searches = append(w.Searches, s)
			}
		}
	}
	if len(w.Speakers) == 0 || len(w.Topics) == 0 || len(w.StatementIDs) == 0 || len(w.Searches) == 0 {
		return nil, fmt.Errorf("%s has too little data to draw requests from (%d speakers, %d topics, %d statements); load some first, e.g. parley bench import --db FILE",
			url, len(w.Speakers), len(w.Topics), len(w.StatementIDs))
	}
	return w, nil
}

// twoWords draws two different words of text as a search.
func twoWords(r *rand.Rand, text string) (string, bool) {
	toks := domain.Tokens(text)
	var distinct []string
	seen := map[string]bool{}
	for _, t := range toks {
		if !seen[t] {
			seen[t] = true
			distinct = append(distinct, t)
		}
	}
	if len(distinct) < 2 {
		return "", false
	}
	i := r.IntN(len(distinct))
	j := (i + 1 + r.IntN(len(distinct)-1)) % len(distinct)
	return distinct[i] + " " + distinct[j], true
}

// keys pages through the speakers or topics list (the root field name)
// and returns their keys.
func keys(ctx context.Context, httpc *http.Client, url, field string) ([]string, error) {
	q := `query($after: String) { ` + field + `(first: 100, after: $after) { edges { node { key } } pageInfo { hasNextPage endCursor } } }`
	var out []string
	var after any
	for range samplePages {
		var page map[string]struct {
			Edges []struct {
				Node struct{ Key string }
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
		if err := gqlPost(ctx, httpc, url, q, map[string]any{"after": after}, &page); err != nil {
			return nil, err
		}
		conn := page[field]
		for _, e := range conn.Edges {
			out = append(out, e.Node.Key)
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		after = conn.PageInfo.EndCursor
	}
	return out, nil
}
