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

// ReadProc reads the CPU time of a process and of its children, live or
// ended (a Postgres server's backends are children of its postmaster), and
// the process's VmHWM.
func ReadProc(name string, pid int) (Proc, error) {
	fields, err := statFields(pid)
	if err != nil {
		return Proc{}, err
	}
	// utime, stime, then cutime, cstime: children that ended.
	cpu := 0.0
	for _, f := range fields[11:15] {
		v, _ := strconv.ParseFloat(f, 64)
		cpu += v
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		cf, err := statFields(child)
		if err != nil || cf[1] != strconv.Itoa(pid) {
			continue
		}
		for _, f := range cf[11:13] {
			v, _ := strconv.ParseFloat(f, 64)
			cpu += v
		}
	}
	p := Proc{Name: name, PID: pid, CPUSeconds: cpu / clockTicks}
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

// statFields are the fields of /proc/PID/stat after the command name (which
// may hold spaces): [0] is the state, [1] the parent's pid.
func statFields(pid int) ([]string, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 15 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return fields, nil
}
