package affinity

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Plan checks the CPU sets of WithCPUIDs/WithCPUSets against the CPUs
// this process may use, and returns the set of each worker (nil: unpinned).
func Plan(sets [][]int, jobs int) ([][]int, error) {
	plan := make([][]int, jobs)
	if len(sets) == 0 {
		return plan, nil
	}
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		return nil, fmt.Errorf("mpire: reading this process's CPU affinity: %w", err)
	}
	for _, set := range sets {
		for _, id := range set {
			if id >= len(allowed)*64 || !allowed.IsSet(id) {
				return nil, fmt.Errorf("mpire: cannot pin to CPU %d: it does not exist or is not allowed for this process (%d CPUs allowed)", id, allowed.Count())
			}
		}
	}
	for i := range plan {
		plan[i] = sets[0] // one set pins every worker
		if len(sets) > 1 {
			plan[i] = sets[i]
		}
	}
	return plan, nil
}

// PinThread locks the calling goroutine to its thread and pins that thread
// to the CPUs of set. unpin restores the thread's affinity and unlocks it.
func PinThread(set []int) (unpin func(), err error) {
	if set == nil {
		return func() {}, nil
	}
	runtime.LockOSThread()
	var old, cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("mpire: reading CPU affinity: %w", err)
	}
	for _, id := range set {
		cpus.Set(id)
	}
	if err := unix.SchedSetaffinity(0, &cpus); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("mpire: pinning a worker to CPUs %v: %w", set, err)
	}
	return func() {
		unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}
