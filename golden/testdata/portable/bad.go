// Portable tasks whose values cannot cross a process boundary.
package main

import (
	"bytes"
	"unsafe"
)

// Node refers to itself.
type Node struct {
	Value int
	Next  *Node
}

// Tree refers to itself through a slice.
type Tree struct{ Children []Tree }

// Job holds a func.
type Job struct {
	Name string
	Run  func() error
}

// Handler is an interface other than error.
type Handler interface{ Handle() }

// Model holds a channel.
type Model struct{ updates chan int }

//mpire:task portable
func Apply(cb func(int) int) int { return cb(1) }

//mpire:task portable
func Send(ch chan int, n int) int { return n }

//mpire:task portable
func Raw(p unsafe.Pointer) int { return 0 }

//mpire:task portable
func Any(x any, h Handler) int { return 0 }

//mpire:task portable
func Walk(n *Node) int { return n.Value }

//mpire:task portable
func Grow(t Tree) int { return len(t.Children) }

//mpire:task portable
func Schedule(j Job) string { return j.Name }

//mpire:task portable
func Buffered(b bytes.Buffer) int { return b.Len() }

//mpire:task portable
func Result(x int) func() int { return nil }

//mpire:task shared=*Model exit=stop portable
func Shared(m *Model, x int) int { return x }

func stop() chan int { return nil }

//mpire:task portable=yes
func Valued(x int) int { return x }

// uint32 hides the predeclared type, which the codecs need.
type uint32 int

//mpire:task portable
func Fine(x int) int { return x }

//mpire:task portable
func Unnamed(int, chan bool) int { return 0 }

// Forest is recursive in every instance; Box[Box[int]] would not be.
type Forest[T any] struct {
	V    T
	Kids []Forest[T]
}

//mpire:task portable
func Plant(t Forest[int]) int { return t.V }

// Holder holds a Forest[string] inside an instance of another generic type.
type Holder[T any] struct{ In T }

//mpire:task portable
func Hold(h Holder[Forest[string]]) int { return 0 }
