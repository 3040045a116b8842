package cli

import (
	"runtime/debug"
)

// Version is Herald's release, set at build time with
// -ldflags "-X github.com/heraldhq/herald/cli.Version=v1.2.3"; without it,
// the commit the binary was built from (Go records it) names the build.
var Version = ""

// version is what `herald --version` prints.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev != "" && (v == "" || v == "(devel)"):
		return "dev-" + rev + dirty
	case v != "" && v != "(devel)":
		return v
	}
	return "dev"
}
