package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
)

// envClusterWorker, set to a NATS URL with a worker's credentials, makes
// this program a cluster worker of the harness's own embedded server (see
// startCluster): it serves until its stdin closes.
const envClusterWorker = "MPIRE_BENCH_CLUSTER_WORKER"

// Cluster rows run on an embedded server and clusterWorkers worker
// processes of one slot each: on 2 cores, one worker per core. The caller's
// pool has 2 slots per worker, so that a worker always has a chunk queued
// while it sends the result of the one before.
const (
	clusterWorkers = 2
	clusterJobs    = 2 * clusterWorkers
)

// serveCluster is the harness as a cluster worker.
func serveCluster(url string) error {
	nc, err := nats.Connect(url, cluster.WorkerInbox(""))
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
	return cluster.Serve(ctx, js, cluster.WithJobs(1))
}

// A benchCluster is the embedded server, its workers and a caller's
// connection: started once, on first use, and stopped at the end of the
// run, as worker processes are kept alive between runs.
type benchCluster struct {
	srv     *devserver.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	workers []*exec.Cmd
	stdins  []io.Closer
}

var (
	clusterOnce sync.Once
	theCluster  *benchCluster
	clusterErr  error
)

// onCluster returns the option that runs a pool's workers on the harness's
// cluster, starting it first if need be.
func onCluster() mpire.Option {
	clusterOnce.Do(func() { theCluster, clusterErr = startCluster() })
	if clusterErr != nil {
		panic(fmt.Errorf("starting the cluster: %w", clusterErr))
	}
	return cluster.On(theCluster.js)
}

// stopCluster stops the cluster if it was started.
func stopCluster() {
	if theCluster != nil {
		theCluster.close()
	}
}

func startCluster() (*benchCluster, error) {
	srv, err := devserver.Start(devserver.MaxPayload(8 << 20))
	if err != nil {
		return nil, err
	}
	c := &benchCluster{srv: srv}
	exe, err := os.Executable()
	if err != nil {
		c.close()
		return nil, err
	}
	for range clusterWorkers {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), envClusterWorker+"="+srv.WorkerURL())
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			c.close()
			return nil, err
		}
		c.workers, c.stdins = append(c.workers, cmd), append(c.stdins, stdin)
	}
	if c.nc, err = nats.Connect(srv.CallerURL(), cluster.CallerInbox("")); err == nil {
		c.js, err = jetstream.New(c.nc)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *benchCluster) close() {
	for _, in := range c.stdins {
		in.Close()
	}
	for _, w := range c.workers {
		w.Wait()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	c.srv.Close()
}

// clusterRow is the contender of a portable task's pool on the cluster.
func clusterRow[R any](run func() ([]R, error)) contender {
	return contender{name: "mpire (cluster)", run: func() any { return must(run()) }}
}

// resultOf returns the result of the named contender, or nil.
func resultOf(rs []result, name string) *result {
	for i := range rs {
		if rs[i].Contender == name {
			return &rs[i]
		}
	}
	return nil
}

// clusterThroughput says how many tasks per second the cluster row ran.
func clusterThroughput(w *workload, rs []result) string {
	c := resultOf(rs, "mpire (cluster)")
	if c == nil || c.MedianNs == 0 {
		return ""
	}
	return fmt.Sprintf("  cluster: %.2f M tasks/s on %d workers of one slot, each chunk through the broker and back",
		float64(w.tasks)/(float64(c.MedianNs)/1e9)/1e6, clusterWorkers)
}

// clusterToGoroutines gives the cluster row's time over goroutine workers'.
func clusterToGoroutines(_ *workload, rs []result) string {
	c, g := resultOf(rs, "mpire (cluster)"), resultOf(rs, "mpire (generated)")
	if c == nil || g == nil || g.MedianNs == 0 {
		return ""
	}
	return fmt.Sprintf("  cluster: %.2fx the time of goroutine workers (%d worker processes of one slot, on the same cores as the caller and the server)",
		float64(c.MedianNs)/float64(g.MedianNs), clusterWorkers)
}
