// Model: MPIRE's worker state example in Go. A dataset is shared by every
// worker without copying; each worker loads its own model once (init),
// predicts with it, and reports how many predictions it made (exit).
package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"time"

	mpire "github.com/mpire-go/mpire/runtime"
)

//go:generate go run github.com/mpire-go/mpire/cmd/mpiregen

// Dataset is read by every worker.
type Dataset struct {
	Features [][]float64
}

// Model is each worker's state: weights loaded once per worker.
type Model struct {
	Weights     []float64
	Predictions int
}

// loadModel builds the worker's model; think of reading weights from disk.
func loadModel(id mpire.WorkerID, m *Model) error {
	m.Weights = []float64{0.5, -0.25, 2}
	return nil
}

// stats is the worker's report when it stops.
func stats(id mpire.WorkerID, m *Model) string {
	return fmt.Sprintf("worker %d made %d predictions", id, m.Predictions)
}

// Predict scores row i of the dataset with the worker's model.
//
//mpire:task shared=*Dataset state=Model init=loadModel exit=stats
func Predict(ctx context.Context, ds *Dataset, m *Model, i int) (float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.Predictions++
	time.Sleep(100 * time.Microsecond) // the cost of a real model
	var z float64
	for j, x := range ds.Features[i] {
		z += m.Weights[j] * x
	}
	return 1 / (1 + math.Exp(-z)), nil
}

func main() {
	ds := &Dataset{}
	for i := range 1000 {
		ds.Features = append(ds.Features, []float64{float64(i%7) / 7, float64(i%3) / 3, float64(i%5) / 5})
	}
	rows := make([]int, len(ds.Features))
	for i := range rows {
		rows[i] = i
	}

	pool := NewPredictPool(ds, mpire.WithJobs(2), mpire.WithInsights())
	scores, err := pool.Map(context.Background(), rows)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d scores, first %.3f, last %.3f\n", len(scores), scores[0], scores[len(scores)-1])
	for _, s := range pool.ExitResults() {
		fmt.Println(s)
	}
	fmt.Print(pool.Insights())
}
