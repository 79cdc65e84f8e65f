// Package devserver starts a NATS server with JetStream inside this
// program: a cluster of one machine with nothing to install, for
// development, tests and examples. Worker programs do not need it, and link
// no server code unless they import it.
//
// The server takes only its own users, each with a random password: a
// caller and a worker of one deployment of the cluster, with the
// permissions cluster.CallerPermissions and cluster.WorkerPermissions
// give them, and an administrator who may do anything. Connect with the
// URL of the role (CallerURL, WorkerURL, AdminURL), which holds the user's
// name and password, and a caller or a worker with its role's inbox, the
// only one its permissions allow:
//
//	nc, err := nats.Connect(srv.CallerURL(), cluster.CallerInbox(""))
package devserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/mpire-go/mpire/runtime/cluster"
)

// A Server is a NATS server with JetStream running in this process.
type Server struct {
	ns    *server.Server
	store string // the directory of JetStream's files, removed by Close
	temp  bool
	users map[string]*url.Userinfo
}

// The users of a server, by role.
const (
	callerUser = "mpire-caller"
	workerUser = "mpire-worker"
	adminUser  = "mpire-admin"
)

// An Option configures Start.
type Option func(*config)

type config struct {
	server.Options
	prefix string
}

// User adds a user with permissions p: another deployment's caller, say,
// on the same server.
func User(name, password string, p cluster.Permissions) Option {
	return func(c *config) {
		c.Users = append(c.Users, &server.User{Username: name, Password: password, Permissions: Permissions(p)})
	}
}

// Prefix gives the caller and the worker the permissions of the deployment
// with prefix p (cluster.WithPrefix; default "").
func Prefix(p string) Option { return func(c *config) { c.prefix = p } }

// Listen sets the address to listen on (default 127.0.0.1 and a free
// port): the server takes connections from this machine only unless told
// otherwise.
func Listen(hostPort string) Option {
	return func(o *config) {
		host, port, err := net.SplitHostPort(hostPort)
		if err != nil {
			host, port = hostPort, "-1"
		}
		o.Host = host
		o.Port, _ = strconv.Atoi(port)
	}
}

// MaxPayload sets the largest message the server takes (default 1 MiB).
func MaxPayload(n int32) Option { return func(o *config) { o.MaxPayload = n } }

// StoreDir keeps JetStream's files in dir, which Close leaves in place
// (default: a temporary directory that Close removes).
func StoreDir(dir string) Option { return func(o *config) { o.StoreDir = dir } }

// Start starts a server and waits until it takes connections.
func Start(opts ...Option) (*Server, error) {
	c := &config{Options: server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		NoSigs:    true,
		NoLog:     true,
	}}
	for _, opt := range opts {
		opt(c)
	}
	o := &c.Options
	s := &Server{store: o.StoreDir, users: map[string]*url.Userinfo{}}
	for _, u := range []struct {
		name  string
		perms *server.Permissions
	}{
		{callerUser, Permissions(cluster.CallerPermissions(c.prefix))},
		{workerUser, Permissions(cluster.WorkerPermissions(c.prefix))},
		{adminUser, nil},
	} {
		var pw [16]byte
		rand.Read(pw[:])
		s.users[u.name] = url.UserPassword(u.name, hex.EncodeToString(pw[:]))
		o.Users = append(o.Users, &server.User{Username: u.name, Password: hex.EncodeToString(pw[:]), Permissions: u.perms})
	}
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

// URL returns the address clients connect to, nats://host:port, without
// credentials: the server refuses a client without them.
func (s *Server) URL() string { return s.ns.ClientURL() }

// CallerURL returns the URL of a caller (cluster.On), with its credentials;
// connect with cluster.CallerInbox of the server's prefix.
func (s *Server) CallerURL() string { return s.userURL(callerUser) }

// WorkerURL returns the URL of a worker (cluster.Serve), with its
// credentials; connect with cluster.WorkerInbox of the server's prefix.
func (s *Server) WorkerURL() string { return s.userURL(workerUser) }

// AdminURL returns the URL of a user with every permission, for
// inspecting and managing the server, with its credentials.
func (s *Server) AdminURL() string { return s.userURL(adminUser) }

func (s *Server) userURL(name string) string {
	u, err := url.Parse(s.ns.ClientURL())
	if err != nil {
		panic(err) // the server's own URL
	}
	u.User = s.users[name]
	return u.String()
}

// Permissions returns a role's permissions as a server's authorization
// settings take them.
func Permissions(p cluster.Permissions) *server.Permissions {
	sp := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: p.Publish},
		Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
	}
	if p.Responses {
		sp.Response = &server.ResponsePermission{MaxMsgs: 1, Expires: time.Minute}
	}
	return sp
}

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
