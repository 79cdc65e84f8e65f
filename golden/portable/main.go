// A portable task run in worker processes: its shared object, arguments,
// results and exit values cross process boundaries through generated codecs.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

// Catalog is the shared object: it crosses once per worker process.
type Catalog struct {
	prices map[string]float64 // unexported fields cross too
	Tax    *float64
	Since  time.Time
}

// Order is one task's first argument.
type Order struct {
	Item     string
	Quantity uint16
	notes    []string
	When     time.Time
	Tags     map[string][]int
	Discount *Percent
}

// Percent is a named basic type.
type Percent float64

// Line is a task's result.
type Line struct {
	Item  string
	Total float64
	Err   error
	Seen  [2]bool
	pid   int
}

// Tally is each worker's state; it never leaves its process.
type Tally struct {
	orders int
	items  []string
}

// Summary is what each worker's exit returns.
type Summary struct {
	Orders int
	Items  []string
}

func open(t *Tally) error {
	t.items = []string{}
	return nil
}

func summarise(t *Tally) (Summary, error) {
	slices.Sort(t.items)
	return Summary{Orders: t.orders, Items: t.items}, nil
}

// Price prices an order in a worker process.
//
//mpire:task shared=*Catalog state=Tally init=open exit=summarise portable
func Price(c *Catalog, t *Tally, o Order, rush bool, extra []byte) (Line, error) {
	price, ok := c.prices[o.Item]
	if !ok {
		return Line{}, fmt.Errorf("no price for %q", o.Item)
	}
	t.orders++
	t.items = append(t.items, o.Item)
	total := price * float64(o.Quantity) * (1 + *c.Tax)
	if o.Discount != nil {
		total *= 1 - float64(*o.Discount)/100
	}
	if rush {
		total += float64(len(extra))
	}
	l := Line{Item: o.Item, Total: total, Seen: [2]bool{len(o.notes) > 0, o.When.After(c.Since)}, pid: os.Getpid()}
	if len(o.Tags[o.Item]) > 0 {
		l.Err = errors.New("tagged")
	}
	return l, nil
}

func main() {
	tax := 0.5
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Catalog{prices: map[string]float64{"apple": 2, "pear": 3}, Tax: &tax, Since: since}
	pool := NewPricePool(c, mpire.WithProcesses(), mpire.WithJobs(2))
	defer pool.Close()
	ten := Percent(10)
	orders := []PriceArgs{
		{O: Order{Item: "apple", Quantity: 2, notes: []string{"ripe"}, When: since.Add(time.Hour)}},
		{O: Order{Item: "pear", Quantity: 1, Discount: &ten, Tags: map[string][]int{"pear": {1}}}, Rush: true, Extra: []byte("xyz")},
		{O: Order{Item: "apple", Quantity: 1, When: since.Add(-time.Hour)}},
	}
	lines, err := pool.Map(context.Background(), orders)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range lines {
		fmt.Printf("%s %.2f %v %v in another process: %v\n", l.Item, l.Total, l.Err, l.Seen, l.pid != os.Getpid())
	}
	count := 0
	var items []string
	for _, s := range pool.ExitResults() {
		count += s.Orders
		items = append(items, s.Items...)
	}
	slices.Sort(items)
	fmt.Println("orders counted by the workers' exits:", count, items)

	_, err = pool.Apply(context.Background(), Order{Item: "plum"}, false, nil)
	fmt.Println(errors.Unwrap(err))
}
