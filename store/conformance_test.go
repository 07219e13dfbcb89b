package store_test

import (
	"path/filepath"
	"testing"

	"parley/domain"
	"parley/store"
	"parley/store/storetest"
)

// TestConformance runs the store conformance suite against the bbolt store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Store {
		s, err := store.Open(filepath.Join(t.TempDir(), "t.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
