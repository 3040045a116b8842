#!/usr/bin/env bash
# Sourced by dev.sh and stack.sh: HERALD_SECRET_KEYS from the environment, or
# from the file $1 (under .data/), made on first run with one random key.
# Integrations' URLs and secrets are sealed under it at rest; losing the file
# makes them unreadable (back it up with the database).
secret_keys_file=$1
if [ -z "${HERALD_SECRET_KEYS:-}" ]; then
  if [ ! -s "$secret_keys_file" ]; then
    umask 077
    printf 'k%s:%s\n' "$(date -u +%Y%m%d%H%M%S)" "$(head -c 32 /dev/urandom | base64 -w0)" >"$secret_keys_file"
    echo "made a secret key for integrations at rest: $secret_keys_file (keep it with the database)"
  fi
  HERALD_SECRET_KEYS=$(cat "$secret_keys_file")
  export HERALD_SECRET_KEYS
fi
