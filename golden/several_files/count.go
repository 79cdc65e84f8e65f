package main

import "context"

// Count looks a word up.
//
//mpire:task shared=Dict state=Counter init=reset exit=report
func Count(ctx context.Context, d Dict, c *Counter, w string) int {
	c.N++
	return d[w]
}

// Count2 looks two words up.
//
//mpire:task shared=Dict state=Counter exit=report
func Count2(d Dict, c *Counter, w, v string) int {
	c.N += 2
	return d[w] + d[v]
}
