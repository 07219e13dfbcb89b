package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/auth"
	"parley/domain"
	"parley/importer"
	"parley/sample"
	"parley/store"
)

// These tests run subscriptions end to end: a real store, the server's
// handler over real HTTP, and a WebSocket client speaking
// graphql-transport-ws.

func openTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func loadSampleData(t *testing.T, st domain.Store) {
	t.Helper()
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := importer.Import(context.Background(), st, recs, domain.DefaultImportOptions())
	if err != nil || rep.Failed > 0 {
		t.Fatalf("loading the sample: %v, %d failed", err, rep.Failed)
	}
}

// records makes n import records, numbered from first, spread over three
// speakers and two topics (one a subtopic of the other).
func records(first, n int) []domain.StatementImport {
	speakers := []domain.SpeakerRef{
		{Key: "ada", Name: "Ada", Kind: domain.SpeakerPerson, Country: "GB"},
		{Key: "bo", Name: "Bo", Kind: domain.SpeakerPerson, Country: "SE"},
		{Key: "cy", Name: "Cy", Kind: domain.SpeakerPerson, Country: "GB"},
	}
	topics := [][]domain.TopicRef{
		{{Key: "trade", Name: "Trade"}},
		{{Key: "tariffs", Name: "Tariffs", Parent: "trade"}},
	}
	out := make([]domain.StatementImport, n)
	for i := range out {
		k := first + i
		rec := domain.StatementImport{
			ExternalID: fmt.Sprintf("t-%06d", k),
			Text:       fmt.Sprintf("statement number %d on trade", k),
			Kind:       domain.StatementQuote,
			Speaker:    speakers[k%3],
			SaidOn:     fmt.Sprintf("2025-%02d-%02d", 1+k%12, 1+k%28),
			Topics:     topics[k%2],
		}
		if k%5 == 0 {
			rec.Positions = []domain.PositionRef{{Topic: rec.Topics[0].Key, Stance: domain.StanceSupports, AsOf: rec.SaidOn}}
		}
		out[i] = rec
	}
	return out
}

func importAll(t *testing.T, st domain.Store, recs []domain.StatementImport, batch int) {
	t.Helper()
	for b := range slices.Chunk(recs, batch) {
		rep, err := importer.Import(context.Background(), st, b, domain.DefaultImportOptions())
		if err != nil || rep.Failed > 0 {
			t.Errorf("import: %v, %d failed", err, rep.Failed)
			return
		}
	}
}

// wsClient is a graphql-transport-ws client.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func serve(t *testing.T, st domain.Store, opts Options) string {
	t.Helper()
	srv := httptest.NewServer(NewServer(st, opts))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// dial connects and initializes; it returns the handshake's HTTP response
// and error when the connection is refused.
func dial(t *testing.T, url string, header http.Header, init any) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 24)
	t.Cleanup(func() { c.CloseNow() })
	w := &wsClient{t: t, c: c}
	payload, _ := json.Marshal(init)
	w.send(wsMessage{Type: "connection_init", Payload: payload})
	if m, err := w.next(); err != nil || m.Type != "connection_ack" {
		return nil, resp, fmt.Errorf("init: got %+v, %v", m, err)
	}
	return w, resp, nil
}

func (w *wsClient) send(m wsMessage) {
	w.t.Helper()
	b, _ := json.Marshal(m)
	if err := w.c.Write(context.Background(), websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wsClient) subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	w.send(wsMessage{ID: id, Type: "subscribe", Payload: payload})
}

// nextFor returns the next message about operation id, reading past the
// others.
func (w *wsClient) nextFor(id string) wsMessage {
	w.t.Helper()
	for {
		m, err := w.next()
		if err != nil {
			w.t.Fatal(err)
		}
		if m.ID == id {
			return m
		}
	}
}

// next returns the next message other than a ping, pong or keep-alive.
func (w *wsClient) next() (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, b, err := w.c.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return m, err
		}
		switch m.Type {
		case "ping":
			w.send(wsMessage{Type: "pong"})
		case "pong", "ka":
		default:
			return m, nil
		}
	}
}

// collect reads events of subscription id until n have arrived, or the
// subscription ends; it returns the events' data and the final message.
func (w *wsClient) collect(id string, n int) (data []json.RawMessage, last wsMessage) {
	w.t.Helper()
	for len(data) < n {
		m, err := w.next()
		if err != nil {
			w.t.Fatalf("after %d events: %v", len(data), err)
		}
		if m.ID != id || m.Type != "next" {
			return data, m
		}
		var p struct {
			Data   json.RawMessage
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			w.t.Fatal(err)
		}
		if len(p.Errors) > 0 {
			return data, m
		}
		data = append(data, p.Data)
	}
	return data, wsMessage{}
}

const addedQuery = `subscription($f: StatementFilter) { statementAdded(filter: $f) { externalId text speaker { key } topics { key } } }`

func externalIDs(t *testing.T, data []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(data))
	for i, d := range data {
		var v struct{ StatementAdded struct{ ExternalID string } }
		if err := json.Unmarshal(d, &v); err != nil {
			t.Fatal(err)
		}
		out[i] = v.StatementAdded.ExternalID
	}
	return out
}

func wantIDs(recs []domain.StatementImport, keep func(i int) bool) []string {
	var out []string
	for i, r := range recs {
		if keep(i) {
			out = append(out, r.ExternalID)
		}
	}
	return out
}

// waitSubscribed waits until n subscriptions are open, so that an import
// that follows is seen whole: a subscription is reported started once the
// hub feeds it.
func waitSubscribed(t *testing.T, obs *countingObserver, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); obs.open() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions open, want %d", obs.open(), n)
		}
	}
}

func TestStatementAddedDeliversEveryStatementOnceInOrder(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	url := serve(t, st, Options{Observer: obs})

	all, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	all.subscribe("all", addedQuery, nil)
	filtered, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Bo's statements on tariffs (odd numbers), through the parent topic.
	filtered.subscribe("bo", addedQuery, map[string]any{"f": map[string]any{"speakers": []string{"bo"}, "topics": []string{"trade"}, "countries": []string{"se"}}})
	waitSubscribed(t, obs, 2)

	recs := records(0, 2000)
	go importAll(t, st, recs, 500)

	got, last := all.collect("all", len(recs))
	if want := wantIDs(recs, func(int) bool { return true }); !slices.Equal(externalIDs(t, got), want) {
		t.Errorf("got %d events (last message %+v), want all %d in input order", len(got), last, len(want))
	}
	want := wantIDs(recs, func(i int) bool { return i%3 == 1 })
	got, last = filtered.collect("bo", len(want))
	if !slices.Equal(externalIDs(t, got), want) {
		t.Errorf("filtered: got %d events (last %+v), want %d", len(got), last, len(want))
	}
	// Nothing more: the filter kept the other speakers' statements out,
	// and no statement came twice.
	filtered.send(wsMessage{ID: "bo", Type: "complete"})
	all.send(wsMessage{ID: "all", Type: "complete"})
	for deadline := time.Now().Add(5 * time.Second); obs.open() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions still open after complete", obs.open())
		}
	}
}

// TestSlowSubscriberIsDropped stalls a subscription's consumer: it must
// be dropped once its queue is full, while the writer goes on unslowed and
// another subscription keeps receiving everything.
func TestSlowSubscriberIsDropped(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	res := &Resolver{Store: st}
	res.live = newHub(st, 50, obs)

	// The stalled consumer never reads its channel.
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), streamErrKey{}, &streamErr{}))
	defer cancel()
	stalled, err := res.statementAdded(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	active, err := res.statementAdded(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	recs := records(0, 400)
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range active {
			got = append(got, *s.ExternalID)
			if len(got) == len(recs) {
				return
			}
		}
	}()
	importAll(t, st, recs, 10) // 40 transactions: far more than 50 pending

	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the active subscription got %d of %d events", len(got), len(recs))
	}
	if want := wantIDs(recs, func(int) bool { return true }); !slices.Equal(got, want) {
		t.Errorf("the active subscription got %d events out of order or twice", len(got))
	}

	// The stalled one gets what it had taken before it fell behind (the
	// first transaction, at most), then its stream ends with the error.
	n := 0
	for range stalled {
		n++
	}
	if n > 10 {
		t.Errorf("the stalled subscription delivered %d events after falling behind", n)
	}
	h := ctx.Value(streamErrKey{}).(*streamErr)
	if h.err == nil || h.err.Extensions[extCode] != codeSlowSubscriber {
		t.Errorf("stream error %v, want %s", h.err, codeSlowSubscriber)
	}
	if n := obs.count("statementAdded", SubscriptionDropped); n != 1 {
		t.Errorf("%d drops reported, want 1", n)
	}
}

// TestSlowSubscriberIsTold checks what a dropped WebSocket client sees:
// one transaction larger than its buffer drops it at once.
func TestSlowSubscriberIsTold(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	url := serve(t, st, Options{SubscriptionBuffer: 50, Observer: obs})
	c, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("s", addedQuery, nil)
	waitSubscribed(t, obs, 1)
	importAll(t, st, records(0, 100), 100)

	got, last := c.collect("s", 100)
	if len(got) != 0 || last.Type != "next" || !strings.Contains(string(last.Payload), `"code":"SLOW_SUBSCRIBER"`) {
		t.Fatalf("got %d events, then %s %s; want an error with code SLOW_SUBSCRIBER", len(got), last.Type, last.Payload)
	}
	if m, err := c.next(); err != nil || m.Type != "complete" || m.ID != "s" {
		t.Errorf("after the error: %+v, %v; want complete", m, err)
	}
}

// panicByID is a store whose batched statement read panics.
type panicByID struct{ *store.Store }

func (panicByID) StatementsByID(context.Context, []domain.ID) ([]*domain.Statement, error) {
	panic("boom in subscription load")
}

// A panic while a subscription reads what changed ends that subscription
// with INTERNAL; the server goes on (without the recovery, the test
// binary itself would die).
func TestSubscriptionPanicEndsOnlyItself(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	url := serve(t, panicByID{st}, Options{Observer: obs})
	c, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("s", addedQuery, nil)
	waitSubscribed(t, obs, 1)
	importAll(t, st, records(0, 1), 1)
	_, last := c.collect("s", 1)
	if !strings.Contains(string(last.Payload), `"code":"INTERNAL"`) {
		t.Fatalf("the subscription ended with %s %s; want INTERNAL", last.Type, last.Payload)
	}
	c.subscribe("q", `{ __typename }`, nil)
	if m := c.nextFor("q"); !strings.Contains(string(m.Payload), `"Query"`) {
		t.Fatalf("a query after the panic: %s %s", m.Type, m.Payload)
	}
}

func TestPositionChangedFiltersByTopicTree(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	url := serve(t, st, Options{Observer: obs})
	c, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	importAll(t, st, records(0, 10), 10) // creates the topics
	c.subscribe("p", `subscription { positionChanged(topic: "trade") { stance topic { key } speaker { key } } }`, nil)
	waitSubscribed(t, obs, 1)

	// Positions on "tariffs" (a subtopic of "trade") come with records
	// 15 and 25; those of 20 and 30 are on "trade" itself.
	recs := records(11, 20)
	importAll(t, st, recs, 20)
	got, last := c.collect("p", 4)
	var topics []string
	for _, d := range got {
		var v struct {
			PositionChanged struct{ Topic struct{ Key string } }
		}
		json.Unmarshal(d, &v)
		topics = append(topics, v.PositionChanged.Topic.Key)
	}
	if want := []string{"tariffs", "trade", "tariffs", "trade"}; !slices.Equal(topics, want) {
		t.Errorf("got positions on %v (last message %+v), want %v", topics, last, want)
	}

	c.subscribe("bad", `subscription { positionChanged(topic: "no-such-topic") { stance } }`, nil)
	// A resolver's error is a result (the protocol's "error" message is
	// for documents that fail validation), then the stream completes.
	m, err := c.next()
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), `"code":"BAD_USER_INPUT"`) {
		t.Errorf("unknown topic: %s %s, %v; want an error with BAD_USER_INPUT", m.Type, m.Payload, err)
	}
	if m, err := c.next(); err != nil || m.Type != "complete" {
		t.Errorf("after the error: %+v, %v; want complete", m, err)
	}
}

// TestAnErrorEndsTheOperation checks graphql-transport-ws's rule that an
// error message is an operation's last: gqlgen follows the error of a
// document that fails validation with a complete, which the server must
// not send. The id can be used again afterwards.
func TestAnErrorEndsTheOperation(t *testing.T) {
	st := openTestStore(t)
	obs := &countingObserver{}
	url := serve(t, st, Options{Observer: obs})
	c, _, err := dial(t, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("bad", `subscription { statementAdded { noSuchField } }`, nil)
	if m, err := c.next(); err != nil || m.Type != "error" || m.ID != "bad" {
		t.Fatalf("an invalid document: %+v, %v; want an error message", m, err)
	}
	c.subscribe("good", addedQuery, nil)
	waitSubscribed(t, obs, 1)
	importAll(t, st, records(0, 1), 1)
	if m, err := c.next(); err != nil || m.ID != "good" || m.Type != "next" {
		t.Fatalf("after the error: %+v, %v; want the other operation's event, nothing more for the failed one", m, err)
	}
	// The failed operation's id is free again.
	c.subscribe("bad", addedQuery, nil)
	waitSubscribed(t, obs, 2)
	importAll(t, st, records(1, 1), 1)
	if m := c.nextFor("bad"); m.Type != "next" {
		t.Fatalf("the id used again: %+v; want its event", m)
	}
}

func TestWebSocketOriginMustBeAllowed(t *testing.T) {
	st := openTestStore(t)
	url := serve(t, st, Options{AllowedOrigins: []string{"https://app.example.org"}})
	host := strings.TrimPrefix(url, "ws://")
	tests := []struct {
		origin string
		ok     bool
	}{
		{"", true}, // not a browser
		{"http://" + host, true},
		{"https://app.example.org", true},
		{"http://app.example.org", false}, // the scheme counts
		{"https://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			_, resp, err := dial(t, url, h, nil)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
				t.Fatalf("got %v, want 403", err)
			}
		})
	}
}

func TestWebSocketInitCarriesTheToken(t *testing.T) {
	st := openTestStore(t)
	type who struct{}
	authenticate := func(ctx context.Context, auth string) (context.Context, error) {
		if auth != "Bearer s3cret" {
			return ctx, fmt.Errorf("a valid token is required")
		}
		return context.WithValue(ctx, who{}, "reader"), nil
	}
	url := serve(t, st, Options{Authenticate: authenticate})
	for _, init := range []map[string]any{{"Authorization": "Bearer s3cret"}, {"token": "s3cret"}} {
		if _, _, err := dial(t, url, nil, init); err != nil {
			t.Errorf("init %v refused: %v", init, err)
		}
	}
	for _, init := range []map[string]any{nil, {"Authorization": "Bearer wrong"}} {
		if _, _, err := dial(t, url, nil, init); err == nil {
			t.Errorf("init %v accepted", init)
		}
	}
}

// A token revoked while a WebSocket is open stops working on it at once:
// its next operation is refused, and a running subscription ends at its
// next event; whether the token came in connection_init or in the
// handshake's header.
func TestWebSocketTokenRevokedWhileOpen(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		init   map[string]any
	}{
		{"token in connection_init", nil, map[string]any{"token": "s3cret"}},
		{"token in the handshake", http.Header{"Authorization": {"Bearer s3cret"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openTestStore(t)
			var revoked atomic.Bool
			authenticate := func(ctx context.Context, authz string) (context.Context, error) {
				if authz == "" {
					return ctx, nil
				}
				if authz != "Bearer s3cret" || revoked.Load() {
					return ctx, fmt.Errorf("the token is not valid")
				}
				return auth.WithCaller(ctx, auth.Caller{Name: "writer", Role: auth.RoleWrite}), nil
			}
			obs := &countingObserver{}
			opts := Options{Authenticate: authenticate, Observer: obs}
			srv := httptest.NewServer(Protect(NewServer(st, opts), opts))
			t.Cleanup(srv.Close)
			c, _, err := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), tc.header, tc.init)
			if err != nil {
				t.Fatal(err)
			}
			rec := func(text string) map[string]any {
				return map[string]any{"text": text, "kind": "QUOTE", "saidOn": "2025-12-01",
					"speaker": map[string]any{"key": "ana", "name": "Ana", "kind": "PERSON"}}
			}
			const imp = `mutation($in: [StatementImport!]!) { importStatements(input: $in) { created } }`
			c.subscribe("s", `subscription { statementAdded { text } }`, nil)
			waitSubscribed(t, obs, 1)
			c.subscribe("m1", imp, map[string]any{"in": []any{rec("before")}})
			if m := c.nextFor("s"); m.Type != "next" {
				t.Fatalf("the subscription ended before the revocation: %s %s", m.Type, m.Payload)
			}

			revoked.Store(true)
			c.subscribe("m2", imp, map[string]any{"in": []any{rec("after")}})
			// A write by someone else wakes the subscription.
			recs := []domain.StatementImport{{Text: "elsewhere", Kind: domain.StatementQuote, SaidOn: "2025-12-01",
				Speaker: domain.SpeakerRef{Key: "ana"}}}
			if rep, err := importer.Import(context.Background(), st, recs, domain.DefaultImportOptions()); err != nil || rep.Failed > 0 {
				t.Fatalf("import: %v, %+v", err, rep)
			}
			for done := 0; done < 2; {
				m, err := c.next()
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case m.ID == "m1" || m.Type == "complete":
				case m.ID == "m2" || m.ID == "s":
					if !strings.Contains(string(m.Payload), "UNAUTHENTICATED") {
						t.Fatalf("%s after the revocation: %s %s, want UNAUTHENTICATED", m.ID, m.Type, m.Payload)
					}
					done++
				}
			}
			if n, err := st.CountStatements(context.Background(), domain.StatementFilter{Search: "after"}); err != nil || n != 0 {
				t.Fatalf("a mutation with a revoked token wrote (%d, %v)", n, err)
			}
		})
	}
}

// TestStatementMatcherAgreesWithTheStore checks the in-memory filter of
// statementAdded against the store's query planner on the sample data.
func TestStatementMatcherAgreesWithTheStore(t *testing.T) {
	st := openTestStore(t)
	loadSampleData(t, st)
	ctx := context.Background()
	all, err := st.ListStatements(ctx, domain.StatementFilter{}, domain.SaidOnDesc, domain.Page{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	d := domain.MustParsePartialDate
	filters := []domain.StatementFilter{
		{},
		{Speakers: []string{"dmitry-peskov", "emmanuel-macron"}},
		{Speakers: []string{"nobody"}},
		{Topics: []string{"ukraine-peace-process"}},
		{Countries: []string{"ru", "US"}},
		{Kinds: []domain.StatementKind{domain.StatementQuote}},
		{SaidFrom: d("2025-12-01"), SaidTo: d("2025-12-02")},
		{SaidFrom: d("2025-12")},
		{SaidTo: d("2025-11")},
		{Search: "peace"},
		{Search: `"security guarantees"`},
		{Search: "peace " + strings.Repeat("x", 65)}, // a word longer than any the index keeps
		{Search: `"peace ` + strings.Repeat("x", 65) + `"`},
		{Search: "ukraine plan", Kinds: []domain.StatementKind{domain.StatementParaphrase}},
		{Source: sampleSourceURL(t, st)},
		{Source: "https://nowhere.example/"},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			res, err := st.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 100})
			if err != nil {
				t.Fatal(err)
			}
			got, err := newStatementMatcher(f).filter(ctx, st, slices.Clone(all.Items))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(statementIDs(got), statementIDs(res.Items)) {
				t.Errorf("matcher keeps %v, store lists %v", statementIDs(got), statementIDs(res.Items))
			}
		})
	}
}

func sampleSourceURL(t *testing.T, st domain.Store) string {
	res, err := st.ListSources(context.Background(), domain.Page{First: 1})
	if err != nil || len(res.Items) == 0 {
		t.Fatalf("no source in the sample: %v", err)
	}
	return res.Items[0].URL
}

func statementIDs(ss []*domain.Statement) []domain.ID {
	return mapSlice(ss, func(s *domain.Statement) domain.ID { return s.ID })
}

// countingObserver counts subscription events.
type countingObserver struct {
	nopObserver
	mu     sync.Mutex
	events map[string]int
}

func (o *countingObserver) Subscription(field string, ev SubscriptionEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.events == nil {
		o.events = map[string]int{}
	}
	o.events[fmt.Sprint(field, ev)]++
}

func (o *countingObserver) count(field string, ev SubscriptionEvent) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.events[fmt.Sprint(field, ev)]
}

func (o *countingObserver) open() int {
	return o.count("statementAdded", SubscriptionStarted) + o.count("positionChanged", SubscriptionStarted) -
		o.count("statementAdded", SubscriptionEnded) - o.count("positionChanged", SubscriptionEnded)
}
