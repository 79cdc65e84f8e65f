package cluster_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
)

// TestDeployIsTheOnlyWayADeploymentIsMade: Deploy run again keeps the
// deployment's key (its tasks' consumers keep their names) and applies new
// limits; a caller and a worker whose deployment is missing fail, saying to
// run Deploy, and work once it ran.
func TestDeployIsTheOnlyWayADeploymentIsMade(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	_, admin := connect(t, c.srv.AdminURL())
	before := taskConsumer(t, admin)
	if err := cluster.Deploy(ctx, admin, cluster.WithLimits(cluster.Limits{MaxAge: time.Hour})); err != nil {
		t.Fatal(err)
	}
	work, err := admin.Stream(ctx, "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	if age := work.CachedInfo().Config.MaxAge; age != time.Hour {
		t.Errorf("the work stream's MaxAge after Deploy again = %v, want 1h", age)
	}
	if after := taskConsumer(t, admin); after != before || !strings.HasPrefix(after, "mpire_"+cluster.TaskID(taskName)+"_") {
		t.Errorf("a task's consumer was %s, and is %s after Deploy again", before, after)
	}

	if err := admin.DeleteStream(ctx, "MPIRE_REPLIES"); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, c, 0, mpire.WithJobs(1))
	if _, err := p.Apply(ctx, 1); !errors.Is(err, cluster.ErrNotDeployed) || !strings.Contains(err.Error(), "cluster.Deploy(ctx, js)") {
		t.Errorf("Apply without a deployment = %v, want ErrNotDeployed saying to run cluster.Deploy", err)
	}
	_, js := connect(t, c.srv.WorkerURL(), cluster.WorkerInbox(""))
	if err := cluster.Serve(ctx, js); !errors.Is(err, cluster.ErrNotDeployed) {
		t.Errorf("Serve without a deployment = %v, want ErrNotDeployed", err)
	}

	if err := cluster.Deploy(ctx, admin); err != nil {
		t.Fatal(err)
	}
	serveHere(t, c, cluster.WithJobs(1))
	within(t, "the call", func() {
		if r, err := newPool(t, c, 0, mpire.WithJobs(1)).Apply(ctx, 3); err != nil || r != 9 {
			t.Errorf("Apply once deployed = %d, %v", r, err)
		}
	})
}

// TestAnotherDeploymentsPushConsumersCannotReachOurs: mallory, with the
// roles of the deployment "other", makes consumers of her own work stream
// as a worker may, but push consumers, whose deliver subjects permissions
// cannot see: onto the JetStream API (to delete our work stream, to pull
// our chunks into the void through the consumer name she can guess, to
// reset it) and onto our work and reply subjects. She then publishes to her
// stream, as a caller may, throughout a call of ours: the server delivers
// nothing of it (it delivers only to an exact subscription, and our tasks'
// consumers are named with our deployment's key), and the call ends with
// every result.
func TestAnotherDeploymentsPushConsumersCannotReachOurs(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	ctx := context.Background()
	_, admin := connect(t, c.srv.AdminURL())
	if err := cluster.Deploy(ctx, admin, cluster.WithPrefix("other")); err != nil {
		t.Fatal(err)
	}
	c.startWorker(1)
	nc, err := nats.Connect(urlOf(c.srv), cluster.CallerInbox("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	guess := "mpire_" + cluster.TaskID(taskName) // our task's consumer, without our key
	targets := map[string]string{
		"$JS.API.STREAM.DELETE.MPIRE_WORK":                                                              "",
		"$JS.API.CONSUMER.MSG.NEXT.MPIRE_WORK." + guess:                                                 `{"batch":100}`,
		"$JS.API.CONSUMER.RESET.MPIRE_WORK." + guess:                                                    `{"seq":1000000}`,
		"mpire.work." + cluster.TaskID(taskName) + ".0123456789abcdef01234567.89abcdef0123456789abcdef": "forged",
		"mpire.reply.0123456789abcdef01234567.89abcdef0123456789abcdef":                                 "forged",
	}
	var triggers []*nats.Msg // published to mallory's work subjects, which she may
	for to, body := range targets {
		name := "push" + cluster.TaskID(to)
		if _, err := js.CreateConsumer(ctx, "other_MPIRE_WORK", jetstream.ConsumerConfig{
			Name: name, FilterSubject: "other.mpire.work." + name + ".>", DeliverSubject: to, AckPolicy: jetstream.AckExplicitPolicy,
		}); err != nil {
			t.Fatalf("mallory's push consumer onto %s: %v", to, err)
		}
		m := nats.NewMsg("other.mpire.work." + name + ".x")
		m.Data = []byte(body)
		triggers = append(triggers, m)
	}
	stop := make(chan struct{})
	var pushing sync.WaitGroup
	pushing.Go(func() {
		for {
			for _, m := range triggers {
				if err := nc.PublishMsg(m); err != nil {
					t.Error(err)
					return
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	xs := ints(0, 30)
	within(t, "the call", func() {
		got, err := newPool(t, c, 0, mpire.WithJobs(2)).Map(ctx, xs, mpire.WithChunkSize(1))
		if err != nil || !slices.Equal(got, want(xs, 0)) {
			t.Errorf("Map while mallory pushes = %v, %v", got, err)
		}
	})
	close(stop)
	pushing.Wait()
	if _, err := admin.Stream(ctx, "MPIRE_WORK"); err != nil {
		t.Fatalf("our work stream: %v", err)
	}
}

// TestARoleMakesOnlyItsOwnConsumers: a worker asks for consumers of the
// work stream in the forms whose subject does not name the filter (the
// legacy durable one, an ephemeral one, several filters) and in the
// filtered form with another filter in the body: the permissions refuse
// the first (no answer comes), the server the last; a caller may make no
// consumer of the work stream at all.
func TestARoleMakesOnlyItsOwnConsumers(t *testing.T) {
	c := newCluster(t)
	ctx := context.Background()
	for role, url := range map[string]string{"worker": c.srv.WorkerURL(), "caller": c.srv.CallerURL()} {
		inbox := cluster.WorkerInbox("")
		if role == "caller" {
			inbox = cluster.CallerInbox("")
		}
		nc, err := nats.Connect(url, inbox)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		filter := "mpire.work." + cluster.TaskID(taskName) + ".>"
		for subject, body := range map[string]string{
			"$JS.API.CONSUMER.DURABLE.CREATE.MPIRE_WORK.x":         `{"stream_name":"MPIRE_WORK","config":{"durable_name":"x","ack_policy":"explicit"}}`,
			"$JS.API.CONSUMER.CREATE.MPIRE_WORK":                   `{"stream_name":"MPIRE_WORK","config":{"ack_policy":"explicit"}}`,
			"$JS.API.CONSUMER.CREATE.MPIRE_WORK.x":                 `{"stream_name":"MPIRE_WORK","config":{"name":"x","ack_policy":"explicit","filter_subjects":["` + filter + `"]}}`,
			"$JS.API.CONSUMER.CREATE.MPIRE_WORK.x." + filter:       `{"stream_name":"MPIRE_WORK","config":{"name":"x","ack_policy":"explicit","filter_subject":"mpire.work.>"}}`,
			"$JS.API.CONSUMER.CREATE.MPIRE_WORK.x.mpire.reply.a.>": `{"stream_name":"MPIRE_WORK","config":{"name":"x","ack_policy":"explicit","filter_subject":"mpire.reply.a.>"}}`,
		} {
			m, err := nc.Request(subject, []byte(body), time.Second)
			if err == nil && !strings.Contains(string(m.Data), `"error"`) {
				t.Errorf("a %s made a consumer with %s: %s", role, subject, m.Data)
			}
		}
	}
	_, admin := connect(t, c.srv.AdminURL())
	work, err := admin.Stream(ctx, "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	for name := range work.ConsumerNames(ctx).Name() {
		t.Errorf("the work stream has the consumer %s", name)
	}
}

// TestAPrefixUnderTheInboxesIsRefused: most NATS users may read _INBOX.>,
// so a deployment whose names start there is refused before anything is
// made.
func TestAPrefixUnderTheInboxesIsRefused(t *testing.T) {
	c := newCluster(t)
	_, admin := connect(t, c.srv.AdminURL())
	for _, p := range []string{"_INBOX", "_INBOX_team"} {
		if err := cluster.Deploy(context.Background(), admin, cluster.WithPrefix(p)); err == nil || !strings.Contains(err.Error(), "_INBOX") {
			t.Errorf("Deploy with the prefix %q = %v, want a refusal that names _INBOX", p, err)
		}
	}
}
