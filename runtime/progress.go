package mpire

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressInterval is how often a progress bar is redrawn. Workers only add
// to an atomic counter; the bar reads it at this pace, so even the tiniest
// tasks pay nothing for it.
const progressInterval = 100 * time.Millisecond

type progressOptions struct {
	w     io.Writer
	title string
}

// WithProgressBar draws a progress bar on stderr: tasks done and total,
// percent, rate, elapsed time and ETA (MPIRE's progress_bar). With an iter.Seq
// input of unknown length (no WithIterableLen) it counts up.
func WithProgressBar() Option {
	return func(s *settings) { s.progressBar() }
}

// WithProgressBarWriter draws the progress bar on w instead of stderr. It
// implies WithProgressBar.
func WithProgressBarWriter(w io.Writer) Option {
	return func(s *settings) { s.progressBar().w = w }
}

// WithProgressBarTitle describes the progress bar with title. It implies
// WithProgressBar.
func WithProgressBarTitle(title string) Option {
	return func(s *settings) { s.progressBar().title = title }
}

func (s *settings) progressBar() *progressOptions {
	if s.progress == nil {
		s.progress = &progressOptions{w: os.Stderr}
	} else {
		copied := *s.progress // the pool's defaults are shared: never modify them
		s.progress = &copied
	}
	return s.progress
}

// A progress draws one call's progress bar from its done counter.
type progress struct {
	bar   *progressbar.ProgressBar
	opts  *progressOptions
	total int
	stop  chan struct{}
	ended chan struct{}
}

// startProgress starts the call's progress bar, if it has one; total is the
// number of tasks, or -1 when unknown.
func (c *call[St, A, R, E]) startProgress(total int) *progress {
	o := c.s.progress
	if o == nil {
		return nil
	}
	max := int64(total)
	if total < 0 {
		max = -1
	}
	pr := &progress{opts: o, total: total, stop: make(chan struct{}), ended: make(chan struct{})}
	pr.bar = progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(o.w),
		progressbar.OptionSetDescription(o.title),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tasks"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(0),
		// Its own redraw goroutine would outlive the call; ours redraws.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(o.w) }),
	)
	go func() {
		defer close(pr.ended)
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				pr.bar.Set64(c.done.Load())
			case <-pr.stop:
				return
			}
		}
	}()
	return pr
}

// finish draws the final state: the full count on success, the count reached
// and the failure otherwise.
func (pr *progress) finish(done int64, err error) {
	if pr == nil {
		return
	}
	close(pr.stop)
	<-pr.ended
	if err != nil {
		pr.bar.Describe(failedTitle(pr.opts.title))
		pr.bar.Set64(done)
		pr.bar.Exit()
		return
	}
	pr.bar.Set64(done)
	if pr.total >= 0 {
		pr.bar.Finish()
	} else {
		pr.bar.Exit()
	}
}

func failedTitle(title string) string {
	if title == "" {
		return "failed"
	}
	return title + " (failed)"
}
