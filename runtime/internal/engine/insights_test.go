package engine

import (
	"testing"
	"time"
)

func TestNextPieceLastsAboutPieceTime(t *testing.T) {
	for _, tc := range []struct {
		name         string
		d            time.Duration
		tasks, piece int
		want         int
	}{
		{"tasks as long as a piece: one by one", pieceTime, 1, 7, 1},
		{"long tasks: one by one", time.Millisecond, 3, 40, 1},
		{"a slow piece after fast ones: one by one at once", 300 * time.Millisecond, maxPiece, maxPiece, 1},
		{"50 ns tasks", 100 * 50 * time.Nanosecond, 100, 100, int(pieceTime/(50*time.Nanosecond)) + 1},
		{"a tenth of a piece: ten and one", pieceTime / 10, 1, 1, 11},
		{"tasks too short to be seen: the longest piece", 0, 64, 64, maxPiece},
		{"tiny tasks: never more than the longest piece", time.Nanosecond, 100, 100, maxPiece},
		{"nothing completed: the same piece", time.Millisecond, 0, 37, 37},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NextPiece(tc.d, tc.tasks, tc.piece); got != tc.want {
				t.Fatalf("NextPiece(%v, %d, %d) = %d, want %d", tc.d, tc.tasks, tc.piece, got, tc.want)
			}
		})
	}
}
