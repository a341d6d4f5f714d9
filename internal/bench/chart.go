package bench

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"time"

	"github.com/kycgate/kycgate/internal/server"
)

// writeChart draws latency (p50 and p99, on a log scale) against rate for
// each target of runs, as an SVG file at path.
func writeChart(path string, runs []benchRun) error {
	if err := os.WriteFile(path, []byte(chartSVG(runs)), 0o644); err != nil {
		return fmt.Errorf("write the chart: %w", err)
	}
	return nil
}

type chartSeries struct {
	name, color, dash string
	points            [][2]float64 // rate, latency in ms
}

func chartSVG(runs []benchRun) string {
	const (
		width, height          = 760.0, 440.0
		left, right, top, foot = 70.0, 190.0, 40.0, 50.0
	)
	colors := map[string]string{"kycgate": "#1f6feb", "bare handler": "#8b949e"}
	var series []*chartSeries
	find := func(name, color, dash string) *chartSeries {
		for _, s := range series {
			if s.name == name {
				return s
			}
		}
		s := &chartSeries{name: name, color: color, dash: dash}
		series = append(series, s)
		return s
	}
	maxRate, minMs, maxMs := 0.0, math.Inf(1), 0.0
	for _, r := range runs {
		color := colors[r.Target]
		if color == "" {
			color = "#d29922"
		}
		for _, p := range []struct {
			label, dash string
			d           time.Duration
		}{{"p50", "", r.P50}, {"p99", "6 4", r.P99}} {
			ms := max(float64(p.d)/float64(time.Millisecond), 0.01)
			s := find(r.Target+" "+p.label, color, p.dash)
			s.points = append(s.points, [2]float64{r.Rate, ms})
			maxRate, minMs, maxMs = max(maxRate, r.Rate), min(minMs, ms), max(maxMs, ms)
		}
	}
	if len(series) == 0 {
		maxRate, minMs, maxMs = 1, 1, 10
	}
	lo, hi := math.Floor(math.Log10(minMs)), math.Ceil(math.Log10(maxMs))
	if hi == lo {
		hi++
	}
	xMax := server.NiceMax(maxRate * 1.05)
	x := func(rate float64) float64 { return left + rate/xMax*(width-left-right) }
	y := func(ms float64) float64 { return top + (hi-math.Log10(ms))/(hi-lo)*(height-top-foot) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="15">Acknowledgement latency against rate (open loop)</text>`+"\n", left)
	for e := lo; e <= hi; e++ {
		ms := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d0d7de"/>`+"\n", left, y(ms), width-right, y(ms))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s ms</text>`+"\n", left-6, y(ms)+4, strings.TrimSuffix(fmt.Sprintf("%g", ms), ".0"))
	}
	for i := 0; i <= 5; i++ {
		rate := xMax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d0d7de"/>`+"\n", x(rate), top, x(rate), height-foot)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0f</text>`+"\n", x(rate), height-foot+16, rate)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">requests per second</text>`+"\n", (left+width-right)/2, height-12)
	for i, s := range series {
		pts := make([]string, len(s.points))
		for j, p := range s.points {
			pts[j] = fmt.Sprintf("%.1f,%.1f", x(p[0]), y(p[1]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n", s.color, s.dash, strings.Join(pts, " "))
		for _, p := range s.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p[0]), y(p[1]), s.color)
		}
		ly := top + 10 + float64(i)*20
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`+"\n", width-right+14, ly, width-right+44, ly, s.color, s.dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", width-right+50, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
