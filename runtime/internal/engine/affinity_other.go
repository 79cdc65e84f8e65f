//go:build !linux

package engine

import (
	"fmt"
	"runtime"
)

// pinPlan refuses CPU pinning: it is only supported on Linux.
func pinPlan(sets [][]int, jobs int) ([][]int, error) {
	if len(sets) > 0 {
		return nil, fmt.Errorf("mpire: CPU pinning (WithCPUIDs, WithCPUSets) is not supported on %s", runtime.GOOS)
	}
	return make([][]int, jobs), nil
}

func pinThread(set []int) (func(), error) { return func() {}, nil }
