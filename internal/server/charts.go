package server

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// The dashboard's charts are SVG drawn here, on the server: they need no
// script, scale with the page (viewBox), and carry a <title> per mark so
// that a pointer shows the exact figure.

// svg accumulates the marks of one chart.
type svg struct {
	b    strings.Builder
	w, h int
}

func newSVG(w, h int, label string) *svg { return newChart("chart", w, h, label) }

// newChart is newSVG with the classes of the <svg> element.
func newChart(class string, w, h int, label string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg class="%s" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, class, w, h, esc(label))
	return s
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func (s *svg) rect(x, y, w, h float64, class, title string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"><title>%s</title></rect>`, x, y, max(w, 0), max(h, 0), class, esc(title))
}

func (s *svg) text(x, y float64, anchor, class, text string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, esc(text))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="%s"/>`, x1, y1, x2, y2, class)
}

func (s *svg) html() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) // every text above went through esc
}

// series is one named row of values, drawn in its class's colour.
type series struct {
	Name   string
	Class  string
	Values []float64 // NaN where there is no value
}

// legend is the series' names with their colours, as HTML.
func legend(ss []series) template.HTML {
	var b strings.Builder
	b.WriteString(`<ul class="legend">`)
	for _, s := range ss {
		fmt.Fprintf(&b, `<li><span class="swatch %s"></span>%s</li>`, s.Class, esc(s.Name))
	}
	b.WriteString(`</ul>`)
	return template.HTML(b.String())
}

// NiceMax rounds m up to 1, 2 or 5 times a power of ten, for an axis: the
// dashboard's charts and kycgate bench's.
func NiceMax(m float64) float64 {
	if m <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{1, 2, 5, 10} {
		if m <= f*p {
			return f * p
		}
	}
	return 10 * p
}

const (
	panelW         = 360 // a chart in a provider's panel
	chartW, chartH = 720, 240
	padL, padB     = 44, 28
	padT, padR     = 10, 10
	plotH          = chartH - padT - padB // the height values are drawn in
)

// axes draws the value axis of a chart from 0 to top, with labels.
func (s *svg) axes(top float64, format func(float64) string) {
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := float64(padT) + plotH*(1-float64(i)/4)
		s.line(padL, y, float64(s.w-padR), y, "grid")
		s.text(padL-6, y+4, "end", "tick", format(v))
	}
}

// xLabels writes at most about one bucket label per 60 units under the
// plot (12 on a full-width chart).
func (s *svg) xLabels(labels []string, x func(i int) float64) {
	n := max(1, s.w/60)
	step := max(1, (len(labels)+n-1)/n)
	for i := 0; i < len(labels); i += step {
		s.text(x(i), chartH-padB+16, "middle", "tick", labels[i])
	}
}

// slots divides a chart's width among n buckets: each bucket's width, and
// the x of its middle.
func slots(w, n int) (slot float64, x func(i int) float64) {
	slot = float64(w-padL-padR) / float64(max(n, 1))
	return slot, func(i int) float64 { return padL + slot*(float64(i)+0.5) }
}

// Charts over time come in two widths, shown by the stylesheet: chartW
// for a laptop, narrowW for a phone, so that their text reads at the same
// size on both.
const narrowW = 380

// overTimeChart draws a chart over time at both widths.
func overTimeChart(draw func(w int) template.HTML) template.HTML {
	return `<div class="wide-only">` + draw(chartW) + `</div><div class="narrow-only">` + draw(narrowW) + `</div>`
}

// stackedBars draws one bar per bucket, its series stacked, w units wide.
func stackedBars(label string, w int, labels []string, ss []series) template.HTML {
	s := newSVG(w, chartH, label)
	top := 0.0
	for i := range labels {
		sum := 0.0
		for _, x := range ss {
			sum += x.Values[i]
		}
		top = max(top, sum)
	}
	top = NiceMax(top)
	s.axes(top, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	slot, x := slots(w, len(labels))
	for i, l := range labels {
		y := float64(padT) + plotH
		for _, x := range ss {
			h := plotH * x.Values[i] / top
			y -= h
			if x.Values[i] > 0 {
				s.rect(padL+slot*float64(i)+slot*0.15, y, slot*0.7, h, x.Class, fmt.Sprintf("%s, %s: %.0f", l, x.Name, x.Values[i]))
			}
		}
	}
	s.xLabels(labels, x)
	return s.html()
}

// lines draws one line per series over the buckets, values from 0 to 1 as
// percentages, w units wide; a bucket without a value breaks the line.
func lines(label string, w int, labels []string, ss []series) template.HTML {
	s := newSVG(w, chartH, label)
	s.axes(1, func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) })
	_, x := slots(w, len(labels))
	y := func(v float64) float64 { return float64(padT) + plotH*(1-v) }
	for _, sr := range ss {
		var path strings.Builder
		pen := "M"
		for i, v := range sr.Values {
			if math.IsNaN(v) {
				pen = "M"
				continue
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", pen, x(i), y(v))
			pen = "L"
			fmt.Fprintf(&s.b, `<circle cx="%.1f" cy="%.1f" r="3" class="%s"><title>%s, %s: %.0f%%</title></circle>`, x(i), y(v), sr.Class, esc(labels[i]), esc(sr.Name), 100*v)
		}
		if path.Len() > 0 {
			fmt.Fprintf(&s.b, `<path d="%s" class="line %s"/>`, strings.TrimSpace(path.String()), sr.Class)
		}
	}
	s.xLabels(labels, x)
	return s.html()
}

// hbar is one labelled horizontal bar.
type hbar struct {
	Label string
	Value float64
	Text  string // the figure written beside the bar
	Class string
}

// hbars draws labelled horizontal bars scaled to the largest value, in a
// chart w units wide: about the pixels it takes on a laptop, so that text
// keeps its size. Each label is written above its bar, from the left edge,
// so that a long one has the chart's whole width and never leaves it.
func hbars(label string, w int, bars []hbar) template.HTML {
	const row = 36
	s := newChart("chart hbars", w, row*max(len(bars), 1)+4, label)
	top := 0.0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	if top == 0 {
		top = 1
	}
	const valueW = 80 // room for the figure after the longest bar
	barMax := float64(w - valueW)
	for i, b := range bars {
		y := float64(i*row) + 4
		s.text(0, y+11, "start", "label", shorten(b.Label, w/7))
		bw := barMax * b.Value / top
		s.rect(0, y+15, bw, row-20, b.Class, b.Label+": "+b.Text)
		s.text(bw+6, y+27, "start", "value", b.Text)
	}
	return s.html()
}

// shorten cuts s to n characters, marking the cut; the chart's <title>
// keeps the whole label.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// shareBar draws one bar split into the series' shares of their sum.
func shareBar(label string, ss []series) template.HTML {
	const w, h = panelW, 26
	s := newSVG(w, h, label)
	sum := 0.0
	for _, x := range ss {
		sum += x.Values[0]
	}
	if sum == 0 {
		s.rect(0, 2, w, h-4, "empty", "no decisions")
		s.text(w/2, 18, "middle", "label", "no decisions yet")
		return s.html()
	}
	at := 0.0
	for _, x := range ss {
		bw := float64(w) * x.Values[0] / sum
		if x.Values[0] > 0 {
			s.rect(at, 2, bw, h-4, x.Class, fmt.Sprintf("%s: %.0f (%.0f%%)", x.Name, x.Values[0], 100*x.Values[0]/sum))
			if bw > 36 {
				s.text(at+bw/2, 18, "middle", "inbar", fmt.Sprintf("%.0f%%", 100*x.Values[0]/sum))
			}
		}
		at += bw
	}
	return s.html()
}

// humanDuration writes a duration to two significant units: "4m 12s".
func humanDuration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %02dh", int(d.Hours())/24, int(d.Hours())%24)
}
