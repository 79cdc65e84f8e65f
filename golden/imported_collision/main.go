// Types from two packages that are both named geo: the generated file
// imports them under distinct names.
package main

import (
	"context"
	"fmt"

	"golden/imported_collision/geo"
	tiles "golden/imported_collision/maps/geo"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Locate finds the tile of a point.
//
//mpire:task
func Locate(p geo.Point, zoom int) tiles.Tile {
	return tiles.Tile{Zoom: zoom, X: int(p.X) >> (8 - zoom), Y: int(p.Y) >> (8 - zoom)}
}

func main() {
	pool := NewLocatePool(mpire.WithJobs(2))
	ts, err := pool.Map(context.Background(), []LocateArgs{{P: geo.Point{X: 200, Y: 100}, Zoom: 2}, {P: geo.Point{X: 255, Y: 0}, Zoom: 8}})
	fmt.Println(ts, err)
}
