package store_test

import (
	"path/filepath"
	"testing"

	"parley/domain"
	"parley/store"
	"parley/store/storetest"
)

// TestConformance runs the store conformance suite against the bbolt store.
// The deferred indexes are read through the overlay alone (the default
// limit, which no test reaches), through the runs alone (a limit of one
// entry writes them at every commit), and through both (a small limit).
func TestConformance(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit int
	}{{"overlay", 0}, {"runs", 1}, {"both", 40}} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) domain.Store {
				s, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{IndexLogLimit: c.limit})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}
