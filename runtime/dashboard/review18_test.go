package dashboard

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTricklingBodiesDoNotStarveReports (review of issue 18): a report
// takes one of a few decoding slots before its body is read, and keeps it
// while the body trickles in, for up to the read timeout (10 s). A few
// connections that each send a byte now and then hold every slot, and a
// connected program's report, which gives up after 2 s, never gets one.
func TestTricklingBodiesDoNotStarveReports(t *testing.T) {
	lim := defaultLimits()
	_, addr := startLimited(t, lim)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range lim.decoding {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 1<<20)
	}
	stop := make(chan struct{})
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, c := range conns {
					c.Write([]byte(" "))
				}
			}
		}
	}()
	defer func() { close(stop); <-trickled }()
	time.Sleep(500 * time.Millisecond) // the slow bodies take their slots

	secret := "a-connected-program"
	body := `{"token":"` + tokenOf(secret) + `","secret":"` + secret + `","program":{"name":"p"},"calls":[{"id":"` +
		tokenOf(secret) + `-1","func":"F","status":"running","started":"2026-01-02T03:04:05Z"}]}`
	client := http.Client{Timeout: 2 * time.Second} // as a connected program's
	resp, err := client.Post("http://"+addr+"/api/report", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("a connected program's report, while %d connections trickle their bodies: %v", lim.decoding, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the report got %d", resp.StatusCode)
	}
}

// TestAFlooderForgetsOnlyItsOwnCalls (review of issue 18): the board keeps
// at most maxCalls calls and maxRemoteBytes bytes of other processes,
// forgetting the oldest first. A process of this machine that reports a
// flood of calls, running and started in the future, made every other
// process's calls forgotten: it could not update them, but it could erase
// them, even from many processes (a secret costs nothing). A flooder now
// forgets its own calls first; a flood from many processes leaves each
// process heard from before it one call at least (a fair share of the
// board), forgetting the processes heard from last first.
func TestAFlooderForgetsOnlyItsOwnCalls(t *testing.T) {
	victimSecret, flooderSecret := "victim", "flooder"
	victim, flooder := batch{Token: tokenOf(victimSecret)}, batch{Token: tokenOf(flooderSecret)}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	victimCalls := func() []CallReport {
		var reps []CallReport
		for i := range 3 {
			reps = append(reps, CallReport{ID: fmt.Sprintf("%s-%d", victim.Token, i), Status: statusRunning, Started: started})
		}
		return reps
	}
	fill := strings.Repeat("x", maxError)
	for _, tc := range []struct {
		name        string
		large, many bool // many: each call from a process of its own
	}{{"in number", false, false}, {"in bytes", true, false}, {"from many processes, in number", false, true}, {"from many processes, in bytes", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := &registry{remote: map[string]*remoteCall{}}
			now := time.Now()
			r.receive(victim, victimCalls(), now)
			future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 2 * maxCalls {
				from := flooder
				if tc.many {
					from = batch{Token: tokenOf(fmt.Sprint(flooderSecret, i))}
				}
				rep := CallReport{ID: fmt.Sprintf("%s-%d", from.Token, i), Status: statusRunning, Started: future.Add(time.Duration(i))}
				if tc.large {
					rep.Error = fill
					rep.Stack = make([]Frame, maxFrames)
					for j := range rep.Stack {
						rep.Stack[j] = Frame{Func: fill[:maxText], Pos: fill[:maxText]}
					}
				}
				r.receive(from, []CallReport{rep}, now.Add(time.Duration(i+1)*time.Millisecond))
			}
			if len(r.remote) > maxCalls || r.remoteBytes > maxRemoteBytes {
				t.Fatalf("%d calls, %d bytes kept", len(r.remote), r.remoteBytes)
			}
			kept := 0
			for _, rep := range victimCalls() {
				if r.remote[rep.ID] != nil {
					kept++
				} else if !tc.many {
					t.Errorf("a flood of another process's reports erased the victim's call %s", rep.ID)
				}
			}
			// Processes as many as the board holds calls share it: each
			// keeps one at least, the ones heard from first.
			if kept == 0 {
				t.Errorf("a flood of reports from many processes erased every call of the victim")
			}
		})
	}
}
