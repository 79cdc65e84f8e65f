package dashboard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mpire-go/mpire/runtime/internal/engine"
)

// lostAfter is how long a running call of another process may go unheard
// before it is shown as lost: its program reports twice a second, so this
// is several missed reports, as when the program was killed.
const lostAfter = 3 * time.Second

// board holds the calls that dashboards show. It is the package's one piece
// of mutable global state: a dashboard shows every call of its process.
var board = &registry{remote: map[string]*remoteCall{}}

type registry struct {
	mu       sync.Mutex
	serving  int       // dashboards started in this process
	reporter *reporter // the connection made by Connect; nil without one
	next     int
	local    []*callRecord
	remote   map[string]*remoteCall // calls of connected processes, by ID
	// remoteBytes is what the reports of remote hold, by CallReport.size.
	remoteBytes int
}

// A callRecord is a call of this process on the board. It holds the call's
// counters, never the call.
type callRecord struct {
	report    CallReport       // guarded by board.mu
	progress  *engine.Progress // nil once the call has ended
	delivered bool             // its final report reached the connected dashboard
}

// A remoteCall is a call of another process, as last reported.
type remoteCall struct {
	report CallReport
	size   int       // report.size()
	token  string    // its process's
	heard  time.Time // when its process last reported
	first  time.Time // when it was first reported
}

// update installs or removes the board as the watcher of calls, after a
// change to what it serves or reports to. The caller holds r.mu.
func (r *registry) update() {
	if r.serving > 0 || r.reporter != nil {
		engine.SetWatcher(r)
	} else {
		engine.SetWatcher(nil)
	}
}

// Watch puts a new call on the board. It runs on the caller's path: it
// only records, and whatever reports the call does so later, from another
// goroutine.
func (r *registry) Watch(info engine.CallInfo, progress *engine.Progress) engine.Watched {
	rec := &callRecord{progress: progress, report: CallReport{
		Program: self.program,
		Title:   info.Title,
		Func:    info.Func,
		FuncPos: info.FuncPos,
		CallPos: info.CallPos,
		Total:   info.Total,
		Status:  statusRunning,
		Started: info.Started,
	}}
	rec.report.bound()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	rec.report.ID = fmt.Sprintf("%s-%d", self.token, r.next)
	if len(r.local) >= maxCalls {
		// Forget the oldest call that has ended, if any has.
		i := max(slices.IndexFunc(r.local, func(rec *callRecord) bool { return rec.progress == nil }), 0)
		r.local = slices.Delete(r.local, i, i+1)
	}
	r.local = append(r.local, rec)
	return rec
}

// Finished records the end of a call. It runs on the caller's path too.
func (rec *callRecord) Finished(done int64, err error) {
	view := viewOf(rec.progress)
	board.mu.Lock()
	defer board.mu.Unlock()
	rec.report.finish(done, err, time.Now())
	rec.report.Insights = view
	rec.report.failures(rec.progress)
	rec.report.bound()
	rec.progress = nil
	if rep := board.reporter; rep != nil {
		select {
		case rep.wake <- struct{}{}:
		default: // a report is due already
		}
	}
}

// current returns the report of a call of this process as it is now.
func (r *registry) current(rec *callRecord) CallReport {
	r.mu.Lock()
	rep, progress := rec.report, rec.progress
	r.mu.Unlock()
	if progress != nil {
		rep.Done = progress.Done()
		rep.Insights = viewOf(progress)
		rep.failures(progress)
		rep.bound()
	}
	return rep
}

// calls returns every call on the board, oldest first.
func (r *registry) calls() []CallReport {
	now := time.Now()
	r.mu.Lock()
	local := slices.Clone(r.local)
	out := make([]CallReport, 0, len(local)+len(r.remote))
	for _, rc := range r.remote {
		rep := rc.report
		heard := rc.heard
		rep.LastHeard = &heard
		if rep.Status == statusRunning && now.Sub(heard) > lostAfter {
			rep.Status = statusLost
		}
		out = append(out, rep)
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

// receive records the reports of another process, checked by
// batch.reports: the calls it listed, and that every call of it is still
// heard from. What it keeps stays within maxCalls calls and maxRemoteBytes
// bytes: beyond, the oldest calls of the process holding the most are
// forgotten first (see forgetOldest).
func (r *registry) receive(b batch, reports []CallReport, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b.Token == self.token {
		return // this process's own calls are on the board already, live
	}
	for _, rc := range r.remote {
		if rc.token == b.Token {
			rc.heard = now
		}
	}
	for _, rep := range reports {
		size := rep.size()
		if rc := r.remote[rep.ID]; rc != nil {
			r.remoteBytes += size - rc.size
			rc.report, rc.size = rep, size
		} else {
			r.remote[rep.ID] = &remoteCall{report: rep, size: size, token: b.Token, heard: now, first: now}
			r.remoteBytes += size
		}
		for len(r.remote) > maxCalls || r.remoteBytes > maxRemoteBytes {
			r.forgetOldest(len(r.remote) > maxCalls)
		}
	}
}

// forgetOldest drops one remote call, of the process that holds the most
// calls (byCount) or else the most bytes; among processes that hold as
// many, of the one first heard from last. Of that process's calls, it drops
// the one that started first, among the ended ones if there are any. A
// process that reports a flood of calls forgets its own, and a flood from
// many processes does not erase the calls of those heard from before it.
// The caller holds r.mu.
func (r *registry) forgetOldest(byCount bool) {
	type process struct {
		held  int
		first time.Time // when its first call still kept was heard
	}
	procs := map[string]*process{}
	for _, rc := range r.remote {
		p := procs[rc.token]
		if p == nil {
			p = &process{first: rc.first}
			procs[rc.token] = p
		}
		if byCount {
			p.held++
		} else {
			p.held += rc.size
		}
		if rc.first.Before(p.first) {
			p.first = rc.first
		}
	}
	biggest := ""
	for token, p := range procs {
		if b := procs[biggest]; b == nil || p.held > b.held || p.held == b.held && p.first.After(b.first) {
			biggest = token
		}
	}
	var oldest *remoteCall
	older := func(a, b *remoteCall) bool {
		aEnded, bEnded := a.report.Status != statusRunning, b.report.Status != statusRunning
		if aEnded != bEnded {
			return aEnded
		}
		return a.report.Started.Before(b.report.Started)
	}
	for _, rc := range r.remote {
		if rc.token == biggest && (oldest == nil || older(rc, oldest)) {
			oldest = rc
		}
	}
	if oldest != nil {
		delete(r.remote, oldest.report.ID)
		r.remoteBytes -= oldest.size
	}
}

// toReport returns the reports that the connected dashboard has yet to
// receive: every call still running, and the ones that ended since.
func (r *registry) toReport() (running []*callRecord, ended []*callRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.local {
		switch {
		case rec.progress != nil:
			running = append(running, rec)
		case !rec.delivered:
			ended = append(ended, rec)
		}
	}
	return running, ended
}

// delivered marks the final reports of calls as received.
func (r *registry) delivered(recs []*callRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		rec.delivered = true
	}
}
