package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSON is a nullable JSON column holding a *T (NULL: nil).
type JSON[T any] struct {
	V *T
}

// Value implements driver.Valuer.
func (j JSON[T]) Value() (driver.Value, error) {
	if j.V == nil {
		return nil, nil
	}
	return json.Marshal(j.V)
}

// Scan implements sql.Scanner.
func (j *JSON[T]) Scan(src any) error {
	j.V = nil
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("json column: cannot scan %T", src)
	}
	j.V = new(T)
	return json.Unmarshal(b, j.V)
}

// MarshalJSON writes the value itself (null for none), never the wrapper:
// an audit entry's summary says {"rateLimit":{"count":2,"per":"1s"}}.
func (j JSON[T]) MarshalJSON() ([]byte, error) {
	if j.V == nil {
		return []byte("null"), nil
	}
	return json.Marshal(j.V)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (j *JSON[T]) UnmarshalJSON(b []byte) error {
	j.V = nil
	if string(b) == "null" {
		return nil
	}
	j.V = new(T)
	return json.Unmarshal(b, j.V)
}
