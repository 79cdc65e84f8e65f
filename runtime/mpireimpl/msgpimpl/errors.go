package msgpimpl

import (
	"errors"
	"fmt"
)

// ErrShortBytes is the error of a message cut short: too few bytes for
// what it says comes next. Errors of lengths that the bytes left cannot
// hold wrap it.
var ErrShortBytes = errors.New("msgpimpl: too few bytes left to read a value")

// typeError is the error of a value that is not of the type wanted, which
// starts with lead.
func typeError(want string, lead byte) error {
	return fmt.Errorf("msgpimpl: wanted %s, found a value starting with 0x%02x", want, lead)
}

// wrong is the error of b, which does not start with a whole value of the
// type wanted: cut short when it starts with lead, the first byte of that
// type (or of one of them), or with nothing.
func wrong(want string, b []byte, lead byte) error {
	if len(b) == 0 || b[0] == lead {
		return ErrShortBytes
	}
	return typeError(want, b[0])
}

// wrongExt is wrong for an extension, whose type follows its first byte.
func wrongExt(want string, b []byte, lead, ext byte) error {
	if len(b) >= 2 && b[0] == lead && b[1] != ext {
		return fmt.Errorf("msgpimpl: wanted %s, found an extension of type %d", want, int8(b[1]))
	}
	return wrong(want, b, lead)
}

// arrayError is the error of an array, or a struct, of the wrong length.
type arrayError struct {
	want int
	got  uint32
}

func (e *arrayError) Error() string {
	return fmt.Sprintf("msgpimpl: wanted an array of %d elements, found %d", e.want, e.got)
}

// lengthError is the error of a length that the bytes left cannot hold.
type lengthError struct {
	n         uint32
	min, left int
}

func (e *lengthError) Error() string {
	each := "a byte"
	if e.min > 1 {
		each = fmt.Sprintf("%d bytes", e.min)
	}
	return fmt.Sprintf("msgpimpl: a length of %d does not fit in the %d bytes left, at %s or more an element", e.n, e.left, each)
}

func (e *lengthError) Unwrap() error { return ErrShortBytes }

// rangeError is the error of an integer out of the range of its type.
type rangeError struct{ x, typ string }

func (e *rangeError) Error() string { return fmt.Sprintf("msgpimpl: %s overflows %s", e.x, e.typ) }
