package ui

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// columns lays its objects side by side with widths in proportion to
// weights, like the guide's table; the row is as tall as its tallest cell.
type columns struct{ weights []float32 }

func newRow(weights []float32, cells ...fyne.CanvasObject) *fyne.Container {
	return container.New(&columns{weights: weights}, cells...)
}

func (c *columns) widths(total float32, n int) []float32 {
	pad := theme.Padding()
	var sum float32
	for i := 0; i < n; i++ {
		sum += c.weight(i)
	}
	avail := total - pad*float32(n-1)
	out := make([]float32, n)
	for i := range out {
		out[i] = avail * c.weight(i) / sum
	}
	return out
}

func (c *columns) weight(i int) float32 {
	if i < len(c.weights) {
		return c.weights[i]
	}
	return 1
}

func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	ws := c.widths(size.Width, len(objs))
	x := float32(0)
	for i, o := range objs {
		o.Resize(fyne.NewSize(ws[i], size.Height))
		o.Move(fyne.NewPos(x, 0))
		x += ws[i] + theme.Padding()
	}
}

func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if i > 0 {
			w += theme.Padding()
		}
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func itoa(n int) string { return strconv.Itoa(n) }
