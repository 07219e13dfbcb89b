package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"parley/domain"
)

// The update inputs are patches. Each field is an Omittable so that a
// field left out (unchanged) differs from an explicit null (cleared, or
// rejected for a field that cannot be empty); generated input structs
// cannot tell the two apart.

// UpdateSpeakerInput patches a speaker.
type UpdateSpeakerInput struct {
	Key         graphql.Omittable[*string]
	Name        graphql.Omittable[*string]
	Kind        graphql.Omittable[*domain.SpeakerKind]
	Aliases     graphql.Omittable[[]string]
	Description graphql.Omittable[*string]
	Country     graphql.Omittable[*string]
	WikidataID  graphql.Omittable[*string]
	Roles       graphql.Omittable[[]*RoleInput]
}

// UpdateTopicInput patches a topic.
type UpdateTopicInput struct {
	Key         graphql.Omittable[*string]
	Name        graphql.Omittable[*string]
	Description graphql.Omittable[*string]
	Parent      graphql.Omittable[*string]
}

// UpdateSourceInput patches a source.
type UpdateSourceInput struct {
	URL         graphql.Omittable[*string]
	Title       graphql.Omittable[*string]
	Publisher   graphql.Omittable[*string]
	PublishedAt graphql.Omittable[*time.Time]
}

// UpdateStatementInput patches a statement.
type UpdateStatementInput struct {
	ExternalID graphql.Omittable[*string]
	Text       graphql.Omittable[*string]
	Kind       graphql.Omittable[*domain.StatementKind]
	Speaker    graphql.Omittable[*string]
	SaidOn     graphql.Omittable[*domain.PartialDate]
	DateText   graphql.Omittable[*string]
	Location   graphql.Omittable[*string]
	Context    graphql.Omittable[*string]
	Language   graphql.Omittable[*string]
	Topics     graphql.Omittable[[]string]
	Sources    graphql.Omittable[[]string]
}

// UpdatePositionInput patches a position.
type UpdatePositionInput struct {
	Speaker  graphql.Omittable[*string]
	Topic    graphql.Omittable[*string]
	Stance   graphql.Omittable[*domain.Stance]
	Summary  graphql.Omittable[*string]
	AsOf     graphql.Omittable[*domain.PartialDate]
	Evidence graphql.Omittable[[]ID]
}

// RoleInput is a role in a speaker input. It is written by hand because
// the hand-written patch types refer to it, and generation removes the
// generated models before it loads this package.
type RoleInput struct {
	Title        string
	Organization *string
	From         *domain.PartialDate
	To           *domain.PartialDate
}
