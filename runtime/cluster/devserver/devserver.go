// Package devserver starts a NATS server with JetStream inside this
// program: a cluster of one machine with nothing to install, for
// development, tests and examples. Worker programs do not need it, and link
// no server code unless they import it.
//
// The server takes only its own users, each with a random password: a
// caller and a worker of one deployment of the cluster, with the
// permissions cluster.CallerPermissions and cluster.WorkerPermissions
// give them, and an administrator who may do anything, with whose
// credentials the server makes the deployment (cluster.Deploy) when it
// starts. Connect with the
// URL of the role (CallerURL, WorkerURL, AdminURL), which holds the user's
// name and password, and a caller or a worker with its role's inbox, the
// only one its permissions allow:
//
//	nc, err := nats.Connect(srv.CallerURL(), cluster.CallerInbox(""))
package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

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
	deploy []cluster.DeploymentOption
}

// User adds a user with permissions p: another deployment's caller, say,
// on the same server.
func User(name, password string, p cluster.Permissions) Option {
	return func(c *config) {
		c.Users = append(c.Users, &server.User{Username: name, Password: password, Permissions: Permissions(p)})
	}
}

// Prefix gives the caller and the worker the permissions of the deployment
// with prefix p (cluster.WithPrefix; default ""), which the server makes
// when it starts.
func Prefix(p string) Option { return func(c *config) { c.prefix = p } }

// Deployment gives the deployment that the server makes when it starts
// the replicas and limits of opts (cluster.WithReplicas,
// cluster.WithLimits); its prefix is Prefix's. The server makes it again
// each time it starts, on the files of StoreDir too: what it made is kept.
func Deployment(opts ...cluster.DeploymentOption) Option {
	return func(c *config) { c.deploy = append(c.deploy, opts...) }
}

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

// Start starts a server, waits until it takes connections, and makes the
// deployment of its caller and worker.
func Start(opts ...Option) (*Server, error) {
	c, users := configure(opts)
	s, err := start(c.Options, users)
	if err != nil {
		return nil, err
	}
	if err := c.deployOn(s.AdminURL()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// deployOn makes the deployment of the server's caller and worker, with
// the administrator's URL url.
func (c *config) deployOn(url string) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	return cluster.Deploy(context.Background(), js, append(c.deploy, cluster.WithPrefix(c.prefix))...)
}

// configure applies opts to the defaults, and makes the users of each role
// with random passwords.
func configure(opts []Option) (*config, map[string]*url.Userinfo) {
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
	users := map[string]*url.Userinfo{}
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
		users[u.name] = url.UserPassword(u.name, hex.EncodeToString(pw[:]))
		c.Users = append(c.Users, &server.User{Username: u.name, Password: hex.EncodeToString(pw[:]), Permissions: u.perms})
	}
	return c, users
}

// start starts a server with options o, and waits until it takes
// connections.
func start(o server.Options, users map[string]*url.Userinfo) (*Server, error) {
	s, err := launch(o, users)
	if err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	return s, nil
}

// launch starts a server with options o.
func launch(o server.Options, users map[string]*url.Userinfo) (*Server, error) {
	s := &Server{store: o.StoreDir, users: users}
	if o.StoreDir == "" {
		dir, err := os.MkdirTemp("", "mpire-nats-")
		if err != nil {
			return nil, err
		}
		o.StoreDir, s.store, s.temp = dir, dir, true
	}
	ns, err := server.NewServer(&o)
	if err != nil {
		s.removeStore()
		return nil, fmt.Errorf("devserver: %w", err)
	}
	s.ns = ns
	ns.Start()
	return s, nil
}

// ready waits until the server takes connections, and closes it if it
// does not.
func (s *Server) ready() error {
	if !s.ns.ReadyForConnections(10 * time.Second) {
		s.Close()
		return errors.New("devserver: the NATS server did not start within 10s")
	}
	return nil
}

// A Cluster is a JetStream cluster of servers running in this process,
// for trying what a cluster survives: streams replicated on several
// servers (Deployment(cluster.WithReplicas(3))), a server lost (Close one
// of Servers).
type Cluster struct {
	Servers []*Server // Servers[i] is named mpire-i (Name)
}

// StartCluster starts n servers in this process that form one JetStream
// cluster, on 127.0.0.1 and free ports unless told otherwise, each with the
// same users as Start makes, waits until the cluster has elected its
// leader, and makes the deployment of its caller and worker (give it
// Deployment(cluster.WithReplicas(3)) to replicate it on every server).
// StoreDir, if given, holds a directory per server.
func StartCluster(n int, opts ...Option) (*Cluster, error) {
	c, users := configure(opts)
	// Every server routes to every other: the ports of their routes are
	// chosen first.
	ports, err := freePorts(c.Host, n)
	if err != nil {
		return nil, err
	}
	cl := &Cluster{}
	for i := range n {
		o := c.Options
		o.ServerName = "mpire-" + strconv.Itoa(i)
		o.Cluster = server.ClusterOpts{Name: "mpire", Host: o.Host, Port: ports[i]}
		o.Routes = nil
		for j, port := range ports {
			if j != i {
				o.Routes = append(o.Routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort(o.Host, strconv.Itoa(port))})
			}
		}
		if o.StoreDir != "" {
			o.StoreDir = filepath.Join(o.StoreDir, o.ServerName)
		}
		s, err := launch(o, users)
		if err != nil {
			cl.Close()
			return nil, err
		}
		cl.Servers = append(cl.Servers, s)
	}
	for _, s := range cl.Servers {
		if err := s.ready(); err != nil {
			cl.Close()
			return nil, err
		}
	}
	for deadline := time.Now().Add(30 * time.Second); !cl.ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cl.Close()
			return nil, fmt.Errorf("devserver: the cluster of %d servers elected no leader within 30s", n)
		}
	}
	if err := c.deployOn(cl.AdminURL()); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

// freePorts returns n ports free on host, which a server may take: taken
// by another meanwhile, the server does not start.
func freePorts(host string, n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// ready reports whether the servers elected their JetStream leader and
// every server follows it.
func (cl *Cluster) ready() bool {
	leader := false
	for _, s := range cl.Servers {
		if !s.ns.JetStreamIsCurrent() {
			return false
		}
		leader = leader || s.ns.JetStreamIsLeader()
	}
	return leader
}

// CallerURL returns the URLs of every server, separated by commas, with a
// caller's credentials: nats.Connect tries them in turn.
func (cl *Cluster) CallerURL() string { return cl.urls((*Server).CallerURL) }

// WorkerURL returns the URLs of every server with a worker's credentials.
func (cl *Cluster) WorkerURL() string { return cl.urls((*Server).WorkerURL) }

// AdminURL returns the URLs of every server with the administrator's
// credentials.
func (cl *Cluster) AdminURL() string { return cl.urls((*Server).AdminURL) }

func (cl *Cluster) urls(of func(*Server) string) string {
	var us []string
	for _, s := range cl.Servers {
		us = append(us, of(s))
	}
	return strings.Join(us, ",")
}

// Close stops every server that still runs, and removes their temporary
// files.
func (cl *Cluster) Close() error {
	var errs []error
	for _, s := range cl.Servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Name returns the server's name, as JetStream names the leaders and the
// replicas of streams.
func (s *Server) Name() string { return s.ns.Name() }

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
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: p.Publish},
		Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
	}
}

// Close stops the server and removes its temporary files. Closing it
// again does nothing.
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
