package mpire

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed dashboard
var dashboardFiles embed.FS

// dashboardPorts are tried in order by StartDashboard(""), as in MPIRE.
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

// InsightsView is the dashboard's form of Insights.
type InsightsView struct {
	CompletedTasks int              `json:"completedTasks"`
	Total          time.Duration    `json:"total"`
	Phases         []PhaseStats     `json:"phases"`
	Workers        []WorkerInsights `json:"workers"`
	TopTasks       []TaskInsight    `json:"topTasks"`
}

func viewOf(in Insights) *InsightsView {
	return &InsightsView{CompletedTasks: in.CompletedTasks(), Total: in.Total, Phases: in.Phases(), Workers: in.Workers, TopTasks: in.TopTasks}
}

// board holds the calls that dashboards show. It is the package's one piece
// of mutable global state: a dashboard shows every call of its process.
var board = &registry{remote: map[string]CallReport{}}

type registry struct {
	mu      sync.Mutex
	serving int    // dashboards started in this process
	connect string // URL given to ConnectDashboard
	next    int
	local   []*callRecord
	remote  map[string]CallReport // calls of connected processes, by ID
}

// A callRecord is a call of this process on the board.
type callRecord struct {
	report   CallReport // guarded by board.mu
	done     *atomic.Int64
	insights *insightsRecorder
}

// watching reports whether calls should be recorded, and where to report
// them when this process is connected to another's dashboard.
func (r *registry) watching() (record bool, connect string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.serving > 0 || r.connect != "", r.connect
}

// add puts a new call on the board.
func (r *registry) add(rec *callRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	rec.report.ID = fmt.Sprintf("%d-%d", os.Getpid(), r.next)
	r.local = append(r.local, rec)
	if len(r.local) > maxCalls {
		r.local = slices.Delete(r.local, 0, len(r.local)-maxCalls)
	}
}

// current returns the report of a call as it is now.
func (r *registry) current(rec *callRecord) CallReport {
	r.mu.Lock()
	rep := rec.report
	r.mu.Unlock()
	if rep.Finished == nil {
		rep.Done = rec.done.Load()
		if rec.insights != nil {
			rep.Insights = viewOf(rec.insights.snapshot())
		}
	}
	return rep
}

// finish records the end of a call.
func (r *registry) finish(rec *callRecord, done int64, err error) {
	now := time.Now()
	var view *InsightsView
	if rec.insights != nil {
		view = viewOf(rec.insights.snapshot())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.report.Done, rec.report.Finished, rec.report.Insights = done, &now, view
	switch {
	case err == nil:
		rec.report.Status = "completed"
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		rec.report.Status, rec.report.Error = "cancelled", err.Error()
	default:
		rec.report.Status, rec.report.Error = "failed", err.Error()
	}
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
// in this process, and of processes connected to it with ConnectDashboard.
type Dashboard struct {
	srv  *http.Server
	url  string
	done chan struct{}
}

// StartDashboard serves the dashboard on addr (host:port). An empty addr
// takes the first free port of localhost:8080 to localhost:8099. The page
// lists every call made with a progress bar (WithProgressBar) from then on,
// refreshed twice a second; /api/calls serves the same as JSON.
func StartDashboard(addr string) (*Dashboard, error) {
	ln, err := listen(addr)
	if err != nil {
		return nil, err
	}
	files, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		ln.Close()
		return nil, err
	}
	d := &Dashboard{url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /api/calls", serveCalls)
	mux.HandleFunc("POST /api/report", receiveReport)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	board.mu.Lock()
	board.serving++
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
	return nil, fmt.Errorf("mpire: no free port for the dashboard on localhost:%d-%d", firstPort, lastPort)
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
		http.Error(w, "mpire: malformed call report", http.StatusBadRequest)
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

// ConnectDashboard makes this process report its calls with a progress bar
// to the dashboard at url, served by another process (for example the
// mpire-dashboard command), so that the page outlives this program. It
// checks that a dashboard answers there. An empty url disconnects.
func ConnectDashboard(url string) error {
	url = strings.TrimSuffix(url, "/")
	if url == "" {
		board.mu.Lock()
		board.connect = ""
		board.mu.Unlock()
		return nil
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url + "/api/calls")
	if err != nil {
		return fmt.Errorf("mpire: connecting to the dashboard: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mpire: %s does not look like an mpire dashboard: %s", url, resp.Status)
	}
	board.mu.Lock()
	board.connect = url
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
