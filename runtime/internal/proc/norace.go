//go:build !race

package proc

// raceEnabled tells that this binary was built with the race detector.
const raceEnabled = false
