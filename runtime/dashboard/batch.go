package dashboard

import (
	"encoding/json"
	"errors"
	"strings"
)

// A batch is what a connected process posts to /api/report.
type batch struct {
	// Token is the process's public token, as in its call IDs; Secret,
	// which only the process and the dashboards it reports to know, is
	// the token's preimage (see tokenOf). It is never shown.
	Token   string            `json:"token"`
	Secret  string            `json:"secret"`
	Program Program           `json:"program"`
	Calls   []json.RawMessage `json:"calls"` // CallReports
}

var (
	errMalformed = errors.New("malformed report")
	errForged    = errors.New("a report not sent by the process that made its calls")
)

// reports checks a batch and decodes its calls. A batch whose secret is
// not its token's, or that lists a call whose ID is not under its token,
// is forged and refused whole: a process reports only its own calls, so
// no process can write over another's. A call too large, malformed or of
// no known status is dropped. What is kept of each call is cut down to
// the bounds of a report and copied out of what was decoded.
func (b *batch) reports() ([]CallReport, error) {
	if b.Token == "" || len(b.Token) > maxText || len(b.Calls) > maxCalls {
		return nil, errMalformed
	}
	if b.Secret == "" || len(b.Secret) > maxText || !same(tokenOf(b.Secret), b.Token) {
		return nil, errForged
	}
	reports := make([]CallReport, 0, len(b.Calls))
	for _, raw := range b.Calls {
		rep, ok := decodeReport(raw)
		if !ok {
			continue
		}
		if !strings.HasPrefix(rep.ID, b.Token+"-") {
			return nil, errForged
		}
		rep.Program = b.Program
		rep.bound()
		reports = append(reports, rep)
	}
	return reports, nil
}

// decodeReport decodes one call's report, bounded; false if it is too
// large, malformed, has no ID or no known status.
func decodeReport(raw []byte) (CallReport, bool) {
	var rep CallReport
	if len(raw) > maxReportSize || json.Unmarshal(raw, &rep) != nil || rep.ID == "" {
		return CallReport{}, false
	}
	switch rep.Status {
	case statusRunning, statusCompleted, statusFailed, statusCancelled:
	default:
		return CallReport{}, false
	}
	rep.LastHeard = nil // the dashboard's to say
	rep.bound()
	return rep, true
}
