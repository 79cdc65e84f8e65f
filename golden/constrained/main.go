// A task in a file built only on Linux: the generated file is built only
// there too, so the package builds on every platform.
package main

func main() { run() }
