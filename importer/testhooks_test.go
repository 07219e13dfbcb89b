package importer

// Waiting returns how many calls of the stream wait for their turn with
// phase 1 done, for tests that must know a group is ready.
func (q *Sequencer) Waiting(stream string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if st := q.streams[stream]; st != nil {
		return len(st.ready)
	}
	return 0
}
