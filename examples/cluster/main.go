// Command cluster runs a map on a NATS JetStream cluster of one machine: it
// starts an embedded server and two worker processes (this program again,
// with -worker), then maps a slow function over 20 numbers and prints
// which worker ran each task.
//
//	go run ./examples/cluster
//
// On real machines, an administrator makes the deployment once
// (cluster.Deploy, with the administrator's credentials: devserver.Start
// does it here), then run the workers with -worker nats://server:4222 (or
// the URL, with a worker's credentials, in $MPIRE_WORKER_URL, where other
// users of the machine do not see it) and give the caller's pool
// cluster.On(js).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
)

// envWorkerURL is how this program, a caller, hands its workers the
// server's URL with their credentials: not in their arguments, which any
// user of the machine can read.
const envWorkerURL = "MPIRE_WORKER_URL"

// workerName names this process when it is a worker.
var workerName = "caller"

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// Square squares x, slowly, and says who did it. It is a portable task: its
// pool can send it to other processes, here workers of a NATS cluster.
//
//mpire:task portable
func Square(x int) Result {
	time.Sleep(50 * time.Millisecond)
	return Result{X: x, Square: x * x, Worker: workerName}
}

// Result is what a task returns.
type Result struct {
	X, Square int
	Worker    string
}

func main() {
	url := flag.String("worker", "", "serve tasks from the NATS server at this URL until stdin closes")
	name := flag.String("name", "", "the worker's name")
	flag.Parse()
	if *url == "" {
		*url = os.Getenv(envWorkerURL)
	}
	if *url != "" {
		workerName = *name
		if err := serve(*url); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// serve is a worker: it serves until its stdin closes, which happens when
// the program that started it ends, however it ends.
func serve(url string) error {
	nc, err := nats.Connect(url, cluster.WorkerInbox("")) // the inbox that a worker's permissions allow
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	return cluster.Serve(ctx, js, cluster.WithJobs(2))
}

func run() error {
	srv, err := devserver.Start()
	if err != nil {
		return err
	}
	defer srv.Close()

	// Two workers: this program again.
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for _, name := range []string{"worker-1", "worker-2"} {
		cmd := exec.Command(exe, "-name", name)
		cmd.Env = append(os.Environ(), envWorkerURL+"="+srv.WorkerURL())
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		defer cmd.Wait()
		defer stdin.Close()
	}

	nc, err := nats.Connect(srv.CallerURL(), cluster.CallerInbox("")) // the inbox that a caller's permissions allow
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	pool := NewSquarePool(cluster.On(js), mpire.WithJobs(4))
	defer pool.Close()

	results, err := pool.Map(context.Background(), slices.Collect(func(yield func(int) bool) {
		for x := range 20 {
			if !yield(x) {
				return
			}
		}
	}))
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, r := range results {
		fmt.Printf("%2d squared is %3d, by %s\n", r.X, r.Square, r.Worker)
		count[r.Worker]++
	}
	fmt.Printf("worker-1 ran %d tasks, worker-2 ran %d\n", count["worker-1"], count["worker-2"])
	return nil
}
