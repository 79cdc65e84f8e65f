package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/mpireimpl"
)

// square is a task function.
func square(x int) (int, error) {
	if x < 0 {
		return 0, errors.New("negative input")
	}
	return x * x, nil
}

// newSquarePool builds by hand what mpiregen generates for
//
//	//mpire:task
//	func square(x int) (int, error)
func newSquarePool(opts ...mpire.Option) *mpireimpl.Pool[struct{}, int, int, struct{}] {
	return mpireimpl.NewPool(mpireimpl.Func[struct{}, int, int, struct{}]{
		Name: "square",
		Run: func(w *mpireimpl.Worker[struct{}], args []int, out []int) (n int, err error) {
			defer w.Recover(&n, &err)
			for ; n < len(args) && !w.Stopped(); n++ {
				if out[n], err = square(args[n]); err != nil {
					return n, err
				}
			}
			return n, nil
		},
		Format: func(a *int) string { return mpireimpl.FormatArgs("x", *a) },
	}, opts...)
}

func ExampleWithJobs() {
	pool := newSquarePool(mpire.WithJobs(4))
	squares, err := pool.Map(context.Background(), []int{1, 2, 3, 4, 5})
	fmt.Println(squares, err)
	// Output: [1 4 9 16 25] <nil>
}

func ExampleWithMaxTasksActive() {
	pool := newSquarePool(mpire.WithJobs(2))
	// Any iter.Seq, even an endless one: at most 8 tasks are taken ahead.
	for sq, err := range pool.IMap(context.Background(), slices.Values([]int{3, 2, 1}), mpire.WithMaxTasksActive(8)) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(sq)
	}
	// Output:
	// 9
	// 4
	// 1
}

func ExampleAsyncResult() {
	pool := newSquarePool(mpire.WithKeepAlive())
	defer pool.Close()
	results := []*mpire.AsyncResult[int]{
		pool.ApplyAsync(context.Background(), 7),
		pool.ApplyAsync(context.Background(), -1),
	}
	for _, r := range results {
		v, err := r.Get()
		fmt.Println(v, err != nil, r.Successful())
	}
	// Output:
	// 49 false true
	// 0 true false
}

func ExampleTaskError() {
	pool := newSquarePool(mpire.WithJobs(1))
	_, err := pool.Map(context.Background(), []int{1, 2, -3, 4}, mpire.WithChunkSize(1))
	var te *mpire.TaskError
	if errors.As(err, &te) {
		fmt.Println(te.Index, te.Args, te.Err)
		fmt.Println(err)
	}
	// Output:
	// 2 x=-3 negative input
	// mpire: square failed in worker 0 at index 2 with arguments (x=-3): negative input
}

func ExampleInsights() {
	pool := newSquarePool(mpire.WithJobs(2), mpire.WithInsights())
	if _, err := pool.Map(context.Background(), ints(1000)); err != nil {
		panic(err)
	}
	in := pool.Insights()
	fmt.Println(len(in.Workers), "workers completed", in.CompletedTasks(), "tasks")
	fmt.Println(len(in.TopTasks), "longest tasks recorded")
	// Output:
	// 2 workers completed 1000 tasks
	// 5 longest tasks recorded
}
