package proc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/mpire-go/mpire/runtime/internal/wire"
)

// The protocol. Each side first writes magic, so that a peer speaking
// anything else (another program, another version of this protocol) is
// refused before a single length is trusted. Then frames:
//
//	u32 little-endian length of what follows | kind byte | uvarint id | body
//
// The parent sends hello (body: the nonce of the child's ticket, as uvarint
// length + bytes, then varint worker), then init, run, exit (body: the
// request, as package wire encodes it) and cancel (empty body, the id of the
// request to cancel). The child sends hello (body: fingerprint and task, as
// uvarint length + bytes) and one reply per request, in the order of the
// requests (body: a wire.Reply).
//
// A reader takes only the kinds that may come at that point (a frameSet),
// and checks a frame's kind and length against them before it reads on: a
// frame that cannot be right is a broken protocol at once, never a wait for
// bytes that will not come.
const magic = "mpire-proc/1\n"

const (
	kindHello byte = iota + 1
	kindInit
	kindRun
	kindExit
	kindCancel
	kindReply
)

// kindNames names the kinds, for errors.
var kindNames = [...]string{kindHello: "hello", kindInit: "init", kindRun: "run", kindExit: "exit", kindCancel: "cancel", kindReply: "reply"}

// A frameSet is what a reader takes at one point of the protocol: the
// largest length of each kind of frame, 0 for a kind that may not come.
type frameSet [kindReply + 1]uint32

// The frames each side reads: a hello first, then requests in the child
// and replies in the parent.
var (
	helloFrames   = frameSet{kindHello: maxHello}
	commandFrames = frameSet{kindInit: maxFrame, kindRun: maxFrame, kindExit: maxEmpty, kindCancel: maxEmpty}
	replyFrames   = frameSet{kindReply: maxFrame}
)

// Lengths of frames: the kind, the id, the body.
const (
	maxEmpty = 1 + binary.MaxVarintLen64 // a frame without a body
	maxHello = 64 << 10                  // a fingerprint and a task's name, or a nonce and a worker
)

// maxFrame bounds a frame: its length must fit the u32 prefix.
const maxFrame = math.MaxUint32

// writeFrame writes one frame; the caller flushes.
func writeFrame(w *bufio.Writer, kind byte, id uint64, head, payload []byte) error {
	var hdr [4 + 1 + binary.MaxVarintLen64]byte
	k := 5 + binary.PutUvarint(hdr[5:], id)
	size := uint64(k-4) + uint64(len(head)) + uint64(len(payload))
	if size > maxFrame {
		return fmt.Errorf("a frame of %d bytes is larger than the protocol's limit of %d", size, uint64(maxFrame))
	}
	binary.LittleEndian.PutUint32(hdr[:4], uint32(size))
	hdr[4] = kind
	w.Write(hdr[:k])
	w.Write(head)
	_, err := w.Write(payload)
	return err
}

// readFrame reads one frame of a kind that want takes. The body is a fresh
// slice the caller owns.
func readFrame(r *bufio.Reader, want *frameSet) (kind byte, id uint64, body []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:1]); err != nil {
		return 0, 0, nil, err // EOF here is a clean end
	}
	if _, err := io.ReadFull(r, hdr[1:]); err != nil {
		return 0, 0, nil, unexpected(err)
	}
	size, kind := int64(binary.LittleEndian.Uint32(hdr[:4])), hdr[4]
	// Checked before reading on, and the body read as it comes, so that
	// bytes that are not a frame (something else writing on the
	// descriptor) or a frame that cannot come here fail at once rather than
	// ask for gigabytes.
	switch {
	case kind < kindHello || kind > kindReply || size < 2:
		return 0, 0, nil, fmt.Errorf("bytes that are not a frame (%q)", hdr[:])
	case want[kind] == 0:
		return 0, 0, nil, fmt.Errorf("a frame of kind %s where none may come", kindNames[kind])
	case size > int64(want[kind]):
		return 0, 0, nil, fmt.Errorf("a frame of kind %s and %d bytes, more than one can hold (%d)", kindNames[kind], size, want[kind])
	}
	var buf []byte
	if size <= bigFrame {
		buf = make([]byte, size-1)
		_, err = io.ReadFull(r, buf)
	} else if buf, err = io.ReadAll(io.LimitReader(r, size-1)); err == nil && int64(len(buf)) < size-1 {
		err = io.EOF
	}
	if err != nil {
		return 0, 0, nil, unexpected(err)
	}
	id, k := binary.Uvarint(buf)
	if k <= 0 {
		return 0, 0, nil, errors.New("a frame with a malformed id")
	}
	return kind, id, buf[k:], nil
}

// bigFrame is the size above which readFrame grows its buffer as the bytes
// arrive instead of trusting the length at once.
const bigFrame = 1 << 20

// readMagic reads and checks the peer's magic byte by byte, so that a peer
// that sends something else is refused at its first wrong byte, not after
// as many bytes as the magic has.
func readMagic(r *bufio.Reader) error {
	for i := range len(magic) {
		c, err := r.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		if c != magic[i] {
			return fmt.Errorf("it speaks another protocol (it sent %q, not %q)", magic[:i]+string([]byte{c}), magic)
		}
	}
	return nil
}

// unexpected turns an EOF inside a message into io.ErrUnexpectedEOF: only an
// EOF between frames is a clean end.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// readBytes reads a field written by appendBytes from b: the field and what
// follows it.
func readBytes(b []byte) (field, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// kindOf returns the request kind of a phase.
func kindOf(phase wire.Phase) byte { return kindInit + byte(phase-wire.PhaseInit) }

// phaseOf returns the phase of a request's kind.
func phaseOf(kind byte) wire.Phase { return wire.PhaseInit + wire.Phase(kind-kindInit) }
