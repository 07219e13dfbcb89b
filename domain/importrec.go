package domain

// StatementImport is one record of the import format, and exactly one line
// of an import JSONL file: a statement with its speaker, topics, sources and
// positions referred to by natural key (speaker key, topic key, source url)
// and created when missing. Export writes the same type, so that export,
// import and export again give identical bytes.
//
// Field order and omitempty are part of the format: export output is
// compared byte for byte.
type StatementImport struct {
	ExternalID string        `json:"externalId,omitempty"`
	Text       string        `json:"text"`
	Kind       StatementKind `json:"kind"`
	Speaker    SpeakerRef    `json:"speaker"`
	SaidOn     string        `json:"saidOn,omitempty"` // partial date text; "" unknown
	DateText   string        `json:"dateText,omitempty"`
	Location   string        `json:"location,omitempty"`
	Context    string        `json:"context,omitempty"`
	Language   string        `json:"language,omitempty"` // "" means "en"
	Topics     []TopicRef    `json:"topics,omitempty"`
	Sources    []SourceRef   `json:"sources,omitempty"`
	Positions  []PositionRef `json:"positions,omitempty"`
}

// SpeakerRef names a speaker by key and carries the fields used to create
// it when missing, or to fill an existing speaker's empty fields.
type SpeakerRef struct {
	Key         string      `json:"key"`
	Name        string      `json:"name,omitempty"`
	Kind        SpeakerKind `json:"kind,omitempty"`
	Country     string      `json:"country,omitempty"`
	Description string      `json:"description,omitempty"`
	WikidataID  string      `json:"wikidataId,omitempty"`
	Aliases     []string    `json:"aliases,omitempty"`
	Roles       []RoleRef   `json:"roles,omitempty"`
}

// RoleRef is a speaker's role; Org is the key of the organization or
// country speaker the role is held in, created (as an ORGANIZATION, or a
// COUNTRY when OrgKind says so) when missing.
type RoleRef struct {
	Title   string      `json:"title"`
	Org     string      `json:"org,omitempty"`
	OrgName string      `json:"orgName,omitempty"`
	OrgKind SpeakerKind `json:"orgKind,omitempty"`
	From    string      `json:"from,omitempty"`
	To      string      `json:"to,omitempty"`
}

// TopicRef names a topic by key; Parent is the parent topic's key, which
// must be created earlier in the same record or exist.
type TopicRef struct {
	Key         string `json:"key"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Parent      string `json:"parent,omitempty"`
}

// SourceRef names a source by URL.
type SourceRef struct {
	URL         string `json:"url"`
	Title       string `json:"title,omitempty"`
	Publisher   string `json:"publisher,omitempty"`
	PublishedAt string `json:"publishedAt,omitempty"` // RFC 3339
}

// PositionRef is a position the statement shows. Its speaker is the
// statement's; Topic is a topic key; AsOf defaults to the statement's
// saidOn. A position is identified by (speaker, topic, asOf).
type PositionRef struct {
	Topic   string `json:"topic"`
	Stance  Stance `json:"stance"`
	Summary string `json:"summary,omitempty"`
	AsOf    string `json:"asOf,omitempty"`
}

// OnConflict says what an import does with a record that matches an
// existing statement but differs from it.
type OnConflict string

// The conflict policies.
const (
	OnConflictUpdate OnConflict = "UPDATE"
	OnConflictSkip   OnConflict = "SKIP"
	OnConflictFail   OnConflict = "FAIL"
)

// ImportOptions steer an import.
type ImportOptions struct {
	OnConflict OnConflict // "" means UPDATE
	DryRun     bool       // validate and report, write nothing
	// Atomic writes all records or none. When false, good records commit
	// and bad ones are reported.
	Atomic bool
	// Sequence, when set, makes the call one of an import stream, whose
	// calls commit in order however many are in flight (see the importer
	// package).
	Sequence *ImportSequence
}

// ImportSequence names an import call's stream and its place in it.
type ImportSequence struct {
	Stream string // chosen by the client, unique per run
	Seq    int    // 0 for the stream's first call, one more for each next
}

// DefaultImportOptions are the API defaults: UPDATE, atomic, for real.
func DefaultImportOptions() ImportOptions {
	return ImportOptions{OnConflict: OnConflictUpdate, Atomic: true}
}

// ImportStatus is the outcome for one record.
type ImportStatus string

// The outcomes of one import record.
const (
	ImportCreated   ImportStatus = "CREATED"
	ImportUpdated   ImportStatus = "UPDATED"
	ImportUnchanged ImportStatus = "UNCHANGED"
	ImportSkipped   ImportStatus = "SKIPPED"
	ImportFailed    ImportStatus = "FAILED"
)

// Issue is an error or warning about one field of one import record.
type Issue struct {
	Path    []string // into the record: ["speaker","country"], ["topics","0","key"]
	Code    Code
	Message string
}

// ImportResult is the outcome for one input record.
type ImportResult struct {
	Index    int
	ID       ID // the statement's id; 0 when it failed or was not written
	Status   ImportStatus
	Errors   []Issue
	Warnings []Issue
}

// ImportReport is the outcome of an import: counts and one result per
// input record, in input order.
type ImportReport struct {
	Created   int
	Updated   int
	Unchanged int
	Skipped   int
	Failed    int
	Results   []ImportResult
}
