package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// chart draws each contender's ratio to its workload's baseline as a
// horizontal bar, one group per workload, on a log scale centred on 1.
func chart(rs []result, caption string) []byte {
	const (
		left, barH, gap, width = 330, 14, 4, 900
		plotW                  = width - left - 60
		minR, maxR             = 0.25, 64.0
	)
	x := func(r float64) float64 {
		r = math.Min(math.Max(r, minR), maxR)
		return left + plotW*math.Log(r/minR)/math.Log(maxR/minR)
	}
	var body bytes.Buffer
	y := 50
	workload := ""
	for _, r := range rs {
		if r.Workload != workload {
			workload = r.Workload
			y += 12
			fmt.Fprintf(&body, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+barH-2, html.EscapeString(workload))
			y += barH + gap
		}
		color := "#9aa5b1"
		switch {
		case r.Contender == "sequential":
			color = "#d9dde2"
		case len(r.Contender) >= 8 && r.Contender[:8] == "baseline":
			color = "#52606d"
		case len(r.Contender) >= 5 && r.Contender[:5] == "mpire":
			color = "#2f8f5b"
		case r.External:
			color = "#d08c3a"
		}
		fmt.Fprintf(&body, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+barH-3, html.EscapeString(r.Contender))
		fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, x(r.Ratio)-left, barH, color)
		fmt.Fprintf(&body, `<text x="%.1f" y="%d">%.2f</text>`+"\n", x(r.Ratio)+4, y+barH-3, r.Ratio)
		y += barH + gap
	}
	var out bytes.Buffer
	height := y + 20
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&out, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&out, `<text x="10" y="20" font-size="14" font-weight="bold">Time relative to the hand-written baseline (lower is better, log scale)</text>`+"\n")
	fmt.Fprintf(&out, `<text x="10" y="38">%s</text>`+"\n", html.EscapeString(caption))
	for _, tick := range []float64{0.5, 1, 2, 4, 8, 16, 32} {
		fmt.Fprintf(&out, `<line x1="%.1f" y1="44" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x(tick), x(tick), height-10, map[bool]string{true: "#333", false: "#eee"}[tick == 1])
		fmt.Fprintf(&out, `<text x="%.1f" y="%d" text-anchor="middle">%gx</text>`+"\n", x(tick), height-0, tick)
	}
	out.Write(body.Bytes())
	out.WriteString("</svg>\n")
	return out.Bytes()
}
