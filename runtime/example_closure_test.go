package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	mpire "github.com/mpire-go/mpire/runtime"
)

func ExampleMap() {
	words := []string{"parallel", "map", "made", "easy"}
	lengths, err := mpire.Map(context.Background(), words, func(_ context.Context, w string) (int, error) {
		return len(w), nil
	})
	fmt.Println(lengths, err)

	// A failure names the index and the argument of the task.
	_, err = mpire.Map(context.Background(), []string{"1", "2", "three"}, func(_ context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	}, mpire.WithJobs(2))
	var te *mpire.TaskError
	if errors.As(err, &te) {
		fmt.Println(te.Index, te.Args, errors.Is(err, strconv.ErrSyntax))
	}
	// Output:
	// [8 3 4 4] <nil>
	// 2 three true
}

func ExampleMapUnordered() {
	// Results come in completion order; sort them when order matters.
	squares, err := mpire.MapUnordered(context.Background(), []int{1, 2, 3, 4, 5}, func(_ context.Context, x int) (int, error) {
		return x * x, nil
	}, mpire.WithJobs(4), mpire.WithChunkSize(1))
	slices.Sort(squares)
	fmt.Println(squares, err)
	// Output: [1 4 9 16 25] <nil>
}

func ExampleIMap() {
	// An endless input: IMap takes only a few tasks ahead of the loop, and
	// breaking out of the loop stops the work.
	naturals := func(yield func(int) bool) {
		for i := 1; yield(i); i++ {
		}
	}
	for sq, err := range mpire.IMap(context.Background(), naturals, func(_ context.Context, x int) (int, error) {
		return x * x, nil
	}, mpire.WithMaxTasksActive(16)) {
		if err != nil {
			fmt.Println(err)
			break
		}
		if sq > 30 {
			break
		}
		fmt.Println(sq)
	}
	// Output:
	// 1
	// 4
	// 9
	// 16
	// 25
}

func ExampleIMapUnordered() {
	lines := strings.Lines("the quick brown fox\njumps over\nthe lazy dog\n")
	total := 0
	for n, err := range mpire.IMapUnordered(context.Background(), lines, func(_ context.Context, line string) (int, error) {
		return len(strings.Fields(line)), nil
	}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		total += n // results come as they complete: sum them in any order
	}
	fmt.Println(total, "words")
	// Output: 9 words
}
