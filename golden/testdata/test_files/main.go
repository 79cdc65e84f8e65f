// A directive in a _test.go file, which mpiregen does not read.
package main

func main() {}
