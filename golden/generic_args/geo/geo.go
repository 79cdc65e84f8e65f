// Package geo has a generic type of another package.
package geo

// Point is a point with coordinates of any number type.
type Point[T int | float64] struct{ X, Y T }
