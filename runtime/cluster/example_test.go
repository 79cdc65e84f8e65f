package cluster_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/otelmpire"
)

// Two teams on one NATS account: each caller and worker takes its team's
// prefix, and each team's users get the permissions of its prefix only.
func ExampleWithPrefix() {
	var js jetstream.JetStream // connected as a worker of team-a
	_ = cluster.Serve(context.Background(), js, cluster.WithPrefix("team-a"), cluster.WithJobs(4))
	// and the callers: NewSquarePool(cluster.On(js, cluster.WithPrefix("team-a")))
}

// The permissions of a worker of the deployment "team-a", for the server's
// authorization settings.
func ExampleWorkerPermissions() {
	p := cluster.WorkerPermissions("team-a")
	fmt.Println("publish:", p.Publish[0])
	fmt.Println("subscribe:", p.Subscribe)
	// Output:
	// publish: team-a.mpire.reply.>
	// subscribe: [_INBOX.> team-a.mpire.cancel.>]
}

// A worker whose tasks' spans join their callers' traces (the trace
// context comes in each chunk's headers), exported by this program's
// global tracer provider, and whose workers' deaths and time limits go to
// its log.
func ExampleWithWorkerOptions() {
	var js jetstream.JetStream // connected as a worker
	_ = cluster.Serve(context.Background(), js, cluster.WithWorkerOptions(otelmpire.Instrument(), mpire.WithLogger(slog.Default())))
}
