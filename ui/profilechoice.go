package ui

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops/exchange"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// The product the window sets up: a built-in integration profile
// (profile.All) or a profile file of the admin's own ("Open profile…"). The
// choice lives on the Window, is put on the State of every flow started from
// Welcome, and every screen reads the profile back from the State
// (profileOf), so the screens follow the engine's profile.

// openFileFunc shows a file dialog for files with one of exts and calls done
// on the UI thread with the chosen file's path and content (not called when
// the admin cancels). UI tests replace Window.openFile: a file dialog cannot
// be clicked on the test driver.
type openFileFunc func(title string, exts []string, done func(path string, data []byte, err error))

// maxPickedFile bounds what a file dialog reads (profiles are bounded by
// profile.MaxFileSize; certificates are a few kilobytes).
const maxPickedFile = profile.MaxFileSize + 1

// openFileDialog is openFileFunc with Fyne's file dialog.
func (w *Window) openFileDialog(title string, exts []string, done func(path string, data []byte, err error)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			done("", nil, err)
			return
		}
		if rc == nil {
			return // cancelled
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxPickedFile))
		done(rc.URI().Path(), data, err)
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.SetTitleText(title)
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

// chosenProfile is the product chosen on Welcome (HelpMaster at first).
func (w *Window) chosenProfile() *profile.Profile {
	if w.profileFile != "" {
		if p, err := profile.LoadFile(w.profileFile); err == nil {
			return p
		}
	}
	key := w.profileKey
	if key == "" {
		key = profile.HelpMaster
	}
	if p, err := profile.Load(key); err == nil {
		return p
	}
	p, _ := profile.Load(profile.HelpMaster)
	return p
}

// product is the chosen product's name.
func (w *Window) product() string {
	if p := w.chosenProfile(); p != nil {
		return p.Product
	}
	return "HelpMaster"
}

// newState is the State a flow started from Welcome begins with: the chosen
// profile.
func (w *Window) newState() *wizard.State {
	st := &wizard.State{}
	if w.profileFile != "" {
		st.ProfileFile = w.profileFile
	} else {
		st.Profile = w.profileKey
	}
	return st
}

// chooseProfile switches the product (a built-in key) and shows Welcome again
// in its words.
func (w *Window) chooseProfile(key string) {
	if key == w.profileKey && w.profileFile == "" {
		return
	}
	w.profileKey, w.profileFile = key, ""
	w.showWelcome()
}

// openProfile asks for a profile file of the admin's own. A file that does
// not load is explained in a dialog with the loader's own words, and nothing
// else changes.
func (w *Window) openProfile() {
	w.openFile("Open profile", []string{".json"}, func(path string, data []byte, err error) {
		if err == nil && path == "" {
			return
		}
		var p *profile.Profile
		if err == nil {
			// The engine reads the file again by its path (State.ProfileFile);
			// read it the same way here so both say the same.
			p, err = profile.LoadFile(path)
		}
		if err != nil {
			w.showProfileError(path, err)
			return
		}
		w.profileKey, w.profileFile = p.Key, path
		w.notice = "Opened the profile \"" + p.Product + "\" from " + path + ". New setup follows it."
		w.showWelcome()
	})
}

// showProfileError shows why a profile file was refused.
func (w *Window) showProfileError(path string, err error) {
	name := filepath.Base(path)
	if name == "." || name == "" {
		name = "the file"
	}
	text := widget.NewLabel(strings.TrimSpace(err.Error()))
	text.Wrapping = fyne.TextWrapWord
	text.Selectable = true
	text.TextStyle = fyne.TextStyle{Monospace: true}
	intro := para("The profile " + name + " could not be used, so nothing was changed. Fix what is listed below " +
		"(docs/profiles.md describes the format) and open it again.")
	content := container.NewVBox(intro, text)
	d := dialog.NewCustom("This profile file cannot be used", "Close", content, w.win)
	d.Resize(fyne.NewSize(720, 0))
	w.profileErr = text.Text
	d.Show()
}

// profileChoice is Welcome's product choice: the built-in profiles and the
// file of the admin's own, if one was opened.
type profileChoice struct {
	sel     *widget.Select
	open    *widget.Button
	keys    map[string]string // option -> key ("" for the file)
	options []string
}

func (w *Window) newProfileChoice() *profileChoice {
	c := &profileChoice{keys: map[string]string{}}
	current := ""
	for _, p := range profile.All() {
		label := p.Product
		if p.Vendor != "" && !strings.Contains(p.Product, p.Vendor) {
			label += " (" + p.Vendor + ")"
		}
		c.options = append(c.options, label)
		c.keys[label] = p.Key
		if w.profileFile == "" && (p.Key == w.profileKey || (w.profileKey == "" && p.Key == profile.HelpMaster)) {
			current = label
		}
	}
	if w.profileFile != "" {
		label := w.product() + " (from " + filepath.Base(w.profileFile) + ")"
		c.options = append(c.options, label)
		c.keys[label] = ""
		current = label
	}
	c.sel = widget.NewSelect(c.options, nil)
	c.sel.SetSelected(current)
	c.sel.OnChanged = func(v string) {
		if key := c.keys[v]; key != "" {
			w.chooseProfile(key)
		}
	}
	c.open = widget.NewButton("Open profile…", w.openProfile)
	return c
}

// profileOf is the flow's integration profile: the admin's own file or the
// built-in one (nil when it cannot be read).
func profileOf(st *wizard.State) *profile.Profile {
	p, err := wizard.LoadProfile(st)
	if err != nil {
		return nil
	}
	return p
}

// productOf is the flow's product name ("the product" when unknown).
func productOf(st *wizard.State) string {
	if p := profileOf(st); p != nil {
		return p.Product
	}
	return "the product"
}

// entraRoles is the application permissions the app gets in Entra ID for the
// admin's choices: the features' and (custom profile) the picked ones, less
// those Exchange grants itself with RBAC for Applications (as the engine's
// app spec has them).
func entraRoles(st *wizard.State) []string {
	p := profileOf(st)
	if p == nil {
		return nil
	}
	roles := p.AllAppRoles(st.Features, st.Permissions)
	if m, err := exchange.ParseMode(st.Scoping); err == nil && st.Scoping != "" {
		roles = exchange.EntraKeep(m, roles)
	}
	return roles
}

// exchangeGrants is the permissions the admin's choices leave to Exchange
// (RBAC for Applications): not requested or granted in Entra ID.
func exchangeGrants(st *wizard.State) []string {
	p := profileOf(st)
	if p == nil || st.Scoping == "" {
		return nil
	}
	m, err := exchange.ParseMode(st.Scoping)
	if err != nil {
		return nil
	}
	return exchange.EntraLeaveOut(m, p.AllAppRoles(st.Features, st.Permissions))
}

// stepTitle is the engine's title of a step of the running flow (it follows
// the profile: "Certificate from Passly", "Approved domains"), def when the
// flow has no such step.
func (w *Window) stepTitle(id wizard.StepID, def string) string {
	if w.eng != nil {
		for _, v := range w.eng.Steps() {
			if v.ID == id && v.Title != "" {
				return v.Title
			}
		}
	}
	return def
}

// now is the engine's clock.
func (w *Window) now() time.Time {
	if w.deps.Now != nil {
		return w.deps.Now()
	}
	return time.Now()
}
