package main

import "math/rand/v2"

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// spin does n rounds of xorshift: about 0.9 ns each on the reference
// machine, with nothing the compiler can skip.
func spin(seed uint64, n int) int {
	h := seed | 1
	for range n {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	return int(h >> 1)
}

// tinySpins makes Tiny last about 50 ns.
const tinySpins = 55

// Tiny is the tiny task: about 50 ns of integer work.
//
//mpire:task portable
func Tiny(x int) int { return spin(uint64(x), tinySpins) }

// shortSpins makes Short last about 20 ns: 24 rounds, as the runtime's own
// benchmarks' tiny task.
const shortSpins = 24

// Short is the task of the short workload: less than half of Tiny, so that
// what a call of the task costs shows.
//
//mpire:task
func Short(x int) int { return spin(uint64(x), shortSpins) }

// Busy spins n rounds: the medium and skewed tasks.
//
//mpire:task portable
func Busy(n int) int { return spin(uint64(n), n) }

// Image is the shared image of the numerical workload.
type Image struct {
	W, H int
	Px   []float64
}

// Filter is a 4x4 convolution kernel.
type Filter [16]float64

// downsample keeps every downsample-th row and column of a result.
const downsample = 5

// Convolve is the full 2-D convolution of the image with f, of which every
// fifth row and column is kept, as MPIRE's numerical benchmark does it.
//
//mpire:task shared=*Image portable
func Convolve(img *Image, f Filter) []float64 {
	ow, oh := img.W+3, img.H+3
	full := make([]float64, ow*oh)
	for y := range oh {
		for x := range ow {
			var s float64
			for ky := range 4 {
				iy := y - ky
				if iy < 0 || iy >= img.H {
					continue
				}
				row := img.Px[iy*img.W:]
				for kx := range 4 {
					if ix := x - kx; ix >= 0 && ix < img.W {
						s += f[ky*4+kx] * row[ix]
					}
				}
			}
			full[y*ow+x] = s
		}
	}
	out := make([]float64, 0, (ow/downsample+1)*(oh/downsample+1))
	for y := 0; y < oh; y += downsample {
		for x := 0; x < ow; x += downsample {
			out = append(out, full[y*ow+x])
		}
	}
	return out
}

// prefixLen is the length of the word prefixes counted.
const prefixLen = 3

// PrefixCounts is a worker's state in the stateful workload.
type PrefixCounts struct {
	Counts map[string]int
}

// countInto counts the prefixes of a document's words.
func countInto(counts map[string]int, doc []string) int {
	for _, w := range doc {
		counts[w[:prefixLen]]++
	}
	return len(doc)
}

// CountPrefixes counts the word prefixes of a document in the worker's state
// (MPIRE's stateful benchmark).
//
//mpire:task state=PrefixCounts exit=prefixCounts
func CountPrefixes(c *PrefixCounts, doc []string) int {
	if c.Counts == nil {
		c.Counts = map[string]int{}
	}
	return countInto(c.Counts, doc)
}

// prefixCounts hands the worker's counts to the caller when it stops.
func prefixCounts(c *PrefixCounts) map[string]int { return c.Counts }

// Model is a worker's model in the init workload.
type Model struct {
	Weights []float64
}

// modelSize is the number of weights: 4 MiB of them.
const modelSize = 1 << 19

// modelPasses refines the weights until a model takes about 50 ms to build
// on the reference machine.
const modelPasses = 26

// buildModel is the expensive initialization: weights from a seeded
// generator, refined a few rounds.
func buildModel() *Model {
	r := rand.New(rand.NewPCG(1, 2))
	m := &Model{Weights: make([]float64, modelSize)}
	for i := range m.Weights {
		m.Weights[i] = r.Float64()
	}
	for range modelPasses {
		for i := 1; i < len(m.Weights); i++ {
			m.Weights[i] = 0.5*m.Weights[i] + 0.5*m.Weights[i-1]
		}
	}
	return m
}

// loadModel builds the worker's model once (MPIRE's expensive init).
func loadModel(m *Model) {
	modelInits.Add(1)
	*m = *buildModel()
}

// Batch is one task of the init workload: Rows input vectors, derived from
// ID, to score with the model.
type Batch struct{ ID, Rows int }

// evaluate scores a batch with the model: the dot product of the weights
// with each of its input vectors, summed. Each weight is read once for all
// the rows, so that the evaluation is bound by the CPU, not by memory, as a
// model's is; evaluations, not the init, dominate the workload, as in
// MPIRE's benchmark.
func evaluate(m *Model, b Batch) float64 {
	var s float64
	k := b.ID * b.Rows
	for i, w := range m.Weights {
		for r := range b.Rows {
			s += w * float64((i^(k+r))&15)
		}
	}
	return s
}

// Evaluate scores one batch with the worker's model.
//
//mpire:task state=Model init=loadModel
func Evaluate(m *Model, b Batch) float64 { return evaluate(m, b) }
