// Every leading parameter at once, with init and exit taking them too.
package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Vocabulary is shared by every worker.
type Vocabulary map[string]bool

// Seen is each worker's state: the known words it met.
type Seen struct {
	Words []string
}

func open(ctx context.Context, id mpire.WorkerID, v Vocabulary, s *Seen) error {
	s.Words = []string{}
	return ctx.Err()
}

func closeWorker(ctx context.Context, id mpire.WorkerID, v Vocabulary, s *Seen) ([]string, error) {
	return s.Words, nil
}

// Count counts the known words of a line, repeated times.
//
//mpire:task shared=Vocabulary state=Seen init=open exit=closeWorker
func Count(ctx context.Context, id mpire.WorkerID, v Vocabulary, s *Seen, line string, times int) (int, error) {
	n := 0
	for _, w := range strings.Fields(line) {
		if v[w] {
			n++
			s.Words = append(s.Words, w)
		}
	}
	return n * times, ctx.Err()
}

func main() {
	pool := NewCountPool(Vocabulary{"go": true, "fast": true}, mpire.WithJobs(2), mpire.WithKeepAlive())
	ns, err := pool.Map(context.Background(), []CountArgs{{"go is fast", 1}, {"so is go", 2}, {"nothing", 3}})
	fmt.Println(ns, err)
	n, err := pool.ApplyAsync(context.Background(), "go go go", 10).Get()
	fmt.Println(n, err)
	fmt.Println(pool.Close())
	var all []string
	for _, words := range pool.ExitResults() {
		all = append(all, words...)
	}
	slices.Sort(all)
	fmt.Println(all)
}
