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
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
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
	srv      *http.Server
	url      string
	lim      limits
	reading  atomic.Int64  // bytes held by the bodies being read
	decoding chan struct{} // a slot per report being decoded
	done     chan struct{}
	close    sync.Once
	err      error
}

// Start serves the dashboard on addr (host:port). An empty addr
// takes the first free port of localhost:8080 to localhost:8099. The page
// lists every call made with a progress bar (WithProgressBar) from then on,
// refreshed twice a second; /api/calls serves the same as JSON, and
// /api/report takes the reports of the processes connected with Connect.
//
// What it serves, to whom, depends on addr:
//
//   - On a loopback address (localhost, 127.0.0.1, ::1, and the default),
//     it serves this machine only, with no token: any process or user of
//     this machine can read the page, which shows the calls' titles,
//     functions, positions, errors and the arguments of the longest tasks,
//     and can report calls of its own.
//   - On any other address (0.0.0.0, a network's address, a host name), it
//     serves whoever reaches that address and holds its token: a random
//     token, in the query of the URL that (*Dashboard).URL returns
//     (?token=..., as Jupyter does). Opening that URL sets a cookie for the
//     page; programs Connect with the whole URL. The token and the page
//     travel in clear over HTTP: serve only a network you trust, or put a
//     proxy that adds TLS in front.
//
// Either way, requests must name the dashboard by an IP address,
// localhost, this host's name or the host of addr (against DNS rebinding);
// reports are refused from web pages of other origins and in any form but
// JSON (against cross-site requests); and a call can be updated only by
// the process that made it (see Connect). Slow and idle clients
// are cut off, it holds a few hundred connections at most (one more closes
// the oldest), and what it keeps of other processes' calls is bounded in
// number and in bytes.
func Start(addr string) (*Dashboard, error) {
	return start(addr, defaultLimits())
}

func start(addr string, lim limits) (*Dashboard, error) {
	ln, err := listen(addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	at := ln.Addr().(*net.TCPAddr)
	d := &Dashboard{url: "http://" + net.JoinHostPort(urlHost(host, at.IP), strconv.Itoa(at.Port)),
		lim: lim, decoding: make(chan struct{}, lim.decoding), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(dashboardFiles))
	mux.HandleFunc("GET /api/calls", serveCalls)
	mux.HandleFunc("POST /api/report", d.receiveReport)
	handler := http.NewCrossOriginProtection().Handler(mux)
	if !at.IP.IsLoopback() {
		token := randomHex(24)
		d.url += "/?token=" + token
		handler = requireToken(token, "mpire-dashboard-"+strconv.Itoa(at.Port), handler)
	}
	d.srv = &http.Server{
		Handler:           knownHost(host, handler),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	board.mu.Lock()
	board.serving++
	board.update()
	board.mu.Unlock()
	go func() {
		defer close(d.done)
		d.srv.Serve(limitConns(ln, lim.conns))
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

// urlHost returns the host of the URL to print for a dashboard started on
// host and listening on ip: a name given for another machine to use as it
// is; for every address of this machine (0.0.0.0, ::), this machine's name
// when it resolves, else 127.0.0.1; otherwise the address listened on.
func urlHost(host string, ip net.IP) string {
	switch {
	case ip.IsUnspecified():
		if name, err := os.Hostname(); err == nil && name != "" {
			if _, err := net.LookupHost(name); err == nil {
				return name
			}
		}
		return "127.0.0.1"
	case host != "" && net.ParseIP(host) == nil && !ip.IsLoopback():
		return host
	}
	return ip.String()
}

// URL returns the address of the dashboard's page, with its token when it
// needs one.
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

func serveCalls(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(board.calls())
}

// receiveReport records a batch of reports from a connected process. Only
// JSON is accepted: a web page can post a form or text cross-site without
// asking, but not JSON, which needs a preflight that nothing here answers.
//
// The body is read first, within the body's deadline and the budget of
// bodies being read; then a few batches are decoded at a time, since
// decoding takes a multiple of the body's size. A client that trickles its
// body thus holds a few bytes of the budget, never a decoding slot that a
// connected program's report waits for.
func (d *Dashboard) receiveReport(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "mpire dashboard: reports are JSON", http.StatusUnsupportedMediaType)
		return
	}
	body, release, err := d.readBody(w, r)
	if err != nil {
		code := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, errBusy):
			code = http.StatusServiceUnavailable
		case errors.As(err, &tooLarge):
			code = http.StatusRequestEntityTooLarge
		}
		http.Error(w, "mpire dashboard: reading the report: "+err.Error(), code)
		return
	}
	defer release()
	select {
	case d.decoding <- struct{}{}:
		defer func() { <-d.decoding }()
	case <-r.Context().Done():
		return
	}
	var b batch
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, "mpire dashboard: malformed report", http.StatusBadRequest)
		return
	}
	reports, err := b.reports()
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errForged) {
			code = http.StatusForbidden
		}
		http.Error(w, "mpire dashboard: "+err.Error(), code)
		return
	}
	board.receive(b, reports, time.Now())
	w.WriteHeader(http.StatusNoContent)
}

// errBusy refuses a report whose body would take the budget of bodies
// being read over its bound: the reporter sends again later.
var errBusy = errors.New("too many reports being read at once")

// readBody reads a report's body, at most maxBody bytes, before the body's
// deadline. The bytes it read count against the budget of bodies being
// read (limits.bodyBytes) until release is called; a body that would take
// the budget over its bound is refused with errBusy.
func (d *Dashboard) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(d.lim.body))
	var held int64
	release = func() { d.reading.Add(-held) }
	in := http.MaxBytesReader(w, r.Body, maxBody)
	piece := make([]byte, 16<<10)
	for {
		n, err := in.Read(piece)
		if n > 0 {
			if d.reading.Add(int64(n)) > int64(d.lim.bodyBytes) {
				d.reading.Add(-int64(n))
				release()
				return nil, nil, errBusy
			}
			held += int64(n)
			body = append(body, piece[:n]...)
		}
		if err == io.EOF {
			return body, release, nil
		}
		if err != nil {
			release()
			return nil, nil, err
		}
	}
}
