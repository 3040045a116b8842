package console

import (
	"fmt"

	"github.com/heraldhq/herald/internal/api"
)

// statsChart is an integration's series drawn as bars: each bucket's
// attempts, the delivered part green, the rest red. Server-rendered SVG in
// a viewBox, so it scales to the page (375 px wide and up).
type statsChart struct {
	Stats         api.IntegrationStats
	Width, Height int
	Bars          []statsBar
	// Summary is the numbers in words: what a screen reader says, and what
	// the chart shows.
	Summary string
	// First and Last label the time axis.
	First, Last string
}

type statsBar struct {
	X, W                   float64
	DeliveredY, DeliveredH float64
	FailedY, FailedH       float64
	Title                  string
}

const (
	chartWidth  = 600
	chartHeight = 140
)

func newStatsChart(st api.IntegrationStats) statsChart {
	ch := statsChart{Stats: st, Width: chartWidth, Height: chartHeight, Summary: statsSummary(st)}
	var top int64 = 1
	for _, b := range st.Series {
		top = max(top, b.Attempts)
	}
	w := float64(chartWidth) / float64(max(len(st.Series), 1))
	layout := "15:04"
	if st.Window == "7d" {
		layout = "Jan 2"
	}
	for i, b := range st.Series {
		dh := float64(b.Delivered) / float64(top) * chartHeight
		fh := float64(b.Attempts-b.Delivered) / float64(top) * chartHeight
		ch.Bars = append(ch.Bars, statsBar{X: float64(i)*w + 1, W: max(w-2, 1),
			DeliveredY: chartHeight - dh, DeliveredH: dh, FailedY: chartHeight - dh - fh, FailedH: fh,
			Title: fmt.Sprintf("%s: %d attempts, %d delivered", b.Start.UTC().Format("Jan 2 15:04"), b.Attempts, b.Delivered)})
	}
	if n := len(st.Series); n > 0 {
		ch.First, ch.Last = st.Series[0].Start.UTC().Format(layout), st.Series[n-1].Start.UTC().Format(layout)
	}
	return ch
}

func statsSummary(st api.IntegrationStats) string {
	if st.Attempts == 0 {
		return fmt.Sprintf("No attempts in the last %s.", st.Window)
	}
	return fmt.Sprintf("Last %s: %d attempts, %.1f %% delivered, latency p50 %d ms, p95 %d ms.",
		st.Window, st.Attempts, 100**st.SuccessRate, *st.LatencyMs.P50, *st.LatencyMs.P95)
}
