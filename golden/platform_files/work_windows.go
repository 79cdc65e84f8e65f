package main

import "fmt"

// Work says where it ran: here, Windows.
//
//mpire:task init=warm
func Work(x int) string { return fmt.Sprintf("windows:%d", x) }

func warm() error { return nil }
