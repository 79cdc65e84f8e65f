package msgpimpl

import (
	"encoding/binary"
	"math"
	"strconv"
)

// The values of the basic types, each in the smallest encoding that holds
// it, as msgp writes them: a signed integer in a signed encoding, an
// unsigned one in an unsigned encoding, a float64 in 64 bits.

// AppendBool appends x to b.
func AppendBool(b []byte, x bool) []byte {
	if x {
		return append(b, mTrue)
	}
	return append(b, mFalse)
}

// ReadBool reads a bool from b and returns the bytes after it.
func ReadBool(b []byte) (bool, []byte, error) {
	if len(b) == 0 || b[0]&^1 != mFalse { // neither false nor true
		return false, b, wrong("a bool", b, mTrue)
	}
	return b[0] == mTrue, b[1:], nil
}

// AppendInt64 appends x to b.
func AppendInt64(b []byte, x int64) []byte {
	switch {
	case x >= 0 && x <= math.MaxInt8, x < 0 && x >= -32:
		return append(b, byte(x)) // a fixed integer, positive or negative
	case x >= math.MinInt8 && x < 0:
		return append(b, mInt8, byte(x))
	case x >= math.MinInt16 && x <= math.MaxInt16:
		return append(b, mInt16, byte(x>>8), byte(x))
	case x >= math.MinInt32 && x <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(b, mInt32), uint32(x))
	}
	return binary.BigEndian.AppendUint64(append(b, mInt64), uint64(x))
}

// ReadInt64 reads an integer that fits in an int64 from b and returns the
// bytes after it.
func ReadInt64(b []byte) (int64, []byte, error) {
	x, neg, rest, err := readInteger(b)
	if err == nil && !neg && x > math.MaxInt64 {
		return 0, b, &rangeError{x: strconv.FormatUint(x, 10), typ: "int64"}
	}
	return int64(x), rest, err
}

// AppendUint64 appends x to b.
func AppendUint64(b []byte, x uint64) []byte {
	switch {
	case x <= math.MaxInt8:
		return append(b, byte(x))
	case x <= math.MaxUint8:
		return append(b, mUint8, byte(x))
	case x <= math.MaxUint16:
		return append(b, mUint16, byte(x>>8), byte(x))
	case x <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, mUint32), uint32(x))
	}
	return binary.BigEndian.AppendUint64(append(b, mUint64), x)
}

// ReadUint64 reads an integer that fits in a uint64 from b and returns the
// bytes after it.
func ReadUint64(b []byte) (uint64, []byte, error) {
	x, neg, rest, err := readInteger(b)
	if err == nil && neg {
		return 0, b, &rangeError{x: strconv.FormatInt(int64(x), 10), typ: "uint64"}
	}
	return x, rest, err
}

// readInteger reads an integer in any of its encodings: its bits, and
// whether they are those of a negative int64.
func readInteger(b []byte) (x uint64, neg bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, b, ErrShortBytes
	}
	lead := b[0]
	switch {
	case lead <= math.MaxInt8:
		return uint64(lead), false, b[1:], nil
	case lead >= negFix:
		return uint64(int64(int8(lead))), true, b[1:], nil
	case lead < mUint8 || lead > mInt64:
		return 0, false, b, typeError("an integer", lead)
	}
	size := 1 << ((lead - mUint8) & 3) // 1, 2, 4, 8 bytes, unsigned then signed
	if len(b) <= size {
		return 0, false, b, ErrShortBytes
	}
	switch size {
	case 1:
		x = uint64(b[1])
	case 2:
		x = uint64(binary.BigEndian.Uint16(b[1:]))
	case 4:
		x = uint64(binary.BigEndian.Uint32(b[1:]))
	default:
		x = binary.BigEndian.Uint64(b[1:])
	}
	if lead >= mInt8 { // signed: extend the sign
		shift := 64 - 8*size
		x = uint64(int64(x<<shift) >> shift)
		neg = int64(x) < 0
	}
	return x, neg, b[1+size:], nil
}

// signed are the signed integers that are read through an int64.
type signed interface{ ~int | ~int8 | ~int16 | ~int32 }

// readSigned reads an integer that fits in a T, named typ.
func readSigned[T signed](b []byte, typ string) (T, []byte, error) {
	x, rest, err := ReadInt64(b)
	if err == nil && int64(T(x)) != x {
		return 0, b, &rangeError{x: strconv.FormatInt(x, 10), typ: typ}
	}
	return T(x), rest, err
}

// unsigned are the unsigned integers that are read through a uint64.
type unsigned interface {
	~uint | ~uint8 | ~uint16 | ~uint32
}

// readUnsigned reads an integer that fits in a T, named typ.
func readUnsigned[T unsigned](b []byte, typ string) (T, []byte, error) {
	x, rest, err := ReadUint64(b)
	if err == nil && uint64(T(x)) != x {
		return 0, b, &rangeError{x: strconv.FormatUint(x, 10), typ: typ}
	}
	return T(x), rest, err
}

// AppendInt appends x to b.
func AppendInt(b []byte, x int) []byte { return AppendInt64(b, int64(x)) }

// AppendInt8 appends x to b.
func AppendInt8(b []byte, x int8) []byte { return AppendInt64(b, int64(x)) }

// AppendInt16 appends x to b.
func AppendInt16(b []byte, x int16) []byte { return AppendInt64(b, int64(x)) }

// AppendInt32 appends x to b.
func AppendInt32(b []byte, x int32) []byte { return AppendInt64(b, int64(x)) }

// AppendUint appends x to b.
func AppendUint(b []byte, x uint) []byte { return AppendUint64(b, uint64(x)) }

// AppendUint8 appends x to b.
func AppendUint8(b []byte, x uint8) []byte { return AppendUint64(b, uint64(x)) }

// AppendUint16 appends x to b.
func AppendUint16(b []byte, x uint16) []byte { return AppendUint64(b, uint64(x)) }

// AppendUint32 appends x to b.
func AppendUint32(b []byte, x uint32) []byte { return AppendUint64(b, uint64(x)) }

// ReadInt reads an integer that fits in an int from b and returns the
// bytes after it.
func ReadInt(b []byte) (int, []byte, error) { return readSigned[int](b, "int") }

// ReadInt8 reads an integer that fits in an int8 from b and returns the
// bytes after it.
func ReadInt8(b []byte) (int8, []byte, error) { return readSigned[int8](b, "int8") }

// ReadInt16 reads an integer that fits in an int16 from b and returns the
// bytes after it.
func ReadInt16(b []byte) (int16, []byte, error) { return readSigned[int16](b, "int16") }

// ReadInt32 reads an integer that fits in an int32 from b and returns the
// bytes after it.
func ReadInt32(b []byte) (int32, []byte, error) { return readSigned[int32](b, "int32") }

// ReadUint reads an integer that fits in a uint from b and returns the
// bytes after it.
func ReadUint(b []byte) (uint, []byte, error) { return readUnsigned[uint](b, "uint") }

// ReadUint8 reads an integer that fits in a uint8 from b and returns the
// bytes after it.
func ReadUint8(b []byte) (uint8, []byte, error) { return readUnsigned[uint8](b, "uint8") }

// ReadUint16 reads an integer that fits in a uint16 from b and returns the
// bytes after it.
func ReadUint16(b []byte) (uint16, []byte, error) { return readUnsigned[uint16](b, "uint16") }

// ReadUint32 reads an integer that fits in a uint32 from b and returns the
// bytes after it.
func ReadUint32(b []byte) (uint32, []byte, error) { return readUnsigned[uint32](b, "uint32") }

// AppendFloat32 appends x to b.
func AppendFloat32(b []byte, x float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, mFloat32), math.Float32bits(x))
}

// ReadFloat32 reads a float32 from b and returns the bytes after it.
func ReadFloat32(b []byte) (float32, []byte, error) {
	if len(b) < 5 || b[0] != mFloat32 {
		return 0, b, wrong("a float32", b, mFloat32)
	}
	return math.Float32frombits(binary.BigEndian.Uint32(b[1:])), b[5:], nil
}

// AppendFloat64 appends x to b.
func AppendFloat64(b []byte, x float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, mFloat64), math.Float64bits(x))
}

// ReadFloat64 reads a float64, or a float32, from b and returns the bytes
// after it.
func ReadFloat64(b []byte) (float64, []byte, error) {
	if len(b) >= 9 && b[0] == mFloat64 {
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:])), b[9:], nil
	}
	if len(b) > 0 && b[0] == mFloat32 {
		x, rest, err := ReadFloat32(b)
		return float64(x), rest, err
	}
	return 0, b, wrong("a float64", b, mFloat64)
}

// AppendComplex64 appends x to b, as msgp does: an extension of 8 bytes.
func AppendComplex64(b []byte, x complex64) []byte {
	b = binary.BigEndian.AppendUint32(append(b, mExt8, extComplex64), math.Float32bits(real(x)))
	return binary.BigEndian.AppendUint32(b, math.Float32bits(imag(x)))
}

// ReadComplex64 reads a complex64 from b and returns the bytes after it.
func ReadComplex64(b []byte) (complex64, []byte, error) {
	if len(b) < 10 || b[0] != mExt8 || b[1] != extComplex64 {
		return 0, b, wrongExt("a complex64", b, mExt8, extComplex64)
	}
	return complex(math.Float32frombits(binary.BigEndian.Uint32(b[2:])), math.Float32frombits(binary.BigEndian.Uint32(b[6:]))), b[10:], nil
}

// AppendComplex128 appends x to b, as msgp does: an extension of 16 bytes.
func AppendComplex128(b []byte, x complex128) []byte {
	b = binary.BigEndian.AppendUint64(append(b, mExt16, extComplex128), math.Float64bits(real(x)))
	return binary.BigEndian.AppendUint64(b, math.Float64bits(imag(x)))
}

// ReadComplex128 reads a complex128 from b and returns the bytes after it.
func ReadComplex128(b []byte) (complex128, []byte, error) {
	if len(b) < 18 || b[0] != mExt16 || b[1] != extComplex128 {
		return 0, b, wrongExt("a complex128", b, mExt16, extComplex128)
	}
	return complex(math.Float64frombits(binary.BigEndian.Uint64(b[2:])), math.Float64frombits(binary.BigEndian.Uint64(b[10:]))), b[18:], nil
}

// AppendString appends x to b.
func AppendString(b []byte, x string) []byte {
	if len(x) < 32 {
		b = append(b, fixStr|byte(len(x)))
	} else {
		b = appendLen(b, uint32(len(x)), mStr8, mStr16, mStr32)
	}
	return append(b, x...)
}

// ReadString reads a string from b and returns the bytes after it.
func ReadString(b []byte) (string, []byte, error) {
	var n uint32
	var err error
	rest := b
	if len(b) > 0 && b[0]&^31 == fixStr {
		n, rest = uint32(b[0]&31), b[1:]
	} else if n, rest, err = length(b, mStr8, mStr16, mStr32, "a string"); err != nil {
		return "", b, err
	}
	if uint64(n) > uint64(len(rest)) {
		return "", b, ErrShortBytes
	}
	return string(rest[:n]), rest[n:], nil
}

// AppendBytes appends x to b, as binary data.
func AppendBytes(b []byte, x []byte) []byte {
	return append(appendLen(b, uint32(len(x)), mBin8, mBin16, mBin32), x...)
}

// ReadBytes reads binary data from b and returns a copy of it, never nil,
// and the bytes after it. A copy: the caller may keep it, while b is
// reused.
func ReadBytes(b []byte) ([]byte, []byte, error) {
	n, rest, err := length(b, mBin8, mBin16, mBin32, "binary data")
	if err != nil {
		return nil, b, err
	}
	if uint64(n) > uint64(len(rest)) {
		return nil, b, ErrShortBytes
	}
	return append([]byte{}, rest[:n]...), rest[n:], nil
}

// length reads the length of a string or of binary data, after m8, m16 or
// m32.
func length(b []byte, m8, m16, m32 byte, what string) (uint32, []byte, error) {
	switch {
	case len(b) == 0:
		return 0, b, ErrShortBytes
	case b[0] == m8 && len(b) >= 2:
		return uint32(b[1]), b[2:], nil
	case b[0] == m16 && len(b) >= 3:
		return uint32(binary.BigEndian.Uint16(b[1:])), b[3:], nil
	case b[0] == m32 && len(b) >= 5:
		return binary.BigEndian.Uint32(b[1:]), b[5:], nil
	case b[0] == m8 || b[0] == m16 || b[0] == m32:
		return 0, b, ErrShortBytes
	}
	return 0, b, typeError(what, b[0])
}
