// Package affinity pins worker slots to CPUs (WithCPUIDs, WithCPUSets):
// Plan checks the sets against the CPUs this process may use, and
// PinThread pins the calling goroutine's thread. Linux only; elsewhere a
// plan with CPUs is refused.
package affinity
