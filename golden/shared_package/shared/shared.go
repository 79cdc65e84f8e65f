// Package shared is named like the constructor's parameter.
package shared

// Table is a lookup table.
type Table map[string]int
