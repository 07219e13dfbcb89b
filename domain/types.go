package domain

import "time"

// ID identifies a record within its type. IDs are assigned by the store,
// start at 1 and are never reused; 0 means "none".
type ID uint64

// SpeakerKind says what sort of speaker a Speaker is.
type SpeakerKind string

// The kinds of speaker.
const (
	SpeakerPerson       SpeakerKind = "PERSON"
	SpeakerOrganization SpeakerKind = "ORGANIZATION"
	SpeakerCountry      SpeakerKind = "COUNTRY"
)

// Valid reports whether k is one of the defined kinds.
func (k SpeakerKind) Valid() bool {
	return k == SpeakerPerson || k == SpeakerOrganization || k == SpeakerCountry
}

// StatementKind says whether a statement is verbatim or reported speech.
type StatementKind string

// The kinds of statement.
const (
	StatementQuote      StatementKind = "QUOTE"
	StatementParaphrase StatementKind = "PARAPHRASE"
)

// Valid reports whether k is one of the defined kinds.
func (k StatementKind) Valid() bool { return k == StatementQuote || k == StatementParaphrase }

// Stance is a speaker's attitude to a topic.
type Stance string

// The stances a position can take. MIXED covers conditional or ambivalent
// positions.
const (
	StanceSupports Stance = "SUPPORTS"
	StanceOpposes  Stance = "OPPOSES"
	StanceNeutral  Stance = "NEUTRAL"
	StanceMixed    Stance = "MIXED"
)

// Valid reports whether s is one of the defined stances.
func (s Stance) Valid() bool {
	return s == StanceSupports || s == StanceOpposes || s == StanceNeutral || s == StanceMixed
}

// Speaker is anyone or anything that speaks or holds a position: a person,
// an organization (the Kremlin, the EU) or a country.
type Speaker struct {
	ID          ID
	Key         string // unique natural key: lowercase letters, digits and '-'
	Name        string
	Kind        SpeakerKind
	Aliases     []string
	Description string
	Country     string // ISO 3166-1 alpha-2, or "EU"; "" when unknown
	WikidataID  string // "Q" followed by digits; unique when set
	Roles       []Role
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Role is a position a speaker held for a time: "Kremlin spokesman".
type Role struct {
	Title string
	// OrgID is the organization or country the role is held in, itself a
	// speaker; 0 when the role names none.
	OrgID ID
	From  PartialDate // unknown: since an unknown time
	To    PartialDate // unknown: still held, or end unknown
}

// HeldOn reports whether the role may have been held at some time within d:
// it overlaps d when both are known, and an unknown bound is open.
func (r Role) HeldOn(d PartialDate) bool {
	if d.IsZero() {
		return false
	}
	if !r.From.IsZero() && r.From.Start() > d.End() {
		return false
	}
	if !r.To.IsZero() && r.To.End() < d.Start() {
		return false
	}
	return true
}

// RoleOn returns the role the speaker held on date d, or nil when none is
// known. When several roles overlap d, the one that started latest wins: it
// is the most specific description of the speaker at that time.
func (s *Speaker) RoleOn(d PartialDate) *Role {
	var best *Role
	for i := range s.Roles {
		r := &s.Roles[i]
		if !r.HeldOn(d) {
			continue
		}
		if best == nil || best.From.Compare(r.From) < 0 {
			best = r
		}
	}
	return best
}

// Topic is a subject or proposition that stances are taken on. Topics form
// a tree; filtering by a topic includes its subtopics.
type Topic struct {
	ID          ID
	Key         string
	Name        string
	Description string
	ParentID    ID // 0 for a root topic
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Source is where a statement was reported. Its normalized URL is its
// natural key.
type Source struct {
	ID          ID
	URL         string
	Title       string
	Publisher   string
	PublishedAt time.Time // zero when unknown
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Statement is what a speaker said, verbatim (QUOTE) or reported
// (PARAPHRASE).
type Statement struct {
	ID         ID
	ExternalID string // optional client identifier, unique; the import idempotency key
	Text       string
	Kind       StatementKind
	SpeakerID  ID
	SaidOn     PartialDate // zero when unknown
	DateText   string      // the date as reported: "on Monday", "last week"
	Location   string
	Context    string
	Language   string // BCP 47; "en" by default
	TopicIDs   []ID   // sorted, without duplicates
	SourceIDs  []ID   // sorted, without duplicates
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Position is a speaker's stance on a topic as of a date, with the
// statements that show it.
type Position struct {
	ID          ID
	SpeakerID   ID
	TopicID     ID
	Stance      Stance
	Summary     string
	AsOf        PartialDate
	EvidenceIDs []ID // statements; sorted, without duplicates; may be empty
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// PreviousID and PreviousStance describe the same speaker's position on
	// the same topic that immediately precedes this one in asOf order. They
	// are derived by the store when the position is read, never stored.
	PreviousID     ID
	PreviousStance Stance
}

// Shift reports whether the position's stance differs from the speaker's
// previous position on the topic.
func (p *Position) Shift() bool {
	return p.PreviousID != 0 && p.PreviousStance != p.Stance
}
