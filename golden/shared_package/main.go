// A package named shared, the type of the shared object: the constructor's
// parameter takes another name.
package main

import (
	"context"
	"fmt"

	"golden/shared_package/shared"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Look looks a word up.
//
//mpire:task shared=*shared.Table
func Look(t *shared.Table, word string) int { return (*t)[word] }

func main() {
	t := shared.Table{"one": 1, "two": 2}
	vs, err := NewLookPool(&t, mpire.WithJobs(2)).Map(context.Background(), []string{"one", "two", "three"})
	fmt.Println(vs, err)
}
