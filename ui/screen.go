package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
)

// screen is one step's screen. The window calls load when it shows the
// screen, apply before Next (never while a step runs), result after the
// step's work succeeded (true: stay and show what it did), failed after it
// failed.
type screen interface {
	title() string
	intro() string
	view() fyne.CanvasObject
	focus() fyne.Focusable
	load(st *wizard.State)
	apply(st *wizard.State)
	fieldErrors() *fieldErrors
	action(st *wizard.State) string // the Next button's label ("" = Next)
	retry(st *wizard.State) string  // its label after a failure
	busyText(st *wizard.State) string
	blockNext(st *wizard.State) bool
	setBusy(bool)
	result(st *wizard.State) bool
	failed(st *wizard.State, err error)
}

// base gives every screen the defaults.
type base struct {
	errs fieldErrors
}

func (b *base) intro() string                 { return "" }
func (b *base) focus() fyne.Focusable         { return nil }
func (b *base) load(*wizard.State)            {}
func (b *base) apply(*wizard.State)           {}
func (b *base) fieldErrors() *fieldErrors     { return &b.errs }
func (b *base) action(*wizard.State) string   { return "" }
func (b *base) retry(*wizard.State) string    { return "Try again" }
func (b *base) busyText(*wizard.State) string { return "Working…" }
func (b *base) blockNext(*wizard.State) bool  { return false }
func (b *base) setBusy(bool)                  {}
func (b *base) result(*wizard.State) bool     { return false }
func (b *base) failed(*wizard.State, error)   {}

// screenFor is the screen of a step.
func (w *Window) screenFor(id wizard.StepID) screen {
	switch id {
	case wizard.StepSignIn:
		return newSignIn(w)
	case wizard.StepRegister:
		return newRegister(w)
	case wizard.StepPermissions:
		return newPermissions(w)
	case wizard.StepConsent:
		return newConsent(w)
	case wizard.StepCredential, wizard.StepNewSecret:
		return newSecret(w, id)
	case wizard.StepDomains:
		return newDomains(w)
	case wizard.StepMailbox:
		return newMailbox(w)
	case wizard.StepTest:
		return newTestSettings(w)
	case wizard.StepSave:
		return newFinish(w)
	case wizard.StepStored:
		return newStored(w)
	case wizard.StepFindApp:
		return newFindApp(w)
	case wizard.StepRemoveOld:
		return newRemoveOld(w)
	case wizard.StepDetails:
		return newDetails(w)
	}
	return newUnknown(id)
}

// --- field errors -------------------------------------------------------------------

// fieldErrors are the labels under the fields that show the engine's
// FieldErrors (by FieldError.Field).
type fieldErrors struct{ labels map[string]*widget.Label }

// at returns the (hidden) error label for a field, to put under it.
func (f *fieldErrors) at(field string) *widget.Label {
	if f.labels == nil {
		f.labels = map[string]*widget.Label{}
	}
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	f.labels[field] = l
	return l
}

// show puts each error at its field and returns the ones no field shows.
func (f *fieldErrors) show(fe []wizard.FieldError) []wizard.FieldError {
	for _, l := range f.labels {
		l.Hide()
	}
	var rest []wizard.FieldError
	for _, e := range fe {
		l, ok := f.labels[e.Field]
		if !ok {
			rest = append(rest, e)
			continue
		}
		if l.Visible() {
			l.SetText(l.Text + "\n" + e.Message)
		} else {
			l.SetText(e.Message)
		}
		l.Show()
	}
	return rest
}

// text is the error shown at a field ("" when none).
func (f *fieldErrors) text(field string) string {
	if l, ok := f.labels[field]; ok && l.Visible() {
		return l.Text
	}
	return ""
}

// --- the problem box on top of every screen ------------------------------------------

type problemBox struct {
	box     *fyne.Container
	icon    *widget.Icon
	message *widget.Label
	detail  *widget.Label
}

func newProblemBox() *problemBox {
	p := &problemBox{icon: widget.NewIcon(theme.ErrorIcon()), message: widget.NewLabel(""), detail: widget.NewLabel("")}
	p.message.Wrapping = fyne.TextWrapWord
	p.message.TextStyle = fyne.TextStyle{Bold: true}
	p.detail.Wrapping = fyne.TextWrapWord
	p.detail.Selectable = true
	p.box = container.NewBorder(nil, nil, container.NewVBox(p.icon), nil, container.NewVBox(p.message, p.detail))
	p.box.Hide()
	return p
}

func (p *problemBox) hide() { p.box.Hide() }

// show explains a failure: what happened, what to do, and the ids support asks for.
func (p *problemBox) show(err error) {
	msg, detail := explain(err)
	p.icon.SetResource(theme.ErrorIcon())
	p.message.Importance = widget.DangerImportance
	p.message.SetText(msg)
	p.detail.SetText(detail)
	p.detail.Hidden = detail == ""
	p.detail.Refresh()
	p.box.Show()
}

func (p *problemBox) info(msg string) {
	p.icon.SetResource(theme.InfoIcon())
	p.message.Importance = widget.MediumImportance
	p.message.SetText(msg)
	p.detail.Hide()
	p.box.Show()
}

func (p *problemBox) fields(fe []wizard.FieldError) {
	var msgs []string
	for _, f := range fe {
		msgs = append(msgs, f.Message)
	}
	p.show(errors.New(strings.Join(msgs, "\n")))
}

// text is what the box says (for tests).
func (p *problemBox) text() string {
	if !p.box.Visible() {
		return ""
	}
	return strings.TrimSpace(p.message.Text + "\n" + p.detail.Text)
}

// explain turns an error into the message and its next step.
func explain(err error) (msg, detail string) {
	ge, ok := graphops.AsError(err)
	if !ok {
		return err.Error(), ""
	}
	var lines []string
	if ge.NextStep != "" {
		lines = append(lines, ge.NextStep)
	}
	var ids []string
	if ge.Code != "" {
		ids = append(ids, "Code: "+ge.Code)
	}
	if ge.RequestID != "" {
		ids = append(ids, "Request ID: "+ge.RequestID)
	}
	if len(ids) > 0 {
		lines = append(lines, strings.Join(ids, "   "))
	}
	return ge.Message, strings.Join(lines, "\n")
}

// --- small helpers ----------------------------------------------------------------------

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// para is a wrapped paragraph.
func para(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// bold is a bold line.
func bold(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.Wrapping = fyne.TextWrapWord
	return l
}

// warning is a paragraph in the warning colour with an icon.
func warning(text string) (*fyne.Container, *widget.Label) {
	l := para(text)
	l.Importance = widget.WarningImportance
	return container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.WarningIcon())), nil, l), l
}

// heading2 is a section heading.
func heading2(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle = fyne.TextStyle{Bold: true}
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// entry is a single-line entry where Enter is Next and Esc is Cancel.
type entry struct {
	widget.Entry
	w *Window
}

func newEntry(w *Window) *entry {
	e := &entry{w: w}
	e.ExtendBaseWidget(e)
	e.OnSubmitted = func(string) { w.typedKey(fyne.KeyReturn) }
	return e
}

func newPasswordEntry(w *Window) *entry {
	e := newEntry(w)
	e.Password = true
	return e
}

func (e *entry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.w.typedKey(fyne.KeyEscape)
		return
	}
	e.Entry.TypedKey(ev)
}

// copyRow is a labelled value with a Copy button.
func (w *Window) copyRow(label, value string) fyne.CanvasObject {
	v := widget.NewLabel(value)
	v.Selectable = true
	v.TextStyle = fyne.TextStyle{Monospace: true}
	b := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { w.app.Clipboard().SetContent(value) })
	return container.NewBorder(nil, nil, widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), b, v)
}

// formRow is a label over a field and its error.
func formRow(label string, field fyne.CanvasObject, extra ...fyne.CanvasObject) *fyne.Container {
	c := container.NewVBox(bold(label), field)
	for _, x := range extra {
		c.Add(x)
	}
	return c
}

// orgName is the signed-in tenant's name for "Granted for <org>".
func orgName(st *wizard.State) string {
	if st.Admin != nil && st.Admin.TenantName != "" {
		return st.Admin.TenantName
	}
	return "your organization"
}

// days says a day count plainly.
func days(n int) string {
	if n == 1 || n == -1 {
		return "1 day"
	}
	if n < 0 {
		n = -n
	}
	return fmt.Sprintf("%d days", n)
}

// unknownScreen stands in for a step the window has no screen for.
type unknownScreen struct {
	base
	id wizard.StepID
}

func newUnknown(id wizard.StepID) *unknownScreen { return &unknownScreen{id: id} }
func (u *unknownScreen) title() string           { return string(u.id) }
func (u *unknownScreen) view() fyne.CanvasObject {
	return para("Press Next to carry on.")
}
