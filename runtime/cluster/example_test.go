package cluster_test

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mpire-go/mpire/runtime/cluster"
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
