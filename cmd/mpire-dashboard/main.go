// Command mpire-dashboard serves the mpire dashboard as a process of its
// own, so that the page outlives the programs it shows, even one that failed.
//
//	mpire-dashboard [-addr host:port]
//
// Programs report to it after
//
//	dashboard.Connect("http://localhost:8080")
//
// and every call they make with a progress bar appears on its page. A
// program that stops reporting while a call runs (killed, out of memory) has
// that call shown as lost contact.
//
// By default it serves this machine only, on a loopback address, and needs
// no token: every process and user of this machine can read the page
// (titles, functions, positions, errors and the arguments of the longest
// tasks) and report calls of its own, never update another process's.
//
// To take reports from other machines, listen on their network, for
// example -addr 0.0.0.0:8080 or -addr box.example.com:8080. The dashboard
// then needs a token, printed in its URL as Jupyter does
// (http://box.example.com:8080/?token=...): whoever opens that URL gets a
// cookie for the page, and programs Connect with the whole URL. The token
// and the page travel in clear over HTTP: serve only a network you trust,
// or put a proxy with TLS in front. Either way, the dashboard answers only
// requests that name it by an IP address, localhost, the machine's name or
// the host of -addr, so that a web page cannot reach it through a name of
// its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mpire-go/mpire/runtime/dashboard"
)

func main() {
	addr := flag.String("addr", "", "address to serve on (host:port); default: the first free port of localhost:8080-8099; any but a loopback address needs the token printed in the URL")
	flag.Parse()
	d, err := dashboard.Start(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mpire-dashboard:", err)
		os.Exit(1)
	}
	fmt.Printf("mpire dashboard on %s\nconnect programs with dashboard.Connect(%q); Ctrl-C stops it\n", d.URL(), d.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := d.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mpire-dashboard:", err)
		os.Exit(1)
	}
}
