package mpire_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/schollz/progressbar/v3"

	mpire "github.com/mpire-go/mpire/runtime"
)

func ExampleWithProgressBarOptions() {
	var bar strings.Builder // os.Stderr by default
	squares, err := mpire.Map(context.Background(), []int{1, 2, 3, 4}, func(_ context.Context, x int) (int, error) {
		return x * x, nil
	}, mpire.WithJobs(2), mpire.WithProgressBarWriter(&bar), mpire.WithProgressBarOptions(
		progressbar.OptionSetTheme(progressbar.ThemeASCII),
		progressbar.OptionSetWidth(20),
		progressbar.OptionSetDescription("squares"),
	))
	fmt.Println(squares, err)

	// The last frame, up to its figures, which depend on the clock.
	frames := strings.Split(strings.TrimSpace(bar.String()), "\r")
	last, _, _ := strings.Cut(frames[len(frames)-1], ",")
	fmt.Println(last)
	// Output:
	// [1 4 9 16] <nil>
	// squares 100% [====================] (4/4
}
