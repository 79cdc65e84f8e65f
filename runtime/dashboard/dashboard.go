// Package dashboard serves MPIRE's live dashboard: a web page of every call
// made with a progress bar (mpire.WithProgressBar) in this process, and in
// the processes connected to it. It is a package of its own so that a
// program that never uses it links no net/http.
//
//	d, err := dashboard.Start("") // the first free port of localhost:8080-8099
//	if err != nil { ... }
//	defer d.Close()
//	fmt.Println(d.URL())
//
// So that the page outlives a program that fails, run it as its own process
// (the mpire-dashboard command) and Connect programs to it.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

//go:embed index.html
var dashboardFiles embed.FS

// The ports tried in order by Start(""), as in MPIRE.
const firstPort, lastPort = 8080, 8099

// maxBody bounds the body of a report a dashboard accepts.
const maxBody = 1 << 20

// A Dashboard serves a live web page of every call made with a progress bar
// in this process, and of processes connected to it with Connect.
type Dashboard struct {
	srv   *http.Server
	url   string
	done  chan struct{}
	close sync.Once
	err   error
}

// Start serves the dashboard on addr (host:port). An empty addr
// takes the first free port of localhost:8080 to localhost:8099. The page
// lists every call made with a progress bar (WithProgressBar) from then on,
// refreshed twice a second; /api/calls serves the same as JSON.
//
// Only this machine's browsers can use it: requests must name the
// dashboard by an IP address, localhost, this host's name or the host of
// addr (against DNS rebinding), and reports are refused from web pages of
// other origins and in any form but JSON (against cross-site requests).
func Start(addr string) (*Dashboard, error) {
	ln, err := listen(addr)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(dashboardFiles))
	mux.HandleFunc("GET /api/calls", serveCalls)
	mux.HandleFunc("POST /api/report", receiveReport)
	host, _, _ := net.SplitHostPort(addr)
	d.srv = &http.Server{
		Handler:           knownHost(host, http.NewCrossOriginProtection().Handler(mux)),
		ReadHeaderTimeout: 5 * time.Second,
	}
	board.mu.Lock()
	board.serving++
	board.update()
	board.mu.Unlock()
	go func() {
		defer close(d.done)
		d.srv.Serve(ln)
	}()
	return d, nil
}

func listen(addr string) (net.Listener, error) {
	if addr != "" {
		return net.Listen("tcp", addr)
	}
	for port := firstPort; port <= lastPort; port++ {
		if ln, err := net.Listen("tcp", fmt.Sprintf("localhost:%d", port)); err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("mpire dashboard: no free port for the dashboard on localhost:%d-%d", firstPort, lastPort)
}

// URL returns the address of the dashboard's page.
func (d *Dashboard) URL() string { return d.url }

// Close stops serving the dashboard. Closing it again does nothing and
// returns the same error.
func (d *Dashboard) Close() error {
	d.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d.err = d.srv.Shutdown(ctx)
		<-d.done
		board.mu.Lock()
		board.serving--
		board.update()
		board.mu.Unlock()
	})
	return d.err
}

// knownHost answers only requests whose Host header names the dashboard as
// this machine would: an IP address, localhost, the machine's name, or the
// host it was started on. A page on attacker.example whose name was made
// to point at 127.0.0.1 (DNS rebinding) is refused.
func knownHost(startedOn string, h http.Handler) http.Handler {
	machine, _ := os.Hostname()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hp, _, err := net.SplitHostPort(host); err == nil {
			host = hp
		}
		host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
		ok := net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") ||
			(machine != "" && strings.EqualFold(host, machine)) || (startedOn != "" && strings.EqualFold(host, startedOn))
		if !ok {
			http.Error(w, "mpire dashboard: unknown host "+r.Host, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func serveCalls(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(board.calls())
}

// receiveReport records a batch of reports from a connected process. Only
// JSON is accepted: a web page can post a form or text cross-site without
// asking, but not JSON, which needs a preflight that nothing here answers.
func receiveReport(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "mpire dashboard: reports are JSON", http.StatusUnsupportedMediaType)
		return
	}
	var b batch
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&b); err != nil || b.Token == "" || len(b.Token) > maxText || len(b.Calls) > maxCalls {
		http.Error(w, "mpire dashboard: malformed report", http.StatusBadRequest)
		return
	}
	board.receive(b, time.Now())
	w.WriteHeader(http.StatusNoContent)
}
