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
// By default it serves this machine only. To take reports from other
// machines, listen on their network and name this host as they do, for
// example -addr box.example.com:8080: the dashboard answers only requests
// that name it by an IP address, localhost, the machine's name or the host
// of -addr, so that a web page cannot reach it through a name of its own.
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
	addr := flag.String("addr", "", "address to serve on (host:port); default: the first free port of localhost:8080-8099")
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
