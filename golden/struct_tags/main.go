// Struct tags that a raw string cannot hold: a carriage return, invalid
// UTF-8, a backquote. The generated file spells them as quoted strings.
package main

import (
	"context"
	"fmt"
	"reflect"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Sum adds the fields of an anonymous struct with such tags.
//
//mpire:task
func Sum(x struct {
	A int "k:\"a\rb\""
	B int "k:\"\xff\""
	C int "k:\"`\""
}) int {
	return x.A + x.B + x.C
}

func main() {
	xs := make([]SumArg, 3)
	for i := range xs {
		xs[i].A, xs[i].B, xs[i].C = i, 10*i, 100*i
	}
	ys, err := NewSumPool(mpire.WithJobs(2)).Map(context.Background(), xs)
	fmt.Println(ys, err)
	for _, name := range []string{"A", "B", "C"} {
		f, _ := reflect.TypeFor[SumArg]().FieldByName(name)
		fmt.Printf("%s %q\n", name, f.Tag.Get("k"))
	}
}
