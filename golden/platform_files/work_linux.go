package main

import "fmt"

// Work says where it ran: here, Linux.
//
//mpire:task init=warm
func Work(x int) string { return fmt.Sprintf("linux:%d", x) }

func warm() error { return nil }
