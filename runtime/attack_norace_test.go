//go:build !race

package mpire_test

// raceEnabled tells whether the race detector is on.
const raceEnabled = false
