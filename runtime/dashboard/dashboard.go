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
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
	"github.com/mpire-go/mpire/runtime/internal/engine"
)

//go:embed index.html
var dashboardFiles embed.FS

// The ports tried in order by Start(""), as in MPIRE.
const firstPort, lastPort = 8080, 8099

// reportInterval is how often a process connected to another's dashboard
// sends the state of its running calls.
const reportInterval = 500 * time.Millisecond

// maxCalls bounds the calls a dashboard remembers.
const maxCalls = 1000

// A CallReport is what a dashboard shows of one call: the rows of its page
// and the records of its JSON endpoint, /api/calls.
type CallReport struct {
	ID       string        `json:"id"`       // unique in the dashboard: process and call number
	Func     string        `json:"func"`     // the task function
	FuncPos  string        `json:"funcPos"`  // where it is declared
	CallPos  string        `json:"callPos"`  // where the call was made
	Done     int64         `json:"done"`     // tasks completed
	Total    int64         `json:"total"`    // tasks in all; -1 when unknown
	Status   string        `json:"status"`   // running, completed, failed or cancelled
	Started  time.Time     `json:"started"`  //
	Finished *time.Time    `json:"finished"` // nil while running
	Error    string        `json:"error"`    // the failure, with its stack for a panic
	Insights *InsightsView `json:"insights"` // nil without WithInsights
}

// InsightsView is the dashboard's form of mpire.Insights.
type InsightsView struct {
	CompletedTasks int                    `json:"completedTasks"`
	Total          time.Duration          `json:"total"`
	Phases         []engine.PhaseStats    `json:"phases"`
	Workers        []mpire.WorkerInsights `json:"workers"`
	TopTasks       []mpire.TaskInsight    `json:"topTasks"`
}

func viewOf(p *engine.Progress) *InsightsView {
	in, ok := p.Insights()
	if !ok {
		return nil
	}
	return &InsightsView{CompletedTasks: in.CompletedTasks(), Total: in.Total, Phases: in.Phases(), Workers: in.Workers, TopTasks: in.TopTasks}
}

// board holds the calls that dashboards show. It is the package's one piece
// of mutable global state: a dashboard shows every call of its process.
var board = &registry{remote: map[string]CallReport{}}

type registry struct {
	mu      sync.Mutex
	serving int    // dashboards started in this process
	connect string // URL given to Connect
	next    int
	local   []*callRecord
	remote  map[string]CallReport // calls of connected processes, by ID
	sending sync.WaitGroup        // calls reporting to a connected dashboard
}

// A callRecord is a call of this process on the board. It holds the call's
// counters, never the call.
type callRecord struct {
	report   CallReport // guarded by board.mu
	progress *engine.Progress
	stop     chan struct{} // closed when the call ends, to stop reporting
}

// update installs or removes the board as the watcher of calls, after a
// change to what it serves or reports to. The caller holds r.mu.
func (r *registry) update() {
	if r.serving > 0 || r.connect != "" {
		engine.SetWatcher(r)
	} else {
		engine.SetWatcher(nil)
	}
}

// Watch puts a new call on the board, and reports it to the connected
// dashboard until it ends.
func (r *registry) Watch(info engine.CallInfo, progress *engine.Progress) engine.Watched {
	rec := &callRecord{progress: progress, stop: make(chan struct{}), report: CallReport{
		Func:    info.Func,
		FuncPos: info.FuncPos,
		CallPos: info.CallPos,
		Total:   info.Total,
		Status:  "running",
		Started: info.Started,
	}}
	r.mu.Lock()
	r.next++
	rec.report.ID = fmt.Sprintf("%d-%d", os.Getpid(), r.next)
	r.local = append(r.local, rec)
	if len(r.local) > maxCalls {
		r.local = slices.Delete(r.local, 0, len(r.local)-maxCalls)
	}
	connect := r.connect
	r.mu.Unlock()
	if connect != "" {
		r.sending.Go(func() { rec.reportTo(connect) })
	}
	return rec
}

// reportTo sends the call's state to the dashboard at url until the call
// ends, then once more.
func (rec *callRecord) reportTo(url string) {
	t := time.NewTicker(reportInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			send(url, board.current(rec))
		case <-rec.stop:
			send(url, board.current(rec))
			return
		}
	}
}

// current returns the report of a call as it is now.
func (r *registry) current(rec *callRecord) CallReport {
	r.mu.Lock()
	rep := rec.report
	r.mu.Unlock()
	if rep.Finished == nil {
		rep.Done = rec.progress.Done()
		rep.Insights = viewOf(rec.progress)
	}
	return rep
}

// Finished records the end of a call.
func (rec *callRecord) Finished(done int64, err error) {
	now := time.Now()
	view := viewOf(rec.progress)
	board.mu.Lock()
	rec.report.Done, rec.report.Finished, rec.report.Insights = done, &now, view
	switch {
	case err == nil:
		rec.report.Status = "completed"
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		rec.report.Status, rec.report.Error = "cancelled", err.Error()
	default:
		rec.report.Status, rec.report.Error = "failed", err.Error()
	}
	board.mu.Unlock()
	close(rec.stop)
}

// calls returns every call on the board, oldest first.
func (r *registry) calls() []CallReport {
	self := fmt.Sprintf("%d-", os.Getpid())
	r.mu.Lock()
	local := slices.Clone(r.local)
	out := make([]CallReport, 0, len(local)+len(r.remote))
	for id, rep := range r.remote {
		if !strings.HasPrefix(id, self) { // this process's own calls come live
			out = append(out, rep)
		}
	}
	r.mu.Unlock()
	for _, rec := range local {
		out = append(out, r.current(rec))
	}
	slices.SortFunc(out, func(a, b CallReport) int {
		return cmp.Or(a.Started.Compare(b.Started), strings.Compare(a.ID, b.ID))
	})
	return out
}

// A Dashboard serves a live web page of every call made with a progress bar
// in this process, and of processes connected to it with Connect.
type Dashboard struct {
	srv  *http.Server
	url  string
	done chan struct{}
}

// Start serves the dashboard on addr (host:port). An empty addr
// takes the first free port of localhost:8080 to localhost:8099. The page
// lists every call made with a progress bar (WithProgressBar) from then on,
// refreshed twice a second; /api/calls serves the same as JSON.
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
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
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

// Close stops serving the dashboard.
func (d *Dashboard) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	<-d.done
	board.mu.Lock()
	board.serving--
	board.update()
	board.mu.Unlock()
	return err
}

func serveCalls(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(board.calls())
}

func receiveReport(w http.ResponseWriter, r *http.Request) {
	var rep CallReport
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&rep); err != nil || rep.ID == "" {
		http.Error(w, "mpire dashboard: malformed call report", http.StatusBadRequest)
		return
	}
	board.mu.Lock()
	board.remote[rep.ID] = rep
	if len(board.remote) > maxCalls {
		oldest := ""
		for id, r := range board.remote {
			if oldest == "" || r.Started.Before(board.remote[oldest].Started) {
				oldest = id
			}
		}
		delete(board.remote, oldest)
	}
	board.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Connect makes this process report its calls with a progress bar
// to the dashboard at url, served by another process (for example the
// mpire-dashboard command), so that the page outlives this program. It
// checks that a dashboard answers there. An empty url disconnects, once the
// calls that were reporting have ended and sent their last report.
func Connect(url string) error {
	url = strings.TrimSuffix(url, "/")
	if url == "" {
		board.mu.Lock()
		board.connect = ""
		board.update()
		board.mu.Unlock()
		board.sending.Wait()
		return nil
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url + "/api/calls")
	if err != nil {
		return fmt.Errorf("mpire dashboard: connecting to the dashboard: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mpire dashboard: %s does not look like an mpire dashboard: %s", url, resp.Status)
	}
	board.mu.Lock()
	board.connect = url
	board.update()
	board.mu.Unlock()
	return nil
}

// send reports a call to the dashboard this process is connected to. A
// dashboard that went away is not the call's problem: errors are dropped.
func send(url string, rep CallReport) {
	body, _ := json.Marshal(rep)
	client := http.Client{Timeout: time.Second}
	resp, err := client.Post(url+"/api/report", "application/json", bytes.NewReader(body))
	if err == nil {
		resp.Body.Close()
	}
}
