package domain

// ChangeOp says what happened to a record.
type ChangeOp string

// The kinds of change.
const (
	Created ChangeOp = "CREATED"
	Updated ChangeOp = "UPDATED"
	Deleted ChangeOp = "DELETED"
)

// RecordType names the type of a changed record.
type RecordType string

// The record types.
const (
	TypeSpeaker   RecordType = "Speaker"
	TypeTopic     RecordType = "Topic"
	TypeSource    RecordType = "Source"
	TypeStatement RecordType = "Statement"
	TypePosition  RecordType = "Position"
)

// Change is one record written by a committed transaction.
type Change struct {
	Type RecordType
	ID   ID
	Op   ChangeOp
}

// Notifier is implemented by stores that report committed changes, the
// feed behind live updates (GraphQL subscriptions).
type Notifier interface {
	// Subscribe calls fn after every committed write transaction with the
	// records it changed, in the order they were written; transactions
	// are reported in commit order. fn runs on the writer's path: it must
	// not block (hand the changes to a buffered channel and return). The
	// returned function ends the subscription.
	Subscribe(fn func([]Change)) (cancel func())
}
