package unresolved_import

import (
	"fmt"

	gone "example.com/gone/v2"
)

func useIt() { fmt.Println(gone.X, NewSquarePool()) }
