//go:build !linux && !windows

package main

import "fmt"

// Work says where it ran: elsewhere.
//
//mpire:task   init=warm
func Work(x int) string { return fmt.Sprintf("other:%d", x) }

func warm() error { return nil }
