package store

// OpenDeliveriesQueryForTest exposes the scrape's count to EXPLAIN it.
const OpenDeliveriesQueryForTest = openDeliveriesQuery

// MatchQueryForTest exposes the match query to EXPLAIN it.
const MatchQueryForTest = matchQuery

// FailBeforeCommitForTest makes every transaction roll back at its end with
// err (nil: commit again).
func (s *Store) FailBeforeCommitForTest(err error) { s.failBeforeCommit = err }
