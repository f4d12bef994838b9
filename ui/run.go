// Package ui is the wizard's window (Fyne): one file per screen, and a small
// bridge where the results of background work are applied with fyne.Do.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"m365wizard/assets"
	"m365wizard/graphops"
	"m365wizard/wizard/frontend"
)

// AppID is the application's ID, as in FyneApp.toml.
const AppID = "app.m365wizard.setup"

// Run opens the wizard window and returns when it closes.
func Run(o frontend.Options) error {
	var w *Window
	o.ShowCode = func(p graphops.DeviceCodePrompt) {
		if w != nil {
			w.showCode(p)
		}
	}
	fe, err := frontend.Open(o)
	if err != nil {
		return err
	}
	defer fe.Close()
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	title := "M365 Setup Wizard"
	if fe.Sandbox != nil {
		title += " — sandbox (simulated tenant)"
	}
	win := a.NewWindow(title)
	w = NewWindow(fe, a, win)
	win.Resize(fyne.NewSize(1100, 750))
	win.CenterOnScreen()
	startDemo(w)
	win.ShowAndRun()
	return nil
}
