package store

import (
	"encoding/json"
	"fmt"
	"time"

	"parley/domain"
)

// Records are stored as JSON of these types rather than of the domain
// types, so that the on-disk format is explicit, versioned with the schema,
// and never changes by accident when a domain type gains a field.

type speakerRec struct {
	Key         string    `json:"k"`
	Name        string    `json:"n"`
	Kind        string    `json:"t"`
	Aliases     []string  `json:"a,omitempty"`
	Description string    `json:"d,omitempty"`
	Country     string    `json:"c,omitempty"`
	WikidataID  string    `json:"w,omitempty"`
	Roles       []roleRec `json:"r,omitempty"`
	CreatedAt   time.Time `json:"ca"`
	UpdatedAt   time.Time `json:"ua"`
}

type roleRec struct {
	Title string             `json:"t"`
	OrgID domain.ID          `json:"o,omitempty"`
	From  domain.PartialDate `json:"f,omitzero"`
	To    domain.PartialDate `json:"u,omitzero"`
}

type topicRec struct {
	Key         string    `json:"k"`
	Name        string    `json:"n"`
	Description string    `json:"d,omitempty"`
	ParentID    domain.ID `json:"p,omitempty"`
	CreatedAt   time.Time `json:"ca"`
	UpdatedAt   time.Time `json:"ua"`
}

type sourceRec struct {
	URL         string    `json:"u"`
	Title       string    `json:"t,omitempty"`
	Publisher   string    `json:"p,omitempty"`
	PublishedAt time.Time `json:"pa,omitzero"`
	CreatedAt   time.Time `json:"ca"`
	UpdatedAt   time.Time `json:"ua"`
}

type statementRec struct {
	ExternalID string             `json:"x,omitempty"`
	Text       string             `json:"t"`
	Kind       string             `json:"k"`
	SpeakerID  domain.ID          `json:"s"`
	SaidOn     domain.PartialDate `json:"d,omitzero"`
	DateText   string             `json:"dt,omitempty"`
	Location   string             `json:"l,omitempty"`
	Context    string             `json:"c,omitempty"`
	Language   string             `json:"g,omitempty"`
	TopicIDs   []domain.ID        `json:"tp,omitempty"`
	SourceIDs  []domain.ID        `json:"so,omitempty"`
	CreatedAt  time.Time          `json:"ca"`
	UpdatedAt  time.Time          `json:"ua"`
}

type positionRec struct {
	SpeakerID   domain.ID          `json:"s"`
	TopicID     domain.ID          `json:"t"`
	Stance      string             `json:"st"`
	Summary     string             `json:"m,omitempty"`
	AsOf        domain.PartialDate `json:"a"`
	EvidenceIDs []domain.ID        `json:"e,omitempty"`
	CreatedAt   time.Time          `json:"ca"`
	UpdatedAt   time.Time          `json:"ua"`
}

func encodeSpeaker(s *domain.Speaker) ([]byte, error) {
	r := speakerRec{Key: s.Key, Name: s.Name, Kind: string(s.Kind), Aliases: s.Aliases,
		Description: s.Description, Country: s.Country, WikidataID: s.WikidataID,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	for _, ro := range s.Roles {
		r.Roles = append(r.Roles, roleRec{Title: ro.Title, OrgID: ro.OrgID, From: ro.From, To: ro.To})
	}
	return json.Marshal(&r)
}

func decodeSpeaker(id domain.ID, b []byte) (*domain.Speaker, error) {
	var r speakerRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode speaker %d: %w", id, err)
	}
	s := &domain.Speaker{ID: id, Key: r.Key, Name: r.Name, Kind: domain.SpeakerKind(r.Kind),
		Aliases: r.Aliases, Description: r.Description, Country: r.Country,
		WikidataID: r.WikidataID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, ro := range r.Roles {
		s.Roles = append(s.Roles, domain.Role{Title: ro.Title, OrgID: ro.OrgID, From: ro.From, To: ro.To})
	}
	return s, nil
}

func encodeTopic(t *domain.Topic) ([]byte, error) {
	return json.Marshal(&topicRec{Key: t.Key, Name: t.Name, Description: t.Description,
		ParentID: t.ParentID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt})
}

func decodeTopic(id domain.ID, b []byte) (*domain.Topic, error) {
	var r topicRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode topic %d: %w", id, err)
	}
	return &domain.Topic{ID: id, Key: r.Key, Name: r.Name, Description: r.Description,
		ParentID: r.ParentID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func encodeSource(s *domain.Source) ([]byte, error) {
	return json.Marshal(&sourceRec{URL: s.URL, Title: s.Title, Publisher: s.Publisher,
		PublishedAt: s.PublishedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
}

func decodeSource(id domain.ID, b []byte) (*domain.Source, error) {
	var r sourceRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode source %d: %w", id, err)
	}
	return &domain.Source{ID: id, URL: r.URL, Title: r.Title, Publisher: r.Publisher,
		PublishedAt: r.PublishedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func encodeStatement(s *domain.Statement) ([]byte, error) {
	return json.Marshal(&statementRec{ExternalID: s.ExternalID, Text: s.Text, Kind: string(s.Kind),
		SpeakerID: s.SpeakerID, SaidOn: s.SaidOn, DateText: s.DateText, Location: s.Location,
		Context: s.Context, Language: s.Language, TopicIDs: s.TopicIDs, SourceIDs: s.SourceIDs,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
}

func decodeStatement(id domain.ID, b []byte) (*domain.Statement, error) {
	var r statementRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode statement %d: %w", id, err)
	}
	return &domain.Statement{ID: id, ExternalID: r.ExternalID, Text: r.Text,
		Kind: domain.StatementKind(r.Kind), SpeakerID: r.SpeakerID, SaidOn: r.SaidOn,
		DateText: r.DateText, Location: r.Location, Context: r.Context, Language: r.Language,
		TopicIDs: r.TopicIDs, SourceIDs: r.SourceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func encodePosition(p *domain.Position) ([]byte, error) {
	return json.Marshal(&positionRec{SpeakerID: p.SpeakerID, TopicID: p.TopicID, Stance: string(p.Stance),
		Summary: p.Summary, AsOf: p.AsOf, EvidenceIDs: p.EvidenceIDs,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt})
}

func decodePosition(id domain.ID, b []byte) (*domain.Position, error) {
	var r positionRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode position %d: %w", id, err)
	}
	return &domain.Position{ID: id, SpeakerID: r.SpeakerID, TopicID: r.TopicID,
		Stance: domain.Stance(r.Stance), Summary: r.Summary, AsOf: r.AsOf,
		EvidenceIDs: r.EvidenceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}
