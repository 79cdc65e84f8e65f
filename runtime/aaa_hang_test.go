//go:build linux || darwin

package mpire_test

import (
	"os"
	"time"
)

// hangBeforeServing makes a worker process of this test binary hang in
// package initialisation, before it serves its task: a frozen start. This
// file's name sorts first, so that its init runs before the inits that
// serve the tests' tasks.
const hangBeforeServing = "MPIRE_TEST_HANG_BEFORE_SERVING"

func init() {
	if os.Getenv(hangBeforeServing) != "" && os.Getenv("MPIRE_PROC_WORKER") != "" {
		time.Sleep(time.Hour)
	}
}
