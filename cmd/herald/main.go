// Command herald runs and operates the Herald notification delivery engine.
package main

import (
	"os"

	"github.com/heraldhq/herald/cli"
)

func main() {
	os.Exit(cli.Execute())
}
