package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestMigrateV1 writes a database, turns it back into a version 1 one (JSON
// records), and checks that opening it migrates every record losslessly.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kremlin", Kind: domain.SpeakerOrganization, Country: "RU"})
	peskov, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Dmitry Peskov", Kind: domain.SpeakerPerson, Aliases: []string{"Peskov"},
		Roles: []domain.Role{{Title: "Kremlin spokesman", OrgID: sp.ID, From: domain.MustParsePartialDate("2012")}}})
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := s.CreateTopic(ctx, &domain.Topic{Name: "U.S. peace plan"})
	src, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/a"})
	st, err := s.CreateStatement(ctx, &domain.Statement{Text: "The meeting is on Tuesday", Kind: domain.StatementParaphrase, SpeakerID: peskov.ID,
		SaidOn: domain.MustParsePartialDate("2025-11-24/2025-12-01"), TopicIDs: []domain.ID{tp.ID}, SourceIDs: []domain.ID{src.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.CreatePosition(ctx, &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceMixed,
		AsOf: domain.MustParsePartialDate("2025-11"), EvidenceIDs: []domain.ID{st.ID}})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{must(s.Speaker(ctx, sp.ID)), must(s.Speaker(ctx, peskov.ID)), must(s.Topic(ctx, tp.ID)), must(s.Source(ctx, src.ID)), must(s.Statement(ctx, st.ID)), must(s.Position(ctx, ps.ID))}
	s.Close()

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, rec := range want {
			var bucket []byte
			var id domain.ID
			var v1 any
			switch r := rec.(type) {
			case *domain.Speaker:
				bucket, id = bSpeakers, r.ID
				rec := v1SpeakerRec{Key: r.Key, Name: r.Name, Kind: string(r.Kind), Aliases: r.Aliases, Country: r.Country, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
				for _, ro := range r.Roles {
					rec.Roles = append(rec.Roles, v1RoleRec{Title: ro.Title, OrgID: ro.OrgID, From: ro.From, To: ro.To})
				}
				v1 = rec
			case *domain.Topic:
				bucket, id = bTopics, r.ID
				v1 = v1TopicRec{Key: r.Key, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Source:
				bucket, id = bSources, r.ID
				v1 = v1SourceRec{URL: r.URL, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Statement:
				bucket, id = bStatements, r.ID
				v1 = v1StatementRec{Text: r.Text, Kind: string(r.Kind), SpeakerID: r.SpeakerID, SaidOn: r.SaidOn, Language: r.Language,
					TopicIDs: r.TopicIDs, SourceIDs: r.SourceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			case *domain.Position:
				bucket, id = bPositions, r.ID
				v1 = v1PositionRec{SpeakerID: r.SpeakerID, TopicID: r.TopicID, Stance: string(r.Stance), AsOf: r.AsOf,
					EvidenceIDs: r.EvidenceIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			}
			b, err := json.Marshal(v1)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucket).Put(idKey(id), b); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(mSchema, binary.BigEndian.AppendUint32(nil, 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer s.Close()
	got := []any{must(s.Speaker(ctx, sp.ID)), must(s.Speaker(ctx, peskov.ID)), must(s.Topic(ctx, tp.ID)), must(s.Source(ctx, src.ID)), must(s.Statement(ctx, st.ID)), must(s.Position(ctx, ps.ID))}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("record %d after migration:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify after migration: %v %v", err, rep)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
