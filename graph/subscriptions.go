package graph

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/auth"
	"parley/domain"
	"parley/graph/model"
)

// Live updates: the store reports every committed transaction through
// domain.Notifier, synchronously and in commit order, on the writer's path.
// One hub per server takes that feed and appends the changes each
// subscription wants to the subscription's bounded queue, under a mutex and
// without ever waiting: a writer is never slowed by a subscriber. Each
// subscription drains its queue on its own goroutine, reads the records in
// batches, keeps those its filter matches and hands them to gqlgen's
// transport in order. A subscription whose queue would overflow is dropped:
// its stream ends with a SLOW_SUBSCRIBER error, which tells the client that
// it missed events and should resubscribe and catch up with a query.

// DefaultSubscriptionBuffer is how many pending changes a subscription may
// have before it is dropped: two of the largest import transactions, so
// that a subscriber that keeps up on average survives a burst.
const DefaultSubscriptionBuffer = 2 * DefaultMaxImportRecords

// codeSlowSubscriber is the extensions.code of the error that ends a
// subscription that fell behind. It is not a domain code: it is about the
// connection, not about any record or input.
const codeSlowSubscriber = "SLOW_SUBSCRIBER"

// loadBatch bounds how many records a subscription reads at once, so that
// the first events of a large import reach the client early.
const loadBatch = 500

// hub fans the store's change feed out to subscriptions.
type hub struct {
	buffer int
	obs    Observer

	mu   sync.Mutex
	subs map[*queue]struct{}
}

func newHub(n domain.Notifier, buffer int, obs Observer) *hub {
	h := &hub{buffer: buffer, obs: obs, subs: map[*queue]struct{}{}}
	// The hub lives as long as the server, which lives as long as the
	// store, so the subscription is never cancelled: with no subscribers a
	// commit costs one lock and an empty loop.
	n.Subscribe(h.publish)
	return h
}

// publish is the store's callback. It runs inside the store's commit
// path, so it only appends to queues and never blocks on a subscriber.
func (h *hub) publish(changes []domain.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range h.subs {
		if !q.push(changes) {
			delete(h.subs, q)
			// Reported now: the subscription's goroutine may be blocked
			// on the very client that fell behind.
			h.obs.Subscription(q.field, SubscriptionDropped)
		}
	}
}

func (h *hub) add(field string, want func(domain.Change) bool) *queue {
	q := &queue{field: field, want: want, max: h.buffer, ready: make(chan struct{}, 1), dropped: make(chan struct{})}
	h.mu.Lock()
	h.subs[q] = struct{}{}
	h.mu.Unlock()
	return q
}

func (h *hub) remove(q *queue) {
	h.mu.Lock()
	delete(h.subs, q)
	h.mu.Unlock()
}

// queue is one subscription's bounded buffer of pending changes. It grows
// only as far as it is used, so an idle subscription costs nothing.
type queue struct {
	field   string
	want    func(domain.Change) bool
	max     int
	ready   chan struct{} // holds a token while there is something to take
	dropped chan struct{} // closed when the queue overflows

	mu    sync.Mutex
	items []domain.Change
}

// push appends the wanted changes; it reports false, and marks the queue
// dropped, when they do not fit.
func (q *queue) push(changes []domain.Change) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	added := false
	for _, c := range changes {
		if !q.want(c) {
			continue
		}
		if len(q.items) >= q.max {
			q.items = nil
			close(q.dropped)
			return false
		}
		q.items = append(q.items, c)
		added = true
	}
	if added {
		q.signal()
	}
	return true
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default: // a token is already waiting
	}
}

// take removes and returns everything pending.
func (q *queue) take() []domain.Change {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// stream starts a subscription's goroutine: it takes the changes want
// selects from q in order, turns each batch of ids into values with load
// (which drops what the subscription's filter rejects) and sends them on
// the returned channel. The channel is closed when ctx ends or when the
// subscription is dropped; a drop is recorded for endOfStream to report.
func stream[T any](ctx context.Context, r *Resolver, field string, want func(domain.Change) bool, load func(context.Context, []domain.ID) ([]T, error)) (<-chan T, error) {
	if r.live == nil {
		return nil, domain.Errorf(domain.CodeInternal, "live updates are not available with this store")
	}
	h := r.live
	q := h.add(field, want)
	h.obs.Subscription(field, SubscriptionStarted)
	out := make(chan T)
	go func() {
		defer close(out)
		defer h.obs.Subscription(field, SubscriptionEnded)
		defer h.remove(q)
		// This goroutine is outside gqlgen's recovery: a panic here would
		// end the whole server, not one subscription.
		defer func() {
			if p := recover(); p != nil {
				slog.ErrorContext(ctx, "panic in subscription", "field", field, "panic", p, "stack", string(debug.Stack()))
				setStreamError(ctx, &gqlerror.Error{Message: internalMessage, Extensions: map[string]any{extCode: string(domain.CodeInternal)}})
			}
		}()
		for {
			// A drop wins over pending changes: they are stale, and the
			// client must learn that it missed some.
			select {
			case <-q.dropped:
				slowSubscriber(ctx, h.buffer)
				return
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-q.dropped:
				slowSubscriber(ctx, h.buffer)
				return
			case <-q.ready:
			}
			if c, ok, err := currentCaller(ctx); err != nil || (ok && !c.Role.Allows(auth.RoleRead)) {
				setStreamError(ctx, &gqlerror.Error{Message: errTokenGone.Error(), Extensions: map[string]any{extCode: string(domain.CodeUnauthenticated)}})
				return
			}
			for batch := range slices.Chunk(ids(q.take()), loadBatch) {
				vals, err := load(ctx, batch)
				if err != nil {
					if ctx.Err() == nil {
						slog.ErrorContext(ctx, "subscription: reading changed records", "field", field, "error", err)
						setStreamError(ctx, &gqlerror.Error{Message: internalMessage, Extensions: map[string]any{extCode: string(domain.CodeInternal)}})
					}
					return
				}
				for _, v := range vals {
					select {
					case out <- v:
					case <-ctx.Done():
						return
					case <-q.dropped:
						slowSubscriber(ctx, h.buffer)
						return
					}
				}
			}
		}
	}()
	return out, nil
}

// slowSubscriber records the error that ends a subscription that fell
// behind.
func slowSubscriber(ctx context.Context, buffer int) {
	setStreamError(ctx, &gqlerror.Error{
		Message: fmt.Sprintf("this subscription fell more than %d changes behind and was ended; "+
			"subscribe again and query what was added meanwhile", buffer),
		Extensions: map[string]any{extCode: codeSlowSubscriber},
	})
}

func ids(changes []domain.Change) []domain.ID {
	out := make([]domain.ID, len(changes))
	for i, c := range changes {
		out[i] = c.ID
	}
	return out
}

// statementAdded streams the statements created from now on that match
// the filter, with the semantics of Query.statements.
func (r *Resolver) statementAdded(ctx context.Context, filter *model.StatementFilter) (<-chan *model.Statement, error) {
	f := statementFilter(filter)
	// The store validates a filter exactly as Query.statements does; one
	// item is the cheapest way to ask.
	if _, err := r.Store.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 1}); err != nil {
		return nil, argError("filter", err)
	}
	m := newStatementMatcher(f)
	created := func(c domain.Change) bool { return c.Type == domain.TypeStatement && c.Op == domain.Created }
	return stream(ctx, r, "statementAdded", created, func(ctx context.Context, ids []domain.ID) ([]*model.Statement, error) {
		recs, err := r.Store.StatementsByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		// A statement deleted since it was created is nil here: skip it.
		recs = slices.DeleteFunc(recs, func(s *domain.Statement) bool { return s == nil })
		if recs, err = m.filter(ctx, r.Store, recs); err != nil {
			return nil, err
		}
		conv, err := newStatements(ctx, r.Store, recs)
		return compact(conv), err
	})
}

// positionChanged streams the positions created or updated from now on,
// on the topic (a key, subtopics included) or on every topic.
func (r *Resolver) positionChanged(ctx context.Context, topic *string) (<-chan *model.Position, error) {
	var keys []string
	if topic != nil {
		if _, err := r.Store.TopicByKey(ctx, *topic); err != nil {
			if domain.ErrorCode(err) == domain.CodeNotFound {
				return nil, domain.FieldErrorf([]string{"topic"}, "no topic has the key %q", *topic)
			}
			return nil, err
		}
		keys = []string{*topic}
	}
	changed := func(c domain.Change) bool {
		return c.Type == domain.TypePosition && (c.Op == domain.Created || c.Op == domain.Updated)
	}
	return stream(ctx, r, "positionChanged", changed, func(ctx context.Context, ids []domain.ID) ([]*model.Position, error) {
		recs, err := r.Store.PositionsByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		recs = slices.DeleteFunc(recs, func(p *domain.Position) bool { return p == nil })
		if keys != nil {
			in, err := underTopics(ctx, r.Store, keys, mapSlice(recs, func(p *domain.Position) domain.ID { return p.TopicID }))
			if err != nil {
				return nil, err
			}
			recs = slices.DeleteFunc(recs, func(p *domain.Position) bool { return !in[p.TopicID] })
		}
		conv, err := newPositions(ctx, r.Store, recs)
		return compact(conv), err
	})
}

// statementMatcher applies a StatementFilter to statements in memory, the
// way the store's planner applies it to its indexes. Keys are matched when
// an event arrives, not when the subscription starts, so a speaker or
// topic created later (by the same import, say) is matched as well.
type statementMatcher struct {
	f        domain.StatementFilter
	speakers map[string]bool
	topics   []string
	country  map[string]bool
	kinds    map[domain.StatementKind]bool
	source   string // normalized URL
	from, to domain.Day
	dated    bool
	words    []string
	phrases  [][]string
}

func newStatementMatcher(f domain.StatementFilter) *statementMatcher {
	m := &statementMatcher{f: f, topics: f.Topics, from: math.MinInt32, to: math.MaxInt32}
	if len(f.Speakers) > 0 {
		m.speakers = setOf(f.Speakers, func(s string) string { return s })
	}
	if len(f.Countries) > 0 {
		m.country = setOf(f.Countries, func(c string) string { return strings.ToUpper(strings.TrimSpace(c)) })
	}
	if len(f.Kinds) > 0 {
		m.kinds = setOf(f.Kinds, func(k domain.StatementKind) domain.StatementKind { return k })
	}
	if f.Source != "" {
		// A URL that does not normalize names no source: it matches
		// nothing, as in the store.
		u, err := domain.NormalizeURL(f.Source)
		if err != nil {
			u = "\x00invalid"
		}
		m.source = u
	}
	if !f.SaidFrom.IsZero() {
		m.from, m.dated = f.SaidFrom.Start(), true
	}
	if !f.SaidTo.IsZero() {
		m.to, m.dated = f.SaidTo.End(), true
	}
	if strings.TrimSpace(f.Search) != "" {
		m.words, m.phrases = domain.ParseSearch(f.Search)
	}
	return m
}

func setOf[T any, K comparable](in []T, key func(T) K) map[K]bool {
	m := make(map[K]bool, len(in))
	for _, v := range in {
		m[key(v)] = true
	}
	return m
}

// filter returns the statements of ss that match, in order. It reads the
// speakers, topics and sources the filter needs in one batch each.
func (m *statementMatcher) filter(ctx context.Context, st domain.Store, ss []*domain.Statement) ([]*domain.Statement, error) {
	ss = slices.DeleteFunc(ss, func(s *domain.Statement) bool { return !m.matchRecord(s) })
	if len(ss) == 0 {
		return ss, nil
	}
	if m.speakers != nil || m.country != nil {
		recs, err := st.SpeakersByID(ctx, distinct(mapSlice(ss, func(s *domain.Statement) domain.ID { return s.SpeakerID })))
		if err != nil {
			return nil, err
		}
		byID := make(map[domain.ID]*domain.Speaker, len(recs))
		for _, sp := range recs {
			if sp != nil {
				byID[sp.ID] = sp
			}
		}
		ss = slices.DeleteFunc(ss, func(s *domain.Statement) bool {
			sp := byID[s.SpeakerID]
			return sp == nil || (m.speakers != nil && !m.speakers[sp.Key]) || (m.country != nil && !m.country[sp.Country])
		})
	}
	if m.topics != nil && len(ss) > 0 {
		var all []domain.ID
		for _, s := range ss {
			all = append(all, s.TopicIDs...)
		}
		in, err := underTopics(ctx, st, m.topics, all)
		if err != nil {
			return nil, err
		}
		ss = slices.DeleteFunc(ss, func(s *domain.Statement) bool {
			return !slices.ContainsFunc(s.TopicIDs, func(id domain.ID) bool { return in[id] })
		})
	}
	if m.source != "" && len(ss) > 0 {
		var all []domain.ID
		for _, s := range ss {
			all = append(all, s.SourceIDs...)
		}
		recs, err := st.SourcesByID(ctx, distinct(all))
		if err != nil {
			return nil, err
		}
		cited := map[domain.ID]bool{}
		for _, src := range recs {
			if src != nil && src.URL == m.source {
				cited[src.ID] = true
			}
		}
		ss = slices.DeleteFunc(ss, func(s *domain.Statement) bool {
			return !slices.ContainsFunc(s.SourceIDs, func(id domain.ID) bool { return cited[id] })
		})
	}
	return ss, nil
}

// matchRecord applies the parts of the filter that need only the statement
// itself.
func (m *statementMatcher) matchRecord(s *domain.Statement) bool {
	if m.kinds != nil && !m.kinds[s.Kind] {
		return false
	}
	if m.dated && !s.SaidOn.Overlaps(m.from, m.to) {
		return false
	}
	if len(m.words) > 0 {
		toks := domain.Tokens(s.Text)
		for _, w := range m.words {
			if !slices.Contains(toks, w) {
				return false
			}
		}
		for _, ph := range m.phrases {
			if !domain.HasPhrase(toks, ph) {
				return false
			}
		}
	}
	return true
}

// underTopics reports which of the topics ids lie under (or are) a topic
// with one of keys, walking up the tree one batched read per level.
func underTopics(ctx context.Context, st domain.Store, keys []string, ids []domain.ID) (map[domain.ID]bool, error) {
	parent := map[domain.ID]domain.ID{}
	key := map[domain.ID]string{}
	for next := distinct(ids); len(next) > 0; {
		recs, err := st.TopicsByID(ctx, next)
		if err != nil {
			return nil, err
		}
		next = nil
		for _, t := range recs {
			if t == nil {
				continue
			}
			parent[t.ID], key[t.ID] = t.ParentID, t.Key
			if _, seen := key[t.ParentID]; t.ParentID != 0 && !seen {
				next = append(next, t.ParentID)
			}
		}
		next = distinct(next)
	}
	in := map[domain.ID]bool{}
	for _, id := range ids {
		// The store rejects cycles; the bound guards against a corrupt
		// tree all the same.
		for at, depth := id, 0; at != 0 && depth < len(key)+1; at, depth = parent[at], depth+1 {
			if slices.Contains(keys, key[at]) {
				in[id] = true
				break
			}
		}
	}
	return in, nil
}

// Errors that end a stream are carried from the subscription's goroutine
// to endOfStream in a holder that trackStreams puts in the operation's
// context: gqlgen ends a stream when its channel closes and has no way to
// send an error with the end.

type streamErrKey struct{}

type streamErr struct {
	mu  sync.Mutex
	err *gqlerror.Error
}

func setStreamError(ctx context.Context, err *gqlerror.Error) {
	if h, ok := ctx.Value(streamErrKey{}).(*streamErr); ok {
		h.mu.Lock()
		h.err = err
		h.mu.Unlock()
	}
}

// trackStreams is the operation interceptor that gives each subscription
// its error holder.
func trackStreams(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if isSubscription(ctx) {
		ctx = context.WithValue(ctx, streamErrKey{}, &streamErr{})
	}
	return next(ctx)
}

// streamEvents is the response interceptor of subscription events: each
// event is resolved with fresh loaders (the loaders of one event must not
// serve stale records to the next, minutes later), and a stream that ends
// with an error sends it as its last event.
func streamEvents(st domain.Store) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if !isSubscription(ctx) {
			return next(ctx)
		}
		resp := next(context.WithValue(ctx, loadersKey{}, &lazyLoaders{store: st}))
		if resp != nil {
			return resp
		}
		h, ok := ctx.Value(streamErrKey{}).(*streamErr)
		if !ok {
			return nil
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.err == nil {
			return nil
		}
		err := h.err
		h.err = nil // sent once; the next call ends the stream
		return &graphql.Response{Errors: gqlerror.List{err}}
	}
}

func isSubscription(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}

// WebSocket settings.
const (
	// wsPingInterval is how often the server pings a graphql-transport-ws
	// client; a client that has not answered within two intervals is
	// disconnected. Legacy graphql-ws clients get a keep-alive message as
	// often.
	wsPingInterval = 15 * time.Second
	// wsInitTimeout bounds the wait for connection_init.
	wsInitTimeout = 10 * time.Second
	// wsWriteTimeout bounds one write to a client: a client that stops
	// reading is disconnected instead of holding a goroutine for ever.
	wsWriteTimeout = 10 * time.Second
)

// websocketTransport serves subscriptions (and queries and mutations) over
// WebSocket, with the graphql-transport-ws protocol or the legacy
// graphql-ws one. Pages of other origins may connect only when the CORS
// allow-list names them: without the check any web page could read the
// API with its visitors' credentials.
func websocketTransport(opts Options) graphql.Transport {
	return webSocketOnly{newWebsocket(opts)}
}

// webSocketOnly is gqlgen's WebSocket transport for WebSocket handshakes
// only. gqlgen's takes every request with an Upgrade header, and curl
// --http2 on an http URL sends "Upgrade: h2c" with an ordinary POST,
// which then failed with 426 instead of being answered.
type webSocketOnly struct{ transport.Websocket }

func (t webSocketOnly) Supports(r *http.Request) bool { return auth.IsWebSocket(r) }

func newWebsocket(opts Options) transport.Websocket {
	accept := websocket.AcceptOptions{}
	for _, o := range opts.AllowedOrigins {
		if o == "*" {
			accept.InsecureSkipVerify = true
			continue
		}
		// An origin with a scheme is matched with its scheme, as the
		// CORS list means it.
		accept.OriginPatterns = append(accept.OriginPatterns, strings.TrimSuffix(o, "/"))
	}
	return transport.Websocket{
		Implementation:        writeTimeoutWebsocket{transport.CoderWebsocketImplementation{AcceptOptions: accept}},
		InitFunc:              wsInit(opts.Authenticate),
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsPingInterval,
		PingPongInterval:      wsPingInterval,
	}
}

// wsInit authenticates a WebSocket connection with the Authorization
// value of its connection_init payload, when the server has an
// authenticator: {"Authorization": "Bearer TOKEN"}, or {"token": "TOKEN"};
// without one, with its handshake's Authorization header. The token is
// looked up again for every operation and every batch of events
// (withRecheck).
func wsInit(authenticate func(context.Context, string) (context.Context, error)) transport.WebsocketInitFunc {
	if authenticate == nil {
		return nil
	}
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		authz := p.Authorization()
		if authz == "" {
			authz = p.GetString("authorization")
		}
		if authz == "" {
			if tok := p.GetString("token"); tok != "" {
				authz = "Bearer " + tok
			}
		}
		if authz == "" {
			authz, _ = ctx.Value(handshakeAuthKey{}).(string)
		}
		ctx, err := authenticate(ctx, authz)
		if err != nil {
			return ctx, nil, err
		}
		if authz != "" {
			ctx = withRecheck(ctx, func() (context.Context, error) { return authenticate(context.Background(), authz) })
		}
		return ctx, nil, nil
	}
}

// writeTimeoutWebsocket accepts WebSocket connections whose writes time
// out after wsWriteTimeout. gqlgen writes with no deadline, so without
// this a client that stops reading would block its connection's writer,
// and the goroutines behind it, until the TCP connection died.
type writeTimeoutWebsocket struct {
	transport.CoderWebsocketImplementation
}

func (i writeTimeoutWebsocket) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.CoderWebsocketImplementation.Accept(hijackWithTimeout{w}, r, o)
	if err != nil || c.Subprotocol() != "graphql-transport-ws" {
		return c, err
	}
	return &noCompleteAfterError{WebsocketConn: c}, nil
}

// noCompleteAfterError drops the complete message that gqlgen sends for
// an operation right after its error message, which it does for a
// document that fails validation: in graphql-transport-ws an error
// message ends the operation, and nothing more may be sent for its id.
// Only a complete that directly follows the error of the same id is
// dropped; gqlgen sends the two from one goroutine, one after the other,
// and the operation id may be used again once they are sent.
type noCompleteAfterError struct {
	transport.WebsocketConn
	mu      sync.Mutex
	errored *string // the id of the last message written, when it was an error
}

func (c *noCompleteAfterError) WriteJSON(v any) error {
	typ, id := wsMessageTypeAndID(v)
	c.mu.Lock()
	after := c.errored != nil && *c.errored == id
	c.errored = nil
	if typ == "error" {
		c.errored = &id
	}
	c.mu.Unlock()
	if typ == "complete" && after {
		return nil
	}
	return c.WebsocketConn.WriteJSON(v)
}

// wsMessageTypeAndID reads the type and id of a message gqlgen writes (a
// struct with string fields Type and ID, or a pointer to one); "" for
// anything else.
func wsMessageTypeAndID(v any) (typ, id string) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return "", ""
	}
	if f := rv.FieldByName("Type"); f.Kind() == reflect.String {
		typ = f.String()
	}
	if f := rv.FieldByName("ID"); f.Kind() == reflect.String {
		id = f.String()
	}
	return typ, id
}

// hijackWithTimeout hands the WebSocket library a connection whose every
// write has a deadline.
type hijackWithTimeout struct{ http.ResponseWriter }

func (h hijackWithTimeout) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	tc := &timeoutConn{Conn: conn}
	// The writer returned by the server writes to the raw connection;
	// nothing is buffered in it once the upgrade response is out.
	return tc, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(tc)), nil
}

type timeoutConn struct{ net.Conn }

func (c *timeoutConn) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
