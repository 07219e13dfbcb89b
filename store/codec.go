package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"parley/domain"
)

// Records are stored in a compact binary form of their own rather than as
// JSON of the domain types: decoding is on the path of every page a query
// returns, and JSON spent most of a page's store time parsing field names,
// timestamps and dates. The form is explicit and versioned with the schema
// (SchemaVersion), so a domain type gaining a field never changes it by
// accident.
//
// Every record starts with its format byte, then its fields in a fixed
// order: strings and lists as a uvarint length then their items, ids and
// counts as uvarints, times as varint Unix nanoseconds (0 for none), partial
// dates as a precision byte (0 for unknown) then two varint days.

const recordFormat = 1

type enc struct{ b []byte }

func newEnc() *enc { return &enc{b: append(make([]byte, 0, 256), recordFormat)} }

func (e *enc) str(s string)    { e.b = binary.AppendUvarint(e.b, uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) uint(n uint64)   { e.b = binary.AppendUvarint(e.b, n) }
func (e *enc) id(id domain.ID) { e.uint(uint64(id)) }

// A time is nanoseconds since 1970 (the domain keeps publication times in
// that range), 0 for no time, and the sentinel epochMark for 1970-01-01
// itself, which 0 cannot mean. epochMark is 1677-09-21T00:12:43Z in
// nanoseconds, before any time the domain accepts, so no record written
// before the mark existed holds it.
func (e *enc) time(t time.Time) {
	switch {
	case t.IsZero():
		e.b = binary.AppendVarint(e.b, 0)
	case t.UnixNano() == 0:
		e.b = binary.AppendVarint(e.b, epochMark)
	default:
		e.b = binary.AppendVarint(e.b, t.UnixNano())
	}
}

// epochMark encodes 1970-01-01T00:00:00Z.
const epochMark = math.MinInt64

func (e *enc) ids(ids []domain.ID) {
	e.uint(uint64(len(ids)))
	for _, id := range ids {
		e.id(id)
	}
}

func (e *enc) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

var precCodes = map[domain.Precision]byte{domain.PrecisionDay: 1, domain.PrecisionMonth: 2, domain.PrecisionYear: 3, domain.PrecisionInterval: 4}

func (e *enc) date(p domain.PartialDate) {
	if p.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, precCodes[p.Precision()])
	e.b = binary.AppendVarint(e.b, int64(p.Start()))
	e.b = binary.AppendVarint(e.b, int64(p.End()))
}

// dec reads what enc wrote; the first error sticks and later reads return
// zero values, so decoders check once at the end.
//
// The record is copied out of bbolt's memory map once, as one string, and
// the strings read are substrings of it: one allocation per record instead
// of one per field. The copy lives as long as any of its fields does.
type dec struct {
	b   []byte // what is left to read
	s   string // the copy of the whole record after its format byte
	err error
}

var errCorrupt = errors.New("record is truncated or malformed")

func newDec(b []byte) dec {
	d := dec{b: b}
	if len(b) == 0 || b[0] != recordFormat {
		d.err = fmt.Errorf("unknown record format")
		return d
	}
	d.b = b[1:]
	d.s = string(d.b)
	return d
}

// ownedDec is newDec for a record that is a copy already: s, viewed as
// bytes b (the record cache's copies), which nothing modifies.
func ownedDec(b []byte, s string) dec {
	if len(b) == 0 || b[0] != recordFormat {
		return dec{b: b, err: fmt.Errorf("unknown record format")}
	}
	return dec{b: b[1:], s: s[1:]}
}

func (d *dec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) int() int64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *dec) str() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	// A substring of the copy: values must not point into bbolt's
	// memory map.
	at := len(d.s) - len(d.b)
	d.b = d.b[n:]
	return d.s[at : at+int(n)]
}

func (d *dec) id() domain.ID { return domain.ID(d.uint()) }

func (d *dec) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) { // every item takes at least a byte
		d.err = errCorrupt
		return 0
	}
	return int(n)
}

func (d *dec) ids() []domain.ID {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]domain.ID, n)
	for i := range out {
		out[i] = d.id()
	}
	return out
}

func (d *dec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *dec) time() time.Time {
	switch n := d.int(); n {
	case 0:
		return time.Time{}
	case epochMark:
		return time.Unix(0, 0).UTC()
	default:
		return time.Unix(0, n).UTC()
	}
}

func (d *dec) date() domain.PartialDate {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return domain.PartialDate{}
	}
	code := d.b[0]
	d.b = d.b[1:]
	if code == 0 {
		return domain.PartialDate{}
	}
	start, end := d.int(), d.int()
	if d.err != nil || start < math.MinInt32 || end > math.MaxInt32 {
		d.err = errCorrupt
		return domain.PartialDate{}
	}
	p, err := domain.RestorePartialDate(domain.Day(start), domain.Day(end), precisionOf(code))
	if err != nil {
		d.err = err
	}
	return p
}

func precisionOf(code byte) domain.Precision {
	for p, c := range precCodes {
		if c == code {
			return p
		}
	}
	return ""
}

func (d *dec) done(what string, id domain.ID) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("decode %s %d: %w", what, id, d.err)
	}
	return nil
}

func encodeSpeaker(s *domain.Speaker) ([]byte, error) {
	e := newEnc()
	e.str(s.Key)
	e.str(s.Name)
	e.str(string(s.Kind))
	e.strs(s.Aliases)
	e.str(s.Description)
	e.str(s.Country)
	e.str(s.WikidataID)
	e.uint(uint64(len(s.Roles)))
	for _, r := range s.Roles {
		e.str(r.Title)
		e.id(r.OrgID)
		e.date(r.From)
		e.date(r.To)
	}
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	return e.b, nil
}

func decodeSpeaker(id domain.ID, b []byte) (*domain.Speaker, error) {
	d := newDec(b)
	s := &domain.Speaker{ID: id, Key: d.str(), Name: d.str(), Kind: domain.SpeakerKind(d.str()),
		Aliases: d.strs(), Description: d.str(), Country: d.str(), WikidataID: d.str()}
	if n := d.count(); n > 0 {
		s.Roles = make([]domain.Role, n)
		for i := range s.Roles {
			s.Roles[i] = domain.Role{Title: d.str(), OrgID: d.id(), From: d.date(), To: d.date()}
		}
	}
	s.CreatedAt, s.UpdatedAt = d.time(), d.time()
	return s, d.done("speaker", id)
}

func encodeTopic(t *domain.Topic) ([]byte, error) {
	e := newEnc()
	e.str(t.Key)
	e.str(t.Name)
	e.str(t.Description)
	e.id(t.ParentID)
	e.time(t.CreatedAt)
	e.time(t.UpdatedAt)
	return e.b, nil
}

func decodeTopic(id domain.ID, b []byte) (*domain.Topic, error) {
	d := newDec(b)
	t := &domain.Topic{ID: id, Key: d.str(), Name: d.str(), Description: d.str(), ParentID: d.id(),
		CreatedAt: d.time(), UpdatedAt: d.time()}
	return t, d.done("topic", id)
}

func encodeSource(s *domain.Source) ([]byte, error) {
	e := newEnc()
	e.str(s.URL)
	e.str(s.Title)
	e.str(s.Publisher)
	e.time(s.PublishedAt)
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	return e.b, nil
}

func decodeSource(id domain.ID, b []byte) (*domain.Source, error) {
	d := newDec(b)
	s := &domain.Source{ID: id, URL: d.str(), Title: d.str(), Publisher: d.str(), PublishedAt: d.time(),
		CreatedAt: d.time(), UpdatedAt: d.time()}
	return s, d.done("source", id)
}

func encodeStatement(s *domain.Statement) ([]byte, error) {
	e := newEnc()
	e.str(s.ExternalID)
	e.str(s.Text)
	e.str(string(s.Kind))
	e.id(s.SpeakerID)
	e.date(s.SaidOn)
	e.str(s.DateText)
	e.str(s.Location)
	e.str(s.Context)
	e.str(s.Language)
	e.ids(s.TopicIDs)
	e.ids(s.SourceIDs)
	e.time(s.CreatedAt)
	e.time(s.UpdatedAt)
	return e.b, nil
}

func decodeStatement(id domain.ID, b []byte) (*domain.Statement, error) {
	return decodeStatementFrom(id, newDec(b))
}

func decodeStatementFrom(id domain.ID, d dec) (*domain.Statement, error) {
	s := &domain.Statement{ID: id, ExternalID: d.str(), Text: d.str(), Kind: domain.StatementKind(d.str()),
		SpeakerID: d.id(), SaidOn: d.date(), DateText: d.str(), Location: d.str(), Context: d.str(),
		Language: d.str(), TopicIDs: d.ids(), SourceIDs: d.ids(), CreatedAt: d.time(), UpdatedAt: d.time()}
	return s, d.done("statement", id)
}

func encodePosition(p *domain.Position) ([]byte, error) {
	e := newEnc()
	e.id(p.SpeakerID)
	e.id(p.TopicID)
	e.str(string(p.Stance))
	e.str(p.Summary)
	e.date(p.AsOf)
	e.ids(p.EvidenceIDs)
	e.time(p.CreatedAt)
	e.time(p.UpdatedAt)
	return e.b, nil
}

func decodePosition(id domain.ID, b []byte) (*domain.Position, error) {
	d := newDec(b)
	p := &domain.Position{ID: id, SpeakerID: d.id(), TopicID: d.id(), Stance: domain.Stance(d.str()),
		Summary: d.str(), AsOf: d.date(), EvidenceIDs: d.ids(), CreatedAt: d.time(), UpdatedAt: d.time()}
	return p, d.done("position", id)
}
