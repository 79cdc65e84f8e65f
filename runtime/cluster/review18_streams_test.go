package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
	"github.com/mpire-go/mpire/runtime/internal/flakytest"
	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// TestAnotherDeploymentsStreamsCannotCaptureOrRelay (review of issue 18):
// mallory has the roles of another deployment ("other"), whose stream and
// bucket she may create. She creates them first, as she may, with subjects
// and a republish of her choosing: her work stream captures the subjects
// where the default deployment's chunks are delivered to its workers and
// republishes them on her own inbox; her bucket's stream takes a subject
// she may publish to and republishes it on the default deployment's reply
// subjects. She must read no chunk of the default deployment and no token,
// and a reply she forges with what she read must not end a call.
func TestAnotherDeploymentsStreamsCannotCaptureOrRelay(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	nc, err := nats.Connect(urlOf(c.srv), cluster.CallerInbox("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancelSetUp := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelSetUp()
	spy := make(chan *nats.Msg, 100)
	if _, err := nc.ChanSubscribe("other.mpire.inbox.caller.spy.>", spy); err != nil {
		t.Fatal(err)
	}
	nc.Flush()
	_, capture := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      "other_MPIRE_WORK",
		Subjects:  []string{"other.mpire.work.>", "mpire.inbox.worker.>", "mpire.reply.>"},
		Storage:   jetstream.MemoryStorage,
		RePublish: &jetstream.RePublish{Source: ">", Destination: "other.mpire.inbox.caller.spy.>"},
	})
	_, relay := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      "OBJ_other_mpire_shared",
		Subjects:  []string{"$O.other_mpire_shared.fwd.>"},
		Storage:   jetstream.MemoryStorage,
		RePublish: &jetstream.RePublish{Source: "$O.other_mpire_shared.fwd.>", Destination: "mpire.reply.>"},
	})
	if capture != nil && relay != nil {
		return // refused: nothing to show
	}
	t.Errorf("mallory made streams of her deployment's names that capture or republish the default deployment's subjects: %v, %v", capture, relay)

	c.startWorker(1)
	p := newPool(t, c, 0, mpire.WithJobs(1))
	callCtx, cancelCall := context.WithCancel(context.Background())
	defer cancelCall()
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(callCtx, waitTask) // waits until its caller cancels it
		done <- err
	}()
	var ep, seq, token string
	for deadline := time.After(20 * time.Second); token == "" || ep == ""; {
		select {
		case m := <-spy:
			subj := m.Header.Get("Nats-Subject")
			if tok := m.Header.Get("Mpire-Token"); tok != "" {
				token, seq = tok, m.Header.Get("Mpire-Seq")
			}
			for _, s := range []string{subj, m.Subject} {
				if i := strings.Index(s, "mpire.work."); i >= 0 {
					ep = s[strings.LastIndexByte(s, '.')+1:]
				}
				if rest, ok := strings.CutPrefix(s, "mpire.reply."); ok {
					ep, _, _ = strings.Cut(rest, ".")
				}
			}
		case <-deadline:
			cancelCall()
			<-done
			return
		}
	}
	t.Errorf("mallory, of another deployment, read the token of a chunk of endpoint %s", ep)
	forged := nats.NewMsg("$O.other_mpire_shared.fwd." + ep + ".r")
	forged.Data = wire.AppendReply(nil, &wire.Reply{N: 1, Payload: flakytest.AppendInts(nil, []int{666})})
	forged.Header.Set("Mpire-Seq", seq)
	forged.Header.Set("Mpire-Proof", cluster.Proof(token))
	forged.Header.Set("Mpire-Attempt", "mallory")
	if err := nc.PublishMsg(forged); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("the call accepted mallory's forged result")
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("Apply = %v", err)
		}
	case <-time.After(3 * time.Second):
		cancelCall()
		<-done
	}
}

// TestAnotherDeploymentCannotReachTheJetStreamAPI (review of issue 18): a
// stream of mallory's deployment that republishes what she publishes to it
// on the JetStream API makes the server act on her behalf, beyond her
// permissions: here it deletes the default deployment's work stream.
func TestAnotherDeploymentCannotReachTheJetStreamAPI(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	_, admin := connect(t, c.srv.AdminURL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.Stream(ctx, "MPIRE_WORK"); err != nil { // made by devserver.Start
		t.Fatal(err)
	}
	nc, err := nats.Connect(urlOf(c.srv), cluster.CallerInbox("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "other_MPIRE_WORK", Subjects: []string{"other.mpire.work.>"}, Storage: jetstream.MemoryStorage,
		RePublish: &jetstream.RePublish{Source: "other.mpire.work.delete", Destination: "$JS.API.STREAM.DELETE.MPIRE_WORK"},
	}); err != nil {
		return // refused: nothing to show
	}
	t.Error("mallory made a stream that republishes on the JetStream API")
	if _, err := js.Publish(ctx, "other.mpire.work.delete", nil); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := admin.Stream(ctx, "MPIRE_WORK"); errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Fatal("and deleted the default deployment's work stream with it")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
