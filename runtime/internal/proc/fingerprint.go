package proc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
)

// A fingerprint names a build: parent and child must have the same one, or
// the child's codecs may not match the parent's.
//
// It is the Go build ID that the linker writes into every binary. Its last
// part is a hash of the linked binary's content, so any change of code,
// dependency, build flag or toolchain changes it, and the same file always
// gives the same one; unlike a path, a size or a modification time, it
// cannot be fooled by a binary replaced on disk. It is cheap: it sits in the
// first few KiB of the file (an ELF note on Linux, the start of the text
// section on macOS), so one read of headSize bytes finds it. A binary linked
// without one (-ldflags=-buildid=) falls back to a SHA-256 of the whole
// file: as sound, slower.
func fingerprint(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return "", err
	}
	head = head[:n]
	if id := elfBuildID(head); id != "" {
		return "go:" + id, nil
	}
	if id := rawBuildID(head); id != "" {
		return "go:" + id, nil
	}
	h := sha256.New()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

const headSize = 64 << 10

// elfBuildID finds the Go build ID note of an ELF file: namesz 4, descsz,
// type 4, name "Go\x00\x00", then the ID (what cmd/internal/buildid reads).
func elfBuildID(head []byte) string {
	if !bytes.HasPrefix(head, []byte("\x7fELF")) {
		return ""
	}
	const noteName = "\x04\x00\x00\x00"
	for i := 0; ; {
		j := bytes.Index(head[i:], []byte("Go\x00\x00"))
		if j < 0 {
			return ""
		}
		at := i + j
		i = at + 1
		if at < 12 || string(head[at-12:at-8]) != noteName || string(head[at-4:at]) != "\x04\x00\x00\x00" {
			continue
		}
		size := int(binary.LittleEndian.Uint32(head[at-8 : at-4]))
		if desc := head[at+4:]; size > 0 && size <= len(desc) {
			return string(desc[:size])
		}
	}
}

// rawBuildID finds the build ID as the linker writes it at the start of the
// text section: \xff Go build ID: "ID"\n \xff.
func rawBuildID(head []byte) string {
	const prefix, suffix = "\xff Go build ID: \"", "\"\n \xff"
	i := bytes.Index(head, []byte(prefix))
	if i < 0 {
		return ""
	}
	rest := head[i+len(prefix):]
	j := bytes.Index(rest, []byte(suffix))
	if j <= 0 {
		return ""
	}
	return string(rest[:j])
}

// self is this process's own fingerprint, read once.
var self struct {
	once sync.Once
	fp   string
	err  error
}

// selfFingerprint returns the fingerprint of the binary this process runs.
//
// A binary that this user may run but not read (mode 0711, another owner)
// has no fingerprint; its identity on disk (fileIdentity) names its build
// instead. On Linux, where a worker process runs /proc/self/exe of its
// parent, it is the very file its parent runs, so both get the same
// identity; on macOS a binary replaced on disk gets another inode.
func selfFingerprint() (string, error) {
	self.once.Do(func() {
		exe, err := executable()
		if err != nil {
			self.err = err
			return
		}
		self.fp, self.err = fingerprint(exe)
		if errors.Is(self.err, fs.ErrPermission) {
			self.fp, self.err = fileIdentity(exe)
		}
	})
	return self.fp, self.err
}
