package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCPUPinning(t *testing.T) {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		t.Fatal(err)
	}
	var last int
	for id := range len(allowed) * 64 {
		if allowed.IsSet(id) {
			last = id
		}
	}
	all := cpusAllowed(t, os.Getpid())

	pinned, _, _ := start(t, Config{CPUs: []int{last}})
	// Every thread of the child, the ones its runtime made before any
	// request included.
	if got := cpusAllowed(t, pinned.Pid()); got != fmt.Sprint(last) {
		t.Errorf("pinned to %d: its threads may run on %s", last, got)
	}
	// The thread that started it got its affinity back.
	free, _, _ := start(t, Config{})
	if got := cpusAllowed(t, free.Pid()); got != all {
		t.Errorf("not pinned: its threads may run on %s, this process on %s", got, all)
	}

	for _, cpus := range [][]int{{-1}, {len(allowed) * 64}, {allowed.Count() + 1000}} {
		if c, err := Start(t.Context(), Config{Task: testTask, CPUs: cpus}); err == nil || !strings.Contains(err.Error(), "CPU") {
			t.Errorf("CPUs %v: %v", cpus, err)
			if c != nil {
				c.Kill()
			}
		}
	}
}

// cpusAllowed returns the CPUs the threads of a process may run on, as
// /proc says it (0-3), or fails when its threads differ.
func cpusAllowed(t *testing.T, pid int) string {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("the threads of %d: %v", pid, err)
	}
	var cpus string
	for _, task := range tasks {
		status, err := os.ReadFile(task)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
				v = strings.TrimSpace(v)
				if cpus != "" && v != cpus {
					t.Fatalf("the threads of %d differ: %s and %s", pid, cpus, v)
				}
				cpus = v
			}
		}
	}
	return cpus
}
