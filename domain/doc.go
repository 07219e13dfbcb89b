// Package domain holds Parley's vocabulary: speakers, statements, topics,
// sources and positions, the partial dates they carry, the rules that make
// them valid, and the Store interface that persistence implements.
//
// It imports neither the GraphQL layer nor any database driver, so that the
// same rules serve every transport and every storage backend.
package domain
