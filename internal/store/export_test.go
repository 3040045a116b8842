package store

// MatchQueryForTest exposes the match query to EXPLAIN it.
const MatchQueryForTest = matchQuery
