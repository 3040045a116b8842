package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is a process's CPU time and peak memory, read from /proc.
type Proc struct {
	Name       string  `json:"name"`
	PID        int     `json:"pid"`
	CPUSeconds float64 `json:"cpuSeconds"`
	PeakRSSMB  float64 `json:"peakRssMb"`
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// ReadProc reads utime+stime and VmHWM of a process.
func ReadProc(name string, pid int) (Proc, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Proc{}, err
	}
	// Fields after the command name (which may hold spaces) start after ")".
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	p := Proc{Name: name, PID: pid, CPUSeconds: (utime + stime) / clockTicks}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			p.PeakRSSMB = kb / 1024
		}
	}
	return p, nil
}
