package ui

import (
	"context"
	"fmt"
	"time"

	"m365wizard/graphops"
)

// The bridge: background work runs in goroutines, and everything it changes
// on screen goes through w.post (fyne.Do in the product; a queue the test
// goroutine drains in UI tests, so tests see the same ordering as the real
// loop and stay race free). Nothing else in ui/ starts a goroutine that
// touches a widget.

// run does work off the UI thread with a progress line and a Cancel button,
// then calls done on the UI thread. Only one piece of work runs at a time.
func (w *Window) run(what string, work func(ctx context.Context) error, done func(err error)) {
	if w.busy {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = graphops.WithProgress(ctx, func(p graphops.Progress) {
		line := describeProgress(p)
		w.post(func() {
			if w.busy {
				w.progressLine.SetText(line)
			}
		})
	})
	w.setBusy(what, cancel)
	go func() {
		err := work(ctx)
		w.post(func() {
			cancel()
			w.setIdle()
			done(err)
		})
	}()
}

// later calls fn on the UI thread after d (clipboard clearing, debounce).
// The returned stop cancels it if it has not fired.
func (w *Window) later(d time.Duration, fn func()) (stop func() bool) {
	t := time.AfterFunc(d, func() { w.post(fn) })
	return t.Stop
}

// describeProgress is a wait as the admin reads it.
func describeProgress(p graphops.Progress) string {
	s := p.Activity
	if p.Attempt > 0 {
		s += fmt.Sprintf(" (attempt %d", p.Attempt+1)
		if p.Wait > 0 {
			s += fmt.Sprintf(", next try in %s", p.Wait.Round(time.Second))
		}
		if !p.Deadline.IsZero() {
			s += fmt.Sprintf(", giving up at %s", p.Deadline.Format("15:04:05"))
		}
		s += ")"
	}
	return s
}
