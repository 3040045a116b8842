package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/alerts"
)

// PolicyJSON stores an alert policy (NULL: none).
type PolicyJSON = JSON[alerts.Policy]

// TeamAlertPolicy is a team's alert policy (nil: the defaults).
func (s *Store) TeamAlertPolicy(ctx context.Context, teamID string) (*alerts.Policy, error) {
	var p PolicyJSON
	if err := s.db.GetContext(ctx, &p, `SELECT alert_policy FROM teams WHERE id = $1`, teamID); err != nil {
		return nil, notFound(err, "team", teamID)
	}
	return p.V, nil
}

// SetTeamAlertPolicy replaces a team's alert policy (nil: back to the defaults).
func (s *Store) SetTeamAlertPolicy(ctx context.Context, teamID string, p *alerts.Policy) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET alert_policy = $2 WHERE id = $1`, teamID, PolicyJSON{V: p})
		if err != nil {
			return fmt.Errorf("set alert policy of %s: %w", teamID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("team %s: %w", teamID, ErrNotFound)
		}
		return s.audit(ctx, tx, Audit{TeamID: teamID, Action: AuditAlertPolicy, ObjectType: ObjectTeam, ObjectID: teamID,
			Summary: map[string]any{"policy": p}})
	})
}

// MarkGrouped holds deliveries in their alert groups.
func (s *Store) MarkGrouped(ctx context.Context, deliveryIDs []string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET status = $2, reason = 'held by its alert group', updated_at = now()
		WHERE id = ANY($1) AND status = $3`, pq.StringArray(deliveryIDs), herald.DeliveryGrouped, herald.DeliveryPending)
	if err != nil {
		return fmt.Errorf("mark grouped: %w", err)
	}
	return nil
}
