package main

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/Jeffail/tunny"
	"github.com/alitto/pond/v2"
	"github.com/go-pkgz/pool"
	"github.com/panjf2000/ants/v2"
	"github.com/sourcegraph/conc/iter"
	"golang.org/x/sync/errgroup"
)

// A forEach runs body(i) for i in [0, n) on P goroutines and waits: the
// shape every peer below is put to, each written the way its README teaches.
type forEach func(n int, body func(i int))

func procs() int { return runtime.GOMAXPROCS(0) }

// staticPartition is the hand-written optimum for even tasks: one goroutine
// per CPU over a contiguous range.
func staticPartition(n int, body func(int)) {
	p := procs()
	var wg sync.WaitGroup
	for g := range p {
		lo, hi := g*n/p, (g+1)*n/p
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				body(i)
			}
		})
	}
	wg.Wait()
}

// atomicCounter is the hand-written optimum for uneven tasks: one goroutine
// per CPU, each taking the next index.
func atomicCounter(n int, body func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range procs() {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				body(i)
			}
		})
	}
	wg.Wait()
}

// errgroupEach is what most people write: one goroutine per task, at most P
// at a time.
func errgroupEach(n int, body func(int)) {
	var g errgroup.Group
	g.SetLimit(procs())
	for i := range n {
		g.Go(func() error { body(i); return nil })
	}
	g.Wait()
}

// errgroupChunked is errgroup with hand-made chunks of 1024 tasks, so that
// chunking is not all that separates it from a pool.
func errgroupChunked(n int, body func(int)) {
	const chunk = 1024
	var g errgroup.Group
	g.SetLimit(procs())
	for lo := 0; lo < n; lo += chunk {
		g.Go(func() error {
			for i := lo; i < min(lo+chunk, n); i++ {
				body(i)
			}
			return nil
		})
	}
	g.Wait()
}

// concEach is sourcegraph/conc's iter.ForEachIdx.
func concEach(n int, body func(int)) {
	iter.ForEachIdx(make([]struct{}, n), func(i int, _ *struct{}) { body(i) })
}

// antsEach is ants' generic pool with a function, fed one task at a time.
func antsEach(n int, body func(int)) {
	var wg sync.WaitGroup
	p, err := ants.NewPoolWithFuncGeneric(procs(), func(i int) { body(i); wg.Done() })
	if err != nil {
		panic(err)
	}
	defer p.Release()
	wg.Add(n)
	for i := range n {
		p.Invoke(i)
	}
	wg.Wait()
}

// pondEach is pond's pool with a task group.
func pondEach(n int, body func(int)) {
	p := pond.NewPool(procs())
	defer p.StopAndWait()
	g := p.NewGroup()
	for i := range n {
		g.Submit(func() { body(i) })
	}
	g.Wait()
}

// pkgzEach is go-pkgz/pool's worker group, with its batching.
func pkgzEach(n int, body func(int)) {
	ctx := context.Background()
	worker := pool.WorkerFunc[int](func(_ context.Context, i int) error { body(i); return nil })
	p := pool.New[int](procs(), worker).WithBatchSize(64)
	if err := p.Go(ctx); err != nil {
		panic(err)
	}
	go func() {
		defer p.Close(ctx)
		for i := range n {
			p.Submit(i)
		}
	}()
	if err := p.Wait(ctx); err != nil {
		panic(err)
	}
}

// tunnyEach is tunny's pool, whose Process is called synchronously by its
// callers: here 2P callers taking the next index.
func tunnyEach(n int, body func(int)) {
	p := tunny.NewFunc(procs(), func(v any) any { body(v.(int)); return nil })
	defer p.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 * procs() {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				p.Process(i)
			}
		})
	}
	wg.Wait()
}

// peers lists the general-purpose pools, by name.
var peers = []struct {
	name string
	each forEach
}{
	{"errgroup", errgroupEach},
	{"errgroup-chunked", errgroupChunked},
	{"conc", concEach},
	{"ants", antsEach},
	{"pond", pondEach},
	{"go-pkgz/pool", pkgzEach},
	{"tunny", tunnyEach},
}
