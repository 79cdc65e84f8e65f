package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
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

// An administrator makes the deployment "team-a" once, before its callers
// and workers start: its streams and bucket, which their permissions do
// not let them make. Running it again changes nothing, or the replicas and
// limits given.
func ExampleDeploy() {
	nc, err := nats.Connect("nats://nats.example.com:4222", nats.UserCredentials("admin.creds"))
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := cluster.Deploy(context.Background(), js, cluster.WithPrefix("team-a")); err != nil {
		fmt.Println(err)
	}
	// and its workers: cluster.Serve(ctx, js, cluster.WithPrefix("team-a"))
}

// A deployment on a JetStream cluster of three servers: its streams and
// the shared objects' bucket are replicated on all three, and a call
// survives losing any one; chunks and replies wait at most an hour.
func ExampleWithReplicas() {
	var js jetstream.JetStream // connected to the cluster as an administrator
	limits := cluster.Limits{MaxAge: time.Hour}
	_ = cluster.Deploy(context.Background(), js, cluster.WithReplicas(3), cluster.WithLimits(limits))
	// and the workers, as before: cluster.Serve(ctx, js, cluster.WithJobs(4))
}

// The permissions of a worker of the deployment "team-a", for the server's
// authorization settings.
func ExampleWorkerPermissions() {
	p := cluster.WorkerPermissions("team-a")
	fmt.Println("publish:", p.Publish[0])
	fmt.Println("subscribe:", p.Subscribe)
	// Output:
	// publish: team-a.mpire.reply.>
	// subscribe: [team-a.mpire.inbox.worker.> team-a.mpire.cancel.>]
}

// A worker of the deployment "team-a" connects with its role's inbox,
// which WorkerPermissions allow, and no other role's.
func ExampleWorkerInbox() {
	nc, err := nats.Connect("nats://nats.example.com:4222", nats.UserCredentials("worker.creds"), cluster.WorkerInbox("team-a"))
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	_ = cluster.Serve(context.Background(), js, cluster.WithPrefix("team-a"))
}

// A caller connects with its role's inbox, which CallerPermissions allow.
func ExampleCallerInbox() {
	nc, err := nats.Connect("nats://nats.example.com:4222", nats.UserCredentials("caller.creds"), cluster.CallerInbox("team-a"))
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	_ = cluster.On(js, cluster.WithPrefix("team-a")) // the option of a portable pool: NewSquarePool(cluster.On(js, ...))
}

// A worker whose tasks' spans join their callers' traces (the trace
// context comes in each chunk's headers), exported by this program's
// global tracer provider, and whose workers' deaths and time limits go to
// its log.
func ExampleWithWorkerOptions() {
	var js jetstream.JetStream // connected as a worker
	_ = cluster.Serve(context.Background(), js, cluster.WithWorkerOptions(otelmpire.Instrument(), mpire.WithLogger(slog.Default())))
}
