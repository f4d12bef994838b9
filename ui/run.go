// Package ui is the wizard's window (Fyne): one file per screen, and a small
// bridge where the results of background work are applied with fyne.Do.
package ui

import (
	"errors"

	"m365wizard/wizard/frontend"
)

// Run opens the wizard window and returns when it closes: 0, or 1 when the
// window could not be opened.
func Run(o frontend.Options) error {
	return errors.New("the wizard window is not built yet")
}
