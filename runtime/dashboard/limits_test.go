package dashboard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// testLimits are the server's limits, short enough for a test: 300 ms to
// read a request or to idle, 8 connections at once.
var testLimits = limits{readHeader: 300 * time.Millisecond, read: 300 * time.Millisecond, write: 300 * time.Millisecond,
	idle: 300 * time.Millisecond, conns: 8, decoding: 2}

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
