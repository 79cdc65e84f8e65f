package main

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRandomValuesRoundTrip(t *testing.T) {
	if err := roundTrip(randomValues(100)); err != nil {
		t.Fatal(err)
	}
}

var sample = Sample{ID: 123456, Name: "a sample's name", Score: 0.75}

// BenchmarkCodecMsgp encodes and decodes a three-field struct with the
// generated codec, into a reused buffer.
func BenchmarkCodecMsgp(b *testing.B) {
	var buf []byte
	var got Sample
	for b.Loop() {
		buf = appendSample(buf[:0], &sample)
		if _, err := readSample(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
	if got != sample {
		b.Fatalf("got %+v", got)
	}
}

// BenchmarkCodecBinary does the same with encoding/binary, by hand.
func BenchmarkCodecBinary(b *testing.B) {
	var buf []byte
	var got Sample
	for b.Loop() {
		buf = appendSampleBinary(buf[:0], &sample)
		if err := readSampleBinary(buf, &got); err != nil {
			b.Fatal(err)
		}
	}
	if got != sample {
		b.Fatalf("got %+v", got)
	}
}

func appendSampleBinary(b []byte, s *Sample) []byte {
	b = binary.AppendVarint(b, s.ID)
	b = binary.AppendUvarint(b, uint64(len(s.Name)))
	b = append(b, s.Name...)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Score))
}

var errShort = errors.New("short")

func readSampleBinary(b []byte, s *Sample) error {
	id, k := binary.Varint(b)
	if k <= 0 {
		return errShort
	}
	b = b[k:]
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n+8 {
		return errShort
	}
	b = b[k:]
	s.ID, s.Name = id, string(b[:n])
	s.Score = math.Float64frombits(binary.LittleEndian.Uint64(b[n:]))
	return nil
}
