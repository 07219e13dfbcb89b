// Package importer is Parley's bulk import and export engine: it turns
// records of the import format (domain.StatementImport, one JSONL line
// each) into speakers, topics, sources, statements and positions, and
// writes the database back out in the same format.
//
// It depends only on the domain package and talks to storage through
// domain.Store and domain.Tx, so every backend gets the same rules.
//
// # Import
//
// Import works in two phases. Phase 1 checks every record on its own,
// without the store: field formats and limits, dates, references' keys,
// duplicate externalIds within the batch. Phase 2 runs the records that
// passed, in input order, in one write transaction, resolving references:
//
//   - The speaker, the organizations of its roles, topics and sources are
//     found by natural key (speaker and topic key, normalized source URL)
//     and created from the reference when missing; creating one needs its
//     name (and, for a speaker, its kind). An existing record is never
//     overwritten: empty fields are filled from the reference, aliases and
//     roles it lacks are added, and each conflicting non-empty value is
//     kept and reported as a CONFLICT warning at the field's path.
//   - A topic's parent is named by key. It must exist or be listed in the
//     same record's topics, in any order.
//   - The statement is matched by externalId, else by natural key
//     (speaker, normalized text, saidOn). A record is the truth for its
//     statement: every field it leaves out is cleared on update, except the
//     externalId, which a record without one leaves as it is. Two records
//     of one batch that are the same statement with different values (by
//     natural key: texts that differ in case or punctuation) are an error
//     on the later one, as duplicate externalIds are: applied, it would
//     undo the earlier record on every run.
//   - Each position the record lists belongs to the statement's speaker and
//     is found by (speaker, topic, asOf), asOf defaulting to the statement's
//     saidOn. It is created with the statement as evidence, or gains the
//     statement as evidence. Positions of the speaker that cite the
//     statement but are no longer listed stop citing it. A position is
//     what its latest evidence says (by saidOn, then id): a record whose
//     statement is older than another of the position's evidence does not
//     change its stance or summary, and gets a CONFLICT warning instead.
//     So when several statements in a file show one position differently
//     (one speaker, topic and asOf: say, two quotes in one year with
//     asOf at year precision), the last said wins whatever the order of
//     the lines, and importing the file again changes nothing.
//
// A record conflicts when it would change a stored statement or position:
// another text, stance, speaker, topic list and so on, or dropping the
// statement from a position's evidence. Filling empty fields (a
// statement's externalId among them) and adding evidence or new records
// are not conflicts. ImportOptions.OnConflict
// decides what happens to a conflicting record as a whole: UPDATE (the
// default) writes it, SKIP writes nothing for it and reports it SKIPPED,
// FAIL writes nothing for it and reports it FAILED with one CONFLICT error
// per differing field.
//
// Outcomes: CREATED (a new statement), UPDATED (the statement or anything
// the record refers to changed), UNCHANGED (nothing was written: importing
// the same records twice reports every record UNCHANGED the second time),
// SKIPPED or FAILED. A result's ID is the statement the record created or
// matched; it is 0 for FAILED records and for statements the batch would
// have created but did not (dry runs, rolled-back atomic imports), for
// the record that created one and those after it that matched it: ids
// are not reserved.
//
// With ImportOptions.Atomic, a batch in which any record failed writes
// nothing: the failed records are reported FAILED with their errors and
// every other record SKIPPED, with no error of its own. Phase 2 still runs
// every record, so one report lists all the errors of a batch. Without
// Atomic, good records commit and failed ones are reported.
//
// A dry run does everything a real run does inside the transaction and
// then rolls it back: the report is the one a real run would give (ids of
// would-be statements aside).
//
// Errors that are no record's fault (storage failures, a cancelled
// context) abort the import: Import returns them and writes nothing.
//
// # Export
//
// Export writes every statement, in id order, as one line of the import
// format with everything needed to import it again: the full speaker
// (roles name their organization by key, name and kind), the full topics
// and sources, and the positions of the statement's speaker that cite it.
// Importing an export into an empty database and exporting again gives
// the same bytes, and importing it into the database it came from reports
// every record UNCHANGED.
//
// The format can define a topic only by listing it on a statement, so a
// line names a topic's parent only when the parent is listed on the same
// line or an earlier one. A topic first listed before its parent is
// written without it there, and with it on the first later line that
// lists the topic, where an import fills the parent in as it fills any
// empty field. The topic of an exported position must likewise be listed
// on the same statement or an earlier one. A database filled by importing
// files satisfies both; a topic tree made through the API, or later edits
// to statements' topics, may not, and then Export fails with an error
// naming the statement and topics rather than lose a parent or write a
// line that does not import.
// Export also cannot express what no statement refers to: speakers, topics
// and sources that no statement uses, positions without evidence, and
// positions whose evidence is another speaker's statement are left out.
package importer
