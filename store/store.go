// Package store is Parley's embedded persistence on bbolt: records, their
// secondary indexes and constraints, all written in one transaction.
//
// Every record lives in a bucket keyed by its big-endian id; every index is
// a bucket of fixed-width composite keys with empty values, so a query is a
// range read over keys. docs/architecture.md lists which index serves which
// query.
package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"parley/domain"
)

// SchemaVersion is the version of the on-disk layout this build writes.
// Opening an older database runs the migrations up to it; a newer one is
// refused rather than misread.
const SchemaVersion = 8

// migrations[v] upgrades a database from version v to v+1. Version 0 is
// a database this package never wrote.
var migrations = map[int]migration{}

// A migration runs in steps, each in a transaction of its own, so that no
// transaction has to hold a whole large database's rewrite until commit.
// A step returns more when another step must follow; the version changes
// in the transaction of the last step. A step's transaction leaves the
// database in a state the next step (after a crash, the next Open)
// continues from.
type migration func(tx *bolt.Tx) (more bool, err error)

// oneStep is a migration done in a single transaction.
func oneStep(fn func(tx *bolt.Tx) error) migration {
	return func(tx *bolt.Tx) (bool, error) { return false, fn(tx) }
}

// Bucket names.
var (
	bMeta = []byte("meta")

	bSpeakers   = []byte("speakers")    // id → speakerRec
	bSpeakerKey = []byte("speaker_key") // key → id
	bSpeakerWD  = []byte("speaker_wd")  // wikidataId → id
	bSpeakerOrg = []byte("speaker_org") // orgID id → (roles held in org by speaker)

	bTopics     = []byte("topics")      // id → topicRec
	bTopicKey   = []byte("topic_key")   // key → id
	bTopicChild = []byte("topic_child") // parentID childID → ∅

	bSources   = []byte("sources")    // id → sourceRec
	bSourceURL = []byte("source_url") // url → id

	bStatements = []byte("statements") // id → statementRec
	bStmtExt    = []byte("stmt_ext")   // externalId → id

	// The statement indexes, kept as sorted runs (runs.go): each entry
	// prefix · sortKey is one 16-byte item of a run stored as
	// prefix · seq → packed sort keys.
	bSxAll     = []byte("sr_all")     // (no prefix)
	bSxSpeaker = []byte("sr_speaker") // speakerID
	bSxTopic   = []byte("sr_topic")   // topicID
	bSxCountry = []byte("sr_country") // country(2)
	bSxKind    = []byte("sr_kind")    // kind(1)
	bSxWord    = []byte("sr_word")    // token 0x00
	// The natural-key index, kept as runs of sha256(natural key)[:8] · id
	// under no prefix (natkeys.go).
	bSxNat = []byte("sr_nat")
	// The citations, kept as runs of sourceID · statementID under no
	// prefix (cites.go).
	bSxCites = []byte("sr_cites")

	bPositions = []byte("positions") // id → positionRec
	// The positions' natural-key index, kept as runs of
	// sha256(speakerID topicID asOf-text)[:8] · id (natkeys.go).
	bPxNat = []byte("pr_nat")
	// Position lists in asOf order, kept as runs of posKeys like the
	// statement indexes.
	bPxAll      = []byte("pr_all")      // (no prefix)
	bPxTopic    = []byte("pr_topic")    // topicID
	bPxSpeaker  = []byte("pr_speaker")  // speakerID
	bPxTimeline = []byte("px_timeline") // topicID speakerID posKey → ∅
	bPxEvidence = []byte("px_evidence") // statementID positionID → ∅
)

var allBuckets = [][]byte{bMeta, bSpeakers, bSpeakerKey, bSpeakerWD, bSpeakerOrg,
	bTopics, bTopicKey, bTopicChild, bSources, bSourceURL,
	bStatements, bStmtExt, bSxNat, bSxAll, bSxSpeaker, bSxTopic, bSxCountry, bSxKind, bSxCites, bSxWord,
	bPositions, bPxNat, bPxAll, bPxTopic, bPxSpeaker, bPxTimeline, bPxEvidence, bIxLog}

// Meta keys.
var (
	mSchema   = []byte("schema_version")
	mMaxWidth = []byte("max_date_width") // widest saidOn interval ever stored, in days
)

// Options configure Open. The zero value is a sound default.
type Options struct {
	// LockTimeout bounds the wait for the file lock that another process
	// holds; 0 means one second.
	LockTimeout time.Duration
	// ReadOnly opens the file without write access. A database of an
	// older schema version is refused: only a writable open migrates it.
	ReadOnly bool
	// Now is the clock for CreatedAt/UpdatedAt; nil means time.Now.
	Now func() time.Time
	// MaxSize bounds the database file in bytes: a write that would grow
	// it past the bound fails and leaves the data as it was. 0 means no
	// bound.
	MaxSize int64
	// InitialMmapSize is the address space mapped for the file when it
	// opens; 0 means DefaultInitialMmapSize. bbolt remaps a growing file
	// only when no read transaction is open, so a file that grows past
	// its map waits for long reads (a backup) to end; a generous initial
	// map keeps writers from waiting. It is address space, not memory:
	// the file does not grow to it.
	InitialMmapSize int
	// IndexLogLimit is the number of index entries the overlay of the
	// deferred indexes holds before a write transaction writes them into
	// their runs (overlay.go); 0 means DefaultIndexLogLimit, and 1 writes
	// every transaction's entries at its commit.
	IndexLogLimit int
	// RecordCacheSize bounds the memory, in bytes, that keeps the raw
	// statement records reads have fetched (reccache.go), up to 1 GiB;
	// 0 means DefaultRecordCacheSize and a negative size (or one under
	// 256 KiB) turns the cache off.
	RecordCacheSize int
}

// DefaultInitialMmapSize is the default InitialMmapSize: 1 GiB.
const DefaultInitialMmapSize = 1 << 30

// Store is the bbolt implementation of domain.Store.
type Store struct {
	db    *bolt.DB
	now   func() time.Time
	fresh bool

	// writeMu orders notification with commits: bbolt already runs one
	// write transaction at a time, and holding this across commit and
	// notify makes subscribers see transactions in commit order.
	writeMu sync.Mutex
	subsMu  sync.Mutex
	subs    map[int]func([]domain.Change)
	nextSub int

	// refs, speakers and topics cache the speakers and topics that
	// batched reads decode (refcache.go).
	refs     refGen
	speakers refCache[domain.Speaker]
	topics   refCache[domain.Topic]
	// recs caches raw statement records (reccache.go); nil when off.
	recs *recCache
	// writes times the write transactions (stats.go).
	writes writeClock
	// natf are the natural-key filters of the write transactions
	// (natfilter.go), guarded by writeMu.
	natf natFilters

	// ov is the overlay of the deferred indexes as of the last commit,
	// tagged with its transaction id (overlay.go); logLimit is
	// Options.IndexLogLimit.
	ov         atomic.Pointer[overlay]
	committing atomic.Uint64
	logLimit   int

	// commit commits a write transaction: (*bolt.Tx).Commit, which tests
	// replace to make a commit fail. stopped holds the cause once a
	// commit failed after it became visible (afterFailedCommit).
	commit  func(tx *bolt.Tx) error
	stopped atomic.Pointer[error]
}

var (
	_ domain.Store    = (*Store)(nil)
	_ domain.Notifier = (*Store)(nil)
)

// Open opens or creates the database at path, initializing or migrating
// its schema. A file locked by another process fails after the lock
// timeout with an error that says so; a file that is not a Parley database,
// or one written by a newer Parley, is refused and left untouched.
func Open(path string, opts Options) (*Store, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.InitialMmapSize == 0 {
		opts.InitialMmapSize = DefaultInitialMmapSize
	}
	if opts.MaxSize > 0 && int64(opts.InitialMmapSize) > opts.MaxSize {
		// bbolt grows a file mapped past 16 MiB in 16 MiB steps but checks
		// MaxSize as if it grew to the next map size: a map larger than
		// the bound would let a small file overshoot it.
		opts.InitialMmapSize = int(opts.MaxSize)
	}
	// Sync stays on (NoSync false): a write is acknowledged only after
	// its commit reached the disk. docs/security.md explains each
	// setting.
	var db *bolt.DB
	err := refuseDamaged(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:         opts.LockTimeout,
			ReadOnly:        opts.ReadOnly,
			FreelistType:    bolt.FreelistMapType,
			InitialMmapSize: opts.InitialMmapSize,
			MaxSize:         int(opts.MaxSize),
		})
		return err
	})
	switch {
	case errors.Is(err, bolterrors.ErrMaxSizeReached):
		return nil, fmt.Errorf("open %s: the file is larger than the maximum database size of %d bytes", path, opts.MaxSize)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w (lock not acquired within %s)", path, ErrLocked, opts.LockTimeout)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("open %s: not a valid Parley database (%v); refusing to touch it", path, err)
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := refuseTruncated(db, path); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, now: opts.Now, commit: (*bolt.Tx).Commit}
	if opts.RecordCacheSize == 0 {
		opts.RecordCacheSize = DefaultRecordCacheSize
	}
	s.recs = newRecCache(opts.RecordCacheSize)
	err = refuseDamaged(path, func() error {
		if opts.ReadOnly {
			return db.View(func(tx *bolt.Tx) error { return checkVersion(tx, path) })
		}
		for more := true; more; {
			if err := db.Update(func(tx *bolt.Tx) (err error) {
				more, err = s.initSchema(tx, path)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	s.logLimit = opts.IndexLogLimit
	if s.logLimit <= 0 {
		s.logLimit = DefaultIndexLogLimit
	}
	err = refuseDamaged(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			o, err := loadOverlay(tx)
			if err != nil {
				return fmt.Errorf("open %s: %w", path, err)
			}
			s.ov.Store(o)
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// ErrLocked is wrapped by the error of an Open of a database file that
// another process has open.
var ErrLocked = errors.New("the database is in use by another process")

// errOlderSchema is wrapped by the error of a read-only Open of a
// database of an older schema version.
var errOlderSchema = errors.New("older schema version")

func checkVersion(tx *bolt.Tx, path string) error {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return fmt.Errorf("open %s: not a Parley database (no meta bucket)", path)
	}
	v := int(binary.BigEndian.Uint32(meta.Get(mSchema)))
	if v > SchemaVersion {
		return fmt.Errorf("open %s: database schema version %d is newer than this build supports (%d); upgrade Parley", path, v, SchemaVersion)
	}
	if v < SchemaVersion {
		// Its layout is not this build's, and a read-only open cannot
		// migrate it.
		return fmt.Errorf("open %s: database schema version %d is older than this build's (%d) and cannot be read without migrating it; open it once for writing (parley serve --db %s) to migrate it: %w", path, v, SchemaVersion, path, errOlderSchema)
	}
	return nil
}

// initSchema creates the buckets of a new database, or runs one step of
// the migrations an older one needs; more says that another step must
// follow in a new transaction.
func (s *Store) initSchema(tx *bolt.Tx, path string) (more bool, err error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		// A bbolt file with other buckets and no meta is someone else's.
		if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			return fmt.Errorf("open %s: a bbolt file that is not a Parley database (bucket %q); refusing to touch it", path, name)
		}); err != nil {
			return false, err
		}
		s.fresh = true
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return false, err
			}
		}
		return false, putVersion(tx.Bucket(bMeta), SchemaVersion)
	}
	raw := meta.Get(mSchema)
	if len(raw) != 4 {
		return false, fmt.Errorf("open %s: not a Parley database (no schema version)", path)
	}
	v := int(binary.BigEndian.Uint32(raw))
	if v > SchemaVersion {
		return false, fmt.Errorf("open %s: database schema version %d is newer than this build supports (%d); upgrade Parley", path, v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		m, ok := migrations[v]
		if !ok {
			return false, fmt.Errorf("open %s: no migration from schema version %d", path, v)
		}
		more, err := m(tx)
		if err != nil {
			return false, fmt.Errorf("open %s: migrate schema %d→%d: %w", path, v, v+1, err)
		}
		if more {
			return true, nil
		}
		if err := putVersion(meta, v+1); err != nil {
			return false, err
		}
	}
	return false, nil
}

func putVersion(meta *bolt.Bucket, v int) error {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(v))
	return meta.Put(mSchema, b)
}

// Fresh reports whether Open created this database: callers seed sample
// data only into a database that did not exist before.
func (s *Store) Fresh() bool { return s.fresh }

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file's path.
func (s *Store) Path() string { return s.db.Path() }

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(t *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.stoppedErr(); err != nil {
		return err
	}
	gen, stable := s.refs.stable()
	tx, ov, err := s.begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := &txn{tx: tx, now: s.now(), ov: ov}
	if s.recs != nil && stable && s.refs.n.Load() == gen {
		// No write ran while the transaction began: its snapshot is
		// generation gen's state (reccache.go).
		t.recs, t.refs, t.gen = s.recs, &s.refs, gen
	}
	return fn(t)
}

// begin opens a read transaction with the overlay of its state.
//
// The overlay changes only with the commits of update, which publishes
// each commit's overlay just after bbolt has made the commit visible, and
// marks the commit in s.committing until then. A reader that sees a
// commit whose overlay is not yet published waits for it; one whose
// overlay is newer than its snapshot (a commit came between) starts
// again. (Writes through bbolt alone, as tests make, leave the log and so
// the overlay as they were.)
func (s *Store) begin() (*bolt.Tx, *overlay, error) {
	for wait := time.Microsecond; ; {
		ov := s.ov.Load()
		tx, err := s.db.Begin(false)
		if err != nil {
			return nil, nil, err
		}
		id := uint64(tx.ID())
		c := s.committing.Load()
		// A failed commit stops the store before it clears committing:
		// a reader that waited for it must not go on with the old overlay.
		if err := s.stoppedErr(); err != nil {
			tx.Rollback()
			return nil, nil, err
		}
		if id >= ov.txid && (c == 0 || c > id) && s.ov.Load() == ov {
			return tx, ov, nil
		}
		tx.Rollback()
		if c != 0 && c <= id {
			time.Sleep(wait)
			wait = min(2*wait, time.Millisecond)
		}
	}
}

// update runs fn in a write transaction.
func (s *Store) update(ctx context.Context, fn func(t *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.stoppedErr(); err != nil {
		return err
	}
	// Odd while the write runs, for the reference caches (refcache.go).
	s.refs.n.Add(1)
	defer s.refs.n.Add(1)
	var changes []domain.Change
	var dirty []domain.ID
	start := time.Now()
	var ov *overlay
	err := s.write(func(tx *bolt.Tx) error {
		fillPages(tx)
		s.natf.ready(tx)
		t := &txn{tx: tx, now: s.now().UTC(), natf: &s.natf, ovw: newOverlayWriter(s.ov.Load())}
		// Kept whether the transaction commits or not: dropping the
		// records of one rolled back costs a lookup each and needs no
		// reasoning about how far it got.
		defer func() { dirty = t.dirty }()
		if err := fn(t); err != nil {
			return err
		}
		changes = t.changes
		if err := t.flush(); err != nil {
			return err
		}
		ov = t.ovw.o
		// Readers that see the commit wait for its overlay (begin).
		s.committing.Store(ov.txid)
		return nil
	})
	if err == nil {
		s.ov.Store(ov)
	}
	s.committing.Store(0)
	if err == nil {
		s.writeOut()
	}
	s.writes.add(time.Since(start))
	if s.recs != nil {
		// Before the generation turns even again (reccache.go).
		s.recs.drop(dirty)
	}
	if err == nil && len(changes) > 0 {
		s.notify(changes)
	}
	if errors.Is(err, bolterrors.ErrMaxSizeReached) {
		// bbolt has rolled the transaction back; the file is intact.
		return fmt.Errorf("%w (%v)", domain.ErrStorageFull, err)
	}
	return err
}

// write runs fn in a bbolt write transaction and commits it. An error of
// fn rolls the transaction back; a failed commit may stop the store
// (afterFailedCommit).
func (s *Store) write(fn func(tx *bolt.Tx) error) error {
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	// After a commit this does nothing; after a panic in fn it is the
	// rollback.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	id := uint64(tx.ID())
	if err := s.commit(tx); err != nil {
		s.afterFailedCommit(id, err)
		return err
	}
	return nil
}

// afterFailedCommit stops the store when the commit of transaction id
// failed after bbolt had made it visible. bbolt writes the meta page that
// makes a commit visible, then syncs it; when the sync fails, it reports
// the error and rolls its free-page list back as if the commit had not
// happened, while new transactions read the meta page, and so the commit,
// from the page cache. A later write could then reuse pages the visible
// tree uses, the overlay published for readers would miss the commit's
// changes, and after a failed sync the page cache itself is no longer
// known to match the disk (PostgreSQL's lesson from 2018). Only a restart,
// which reads the file anew, is sound: the store refuses every read and
// write from then on, while Backup still copies what is visible. A
// commit that failed before it was visible (a full disk while writing the
// pages, the maximum size) leaves bbolt as it was, and the store goes on.
func (s *Store) afterFailedCommit(id uint64, err error) {
	if errors.Is(err, bolterrors.ErrMaxSizeReached) {
		return // bbolt refused to grow the file, before writing anything
	}
	if rtx, rerr := s.db.Begin(false); rerr == nil {
		visible := uint64(rtx.ID())
		_ = rtx.Rollback()
		if visible < id {
			return
		}
	}
	cause := fmt.Errorf("transaction %d failed to commit after it became visible: %w", id, err)
	s.stopped.CompareAndSwap(nil, &cause)
}

// stoppedErr is ErrStoreStopped, with its cause, once afterFailedCommit
// has stopped the store.
func (s *Store) stoppedErr() error {
	if cause := s.stopped.Load(); cause != nil {
		return fmt.Errorf("%w (%v)", domain.ErrStoreStopped, *cause)
	}
	return nil
}

// writeOut writes slices of the overlay into the runs while it is over its
// bounds, in a write transaction of its own (overlay.go), with writeMu
// held. Its failure is no caller's: the overlay and the log stay as they
// were, the data intact, and the next commit tries again.
func (s *Store) writeOut() {
	if _, ok := s.ov.Load().due(s.logLimit); !ok || s.stopped.Load() != nil {
		return
	}
	var ov *overlay
	err := s.write(func(tx *bolt.Tx) error {
		fillPages(tx)
		w := newOverlayWriter(s.ov.Load())
		for range logSlices {
			slice, ok := w.o.due(s.logLimit)
			if !ok {
				break
			}
			if err := w.writeSlice(tx, slice); err != nil {
				return err
			}
		}
		ov = w.o
		ov.txid = uint64(tx.ID())
		s.committing.Store(ov.txid)
		return nil
	})
	if err == nil {
		s.ov.Store(ov)
	}
	s.committing.Store(0)
}

// appendBuckets are keyed by ids from their bucket's sequence, so new
// keys always go last.
var appendBuckets = [][]byte{bSpeakers, bTopics, bSources, bStatements, bPositions}

// fillPages sets how full bbolt packs the pages it splits, for the write
// transaction: the default (half full) suits random inserts, but a bucket
// written at its end (records by id) or in whole sorted blocks (runs)
// would keep every page half empty and write twice the pages.
func fillPages(tx *bolt.Tx) {
	for _, name := range appendBuckets {
		tx.Bucket(name).FillPercent = 1
	}
	for _, name := range allBuckets {
		if isRunBucket(name) {
			tx.Bucket(name).FillPercent = runsFillPercent
		}
	}
}

// Subscribe implements domain.Notifier.
func (s *Store) Subscribe(fn func([]domain.Change)) (cancel func()) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	if s.subs == nil {
		s.subs = map[int]func([]domain.Change){}
	}
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.subsMu.Lock()
		defer s.subsMu.Unlock()
		delete(s.subs, id)
	}
}

func (s *Store) notify(changes []domain.Change) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for _, fn := range s.subs {
		fn(changes)
	}
}

// Update implements domain.Store.
func (s *Store) Update(ctx context.Context, fn func(tx domain.Tx) error) error {
	return s.update(ctx, func(t *txn) error { return fn(t) })
}
