package cluster_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/cluster"
)

// eavesdropper is a connection that subscribes to every subject in subjects
// that the server lets it, and keeps what it reads there.
type eavesdropper struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func eavesdrop(t *testing.T, url string, subjects []string, opts ...nats.Option) (*eavesdropper, *nats.Conn) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e := &eavesdropper{}
	for _, subj := range subjects {
		if _, err := nc.Subscribe(subj, func(m *nats.Msg) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.msgs = append(e.msgs, m)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return e, nc
}

// read returns what the eavesdropper read, once the server sent it all.
func (e *eavesdropper) read(nc *nats.Conn) []*nats.Msg {
	nc.Flush()
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.msgs)
}

// tokenIn returns a token of tokens that m carries, in a header or its body.
func tokenIn(m *nats.Msg, tokens []string) (string, bool) {
	for _, tok := range tokens {
		if strings.Contains(string(m.Data), tok) {
			return tok, true
		}
		for _, vs := range m.Header {
			for _, v := range vs {
				if strings.Contains(v, tok) {
					return tok, true
				}
			}
		}
	}
	return "", false
}

// TestAThirdUserCannotReadChunksOnTheSharedInbox (review of issue 18): a
// user with the permissions of another deployment (mallory) subscribes to
// _INBOX.>, where JetStream delivered the chunks that workers pull, and to
// everything her own roles may: she reads no chunk of a deployment she has
// no role in, nor its token.
func TestAThirdUserCannotReadChunksOnTheSharedInbox(t *testing.T) {
	opt, urlOf := mallory()
	c := newCluster(t, opt)
	c.startWorker(1)
	f := newFakeWorker(t, c)
	subjects := append([]string{"_INBOX.>", "mpire.>", ">"}, cluster.CallerPermissions("other").Subscribe...)
	mallory, nc := eavesdrop(t, urlOf(c.srv), append(subjects, cluster.WorkerPermissions("other").Subscribe...))
	p := newPool(t, c, 0, mpire.WithJobs(2))
	xs := ints(0, 10)
	within(t, "the call", func() {
		if _, err := p.Map(context.Background(), xs, mpire.WithChunkSize(1)); err != nil {
			t.Errorf("Map: %v", err)
		}
	})
	var tokens []string
	for range xs {
		tokens = append(tokens, f.next(t).Header.Get("Mpire-Token"))
	}
	for _, m := range mallory.read(nc) {
		if m.Header.Get("Mpire-Schema") != "" {
			t.Errorf("mallory, a user of another deployment, read a chunk on %s", m.Subject)
		}
		if tok, ok := tokenIn(m, tokens); ok {
			t.Errorf("mallory read the token %s on %s", tok, m.Subject)
		}
	}
}

// TestAnotherCallerCannotCancelACall (review of issue 18): a cancel is to
// be honoured only from the caller that made the call. Another caller of
// the same deployment (eve, with the caller role's user and inbox) listens
// wherever the server lets her: on _INBOX.>, where the worker's chunks
// came, on the callers' inbox, and on the stream of replies through a
// consumer of her own. She reads no chunk's token (a reply carries its
// proof, not the token), and what she read, sent as cancels, leaves the
// call running.
func TestAnotherCallerCannotCancelACall(t *testing.T) {
	c := newCluster(t)
	c.startWorker(1)
	f := newFakeWorker(t, c)
	eve, nc := eavesdrop(t, c.srv.CallerURL(), append([]string{"_INBOX.>", "mpire.>"}, cluster.CallerPermissions("").Subscribe...), cluster.CallerInbox(""))
	p := newPool(t, c, 0, mpire.WithJobs(1))
	// Her consumer of every reply of the deployment.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "a first call", func() { p.Apply(context.Background(), 1) }) // the stream of replies is made
	cons, err := js.CreateConsumer(context.Background(), "MPIRE_REPLIES", jetstream.ConsumerConfig{Name: "eve", FilterSubject: "mpire.reply.*.>", AckPolicy: jetstream.AckNonePolicy})
	if err != nil {
		t.Fatal(err)
	}
	replies, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer replies.Stop()
	// A call, whose replies eve reads.
	within(t, "the call", func() {
		if _, err := p.Map(context.Background(), ints(0, 5), mpire.WithChunkSize(1)); err != nil {
			t.Errorf("Map: %v", err)
			return
		}
	})
	ctx, cancelCall := context.WithCancel(context.Background())
	defer cancelCall()
	done := make(chan error, 1)
	go func() {
		_, err := p.Apply(ctx, waitTask) // not cancelled by its caller until the test ends
		done <- err
	}()
	var tokens []string
	for range 7 {
		tokens = append(tokens, f.next(t).Header.Get("Mpire-Token"))
	}
	waitTaken(t, c)
	read := eve.read(nc)
	for range 5 {
		m, err := replies.Next()
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, &nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()})
	}
	// Eve sends as a cancel of each endpoint she heard of every seq and
	// every header value she read.
	var cancels []*nats.Msg
	for _, m := range read {
		if tok, ok := tokenIn(m, tokens); ok {
			t.Errorf("eve read the token %s on %s", tok, m.Subject)
		}
		ep, ok := strings.CutPrefix(m.Subject, "mpire.reply.")
		if !ok {
			continue
		}
		for _, vs := range m.Header {
			for _, v := range vs {
				for seq := range 8 {
					cancels = append(cancels, &nats.Msg{Subject: "mpire.cancel." + ep, Data: []byte(strconv.Itoa(seq) + " " + v)})
				}
			}
		}
	}
	if len(cancels) == 0 {
		t.Fatalf("eve read no reply, of %d messages", len(read))
	}
	for range 20 {
		for _, m := range cancels {
			nc.PublishMsg(m)
		}
		select {
		case err := <-done:
			t.Fatalf("another caller cancelled the call with what it read: Apply = %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The call still runs: its own caller ends it.
	cancelCall()
	within(t, "the call cancelled by its caller", func() { <-done })
}
