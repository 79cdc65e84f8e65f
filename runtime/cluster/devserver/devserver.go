// Package devserver starts a NATS server with JetStream inside this
// program: a cluster of one machine with nothing to install, for
// development, tests and examples. Worker programs do not need it, and link
// no server code unless they import it.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A Server is a NATS server with JetStream running in this process.
type Server struct {
	ns    *server.Server
	store string // the directory of JetStream's files, removed by Close
	temp  bool
}

// An Option configures Start.
type Option func(*server.Options)

// Listen sets the address to listen on (default 127.0.0.1 and a free
// port): the server takes connections from this machine only unless told
// otherwise.
func Listen(hostPort string) Option {
	return func(o *server.Options) {
		host, port, err := net.SplitHostPort(hostPort)
		if err != nil {
			host, port = hostPort, "-1"
		}
		o.Host = host
		o.Port, _ = strconv.Atoi(port)
	}
}

// MaxPayload sets the largest message the server takes (default 1 MiB).
func MaxPayload(n int32) Option { return func(o *server.Options) { o.MaxPayload = n } }

// StoreDir keeps JetStream's files in dir, which Close leaves in place
// (default: a temporary directory that Close removes).
func StoreDir(dir string) Option { return func(o *server.Options) { o.StoreDir = dir } }

// Start starts a server and waits until it takes connections.
func Start(opts ...Option) (*Server, error) {
	o := &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		NoSigs:    true,
		NoLog:     true,
	}
	for _, opt := range opts {
		opt(o)
	}
	s := &Server{store: o.StoreDir}
	if o.StoreDir == "" {
		dir, err := os.MkdirTemp("", "mpire-nats-")
		if err != nil {
			return nil, err
		}
		o.StoreDir, s.store, s.temp = dir, dir, true
	}
	ns, err := server.NewServer(o)
	if err != nil {
		s.removeStore()
		return nil, fmt.Errorf("devserver: %w", err)
	}
	s.ns = ns
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.Close()
		return nil, errors.New("devserver: the NATS server did not start within 10s")
	}
	return s, nil
}

// URL returns the address clients connect to, nats://host:port.
func (s *Server) URL() string { return s.ns.ClientURL() }

// Close stops the server and removes its temporary files.
func (s *Server) Close() error {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	return s.removeStore()
}

func (s *Server) removeStore() error {
	if !s.temp {
		return nil
	}
	return os.RemoveAll(s.store)
}
