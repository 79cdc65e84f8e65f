// Package lib exposes unexported types through exported aliases.
package lib

type hidden struct{ V int }

// Exposed names an unexported type.
type Exposed = hidden

// Make returns an Exposed.
func Make(v int) Exposed { return hidden{V: v} }

type box[T any] struct{ V T }

// Box names an unexported generic type.
type Box[T any] = box[T]

// Anon is an anonymous struct with an unexported field, which only this
// package can spell.
type Anon = struct{ x int }

// MakeAnon returns an Anon.
func MakeAnon(v int) Anon { return Anon{x: v} }

// Get reads an Anon.
func Get(a Anon) int { return a.x }
