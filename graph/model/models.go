// Package model holds the Go types the GraphQL schema binds to.
//
// The node types here are the API's view of the domain records, built by
// the graph package's converter. References that a list can fetch in one
// batched read (a statement's speaker and topics, a position's speaker and
// topic) are filled in as plain fields, so gqlgen resolves them without a
// per-item resolver; the ids of the rest (sources, evidence, previous
// position, parent topic, role organization) are kept for per-request
// dataloaders. Inputs and payloads are generated into models_gen.go.
package model

import (
	"time"

	"parley/domain"
)

// Node is an object that Query.node can fetch by its global id.
type Node interface {
	IsNode()
}

// Speaker is a speaker as the API shows it.
type Speaker struct {
	ID          ID
	Key         string
	Name        string
	Kind        domain.SpeakerKind
	Aliases     []string
	Description *string
	Country     *string
	WikidataID  *string
	Roles       []*Role
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Role is a time-bounded role of a speaker.
type Role struct {
	Title string
	From  *domain.PartialDate
	To    *domain.PartialDate
	// OrgID is the organization speaker, loaded on demand; 0 for none.
	OrgID domain.ID
}

// Topic is a topic as the API shows it.
type Topic struct {
	ID          ID
	Key         string
	Name        string
	Description *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// ParentID is the parent topic, loaded on demand; 0 for a root.
	ParentID domain.ID
}

// Source is a source as the API shows it.
type Source struct {
	ID          ID
	URL         string
	Title       *string
	Publisher   *string
	PublishedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Statement is a statement as the API shows it, with its speaker, the role
// the speaker held and its topics joined in.
type Statement struct {
	ID          ID
	ExternalID  *string
	Text        string
	Kind        domain.StatementKind
	Speaker     *Speaker
	SpeakerRole *Role
	SaidOn      *domain.PartialDate
	DateText    *string
	Location    *string
	Context     *string
	Language    string
	Topics      []*Topic
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// SourceIDs are loaded on demand.
	SourceIDs []domain.ID
}

// Position is a position as the API shows it, with its speaker and topic
// joined in.
type Position struct {
	ID        ID
	Speaker   *Speaker
	Topic     *Topic
	Stance    domain.Stance
	Summary   *string
	AsOf      domain.PartialDate
	Shift     bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// EvidenceIDs and PreviousID are loaded on demand.
	EvidenceIDs []domain.ID
	PreviousID  domain.ID
}

// IsNode implements Node.
func (*Speaker) IsNode() {}

// IsNode implements Node.
func (*Topic) IsNode() {}

// IsNode implements Node.
func (*Source) IsNode() {}

// IsNode implements Node.
func (*Statement) IsNode() {}

// IsNode implements Node.
func (*Position) IsNode() {}

// PageInfo says where a page lies in its list.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// The connections keep the filter they were listed with, so that the
// totalCount resolver counts the same list, and only when it is asked for.

// SpeakerConnection is a page of speakers.
type SpeakerConnection struct {
	Edges    []*SpeakerEdge
	PageInfo *PageInfo
	Filter   domain.SpeakerFilter
}

// SpeakerEdge is a speaker and its cursor.
type SpeakerEdge struct {
	Cursor string
	Node   *Speaker
}

// StatementConnection is a page of statements.
type StatementConnection struct {
	Edges    []*StatementEdge
	PageInfo *PageInfo
	Filter   domain.StatementFilter
}

// StatementEdge is a statement and its cursor.
type StatementEdge struct {
	Cursor string
	Node   *Statement
}

// TopicConnection is a page of topics.
type TopicConnection struct {
	Edges    []*TopicEdge
	PageInfo *PageInfo
	Filter   domain.TopicFilter
}

// TopicEdge is a topic and its cursor.
type TopicEdge struct {
	Cursor string
	Node   *Topic
}

// SourceConnection is a page of sources.
type SourceConnection struct {
	Edges    []*SourceEdge
	PageInfo *PageInfo
}

// SourceEdge is a source and its cursor.
type SourceEdge struct {
	Cursor string
	Node   *Source
}

// PositionConnection is a page of positions.
type PositionConnection struct {
	Edges    []*PositionEdge
	PageInfo *PageInfo
	Filter   domain.PositionFilter
}

// PositionEdge is a position and its cursor.
type PositionEdge struct {
	Cursor string
	Node   *Position
}
