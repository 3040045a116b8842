package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/keyring"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/schema"
)

// openStore connects to Postgres with the secret key ring of the
// configuration, so that integrations' URLs and secrets are sealed at rest.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	st.LimitIntegrations(cfg.MaxIntegrations)
	if cfg.SecretKeys != "" {
		ring, err := keyring.Parse(cfg.SecretKeys, "secret key")
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("HERALD_SECRET_KEYS: %w", err)
		}
		st.UseSecretKeys(ring)
	}
	return st, nil
}

// resealBatch is how many integrations one statement seals.
const resealBatch = 200

// secureSecrets runs when a server starts: it refuses to go on when rows are
// sealed under keys it lacks (naming them), and seals the rows still in
// plaintext (those from before encryption) under the active key.
func secureSecrets(ctx context.Context, st *store.Store, cfg *config.Config, log *slog.Logger) error {
	if err := st.CheckSecretKeys(ctx); err != nil {
		return err
	}
	if cfg.SecretKeys == "" {
		if !cfg.AllowPlaintextSecrets {
			return errNoKeyRing
		}
		log.Warn("HERALD_SECRET_KEYS is not set and HERALD_ALLOW_PLAINTEXT_SECRETS is: integration URLs and secrets are stored in plaintext")
		return nil
	}
	sealed := 0
	for {
		n, err := st.ResealSecrets(ctx, store.SealPlaintext, resealBatch)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		sealed += n
	}
	if sealed > 0 {
		log.Info("sealed integration secrets stored in plaintext", "integrations", sealed)
	}
	return nil
}

// errNoKeyRing is the refusal of a server without a key ring.
var errNoKeyRing = errors.New(`HERALD_SECRET_KEYS is not set: every integration's URL and secrets would be stored in plaintext.
Make a key ring and keep it with Herald's configuration (not in the database or its backups):
    export HERALD_SECRET_KEYS=$(herald secrets new-key)
or, where plaintext is intended (a throwaway test database), set HERALD_ALLOW_PLAINTEXT_SECRETS=true`)

// newKey is a key ring of one new random key: "kid:base64 of 32 bytes",
// the id naming the day it was made.
func newKey(now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "k" + now.UTC().Format("20060102150405") + ":" + base64.StdEncoding.EncodeToString(b), nil
}

func newSecretsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Secrets at rest: make a key, rotate the key that seals them"}
	cmd.AddCommand(&cobra.Command{
		Use:   "new-key",
		Short: "Print a new key ring of one random key, for HERALD_SECRET_KEYS",
		Long: `Print a new key ring of one random 256-bit key ("kid:base64"), for HERALD_SECRET_KEYS.
To rotate, put a new key first and keep the old ones after it: NEW,OLD.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := newKey(time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, k)
			return nil
		},
	})
	cfg := config.Defaults()
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Seal every integration's URL and secrets under the first key of HERALD_SECRET_KEYS, in batches, while Herald runs",
		Long: `Put the new key first in HERALD_SECRET_KEYS and keep the old ones after it,
restart Herald's processes (they then seal with the new key and open with all),
then run this: it re-seals every row under the new key, a batch at a time, and
can be stopped and run again. When it reports no row under another key, the old
keys can be dropped from HERALD_SECRET_KEYS.`,
		Args: cobra.NoArgs,
	}
	b := config.Bind(rotate.Flags(), &cfg, config.GroupDatabase)
	rotate.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := b.Load(nil)
		if err != nil {
			return err
		}
		if c.SecretKeys == "" {
			return fmt.Errorf("HERALD_SECRET_KEYS is not set: nothing to seal with")
		}
		st, err := openStore(cmd.Context(), c)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, err := schema.Migrate(cmd.Context(), st.DB()); err != nil {
			return err
		}
		if err := st.CheckSecretKeys(cmd.Context()); err != nil {
			return err
		}
		total := 0
		for {
			n, err := st.ResealSecrets(cmd.Context(), store.SealAll, resealBatch)
			if err != nil {
				return fmt.Errorf("after re-sealing %d integrations: %w", total, err)
			}
			if n == 0 {
				break
			}
			total += n
			if g.output != "json" {
				fmt.Fprintf(g.stderr, "re-sealed %d integrations\n", total)
			}
		}
		inUse, err := st.SecretKeysInUse(cmd.Context())
		if err != nil {
			return err
		}
		if g.output == "json" {
			return printJSON(g.stdout, map[string]any{"resealed": total, "keysInUse": inUse})
		}
		fmt.Fprintf(g.stdout, "re-sealed %d integrations; keys in use: %v\n", total, inUse)
		return nil
	}
	cmd.AddCommand(rotate)
	return cmd
}
