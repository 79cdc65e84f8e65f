package main

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// mpirePythonScript runs MPIRE itself on its benchmarks; see its doc string.
//
//go:embed mpire_python.py
var mpirePythonScript string

// pythonSide is a running mpire_python.py for one workload: it has built the
// workload's data and checked MPIRE's answer, and times a contender on
// request, so that its runs interleave with the Go contenders'.
type pythonSide struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startPython starts mpire_python.py with interpreter python, MPIRE's
// package from dir, on workload at the sizes of params, and waits until it
// is ready.
func startPython(python, dir, workload string, params map[string]int) (*pythonSide, error) {
	ps, _ := json.Marshal(params)
	cmd := exec.Command(python, "-c", mpirePythonScript, workload, string(ps))
	// One thread per process for numpy, so that sequential is sequential
	// and MPIRE's workers do not compete with threads of their own.
	cmd.Env = append(os.Environ(),
		"PYTHONPATH="+strings.Join([]string{dir, os.Getenv("PYTHONPATH")}, string(os.PathListSeparator)),
		"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("MPIRE (python): %w", err)
	}
	p := &pythonSide{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if line, err := p.line(); err != nil || line != "ready" {
		p.close()
		return nil, fmt.Errorf("MPIRE (python) on %s stopped before its first timed run (%v), its error is above; "+
			"it needs MPIRE's folder, and numpy, scipy, tqdm and pygments for %s "+
			"(Debian: python3-numpy python3-scipy python3-tqdm python3-pygments; -python names the interpreter)", workload, err, python)
	}
	return p, nil
}

// line reads the next line the script prints.
func (p *pythonSide) line() (string, error) {
	if !p.out.Scan() {
		if err := p.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return p.out.Text(), nil
}

// time runs a contender of the script ("sequential" or "mpire") once and
// returns the wall time it measured.
func (p *pythonSide) time(contender string) (time.Duration, error) {
	if _, err := fmt.Fprintln(p.in, contender); err != nil {
		return 0, err
	}
	line, err := p.line()
	if err != nil {
		return 0, fmt.Errorf("MPIRE (python): %s: %w", contender, err)
	}
	s, err := strconv.ParseFloat(line, 64)
	if err != nil {
		return 0, fmt.Errorf("MPIRE (python): %s: %w", contender, err)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// close ends the script's input, which stops it, and waits for it.
func (p *pythonSide) close() error {
	p.in.Close()
	return p.cmd.Wait()
}

// contenders are the script's contenders as rows of the workload's table.
func (p *pythonSide) contenders() []contender {
	return []contender{
		{name: "python: sequential", external: func() (time.Duration, error) { return p.time("sequential") }},
		{name: "MPIRE (python)", external: func() (time.Duration, error) { return p.time("mpire") }},
	}
}
