package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
)

// waitingCall starts a call of one chunk that waits until its caller
// cancels it, on a worker of the default deployment, and returns the
// chunk's subject and token (read by the administrator, who sees the work
// subjects), once a worker took it; done receives the call's error.
func waitingCall(t *testing.T, c *testCluster) (subject, token string, done <-chan error) {
	t.Helper()
	c.startWorker(1)
	f := newFakeWorker(t, c)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	ctx, cancel := context.WithCancel(context.Background())
	ended, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		_, err := p.Apply(ctx, waitTask)
		ended <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	m := f.next(t)
	waitTaken(t, c)
	return m.Subject, m.Header.Get("Mpire-Token"), ended
}

// TestAnotherCallerCannotReadAChunkInTheQueue (review of issue 18): eve,
// another caller of the same deployment, asks the server for every message
// of the work stream by its sequence, as a caller's permissions let it
// (STREAM.MSG.GET, which a caller used to see whether its chunk is still
// queued). She must read no chunk of another caller, nor the token that
// cancels it (the README: "another caller of the same deployment learns no
// token that would cancel a call"); the token she read cancels the call.
func TestAnotherCallerCannotReadAChunkInTheQueue(t *testing.T) {
	c := newCluster(t)
	subject, token, done := waitingCall(t, c)
	eve, err := nats.Connect(c.srv.CallerURL(), cluster.CallerInbox(""))
	if err != nil {
		t.Fatal(err)
	}
	defer eve.Close()
	js, _ := jetstream.New(eve)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	work, err := js.Stream(ctx, "MPIRE_WORK")
	if err != nil {
		t.Fatal(err)
	}
	var read string // the token eve read
	for seq := work.CachedInfo().State.FirstSeq; seq <= work.CachedInfo().State.LastSeq; seq++ {
		short, cancel := context.WithTimeout(ctx, time.Second)
		m, err := work.GetMsg(short, seq)
		cancel()
		if err == nil && m.Header.Get("Mpire-Token") != "" {
			read = m.Header.Get("Mpire-Token")
		}
	}
	if read == "" {
		return
	}
	t.Errorf("another caller read the chunk on %s and its token", subject)
	_, caller, _ := strings.Cut(strings.TrimPrefix(subject, "mpire.work."), ".")
	if read == token {
		eve.Publish("mpire.cancel."+caller, []byte("1 "+read))
	}
	select {
	case err := <-done:
		t.Errorf("and cancelled the call with it: Apply = %v", err)
	case <-time.After(10 * time.Second):
	}
}

// TestACallersWatchShowsNoTokenToAnotherCaller (review of issue 18): the
// callers of a deployment share their inbox, where JetStream answers them
// (the README says so), so what a caller asks the server about its chunk
// is answered where eve, another caller, listens. A caller whose reply
// does not come looks after a second whether its chunk is still queued:
// the answer must not hold the chunk, or its token.
func TestACallersWatchShowsNoTokenToAnotherCaller(t *testing.T) {
	c := newCluster(t)
	eve, nc := eavesdrop(t, c.srv.CallerURL(), cluster.CallerPermissions("").Subscribe, cluster.CallerInbox(""))
	subject, token, _ := waitingCall(t, c)
	// The caller's watch asks after 1, 3 and 7 seconds.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, m := range eve.read(nc) {
			// JetStream answers STREAM.MSG.GET with the message's headers
			// and body in base64.
			var got struct {
				Message struct{ Hdrs, Data []byte }
			}
			json.Unmarshal(m.Data, &got)
			for _, s := range []string{string(m.Data), string(got.Message.Hdrs), string(got.Message.Data)} {
				if strings.Contains(s, token) {
					t.Fatalf("another caller read the token of the chunk on %s in an answer on %s", subject, m.Subject)
				}
			}
		}
	}
}

// TestDeploysAtOnceAgreeOnTheKey (review of issue 18): administrators (or
// the start scripts of several programs) deploy one new deployment at
// once. Each Deploy must succeed, as one run after another does, and the
// deployment's key, in the names of its tasks' consumers, must be chosen
// once: a worker that started with a key that another Deploy then replaced
// would hold its task's consumer, and one that starts after, with the new
// key, be refused its own (a work queue takes one consumer per subject).
func TestDeploysAtOnceAgreeOnTheKey(t *testing.T) {
	c := newCluster(t)
	_, admin := connect(t, c.srv.AdminURL())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Small limits: the server reserves each stream's MaxBytes on its disk,
	// and ten deployments of the default 1 GiB streams do not fit on a
	// machine with less than about 50 GB free.
	small := cluster.WithLimits(cluster.Limits{MaxBytes: 1 << 20})
	for i := range 10 {
		prefix := fmt.Sprintf("race%d", i)
		var deploys sync.WaitGroup
		for range 4 {
			deploys.Go(func() {
				if err := cluster.Deploy(ctx, admin, cluster.WithPrefix(prefix), small); err != nil {
					t.Error(err)
				}
			})
		}
		keys := map[string]bool{}
		done := make(chan struct{})
		go func() {
			deploys.Wait()
			close(done)
		}()
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			if s, err := admin.Stream(ctx, prefix+"_MPIRE_WORK"); err == nil {
				keys[s.CachedInfo().Config.Metadata["mpire.key"]] = true
			}
		}
		if len(keys) > 1 {
			t.Fatalf("the deployment %s had %d keys while it was deployed at once: %v", prefix, len(keys), keys)
		}
	}
}
