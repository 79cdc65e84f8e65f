// Command mpiregen generates typed, reflection-free worker pools for the
// functions of a Go package annotated with //mpire:task.
//
// Run it from a go:generate line in the package:
//
//	//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen
//
// or, once installed with go install, as
//
//	//go:generate mpiregen
//
// It loads the package in the current directory (or the one named on the
// command line), checks every directive and task function, and writes
// mpire_gen.go. Problems are printed as file.go:LINE:COL: message (under go
// generate, the file relative to the module's root), and then nothing is
// written and the exit status is 1. A file of that name that mpiregen did
// not write is never overwritten.
//
// A package without directives gets no file: one generated before is
// removed or, under go generate, which still has to read it, emptied; unless
// its build constraint leaves it out of this build, as when a task built only
// on Linux is generated for elsewhere.
//
// Usage:
//
//	mpiregen [-o file] [-tags list] [-stdout] [dir]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mpire-go/mpire/gen"
	"github.com/mpire-go/mpire/templates"
)

func main() {
	os.Exit(run(os.Args[1:], positionBase(), os.Stdout, os.Stderr))
}

// positionBase is the directory diagnostics are relative to: the current
// one, except under go generate. go generate runs mpiregen in the package's
// directory, where every package has its main.go, while the user reads the
// output where they ran go generate ./..., most often the module's root:
// file names relative to it tell the packages apart, as go vet's do.
func positionBase() string {
	if os.Getenv("GOFILE") == "" {
		return "."
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return "."
		}
	}
}

// run is mpiregen with its arguments; diagnostics name files relative to
// base. It returns the exit status.
func run(args []string, base string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("mpiregen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	output := flags.String("o", "mpire_gen.go", "name of the generated file, written in the package's directory")
	tags := flags.String("tags", "", "comma-separated build tags to load the package with")
	toStdout := flags.Bool("stdout", false, "write the generated file to standard output instead of the package's directory")
	flags.Usage = func() {
		fmt.Fprint(stderr, "usage: mpiregen [-o file] [-tags list] [-stdout] [dir]\n\n"+
			"mpiregen writes typed worker pools for the functions of the package in dir\n"+
			"(default: the current directory) annotated with\n\n"+
			"\t//mpire:task [name=Name] [shared=Type] [state=Type] [init=Func] [exit=Func] [portable]\n\nFlags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 1 || filepath.Base(*output) != *output || !strings.HasSuffix(*output, ".go") {
		flags.Usage()
		return 2
	}
	dir := "."
	if flags.NArg() == 1 {
		dir = flags.Arg(0)
	}
	cfg := gen.Config{Dir: dir, Output: *output}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	var out io.Writer
	if *toStdout {
		out = stdout
	}
	if err := generate(cfg, out); err != nil {
		var diags gen.Diagnostics
		if !errors.As(err, &diags) {
			fmt.Fprintf(stderr, "mpiregen: %v\n", err)
			return 1
		}
		if abs, err := filepath.Abs(base); err == nil {
			base = abs
		}
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String(base))
		}
		return 1
	}
	return 0
}

// generate writes the package's generated file, or removes a stale one;
// with out, it writes the file there instead, or nothing.
func generate(cfg gen.Config, out io.Writer) error {
	pkg, err := gen.Load(cfg)
	if err != nil {
		return err
	}
	path := filepath.Join(pkg.Dir, cfg.Output)
	if len(pkg.Tasks) == 0 {
		if out != nil || pkg.OtherBuild {
			return nil
		}
		return removeGenerated(path, pkg.Name)
	}
	src, err := templates.Render(pkg)
	if err != nil {
		return err
	}
	// The package must compile with what was generated for it.
	if err := gen.Check(cfg, pkg, src); err != nil {
		return err
	}
	if out != nil {
		_, err := out.Write(src)
		return err
	}
	return write(path, src)
}

// write writes src to path unless it holds src already, which keeps the
// file's time for build caches.
func write(path string, src []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, src) {
		return nil
	}
	return os.WriteFile(path, src, 0o644)
}

// removeGenerated removes the file mpiregen wrote at path, now that the
// package has no task. Load has made sure that mpiregen wrote it. Under go
// generate, which lists a package's files before running the generators
// and then reads each, removing it would fail go generate: the file is
// emptied instead, down to its package clause.
func removeGenerated(path, pkgName string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if os.Getenv("GOFILE") != "" {
		return write(path, templates.Empty(pkgName))
	}
	return os.Remove(path)
}
