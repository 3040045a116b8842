package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/internal/channels"
	"github.com/heraldhq/herald/internal/keyring"
)

// Integrations' URLs (chat webhook URLs are the credential) and secrets are
// sealed at rest under the secret key ring, each bound to its row's id: a
// ciphertext copied to another row does not open there.
func integrationAAD(id string) string { return "integration:" + id }

// sealedColumns are the integration columns sealed at rest.
var sealedColumns = []string{"url", "secret", "previous_secret", "auth"}

// seal is a value of integration id as it is stored.
func (s *Store) seal(v, id string) (string, error) {
	if s.secrets == nil || v == "" || keyring.Sealed(v) {
		return v, nil
	}
	out, err := s.secrets.Seal(v, integrationAAD(id))
	if err != nil {
		return "", fmt.Errorf("seal a secret of %s: %w", id, err)
	}
	return out, nil
}

// open is a stored value of integration id as it was written.
func (s *Store) open(v, id string) (string, error) {
	if !keyring.Sealed(v) {
		return v, nil
	}
	if s.secrets == nil {
		return "", fmt.Errorf("integration %s is sealed under secret key %q and no HERALD_SECRET_KEYS are set", id, keyring.KeyOf(v))
	}
	out, err := s.secrets.Open(v, integrationAAD(id))
	if err != nil {
		return "", fmt.Errorf("open a secret of %s: %w", id, err)
	}
	return out, nil
}

// openIntegration opens the sealed fields of an integration read from Postgres.
func (s *Store) openIntegration(in *Integration) error {
	for _, f := range []*string{&in.URL, &in.Secret, &in.PreviousSecret} {
		v, err := s.open(*f, in.ID)
		if err != nil {
			return err
		}
		*f = v
	}
	in.Auth = channels.EndpointAuth{}
	if in.AuthRaw == "" {
		return nil
	}
	raw, err := s.open(in.AuthRaw, in.ID)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(raw), &in.Auth); err != nil {
		return fmt.Errorf("integration %s: read its endpoint authentication: %w", in.ID, err)
	}
	return nil
}

// sealAuth is an integration's endpoint authentication as stored: JSON,
// sealed ("" for none).
func (s *Store) sealAuth(a channels.EndpointAuth, id string) (string, error) {
	if a.Empty() {
		return "", nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode the endpoint authentication of %s: %w", id, err)
	}
	return s.seal(string(b), id)
}

func (s *Store) openIntegrations(ins []Integration) error {
	for i := range ins {
		if err := s.openIntegration(&ins[i]); err != nil {
			return err
		}
	}
	return nil
}

// SecretKeysInUse are the ids of the keys integrations are sealed under.
func (s *Store) SecretKeysInUse(ctx context.Context) ([]string, error) {
	var parts []string
	for _, c := range sealedColumns {
		parts = append(parts, fmt.Sprintf(`SELECT split_part(%s, ':', 2) FROM integrations WHERE %s LIKE '%s%%'`, c, c, keyring.SealedPrefix))
	}
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, strings.Join(parts, " UNION ")); err != nil {
		return nil, fmt.Errorf("find the secret keys in use: %w", err)
	}
	sort.Strings(ids)
	return ids, nil
}

// CheckSecretKeys fails, naming them, when integrations are sealed under
// keys the store cannot open: a process must not start and then fail every
// delivery, or serve garbage.
func (s *Store) CheckSecretKeys(ctx context.Context) error {
	ids, err := s.SecretKeysInUse(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range ids {
		if s.secrets == nil || !s.secrets.Has(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("integrations are sealed under secret keys %s that HERALD_SECRET_KEYS does not hold: give every key still in use (the first seals, all open)", strings.Join(missing, ", "))
	}
	return nil
}

// Reseal says which integrations ResealSecrets seals again.
type Reseal int

const (
	// SealPlaintext: those with a value in plaintext (from before
	// encryption): the migration step every server runs when it starts.
	SealPlaintext Reseal = iota
	// SealAll: every one not wholly under the active key (herald secrets
	// rotate).
	SealAll
)

// ResealSecrets seals, under the active key, up to batch integrations that
// which selects, and returns how many it changed: call it until it returns
// 0. Each batch is one short transaction holding its rows' locks (NO KEY
// UPDATE, so deliveries taking in-flight slots, whose foreign keys share-lock
// the row, do not wait on it): it waits for an edit holding one (skipping
// would report 0 while rows remain), and a row sealed meanwhile by another process drops out of
// the batch (Postgres re-checks the condition after the wait). It runs beside
// Herald, and stopping between batches loses nothing.
func (s *Store) ResealSecrets(ctx context.Context, which Reseal, batch int) (int, error) {
	if s.secrets == nil {
		return 0, fmt.Errorf("no HERALD_SECRET_KEYS to seal with")
	}
	pattern := keyring.SealedPrefix + "%"
	if which == SealAll {
		pattern = keyring.SealedPrefix + s.secrets.Active() + ":%"
	}
	var conds []string
	for _, c := range sealedColumns {
		conds = append(conds, fmt.Sprintf(`(%s <> '' AND %s NOT LIKE '%s')`, c, c, pattern))
	}
	changed := 0
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID             string `db:"id"`
			URL            string `db:"url"`
			Secret         string `db:"secret"`
			PreviousSecret string `db:"previous_secret"`
			Auth           string `db:"auth"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT id, `+strings.Join(sealedColumns, ", ")+` FROM integrations
			WHERE `+strings.Join(conds, " OR ")+` ORDER BY id LIMIT $1 FOR NO KEY UPDATE`, batch); err != nil {
			return fmt.Errorf("find integrations to seal: %w", err)
		}
		for _, r := range rows {
			vals := []string{r.URL, r.Secret, r.PreviousSecret, r.Auth}
			for i, v := range vals {
				if v == "" {
					continue
				}
				plain, err := s.open(v, r.ID)
				if err != nil {
					return err
				}
				if v, err = s.secrets.Seal(plain, integrationAAD(r.ID)); err != nil {
					return err
				}
				vals[i] = v
			}
			if _, err := tx.ExecContext(ctx, `UPDATE integrations SET url = $2, secret = $3, previous_secret = $4, auth = $5 WHERE id = $1`,
				r.ID, vals[0], vals[1], vals[2], vals[3]); err != nil {
				return fmt.Errorf("seal integration %s: %w", r.ID, err)
			}
		}
		changed = len(rows)
		return nil
	})
	return changed, err
}
