// Package datapath finds values in decoded event data by dotted path
// ("project.id", "alert.container"): the one lookup behind alert group keys
// and chat summaries.
package datapath

import "strings"

// Find follows path through nested objects and returns what it names, or
// false when a step is missing or not an object.
func Find(data map[string]any, path string) (any, bool) {
	var cur any = data
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}
