package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// Schema version 1 stored records as JSON of these types. They are kept to
// migrate such databases to the binary format of version 2.

type v1SpeakerRec struct {
	Key         string      `json:"k"`
	Name        string      `json:"n"`
	Kind        string      `json:"t"`
	Aliases     []string    `json:"a,omitempty"`
	Description string      `json:"d,omitempty"`
	Country     string      `json:"c,omitempty"`
	WikidataID  string      `json:"w,omitempty"`
	Roles       []v1RoleRec `json:"r,omitempty"`
	CreatedAt   time.Time   `json:"ca"`
	UpdatedAt   time.Time   `json:"ua"`
}

type v1RoleRec struct {
	Title string             `json:"t"`
	OrgID domain.ID          `json:"o,omitempty"`
	From  domain.PartialDate `json:"f,omitzero"`
	To    domain.PartialDate `json:"u,omitzero"`
}

type v1TopicRec struct {
	Key         string    `json:"k"`
	Name        string    `json:"n"`
	Description string    `json:"d,omitempty"`
	ParentID    domain.ID `json:"p,omitempty"`
	CreatedAt   time.Time `json:"ca"`
	UpdatedAt   time.Time `json:"ua"`
}

type v1SourceRec struct {
	URL         string    `json:"u"`
	Title       string    `json:"t,omitempty"`
	Publisher   string    `json:"p,omitempty"`
	PublishedAt time.Time `json:"pa,omitzero"`
	CreatedAt   time.Time `json:"ca"`
	UpdatedAt   time.Time `json:"ua"`
}

type v1StatementRec struct {
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

type v1PositionRec struct {
	SpeakerID   domain.ID          `json:"s"`
	TopicID     domain.ID          `json:"t"`
	Stance      string             `json:"st"`
	Summary     string             `json:"m,omitempty"`
	AsOf        domain.PartialDate `json:"a"`
	EvidenceIDs []domain.ID        `json:"e,omitempty"`
	CreatedAt   time.Time          `json:"ca"`
	UpdatedAt   time.Time          `json:"ua"`
}

func decodeV1Speaker(id domain.ID, b []byte) (*domain.Speaker, error) {
	var r v1SpeakerRec
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

func decodeV1Topic(id domain.ID, b []byte) (*domain.Topic, error) {
	var r v1TopicRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode topic %d: %w", id, err)
	}
	return &domain.Topic{ID: id, Key: r.Key, Name: r.Name, Description: r.Description,
		ParentID: r.ParentID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func decodeV1Source(id domain.ID, b []byte) (*domain.Source, error) {
	var r v1SourceRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode source %d: %w", id, err)
	}
	return &domain.Source{ID: id, URL: r.URL, Title: r.Title, Publisher: r.Publisher,
		PublishedAt: r.PublishedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func decodeV1Statement(id domain.ID, b []byte) (*domain.Statement, error) {
	var r v1StatementRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode statement %d: %w", id, err)
	}
	return &domain.Statement{ID: id, ExternalID: r.ExternalID, Text: r.Text,
		Kind: domain.StatementKind(r.Kind), SpeakerID: r.SpeakerID, SaidOn: r.SaidOn,
		DateText: r.DateText, Location: r.Location, Context: r.Context, Language: r.Language,
		TopicIDs: r.TopicIDs, SourceIDs: r.SourceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func decodeV1Position(id domain.ID, b []byte) (*domain.Position, error) {
	var r v1PositionRec
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode position %d: %w", id, err)
	}
	return &domain.Position{ID: id, SpeakerID: r.SpeakerID, TopicID: r.TopicID,
		Stance: domain.Stance(r.Stance), Summary: r.Summary, AsOf: r.AsOf,
		EvidenceIDs: r.EvidenceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func init() { migrations[1] = oneStep(migrateV1RecordsToBinary) }

// migrateV1RecordsToBinary rewrites every record of a version 1 database
// (JSON) in the binary format. Keys and indexes do not change.
func migrateV1RecordsToBinary(tx *bolt.Tx) error {
	type codec struct {
		bucket []byte
		conv   func(id domain.ID, v []byte) ([]byte, error)
	}
	for _, c := range []codec{
		{bSpeakers, func(id domain.ID, v []byte) ([]byte, error) {
			r, err := decodeV1Speaker(id, v)
			return reencode(r, err, encodeSpeaker)
		}},
		{bTopics, func(id domain.ID, v []byte) ([]byte, error) {
			r, err := decodeV1Topic(id, v)
			return reencode(r, err, encodeTopic)
		}},
		{bSources, func(id domain.ID, v []byte) ([]byte, error) {
			r, err := decodeV1Source(id, v)
			return reencode(r, err, encodeSource)
		}},
		{bStatements, func(id domain.ID, v []byte) ([]byte, error) {
			r, err := decodeV1Statement(id, v)
			return reencode(r, err, encodeStatement)
		}},
		{bPositions, func(id domain.ID, v []byte) ([]byte, error) {
			r, err := decodeV1Position(id, v)
			return reencode(r, err, encodePosition)
		}},
	} {
		// Rewrite in chunks: changing a bucket under a live cursor is
		// not safe in bbolt, and a whole bucket's values would not fit
		// in memory at a million statements.
		b := tx.Bucket(c.bucket)
		var from []byte
		for {
			var keys, vals [][]byte
			cur := b.Cursor()
			k, v := cur.First()
			if from != nil {
				k, v = cur.Seek(from)
				if k != nil && string(k) == string(from) {
					k, v = cur.Next()
				}
			}
			for ; k != nil && len(keys) < 10000; k, v = cur.Next() {
				nv, err := c.conv(getID(k), v)
				if err != nil {
					return err
				}
				keys, vals = append(keys, copyBytes(k)), append(vals, nv)
			}
			for i := range keys {
				if err := b.Put(keys[i], vals[i]); err != nil {
					return err
				}
			}
			if len(keys) < 10000 {
				break
			}
			from = keys[len(keys)-1]
		}
	}
	return nil
}

func reencode[T any](r *T, err error, enc func(*T) ([]byte, error)) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return enc(r)
}
