package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// A message larger than a transport carries goes in parts, each labelled
// "i/k": part i of k. Parts reassembles them.

// MaxParts bounds the parts of one message.
const MaxParts = 1 << 16

// FormatPart labels part i of k.
func FormatPart(i, k int) string { return strconv.Itoa(i) + "/" + strconv.Itoa(k) }

// ParsePart reads a label made by FormatPart, checking 0 <= i < k <= MaxParts.
func ParsePart(s string) (i, k int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	k, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || i < 0 || k < 1 || i >= k || k > MaxParts {
		return 0, 0, fmt.Errorf("%w: a part labelled %q", ErrMalformed, s)
	}
	return i, k, nil
}

// Parts reassembles the parts of messages, by the key of each message (a
// delivery of a request: a retry sends its parts anew). It keeps only what
// it was given: no room is made for parts that have not come, so a claim of
// many parts costs nothing. It keeps at most MaxMessages messages at once,
// and drops the oldest to make room.
type Parts struct {
	msgs  map[string]*message
	order []string // keys, oldest first
}

// MaxMessages bounds the messages that Parts assembles at once.
const MaxMessages = 4

type message struct {
	k     int
	parts map[int][]byte
	size  int
}

// Add adds part i of k of the message key. It returns the whole message once
// every part has come; an error when the part contradicts the ones before
// it (another count of parts, or a part given twice).
func (p *Parts) Add(key string, i, k int, data []byte) (whole []byte, done bool, err error) {
	if k == 1 && i == 0 {
		return data, true, nil
	}
	if p.msgs == nil {
		p.msgs = map[string]*message{}
	}
	m := p.msgs[key]
	if m == nil {
		if len(p.order) == MaxMessages {
			delete(p.msgs, p.order[0])
			p.order = p.order[1:]
		}
		m = &message{k: k, parts: map[int][]byte{}}
		p.msgs[key] = m
		p.order = append(p.order, key)
	}
	switch {
	case k != m.k:
		return nil, false, fmt.Errorf("%w: part %d of %d of a message of %d parts", ErrMalformed, i, k, m.k)
	case i < 0 || i >= k:
		return nil, false, fmt.Errorf("%w: part %d of %d", ErrMalformed, i, k)
	}
	if _, dup := m.parts[i]; dup {
		return nil, false, fmt.Errorf("%w: part %d of %d twice", ErrMalformed, i, k)
	}
	m.parts[i] = data
	m.size += len(data)
	if len(m.parts) < k {
		return nil, false, nil
	}
	whole = make([]byte, 0, m.size)
	for j := range k {
		whole = append(whole, m.parts[j]...)
	}
	p.forget(key)
	return whole, true, nil
}

// Len returns the number of messages being assembled.
func (p *Parts) Len() int { return len(p.order) }

func (p *Parts) forget(key string) {
	delete(p.msgs, key)
	for j, o := range p.order {
		if o == key {
			p.order = append(p.order[:j], p.order[j+1:]...)
			break
		}
	}
}
