//go:build !linux

package affinity

import (
	"fmt"
	"runtime"
)

// Plan refuses CPU pinning: it is only supported on Linux.
func Plan(sets [][]int, jobs int) ([][]int, error) {
	if len(sets) > 0 {
		return nil, fmt.Errorf("mpire: CPU pinning (WithCPUIDs, WithCPUSets) is not supported on %s", runtime.GOOS)
	}
	return make([][]int, jobs), nil
}

func PinThread(set []int) (func(), error) { return func() {}, nil }
