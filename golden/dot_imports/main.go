// Dot imports of context and of the runtime itself: the task spells
// Context, WorkerID and Builder unqualified, the generated file qualifies
// them.
package main

import (
	. "context"
	"fmt"
	"strings"

	. "github.com/mpire-go/mpire/runtime"
)

// Builder is strings.Builder, through an alias.
type Builder = strings.Builder

// Dot recognises its leading parameters through dot imports.
//
//mpire:task shared=*Builder
func Dot(ctx Context, id WorkerID, b *Builder, r *strings.Reader) (int, error) {
	return r.Len() + b.Len(), ctx.Err()
}

func main() {
	var b Builder
	b.WriteString("ab")
	fmt.Println(NewDotPool(&b, WithJobs(1)).Apply(Background(), strings.NewReader("abc")))
}
