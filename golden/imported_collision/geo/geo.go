// Package geo is a plane geometry package.
package geo

// Point is a point of the plane.
type Point struct{ X, Y float64 }
