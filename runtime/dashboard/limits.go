package dashboard

import (
	"container/list"
	"net"
	"sync"
	"time"
)

// limits bound what clients may take of a dashboard's server, so that
// connections that trickle a byte now and then, bodies that never end and
// floods of connections cost it a bounded number of descriptors and bytes,
// and it goes on answering the others.
type limits struct {
	readHeader time.Duration // to read a request's headers
	read       time.Duration // to read a whole request, body included
	write      time.Duration // from the end of the headers to the end of the answer
	idle       time.Duration // a kept-alive connection between two requests
	conns      int           // connections held at once; one more closes the oldest
	body       time.Duration // to read a report's body, once its handler runs
	bodyBytes  int           // bytes of the reports' bodies being read at once, all connections together
	decoding   int           // reports decoded at once, each up to maxBody bytes
}

// defaultLimits are generous for programs and browsers on a network, and
// far below a process's usual descriptor limit. A request's body is a
// report, which a connected program gives up sending after 2 s: a client
// that takes longer holds its connection for nothing. A body is read
// before its report takes a decoding slot, so slow bodies hold bytes of
// the budget, not slots: 32 bodies of the largest size at once.
func defaultLimits() limits {
	return limits{
		readHeader: 5 * time.Second,
		read:       10 * time.Second,
		write:      20 * time.Second,
		idle:       30 * time.Second,
		conns:      512,
		body:       5 * time.Second,
		bodyBytes:  32 * maxBody,
		decoding:   4,
	}
}

// maxHeaderBytes bounds a request's headers: a token and a cookie fit many
// times over.
const maxHeaderBytes = 16 << 10

// limitListener holds at most max connections: when one more arrives, it
// closes the oldest. A request from a program or a browser takes
// milliseconds, so the connections a flood holds open (trickling a byte now
// and then, or sending nothing) are always older than it, and go first:
// the dashboard keeps a bounded number of descriptors and goes on
// answering, where waiting for a free slot would leave every new client
// queued behind the flood until the timeouts cleared it.
type limitListener struct {
	net.Listener
	max   int
	mu    sync.Mutex
	conns list.List // of *limitedConn, oldest first
}

func limitConns(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, max: n}
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lc := &limitedConn{Conn: c, l: l}
	var oldest *limitedConn
	l.mu.Lock()
	lc.at = l.conns.PushBack(lc)
	if l.conns.Len() > l.max {
		oldest = l.conns.Remove(l.conns.Front()).(*limitedConn)
		oldest.at = nil
	}
	l.mu.Unlock()
	if oldest != nil {
		oldest.Conn.Close() // its server goroutine sees it closed, and ends
	}
	return lc, nil
}

// limitedConn leaves its listener's list when it is closed.
type limitedConn struct {
	net.Conn
	l  *limitListener
	at *list.Element // nil once out of the list; guarded by l.mu
}

func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	if c.at != nil {
		c.l.conns.Remove(c.at)
		c.at = nil
	}
	c.l.mu.Unlock()
	return c.Conn.Close()
}
