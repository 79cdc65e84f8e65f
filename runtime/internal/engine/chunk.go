package engine

import "math/bits"

// chunksPerWorker is MPIRE's default: with a known number of tasks and no
// chunk size, every worker gets about this many chunks, which balances uneven
// tasks while keeping the cost of handing out chunks negligible.
const chunksPerWorker = 64

// unknownLenChunkSize is the chunk size when the number of tasks is unknown
// and no chunk size is given, as in MPIRE.
const unknownLenChunkSize = 4

// A chunking splits n tasks into count chunks. Chunk k spans the tasks
// [start(k), start(k+1)): the running ceiling of a fractional chunk size
// num/den, so chunk lengths differ by at most one, as in MPIRE.
type chunking struct {
	n        int // number of tasks
	num, den int // chunk size as a fraction
	count    int // number of chunks
}

// newChunking returns the chunking of n tasks for the given Settings and
// number of workers.
func newChunking(n int, s *Settings, jobs int) chunking {
	switch {
	case s.ChunkSize > 0:
		return fixedChunking(n, s.ChunkSize)
	case s.NSplits > 0:
		return splitChunking(n, s.NSplits)
	default:
		return splitChunking(n, jobs*chunksPerWorker)
	}
}

func fixedChunking(n, size int) chunking {
	count := n / size // not (n+size-1)/size: it overflows for huge sizes
	if n%size != 0 {
		count++
	}
	return chunking{n: n, num: size, den: 1, count: count}
}

// splitChunking splits n tasks into at most splits chunks; with fewer tasks
// than splits, every chunk holds one task.
func splitChunking(n, splits int) chunking {
	if n < splits {
		return fixedChunking(n, 1)
	}
	return chunking{n: n, num: n, den: splits, count: splits}
}

// start returns the index of the first task of chunk k (n for k == count).
func (c chunking) start(k int) int {
	if k >= c.count {
		return c.n
	}
	// ceil(k*num/den) without overflow for any int sizes.
	hi, lo := bits.Mul64(uint64(k), uint64(c.num))
	lo, carry := bits.Add64(lo, uint64(c.den-1), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(c.den))
	return int(q)
}

// bounds returns the task range [lo, hi) of chunk k.
func (c chunking) bounds(k int) (lo, hi int) { return c.start(k), c.start(k + 1) }

// maxLen is the length of the longest chunk.
func (c chunking) maxLen() int {
	n := c.num / c.den // not (num+den-1)/den: it overflows for huge sizes
	if c.num%c.den != 0 {
		n++
	}
	return n
}

// chunkOf returns the chunk that holds task i.
func (c chunking) chunkOf(i int) int {
	// floor(i*den/num): the inverse of start, as chunks hold at least one task.
	hi, lo := bits.Mul64(uint64(i), uint64(c.den))
	q, _ := bits.Div64(hi, lo, uint64(c.num))
	return int(q)
}
