// Tasks in files whose build constraints are written differently but mean
// the same: the generated file takes the first one's.
package main

func main() { run() }
