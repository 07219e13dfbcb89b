package store

import (
	"encoding/binary"
	"fmt"
	"slices"

	"parley/domain"
)

// The citations index answers "which statements cite this source?", for
// the source filter and for deleting a source. Since schema 7 it is kept
// like the natural-key indexes (natkeys.go): runs of 16-byte entries,
// sourceID · statementID, under no prefix, so a batch's citations become
// one sorted run, written together.
//
// Until schema 6 it was sr_source, a statement index like the others:
// runs of sort keys under each source's id. But a source is cited by a
// handful of statements, and an import cites sources at random, so almost
// every citation a batch wrote landed on a leaf page of its own; deferring
// them (overlay.go) could not help, as a source rarely gained two entries
// before its slice was written out. In W1 at a million statements that
// index was a third of the pages a batch wrote (660 of 1,906), and an
// import without it ran at 11,251/s against 9,271/s (docs/benchmarks.md,
// tenth session).
//
// The price is on the read side: the entries are in statement id order,
// not date order, so a source filter reads the records of the statements
// citing the source to order them (citedKeys). A source is an article, a
// speech, a press release: a few statements each.

// citeEntry is the citations index entry of statement id citing source src.
func citeEntry(src, id domain.ID) []byte {
	b := make([]byte, 0, sortKeyLen)
	b = binary.BigEndian.AppendUint64(b, uint64(src))
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

// citing returns the ids of the statements that cite source src, with
// this transaction's staged changes applied, in no particular order.
func (t *txn) citing(src domain.ID) []domain.ID {
	return t.natCandidates(bSxCites, uint64(src))
}

// citedKeys returns the sort keys of the statements citing src, packed
// and ascending: a source filter's entries, in the order every statement
// index has.
func (t *txn) citedKeys(src domain.ID) ([]byte, error) {
	ids := t.citing(src)
	keys := make([][]byte, 0, len(ids))
	for _, id := range ids {
		s, err := t.Statement(id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return nil, fmt.Errorf("the citations index names missing statement %d", id)
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, sortKey(s))
	}
	slices.SortFunc(keys, compareKeys)
	return slices.Concat(keys...), nil
}
