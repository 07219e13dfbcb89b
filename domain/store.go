package domain

import "context"

// Store is Parley's persistence. Every method runs in one transaction:
// a write either happens whole, with its indexes, or not at all, and a
// failed write returns an *Error with a code.
//
// Implementations must pass the conformance suite in store/storetest
// unchanged.
type Store interface {
	Speakers
	Topics
	Sources
	Statements
	Positions

	// Update runs fn in one write transaction: everything fn writes
	// commits together when it returns nil, and nothing does when it
	// returns an error (which Update returns). Services that compose
	// record operations, such as the bulk importer, use it; fn must not
	// keep tx after it returns, nor use it from other goroutines.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// Verify recomputes every index from the records and reports drift.
	Verify(ctx context.Context) (*VerifyReport, error)
	// Close releases the store. Calls after Close fail.
	Close() error
}

// Page asks for a slice of an ordered list, Relay style: First items after
// the After cursor, or Last items before the Before cursor. Cursors are
// opaque to callers; the store makes and reads them.
type Page struct {
	First  int
	After  []byte
	Last   int
	Before []byte
}

// Limits of a page.
const (
	MinPageSize     = 1
	MaxPageSize     = 100
	DefaultPageSize = 20
)

// Validate checks the Relay rules: First and Last are 0 (not given) or
// within 1..MaxPageSize, and not both given.
func (p Page) Validate() error {
	switch {
	case p.First != 0 && p.Last != 0:
		return Errorf(CodeBadUserInput, "give first or last, not both")
	case p.First < 0 || p.First > MaxPageSize:
		return FieldErrorf([]string{"first"}, "must be between %d and %d", MinPageSize, MaxPageSize)
	case p.Last < 0 || p.Last > MaxPageSize:
		return FieldErrorf([]string{"last"}, "must be between %d and %d", MinPageSize, MaxPageSize)
	}
	return nil
}

// Size is the number of items asked for, DefaultPageSize when neither
// First nor Last is given.
func (p Page) Size() int {
	switch {
	case p.First > 0:
		return p.First
	case p.Last > 0:
		return p.Last
	}
	return DefaultPageSize
}

// Backward reports whether the page is taken from the end (Last/Before).
func (p Page) Backward() bool { return p.Last > 0 || (p.First == 0 && p.Before != nil) }

// PageInfo describes where a returned page lies in the whole list.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
}

// Result is one page of a list: the items in order, each item's cursor,
// and the page's place in the list.
type Result[T any] struct {
	Items   []T
	Cursors [][]byte
	PageInfo
}

// Speakers stores speakers.
type Speakers interface {
	Speaker(ctx context.Context, id ID) (*Speaker, error)
	SpeakerByKey(ctx context.Context, key string) (*Speaker, error)
	// SpeakersByID returns the speakers with the given ids, in the same
	// order; missing ones are nil. It is one read for a whole page. The
	// records may be shared with other callers (a store may cache them):
	// read them, never modify them.
	SpeakersByID(ctx context.Context, ids []ID) ([]*Speaker, error)
	ListSpeakers(ctx context.Context, f SpeakerFilter, p Page) (*Result[*Speaker], error)
	CountSpeakers(ctx context.Context, f SpeakerFilter) (int, error)
	CreateSpeaker(ctx context.Context, s *Speaker) (*Speaker, error)
	// UpdateSpeaker applies fn to the stored speaker inside the write
	// transaction and stores the result.
	UpdateSpeaker(ctx context.Context, id ID, fn func(*Speaker) error) (*Speaker, error)
	// DeleteSpeaker fails with CONFLICT while statements, positions or
	// other speakers' roles refer to the speaker, unless cascade is set:
	// then those statements and positions are deleted and the roles
	// removed.
	DeleteSpeaker(ctx context.Context, id ID, cascade bool) error
}

// SpeakerFilter selects speakers; empty fields match everything.
type SpeakerFilter struct {
	Kinds     []SpeakerKind
	Countries []string
	// Search matches every word against name, key and aliases.
	Search string
}

// Topics stores the topic tree.
type Topics interface {
	Topic(ctx context.Context, id ID) (*Topic, error)
	TopicByKey(ctx context.Context, key string) (*Topic, error)
	// TopicsByID is SpeakersByID for topics, shared records included.
	TopicsByID(ctx context.Context, ids []ID) ([]*Topic, error)
	// ListTopics lists topics by key; with a parent, its direct children.
	ListTopics(ctx context.Context, f TopicFilter, p Page) (*Result[*Topic], error)
	CountTopics(ctx context.Context, f TopicFilter) (int, error)
	CreateTopic(ctx context.Context, t *Topic) (*Topic, error)
	// UpdateTopic rejects a parent that would make a cycle.
	UpdateTopic(ctx context.Context, id ID, fn func(*Topic) error) (*Topic, error)
	// DeleteTopic fails with CONFLICT while subtopics, statements or
	// positions refer to the topic, unless cascade is set: then subtopics
	// are deleted in turn, statements lose the topic, positions on it are
	// deleted.
	DeleteTopic(ctx context.Context, id ID, cascade bool) error
}

// TopicFilter selects topics.
type TopicFilter struct {
	ParentID ID   // 0: any
	RootOnly bool // only topics without a parent
}

// Sources stores where statements were reported.
type Sources interface {
	Source(ctx context.Context, id ID) (*Source, error)
	// SourceByURL finds a source by its URL, normalized first.
	SourceByURL(ctx context.Context, url string) (*Source, error)
	SourcesByID(ctx context.Context, ids []ID) ([]*Source, error)
	ListSources(ctx context.Context, p Page) (*Result[*Source], error)
	CountSources(ctx context.Context) (int, error)
	CreateSource(ctx context.Context, s *Source) (*Source, error)
	UpdateSource(ctx context.Context, id ID, fn func(*Source) error) (*Source, error)
	// DeleteSource fails with CONFLICT while statements cite the source,
	// unless cascade is set: then they stop citing it.
	DeleteSource(ctx context.Context, id ID, cascade bool) error
}

// Statements stores statements and answers the statement queries.
type Statements interface {
	Statement(ctx context.Context, id ID) (*Statement, error)
	StatementsByID(ctx context.Context, ids []ID) ([]*Statement, error)
	ListStatements(ctx context.Context, f StatementFilter, o StatementOrder, p Page) (*Result[*Statement], error)
	CountStatements(ctx context.Context, f StatementFilter) (int, error)
	CreateStatement(ctx context.Context, s *Statement) (*Statement, error)
	UpdateStatement(ctx context.Context, id ID, fn func(*Statement) error) (*Statement, error)
	// DeleteStatement fails with CONFLICT while positions cite it as
	// evidence, unless cascade is set: then they stop citing it.
	DeleteStatement(ctx context.Context, id ID, cascade bool) error
	// ScanStatements returns up to limit statements with ids above after,
	// in id order: the export walks the database with it.
	ScanStatements(ctx context.Context, after ID, limit int) ([]*Statement, error)
}

// StatementOrder orders statement lists.
type StatementOrder string

// The statement orders. Date order sorts by the start of saidOn, then the
// narrower interval first, then by id; unknown dates sort before every
// known date.
const (
	SaidOnDesc    StatementOrder = "SAID_ON_DESC"
	SaidOnAsc     StatementOrder = "SAID_ON_ASC"
	CreatedAtDesc StatementOrder = "CREATED_AT_DESC"
)

// StatementFilter selects statements. Fields combine with AND; the values
// within one field with OR. Unknown keys match nothing.
type StatementFilter struct {
	Speakers  []string // speaker keys
	Topics    []string // topic keys; subtopics included
	Countries []string // the speaker's country
	Kinds     []StatementKind
	// SaidFrom and SaidTo bound saidOn; a statement matches when its
	// interval overlaps [SaidFrom.Start, SaidTo.End]. An open bound is
	// zero. Statements with an unknown date never match a date bound.
	SaidFrom PartialDate
	SaidTo   PartialDate
	Source   string // a source URL
	// Search is full-text: every word must occur in the text; a quoted
	// "phrase" must occur as consecutive words.
	Search string
}

// Validate checks what a filter can get wrong on its own: a kind that
// is not one, and a date range that ends before it starts, which could
// only ever match nothing and is far more likely two dates swapped.
func (f StatementFilter) Validate() error {
	for _, k := range f.Kinds {
		if !k.Valid() {
			return FieldErrorf([]string{"kinds"}, "%q is not one of QUOTE, PARAPHRASE", k)
		}
	}
	if !f.SaidFrom.IsZero() && !f.SaidTo.IsZero() && f.SaidTo.End() < f.SaidFrom.Start() {
		return FieldErrorf([]string{"saidTo"}, "%s ends before saidFrom %s starts: swap them, or leave one open", f.SaidTo, f.SaidFrom)
	}
	return nil
}

// Positions stores positions and answers stance questions.
type Positions interface {
	Position(ctx context.Context, id ID) (*Position, error)
	PositionsByID(ctx context.Context, ids []ID) ([]*Position, error)
	// ListPositions lists positions by asOf, newest first.
	ListPositions(ctx context.Context, f PositionFilter, p Page) (*Result[*Position], error)
	CountPositions(ctx context.Context, f PositionFilter) (int, error)
	// StanceMap returns, for the topic and each speaker with a position on
	// it, the speaker's latest position whose asOf starts on or before
	// the day, ordered by speaker key.
	StanceMap(ctx context.Context, topicKey string, asOf Day) ([]*Position, error)
	CreatePosition(ctx context.Context, ps *Position) (*Position, error)
	UpdatePosition(ctx context.Context, id ID, fn func(*Position) error) (*Position, error)
	DeletePosition(ctx context.Context, id ID) error
	// PositionsCiting returns, for each statement id, the positions that
	// cite it as evidence, ordered by id.
	PositionsCiting(ctx context.Context, statementIDs []ID) ([][]*Position, error)
}

// Tx is a write transaction's view of the store. Its Put methods do what
// the Store's Create and Update methods do (validate, enforce unique and
// referential constraints, maintain indexes, set timestamps) inside the
// caller's transaction: a record with ID 0 is created and gets its ID, any
// other replaces the stored one. Lookups see the transaction's own writes.
// Lookups of a missing record return a NOT_FOUND *Error.
type Tx interface {
	Speaker(id ID) (*Speaker, error)
	SpeakerByKey(key string) (*Speaker, error)
	PutSpeaker(s *Speaker) error

	Topic(id ID) (*Topic, error)
	TopicByKey(key string) (*Topic, error)
	PutTopic(t *Topic) error

	Source(id ID) (*Source, error)
	SourceByURL(url string) (*Source, error)
	PutSource(s *Source) error

	Statement(id ID) (*Statement, error)
	StatementByExternalID(externalID string) (*Statement, error)
	// StatementByNaturalKey finds the statement with the same speaker,
	// normalized text and saidOn as s.
	StatementByNaturalKey(s *Statement) (*Statement, error)
	PutStatement(s *Statement) error

	// PositionAt finds the speaker's position on the topic with exactly
	// that asOf: (speaker, topic, asOf) is unique.
	PositionAt(speakerID, topicID ID, asOf PartialDate) (*Position, error)
	// PositionsCiting returns the positions citing the statement.
	PositionsCiting(statementID ID) ([]*Position, error)
	PutPosition(ps *Position) error
}

// PositionFilter selects positions.
type PositionFilter struct {
	Speakers []string // speaker keys
	Topics   []string // topic keys; subtopics included
	Stances  []Stance
	// ShiftsOnly keeps positions whose stance differs from the speaker's
	// previous one on the topic.
	ShiftsOnly bool
}

// VerifyReport lists index entries that disagree with the records.
type VerifyReport struct {
	Records  int      // records checked
	Problems []string // empty when the store is consistent
}

// OK reports whether no drift was found.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }
