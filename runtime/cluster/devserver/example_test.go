package devserver_test

import (
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/cluster/devserver"
)

// A JetStream cluster of three servers in this process, to try what a
// deployment replicated on all three survives: close one of cl.Servers,
// and its clients go on with the others.
func ExampleStartCluster() {
	cl, err := devserver.StartCluster(3, devserver.Deployment(cluster.WithReplicas(3)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cl.Close()
	// The caller's URL names every server: the client turns to another
	// when its own is lost.
	nc, err := nats.Connect(cl.CallerURL(), cluster.CallerInbox(""))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	fmt.Println(len(cl.Servers), "servers, the first named", cl.Servers[0].Name())
	// Output: 3 servers, the first named mpire-0
}
