package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// usage is what a process has spent since it started: CPU time, and bytes
// it had written to storage (Linux's /proc; ok is false elsewhere).
type usage struct {
	cpu     time.Duration
	written int64
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// readUsage reads the usage of process pid ("self" for this one).
func readUsage(pid string) (u usage, ok bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return u, false
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after it. utime and stime are fields 14 and 15, 12 and 13 after it.
	_, after, found := strings.Cut(string(stat), ") ")
	fields := strings.Fields(after)
	if !found || len(fields) < 13 {
		return u, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, false
	}
	u.cpu = time.Duration(utime+stime) * clockTick
	io, err := os.ReadFile("/proc/" + pid + "/io")
	if err != nil {
		return u, false
	}
	for _, line := range strings.Split(string(io), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			if u.written, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return u, false
			}
			return u, true
		}
	}
	return u, false
}

// spent is what a run cost the process between two readings, per request.
func spent(before, after usage, requests int) (cpu time.Duration, written float64) {
	if requests <= 0 {
		return 0, 0
	}
	return (after.cpu - before.cpu) / time.Duration(requests), float64(after.written-before.written) / float64(requests)
}

// pidString is pid as /proc names it.
func pidString(pid int) string { return fmt.Sprint(pid) }
