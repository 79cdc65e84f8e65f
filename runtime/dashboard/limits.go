package dashboard

import (
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
	conns      int           // connections served at once; the next wait to be accepted
	decoding   int           // reports decoded at once, each up to maxBody bytes
}

// defaultLimits are generous for programs and browsers on a network, and
// far below a process's usual descriptor limit.
func defaultLimits() limits {
	return limits{
		readHeader: 5 * time.Second,
		read:       20 * time.Second,
		write:      20 * time.Second,
		idle:       30 * time.Second,
		conns:      512,
		decoding:   4,
	}
}

// maxHeaderBytes bounds a request's headers: a token and a cookie fit many
// times over.
const maxHeaderBytes = 16 << 10

// limitListener accepts at most cap(slots) connections at a time: Accept
// waits for one of them to close before taking the next from the kernel's
// queue. Timeouts end the connections that hold a slot without using it.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func limitConns(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, slots: l.slots}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when it is closed, once.
type limitedConn struct {
	net.Conn
	slots   chan struct{}
	release sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release.Do(func() { <-c.slots })
	return err
}
