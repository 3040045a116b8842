package catalog

import (
	"crypto/sha256"

	"github.com/heraldhq/herald/internal/lru"
)

// maxCachedSchemas bounds the compiled schemas a process keeps: a team has
// at most 200 types of its own (store.MaxEventTypes), and those ingesting
// now are what matters.
const maxCachedSchemas = 2048

// compiledByContent are compiled schemas by the SHA-256 of their text, for
// every team alike: a schema is compiled once, when first seen, and again
// only when its text changes (reading a team's rules again every few
// seconds compiles nothing).
var compiledByContent = lru.New[[sha256.Size]byte, *Schema](maxCachedSchemas, 0)

// Cached is Compile, once per distinct schema text.
func Cached(schema []byte) (*Schema, error) {
	key := sha256.Sum256(schema)
	if s, ok := compiledByContent.Get(key); ok {
		return s, nil
	}
	s, err := Compile(schema)
	if err != nil {
		return nil, err
	}
	compiledByContent.Add(key, s, 0)
	return s, nil
}
