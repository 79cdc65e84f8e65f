package mpire_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// flakyService answers each request the third time it is asked, as a busy
// service does.
type flakyService struct {
	mu    sync.Mutex
	asked map[int]int
}

var errBusy = errors.New("busy, try again")

func (s *flakyService) get(_ context.Context, id int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.asked[id]++; s.asked[id] < 3 {
		return "", errBusy
	}
	return fmt.Sprintf("record %d", id), nil
}

func ExampleWithRetries() {
	svc := &flakyService{asked: map[int]int{}}
	records, err := mpire.Map(context.Background(), []int{1, 2, 3}, svc.get,
		mpire.WithRetries(2), mpire.WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
	fmt.Printf("%q %v\n", records, err)

	// Out of retries: the error counts the attempts.
	svc = &flakyService{asked: map[int]int{}}
	_, err = mpire.Map(context.Background(), []int{4}, svc.get, mpire.WithRetries(1), mpire.WithRetryBackoff(0, 0))
	var te *mpire.TaskError
	if errors.As(err, &te) {
		fmt.Println(te.Index, te.Attempts, te.Err)
	}
	// Output:
	// ["record 1" "record 2" "record 3"] <nil>
	// 0 2 busy, try again
}

func ExampleWithRetryBackoff() {
	svc := &flakyService{asked: map[int]int{}}
	// Each retry waits between half and all of 50 ms, then 100 ms, doubling
	// up to a second; meanwhile the task holds no worker.
	records, err := mpire.Map(context.Background(), []int{7}, svc.get,
		mpire.WithRetries(5), mpire.WithRetryBackoff(50*time.Millisecond, time.Second))
	fmt.Printf("%q %v\n", records, err)
	// Output: ["record 7"] <nil>
}

var errNotFound = errors.New("not found")

func ExamplePermanent() {
	var runs sync.Map
	lookup := func(_ context.Context, id int) (string, error) {
		n, _ := runs.LoadOrStore(id, new(int))
		*n.(*int)++
		if id < 0 {
			// No retry will make it exist.
			return "", mpire.Permanent(fmt.Errorf("id %d: %w", id, errNotFound))
		}
		return fmt.Sprint("user ", id), nil
	}
	_, err := mpire.Map(context.Background(), []int{1, -2}, lookup, mpire.WithRetries(3))
	var te *mpire.TaskError
	errors.As(err, &te)
	ran, _ := runs.Load(-2)
	fmt.Println(te.Err, errors.Is(err, errNotFound), te.Attempts, *ran.(*int))
	// Output: id -2: not found true 1 1
}

func ExampleWithContinueOnError() {
	parse := func(_ context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}
	numbers, err := mpire.Map(context.Background(), []string{"1", "two", "3", "four"}, parse,
		mpire.WithContinueOnError(), mpire.WithJobs(2))
	// Every task ran: the zero value where one failed, and an error that
	// wraps each failure in input order.
	fmt.Println(numbers, len(err.(interface{ Unwrap() []error }).Unwrap()))

	// An iterator yields each failure in its place, and goes on.
	for n, err := range mpire.IMap(context.Background(), slices.Values([]string{"5", "six", "7"}), parse, mpire.WithContinueOnError()) {
		fmt.Println(n, err != nil)
	}
	// Output:
	// [1 0 3 0] 2
	// 5 false
	// 0 true
	// 7 false
}

func ExampleTaskErrors() {
	check := func(_ context.Context, x int) (int, error) {
		if x%3 == 0 {
			return 0, fmt.Errorf("%d is a multiple of 3", x)
		}
		return x, nil
	}
	_, err := mpire.Map(context.Background(), []int{1, 3, 4, 6, 7, 9}, check, mpire.WithContinueOnError())
	for _, te := range mpire.TaskErrors(err) {
		fmt.Printf("task %d (%s): %v\n", te.Index, te.Args, te.Err)
	}
	// Output:
	// task 1 (3): 3 is a multiple of 3
	// task 3 (6): 6 is a multiple of 3
	// task 5 (9): 9 is a multiple of 3
}
