package ui

import (
	"context"
	"errors"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
)

// Window is the wizard window: the step list on the left, the current step's
// screen, and Back / Next / Cancel. It shows the engine's state and forwards
// the admin's input; the engine decides the flow.
type Window struct {
	fe   *frontend.Frontend
	app  fyne.App
	win  fyne.Window
	deps wizard.Deps
	// post applies a change on the UI thread (fyne.Do; a queue in UI tests).
	post func(func())
	// clipboardTTL: a copied secret is cleared from the clipboard after this
	// long if it is still there.
	clipboardTTL time.Duration

	mu      sync.Mutex
	session wizard.Session // the admin's last sign-in (mailbox search)

	eng    *wizard.Engine
	scr    screen
	shown  wizard.StepID // the step whose screen is shown
	result bool          // the shown step is done: its result is on screen
	busy   bool
	stop   context.CancelFunc
	notice string // said once on the next screen (e.g. after a cancel)

	// The product Welcome offers New setup for: a built-in profile's key, or
	// a profile file of the admin's own (profilechoice.go).
	profileKey, profileFile string
	// openFile shows a file dialog (a function so UI tests can stand in).
	openFile openFileFunc
	// profileErr is the last refused profile file's error, as shown (tests).
	profileErr string

	steps        *stepList
	heading      *widget.Label
	intro        *widget.Label
	body         *fyne.Container
	scroll       *container.Scroll
	problem      *problemBox
	progressBar  *widget.ProgressBarInfinite
	progressLine *widget.Label
	progressBox  *fyne.Container
	backBtn      *widget.Button
	nextBtn      *widget.Button
	cancelBtn    *widget.Button

	// The "keep it or remove it" question after a cancel (kept for tests).
	cancelDialog *dialog.CustomDialog
	keepBtn      *widget.Button
	removeBtn    *widget.Button
}

// NewWindow builds the wizard in win on fe and shows the Welcome screen. The
// caller shows the window (UI tests use the test driver's window).
func NewWindow(fe *frontend.Frontend, app fyne.App, win fyne.Window) *Window {
	return newWindow(fe, app, win, fyne.Do)
}

// newWindow is NewWindow with the function that applies background results
// on the UI thread (UI tests pass a queue their goroutine drains).
func newWindow(fe *frontend.Frontend, app fyne.App, win fyne.Window, post func(func())) *Window {
	w := &Window{fe: fe, app: app, win: win, post: post, clipboardTTL: 60 * time.Second}
	w.deps = fe.Deps
	w.openFile = w.openFileDialog
	signIn := fe.Deps.SignIn
	w.deps.SignIn = func(ctx context.Context, r wizard.SignInRequest) (wizard.Session, error) {
		s, err := signIn(ctx, r)
		if err == nil {
			w.mu.Lock()
			w.session = s
			w.mu.Unlock()
		}
		return s, err
	}
	w.build()
	w.showWelcome()
	return w
}

func (w *Window) build() {
	w.steps = newStepList()
	w.heading = widget.NewLabel("")
	w.heading.TextStyle = fyne.TextStyle{Bold: true}
	w.heading.SizeName = theme.SizeNameHeadingText
	w.heading.Wrapping = fyne.TextWrapWord
	w.intro = widget.NewLabel("")
	w.intro.Wrapping = fyne.TextWrapWord
	w.body = container.NewStack()
	w.problem = newProblemBox()
	w.scroll = container.NewVScroll(container.NewVBox(w.heading, w.intro, w.problem.box, w.body))

	w.progressBar = widget.NewProgressBarInfinite()
	w.progressBar.Stop()
	w.progressLine = widget.NewLabel("")
	w.progressLine.Wrapping = fyne.TextWrapWord
	w.progressBox = container.NewBorder(nil, nil, nil, nil, container.NewVBox(w.progressBar, w.progressLine))
	w.progressBox.Hide()

	w.backBtn = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), w.back)
	w.nextBtn = widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), w.next)
	w.nextBtn.IconPlacement = widget.ButtonIconTrailingText
	w.nextBtn.Importance = widget.HighImportance
	w.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), w.cancel)
	nav := container.NewHBox(w.cancelBtn, layoutSpacer(), w.backBtn, w.nextBtn)
	bottom := container.NewVBox(widget.NewSeparator(), w.progressBox, container.NewPadded(nav))

	left := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewPadded(w.steps.view()))
	w.win.SetContent(container.NewBorder(nil, bottom, left, nil, container.NewPadded(w.scroll)))
	w.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { w.typedKey(ev.Name) })
}

// typedKey is Enter = Next, Esc = Cancel, for the window and for entries.
func (w *Window) typedKey(k fyne.KeyName) {
	switch k {
	case fyne.KeyReturn, fyne.KeyEnter:
		if w.nextBtn.Visible() && !w.nextBtn.Disabled() {
			w.next()
		}
	case fyne.KeyEscape:
		if w.cancelDialog != nil {
			return
		}
		if w.cancelBtn.Visible() && !w.cancelBtn.Disabled() {
			w.cancel()
		}
	}
}

// --- what is on screen ----------------------------------------------------------

func (w *Window) setScreen(s screen, st *wizard.State) {
	w.scr = s
	w.heading.SetText(s.title())
	w.intro.SetText(s.intro())
	w.intro.Hidden = s.intro() == ""
	w.intro.Refresh()
	w.problem.hide()
	if w.notice != "" {
		w.problem.info(w.notice)
		w.notice = ""
	}
	w.body.Objects = []fyne.CanvasObject{s.view()}
	w.body.Refresh()
	w.scroll.ScrollToTop()
	if st != nil {
		s.load(st)
	}
	w.refresh()
	if f := s.focus(); f != nil {
		w.win.Canvas().Focus(f)
	} else {
		w.win.Canvas().Unfocus()
	}
}

func (w *Window) showWelcome() {
	w.eng, w.shown, w.result = nil, "", false
	w.setScreen(newWelcome(w), nil)
}

// showStep shows the engine's current step, ready for input.
func (w *Window) showStep() {
	if w.eng.Current() == "" {
		w.finish()
		return
	}
	w.shown, w.result = w.eng.Current(), false
	w.setScreen(w.screenFor(w.shown), w.eng.State())
}

// start begins a flow (resuming saved progress when p is not nil).
func (w *Window) start(kind wizard.FlowKind, st *wizard.State, p *wizard.Progress) {
	e, err := wizard.New(kind, w.deps, st)
	if err == nil && p != nil {
		err = e.Resume(*p)
	}
	if err != nil {
		w.problem.show(err)
		return
	}
	w.eng = e
	w.showStep()
}

// startReplace starts Replace an expired secret for st's app, carrying on an
// earlier replacement of that app that stopped after making its secret.
func (w *Window) startReplace(st *wizard.State) {
	if p, ok := w.fe.UnfinishedReplacement(st.ClientID); ok && st.ClientID != "" {
		w.start(wizard.FlowReplaceSecret, st, &p)
		return
	}
	w.start(wizard.FlowReplaceSecret, st, nil)
}

// finish ends a completed flow: back to Welcome, which lists what is stored.
func (w *Window) finish() {
	w.showWelcome()
}

// refresh updates the step list and the buttons to the engine's state.
func (w *Window) refresh() {
	if w.eng == nil {
		w.steps.set(nil, "")
		w.backBtn.Hide()
		w.nextBtn.Hide()
		w.cancelBtn.Hide()
		return
	}
	w.steps.set(w.eng.Steps(), w.shown)
	w.backBtn.Show()
	w.nextBtn.Show()
	w.cancelBtn.Show()
	st := w.eng.State()
	completed := w.eng.Status() == wizard.Completed
	switch {
	case w.busy:
		w.backBtn.Disable()
		w.nextBtn.Disable()
		w.cancelBtn.Enable()
		w.cancelBtn.SetText("Cancel")
		return
	case w.result && completed:
		w.nextBtn.SetText("Finish")
		w.backBtn.Disable()
		w.cancelBtn.Disable()
	case w.result:
		w.nextBtn.SetText("Next")
		w.backBtn.Enable()
		w.cancelBtn.Enable()
	default:
		label := w.scr.action(st)
		if w.eng.Status() == wizard.Failed {
			label = w.scr.retry(st)
		}
		if label == "" {
			label = "Next"
		}
		w.nextBtn.SetText(label)
		w.backBtn.Enable()
		w.cancelBtn.Enable()
	}
	w.cancelBtn.SetText("Cancel")
	w.nextBtn.Enable()
	if w.scr.blockNext(st) {
		w.nextBtn.Disable()
	}
}

func (w *Window) setBusy(what string, stop context.CancelFunc) {
	w.busy, w.stop = true, stop
	w.progressLine.SetText(what)
	w.progressBox.Show()
	w.progressBar.Start()
	w.problem.hide()
	if w.scr != nil {
		w.scr.setBusy(true)
	}
	w.refresh()
}

func (w *Window) setIdle() {
	w.busy, w.stop = false, nil
	w.progressBar.Stop()
	w.progressBox.Hide()
	if w.scr != nil {
		w.scr.setBusy(false)
	}
	w.refresh()
}

// --- Back / Next / Cancel -----------------------------------------------------------

func (w *Window) next() {
	if w.busy || w.eng == nil {
		return
	}
	if w.result {
		w.showStep()
		return
	}
	e, s := w.eng, w.scr
	st := e.State()
	s.apply(st)
	if fe := e.Check(); len(fe) > 0 {
		w.fieldErrors(fe)
		return
	}
	w.fieldErrors(nil)
	step := e.Current()
	w.run(s.busyText(st), e.Next, func(err error) { w.stepDone(s, step, err) })
}

// stepDone shows the outcome of the step's work.
func (w *Window) stepDone(s screen, step wizard.StepID, err error) {
	if w.scr != s || w.eng == nil {
		return // the admin left this screen meanwhile
	}
	st := w.eng.State()
	if err != nil {
		var ve *wizard.ValidationError
		switch {
		case errors.As(err, &ve):
			w.fieldErrors(ve.Fields)
		case graphops.KindOf(err) == graphops.KindCancelled || errors.Is(err, context.Canceled):
			w.problem.info("Cancelled. Nothing more was sent; press " + w.nextBtn.Text + " to try again.")
		default:
			w.problem.show(err)
		}
		s.failed(st, err)
		w.refresh()
		return
	}
	if s.result(st) {
		w.result = true
		w.refresh()
		w.scroll.ScrollToTop()
		return
	}
	w.showStep()
}

// fieldErrors puts each error at its field; those no field shows go on top.
func (w *Window) fieldErrors(fe []wizard.FieldError) {
	rest := w.scr.fieldErrors().show(fe)
	if len(rest) > 0 {
		w.problem.fields(rest)
	} else if len(fe) > 0 {
		w.problem.hide()
	}
}

func (w *Window) back() {
	if w.busy || w.eng == nil {
		return
	}
	if w.eng.Back() {
		w.showStep()
		return
	}
	// Before the first step: leave the flow the way Cancel does.
	w.cancel()
}

// cancel stops the running work, or leaves the flow: when the flow already
// created something, the admin chooses to keep it (to resume later) or to
// remove it.
func (w *Window) cancel() {
	if w.busy {
		if w.stop != nil {
			w.stop()
		}
		w.progressLine.SetText("Cancelling…")
		return
	}
	if w.eng == nil {
		return
	}
	if w.eng.Status() == wizard.Completed {
		w.finish()
		return
	}
	if st := w.eng.State(); w.eng.Flow() == wizard.FlowReplaceSecret && st.NewSecret != nil && !st.Saved {
		w.eng.Abort()
		w.notice = "The replacement was cancelled. Its new secret (ID " + st.NewSecret.KeyID + ") was not stored: the keychain still holds the old one. " +
			"\"Replace an expired secret\" carries on from here and removes that secret from the app once a new one has tested green."
		w.showWelcome()
		return
	}
	if !w.eng.MadeSomething() {
		w.eng.Abort()
		w.notice = "The setup was cancelled. Nothing was changed in the tenant."
		w.showWelcome()
		return
	}
	w.askKeepOrRemove()
}

func (w *Window) askKeepOrRemove() {
	st := w.eng.State()
	name, tenant := st.App.DisplayName, st.Tenant
	if st.Admin != nil {
		tenant = st.Admin.TenantName
	}
	text := widget.NewLabel("This setup already registered the app \"" + name + "\" in " + tenant + ".\n\n" +
		"Keep it: the app stays, and New setup offers to resume where you stopped.\n" +
		"Remove it: the app registration is deleted again (with its permissions and secrets).")
	text.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	closeDialog := func() {
		d.Hide()
		w.cancelDialog, w.keepBtn, w.removeBtn = nil, nil, nil
	}
	w.keepBtn = widget.NewButton("Keep it (resume later)", func() {
		closeDialog()
		w.eng.Abort()
		w.notice = "The app \"" + name + "\" was kept. Choose Resume under New setup to carry on."
		w.showWelcome()
	})
	w.removeBtn = widget.NewButtonWithIcon("Remove it", theme.DeleteIcon(), func() {
		closeDialog()
		e := w.eng
		w.run("Removing the app registration \""+name+"\"…", e.Undo, func(err error) {
			if err != nil {
				w.problem.show(err)
				return
			}
			e.Abort()
			_ = w.deps.Progress.Clear()
			w.notice = "The app \"" + name + "\" was removed. Nothing of this setup is left in the tenant."
			w.showWelcome()
		})
	})
	w.removeBtn.Importance = widget.DangerImportance
	goOn := widget.NewButton("Go on with the setup", func() { closeDialog() })
	content := container.NewVBox(text, container.NewHBox(layoutSpacer(), goOn, w.keepBtn, w.removeBtn))
	d = dialog.NewCustomWithoutButtons("Keep the app or remove it?", content, w.win)
	w.cancelDialog = d
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// lastSession is the admin's last sign-in (nil before one).
func (w *Window) lastSession() wizard.Session {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.session
}

// showCode shows a device code prompt; MSAL calls it from its goroutine.
func (w *Window) showCode(p graphops.DeviceCodePrompt) {
	w.post(func() {
		if s, ok := w.scr.(*signInScreen); ok {
			s.showCode(p)
		}
	})
}
