package dashboard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// testLimits are the server's limits, short enough for a test: 300 ms to
// read a request or to idle, 8 connections at once.
var testLimits = limits{readHeader: 300 * time.Millisecond, read: 300 * time.Millisecond, write: 300 * time.Millisecond,
	idle: 300 * time.Millisecond, conns: 8, body: 300 * time.Millisecond, bodyBytes: 2 * maxBody, decoding: 2}

// startLimited starts a dashboard on 127.0.0.1 with lim, closed when the
// test ends.
func startLimited(t *testing.T, lim limits) (d *Dashboard, addr string) {
	t.Helper()
	d, err := start("127.0.0.1:0", lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, d.URL()[len("http://"):]
}

// closedBy reports whether the server closes conn before the deadline,
// while trickle writes to it a byte every 50 ms, if it is given.
func closedBy(conn net.Conn, deadline time.Duration, trickle bool) bool {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		io.Copy(io.Discard, conn) // until the server closes it, or the test does
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(deadline)
	for {
		select {
		case <-closed:
			return true
		case <-timeout:
			conn.Close()
			<-closed
			return false
		case <-tick.C:
			if trickle {
				conn.Write([]byte("x"))
			}
		}
	}
}

// TestSlowAndIdleClientsAreCutOff holds connections open as an attacker
// would, sending a byte every 50 ms or nothing: the dashboard closes each
// within its limits (300 ms here), rather than keeping them all.
func TestSlowAndIdleClientsAreCutOff(t *testing.T) {
	_, addr := startLimited(t, testLimits)
	cases := []struct {
		name    string
		send    string // the start of a request, never finished
		trickle bool
	}{
		{"silent", "", false},
		{"headers a byte at a time", "GET /api/calls HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", true},
		{"body a byte at a time", "POST /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", true},
		{"idle after a request", "GET /api/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			// Far more than the limits: a connection kept this long is
			// kept for good.
			if !closedBy(conn, 10*time.Second, tc.trickle) {
				t.Errorf("the dashboard kept the connection for 10 s")
			}
		})
	}
}

// TestABodyIsCutOffAtItsDeadline: a report's body trickled a byte every
// 50 ms is cut off at the body's deadline (300 ms here), although the
// request's read timeout is a minute.
func TestABodyIsCutOffAtItsDeadline(t *testing.T) {
	lim := testLimits
	lim.read = time.Minute
	_, addr := startLimited(t, lim)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	if !closedBy(conn, 10*time.Second, true) {
		t.Errorf("the dashboard kept a trickling body for 10 s")
	}
}

// TestBodiesBeingReadAreBoundedInBytes: two bodies of 40 KiB, stalled
// before their end, under a budget of 64 KiB: the second, which would take
// the budget over it, is refused at once (503), the first keeps its bytes,
// and a connected program's report, which fits, is taken.
func TestBodiesBeingReadAreBoundedInBytes(t *testing.T) {
	lim := testLimits
	lim.read, lim.body, lim.bodyBytes = time.Minute, time.Minute, 64<<10
	d, addr := startLimited(t, lim)
	answers := make(chan string, 2)
	for i := range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 1<<20, strings.Repeat(" ", 40<<10))
		go func() {
			status, _ := bufio.NewReader(conn).ReadString('\n')
			answers <- status
		}()
		for deadline := time.Now().Add(30 * time.Second); i == 0 && d.reading.Load() < 40<<10; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) { // the first body is read, as far as it goes
				t.Fatalf("the dashboard read %d bytes of the first body in 30 s", d.reading.Load())
			}
		}
	}
	select {
	case status := <-answers:
		if !strings.Contains(status, "503") {
			t.Fatalf("a body over the budget got %q, want 503", status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("two bodies of 40 KiB are read at once under a budget of 64 KiB")
	}
	secret := "a-connected-program"
	body := `{"token":"` + tokenOf(secret) + `","secret":"` + secret + `","program":{"name":"p"},"calls":[]}`
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post("http://"+addr+"/api/report", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("a report within the budget got %d", resp.StatusCode)
	}
	select {
	case status := <-answers:
		t.Fatalf("the body within the budget was answered %q before its end", status)
	default:
	}
}

// TestConnectionsAreBounded holds as many connections as the dashboard
// keeps: the next one is served, and the oldest closed.
func TestConnectionsAreBounded(t *testing.T) {
	lim := testLimits
	lim.readHeader, lim.read = time.Minute, time.Minute // held until the test lets go
	d, addr := startLimited(t, lim)
	held := make([]net.Conn, lim.conns)
	for i := range held {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Every connection begins the headers of a request that it never
		// finishes.
		fmt.Fprintf(conn, "GET /api/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n")
		held[i] = conn
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(d.URL() + "/api/calls")
	if err != nil {
		t.Fatalf("a connection past the bound of %d was not served: %v", lim.conns, err)
	}
	resp.Body.Close()
	if !closedBy(held[0], 10*time.Second, false) {
		t.Errorf("the oldest of %d connections is still open after one more came", lim.conns+1)
	}
	held[1].SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := held[1].Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the second oldest connection was closed too: %v", err)
	}
}

// TestAFloodOfSilentConnectionsDoesNotStopTheDashboard opens far more
// connections than the dashboard keeps, each sending nothing: a client
// that comes after them is answered.
func TestAFloodOfSilentConnectionsDoesNotStopTheDashboard(t *testing.T) {
	d, addr := startLimited(t, testLimits)
	for range 8 * testLimits.conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(d.URL() + "/api/calls")
	if err != nil {
		t.Fatalf("a client behind %d silent connections: %v", 8*testLimits.conns, err)
	}
	resp.Body.Close()
}

// TestServerLimits checks the settings a test cannot wait for.
func TestServerLimits(t *testing.T) {
	d, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := d.srv
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes > 64<<10 {
		t.Fatalf("server without limits: read header %v, read %v, write %v, idle %v, header bytes %d",
			s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout, s.MaxHeaderBytes)
	}
}
