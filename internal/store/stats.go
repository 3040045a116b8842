package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/heraldhq/herald"
)

// AttemptCounts are an integration's attempts counted two ways: by hour
// and outcome (Series), and by latency bucket (Latency: four buckets per
// doubling of the milliseconds, bucket b below 2^((b+1)/4) ms).
type AttemptCounts struct {
	Series  []HourCount
	Latency []BucketCount
}

// HourCount is an hour's attempts of one outcome.
type HourCount struct {
	Hour     time.Time      `db:"hour"`
	Outcome  herald.Outcome `db:"outcome"`
	Attempts int64          `db:"attempts"`
}

// BucketCount is the attempts of one latency bucket.
type BucketCount struct {
	Bucket   int   `db:"bucket"`
	Attempts int64 `db:"attempts"`
}

// rolledMark is the outcome of the row that says an hour is rolled up.
const rolledMark = ""

// StatsSettle is how long after an hour ends its attempts may still be
// being recorded (an attempt is recorded when it ends, at most its timeout
// after it started): an hour is rolled up only after it.
const StatsSettle = 5 * time.Minute

// bucketSQL is the latency bucket in SQL: four buckets per doubling of the
// attempt's milliseconds (in float8, several times faster than numeric's
// log; the 1e-9 keeps an exact power of two in its own bucket).
const bucketSQL = `floor(4 * ln(greatest(duration_ms, 1)::float8) / ln(2::float8) + 1e-9)::int`

// hourlySQL counts an integration's attempts in [$2, $3) by hour, outcome
// and latency bucket, from the attempts_integration_time index ($1 the
// integration).
const hourlySQL = `SELECT date_trunc('hour', started_at) AS hour, outcome, ` + bucketSQL + ` AS bucket, count(*) AS attempts
	FROM attempts WHERE integration_id = $1 AND started_at >= $2 AND started_at < $3 GROUP BY 1, 2, 3`

// rolledRow is a rolled-up hour's outcome with its sparse histogram.
type rolledRow struct {
	Hour     time.Time      `db:"hour"`
	Outcome  herald.Outcome `db:"outcome"`
	Attempts int64          `db:"attempts"`
	Buckets  pq.Int64Array  `db:"buckets"`
	Counts   pq.Int64Array  `db:"bucket_counts"`
}

// liveRow is an open hour's count of one outcome and latency bucket.
type liveRow struct {
	HourCount
	Bucket int `db:"bucket"`
}

// AttemptStats counts an integration's attempts since from (an hour's
// start) until now: finished hours from their roll-up, made the first time
// one is asked for, and the hours still open from the attempts themselves.
func (s *Store) AttemptStats(ctx context.Context, integrationID string, from, now time.Time) (AttemptCounts, error) {
	var out AttemptCounts
	sealed := now.Add(-StatsSettle).Truncate(time.Hour)
	if sealed.Before(from) {
		sealed = from
	}
	if err := s.rollUp(ctx, integrationID, from, sealed); err != nil {
		return out, err
	}
	var rolled []rolledRow
	if err := s.db.SelectContext(ctx, &rolled, `SELECT hour, outcome, attempts, buckets, bucket_counts FROM attempt_hour_stats
		WHERE integration_id = $1 AND hour >= $2 AND hour < $3 AND outcome <> $4`, integrationID, from, sealed, rolledMark); err != nil {
		return out, fmt.Errorf("read the roll-up of %s: %w", integrationID, err)
	}
	var live []liveRow
	if err := s.db.SelectContext(ctx, &live, hourlySQL, integrationID, sealed, now.Add(time.Hour)); err != nil {
		return out, fmt.Errorf("count the open hours of %s: %w", integrationID, err)
	}
	latency := map[int]int64{}
	for _, r := range rolled {
		out.Series = append(out.Series, HourCount{Hour: r.Hour, Outcome: r.Outcome, Attempts: r.Attempts})
		for i, b := range r.Buckets {
			latency[int(b)] += r.Counts[i]
		}
	}
	for _, r := range live {
		out.Series = append(out.Series, r.HourCount)
		latency[r.Bucket] += r.Attempts
	}
	for b, n := range latency {
		out.Latency = append(out.Latency, BucketCount{Bucket: b, Attempts: n})
	}
	return out, nil
}

// rollUp rolls up the finished hours of [from, to) not rolled up yet: it
// finds them first, so that an answer with nothing to roll up reads no
// attempt (a plan made for "some hours" would scan them all).
func (s *Store) rollUp(ctx context.Context, integrationID string, from, to time.Time) error {
	if !to.After(from) {
		return nil
	}
	var missing []time.Time
	err := s.db.SelectContext(ctx, &missing, `
		SELECT h FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') h
		WHERE NOT EXISTS (SELECT 1 FROM attempt_hour_stats r WHERE r.integration_id = $1 AND r.hour = h AND r.outcome = $4)`,
		integrationID, from, to, rolledMark)
	if err != nil || len(missing) == 0 {
		return err
	}
	_, err = s.db.ExecContext(ctx, `
		WITH missing AS (SELECT unnest($2::timestamptz[]) AS hour),
		counted AS (
			SELECT date_trunc('hour', a.started_at) AS hour, a.outcome, `+bucketSQL+` AS bucket, count(*) AS attempts
			FROM missing m JOIN attempts a ON a.integration_id = $1 AND a.started_at >= m.hour AND a.started_at < m.hour + interval '1 hour'
			GROUP BY 1, 2, 3
		)
		INSERT INTO attempt_hour_stats (integration_id, hour, outcome, attempts, buckets, bucket_counts)
		SELECT $1, hour, outcome, sum(attempts), array_agg(bucket ORDER BY bucket), array_agg(attempts ORDER BY bucket)
		FROM counted GROUP BY hour, outcome
		UNION ALL SELECT $1, hour, $3, 0, '{}', '{}' FROM missing
		ON CONFLICT DO NOTHING`, integrationID, pq.Array(missing), rolledMark)
	if err != nil {
		return fmt.Errorf("roll up %d hours of %s: %w", len(missing), integrationID, err)
	}
	return nil
}

// PruneStats deletes the roll-up of hours before cutoff (retention's).
func (s *Store) PruneStats(ctx context.Context, cutoff time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM attempt_hour_stats WHERE hour < $1`, cutoff.Truncate(time.Hour)); err != nil {
		return fmt.Errorf("prune the numbers' roll-up: %w", err)
	}
	return nil
}
