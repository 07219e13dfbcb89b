package store

// SetLevelZeroMax sets how many entries a level zero holds before it is
// merged into the runs, for tests from other packages; the cleanup puts
// the default back.
func SetLevelZeroMax(n int) (restore func()) {
	old := levelZeroMax
	levelZeroMax = n
	return func() { levelZeroMax = old }
}
