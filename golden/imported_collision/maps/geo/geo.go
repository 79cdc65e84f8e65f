// Package geo is a map package whose name is the same as the other geo's.
package geo

// Tile is a map tile.
type Tile struct{ Zoom, X, Y int }
