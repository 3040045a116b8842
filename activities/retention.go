package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/heraldhq/herald/internal/contract"
)

// PruneOld deletes old events in batches, heartbeating the count, so a long
// run neither holds one huge transaction nor starts over after a retry.
func (a *Activities) PruneOld(ctx context.Context, in contract.PruneInput) (int, error) {
	total := 0
	_ = activity.GetHeartbeatDetails(ctx, &total)
	for {
		n, err := a.Store.PruneEvents(ctx, in.Cutoff, in.Batch)
		if err != nil {
			return total, err
		}
		total += n
		activity.RecordHeartbeat(ctx, total)
		if n < in.Batch {
			break
		}
	}
	// The audit log has its own, longer retention; a retry deletes what is
	// left (its count is not carried: the result counts events).
	for !in.AuditCutoff.IsZero() {
		n, err := a.Store.PruneAudit(ctx, in.AuditCutoff, in.Batch)
		if err != nil {
			return total, err
		}
		activity.RecordHeartbeat(ctx, total)
		if n < in.Batch {
			break
		}
	}
	// The numbers' roll-up of hours whose attempts are gone: the stats
	// answer 7 days at most, and a roll-up outlives no attempt.
	if err := a.Store.PruneStats(ctx, in.Cutoff); err != nil {
		return total, err
	}
	return total, nil
}
