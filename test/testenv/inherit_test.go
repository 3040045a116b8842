package testenv

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A file this process inherited (as a fuzz worker inherits its pipes to the
// coordinator: no close-on-exec) reaches a process it starts, until
// keepInheritedFilesToOurselves; then it does not.
func TestInheritedFilesStayOurs(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil { // not close-on-exec, like an inherited file
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	childHas := func(fd int) bool {
		out, err := exec.Command("ls", "/proc/self/fd").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(out)) {
			if f == strconv.Itoa(fd) {
				return true
			}
		}
		return false
	}
	if !childHas(p[1]) {
		t.Fatalf("a child did not get fd %d before the fix: the test proves nothing here", p[1])
	}
	keepInheritedFilesToOurselves()
	if childHas(p[1]) {
		t.Errorf("a child still gets fd %d", p[1])
	}
}
