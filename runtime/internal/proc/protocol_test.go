package proc

import (
	"github.com/mpire-go/mpire/runtime/internal/wire"

	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBigFrame(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 3*bigFrame/16+1)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeFrame(w, kindRun, 9, nil, payload)
	w.Flush()
	kind, id, body, err := readFrame(bufio.NewReader(&buf), &commandFrames)
	if err != nil || kind != kindRun || id != 9 || !bytes.Equal(body, payload) {
		t.Errorf("readFrame: %d %d %d bytes, %v", kind, id, len(body), err)
	}
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"nothing", "", io.EOF},
		{"a cut length", "\x05\x00", io.ErrUnexpectedEOF},
		{"a cut frame", "\x05\x00\x00\x00\x06\x01", io.ErrUnexpectedEOF},
		{"no id", "\x01\x00\x00\x00\x06", nil},
		{"a bad id", "\x02\x00\x00\x00\x06\xff", nil},
		{"not a frame", "garbage that claims gigabytes", nil},
		{"a cut big frame", "\x00\x00\x20\x00\x06\x01" + strings.Repeat("x", 1000), io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := readFrame(bufio.NewReader(strings.NewReader(tc.in)), &replyFrames)
			if err == nil || tc.want != nil && err != tc.want {
				t.Errorf("readFrame: %v, want %v", err, tc.want)
			}
		})
	}
	// A header that cannot be right where it comes fails at once, without
	// waiting for the body it claims: the peer writes no more.
	for _, tc := range []struct {
		name, hdr, want string
		frames          *frameSet
	}{
		{"a cancel among replies", "\xe8\x03\x00\x00\x05", "a frame of kind cancel where none may come", &replyFrames},
		{"a hello among replies", "\x00\x00\x00\x80\x01", "a frame of kind hello where none may come", &replyFrames},
		{"a hello of 2 GiB", "\x00\x00\x00\x80\x01", "a frame of kind hello and 2147483648 bytes", &helloFrames},
		{"a cancel with a body", "\x20\x00\x00\x00\x05", "a frame of kind cancel and 32 bytes", &commandFrames},
		{"an exit with a body", "\x20\x00\x00\x00\x04", "a frame of kind exit and 32 bytes", &commandFrames},
		{"a reply among commands", "\x20\x00\x00\x00\x06", "a frame of kind reply where none may come", &commandFrames},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := io.Pipe()
			defer w.Close()
			go w.Write([]byte(tc.hdr))
			if _, _, _, err := readFrame(bufio.NewReader(r), tc.frames); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readFrame: %v, want %q", err, tc.want)
			}
		})
	}
	if err := readMagic(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\n"))); err == nil || !strings.Contains(err.Error(), "another protocol") {
		t.Errorf("readMagic: %v", err)
	}
	// Refused at its first wrong byte: the peer writes no more.
	r, w := io.Pipe()
	defer w.Close()
	go w.Write([]byte("mpirX"))
	if err := readMagic(bufio.NewReader(r)); err == nil || !strings.Contains(err.Error(), `it sent "mpirX"`) {
		t.Errorf("readMagic: %v", err)
	}
}

func TestTail(t *testing.T) {
	var fwd bytes.Buffer
	tl := &tail{w: &fwd}
	in := "fatal error: stack overflow\n" + strings.Repeat("x", 2*tailLineLen) + "\n"
	for i := range tailLines + 5 {
		in += fmt.Sprintf("line %d\n", i)
	}
	in += "unfinished"
	for _, b := range []byte(in) { // byte by byte: lines cross writes
		tl.Write([]byte{b})
	}
	if fwd.String() != in {
		t.Errorf("forwarded %q", fwd.String())
	}
	fatal, lines := tl.last()
	if fatal != "fatal error: stack overflow" || len(lines) != tailLines || lines[0] != "line 6" || lines[tailLines-1] != "unfinished" {
		t.Errorf("fatal %q, lines %q", fatal, lines)
	}
	tl = &tail{w: io.Discard}
	tl.Write([]byte("SIGSEGV: segmentation violation\nPC=0x40816e m=0 sigcode=0 addr=0x482e\n\ngoroutine 1 gp=0x2a7f6f2f61e0 m=0 mp=0x5572a0 [running]:\nSIGNAL: not a headline\n"))
	if fatal, _ := tl.last(); fatal != "SIGSEGV: segmentation violation" {
		t.Errorf("fatal %q after a signal's crash", fatal)
	}
	tl = &tail{w: io.Discard}
	tl.Write([]byte(in[:100]))
	if _, lines := tl.last(); len(lines) != 2 || lines[0] != "fatal error: stack overflow" || len(lines[1]) != 100-28 {
		t.Errorf("lines %q", lines)
	}
}

func TestFingerprint(t *testing.T) {
	if errUnsupported != nil {
		t.Skip(errUnsupported)
	}
	fp, err := selfFingerprint()
	if err != nil || !strings.HasPrefix(fp, "go:") {
		t.Fatalf("selfFingerprint: %q, %v", fp, err)
	}
	if goTool, err := exec.LookPath("go"); err == nil {
		exe, _ := os.Executable()
		out, err := exec.Command(goTool, "tool", "buildid", exe).Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := "go:" + strings.TrimSpace(string(out)); fp != want {
			t.Errorf("fingerprint %q, go tool buildid %q", fp, want)
		}
	}
	// Without a build ID: a hash of the whole file.
	path := filepath.Join(t.TempDir(), "plain")
	content := []byte("\x7fELF not a Go binary")
	os.WriteFile(path, content, 0o644)
	if fp, err := fingerprint(path); err != nil || fp != fmt.Sprintf("sha256:%x", sha256.Sum256(content)) {
		t.Errorf("fingerprint: %q, %v", fp, err)
	}
	if _, err := fingerprint(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fingerprint of a missing file: %v", err)
	}
}

// isError tells whether err is a *wire.Error equal to want, stack aside.
func isError(err error, want *wire.Error) bool {
	var e *wire.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Phase == want.Phase && e.Index == want.Index && e.Msg == want.Msg &&
		e.Kind == want.Kind
}
