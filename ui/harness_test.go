package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
)

// harness is the window on the test driver against an in-process sandbox.
// Background results queue up in q and are applied on the test goroutine by
// until, as the real loop applies them on the UI thread.
type harness struct {
	t   *testing.T
	w   *Window
	fe  *frontend.Frontend
	sb  *sandbox.Server
	app fyne.App
	q   chan func()
}

type harnessOptions struct {
	// browser: the sign-in page "opens" (the test completes it); otherwise no
	// browser is there and the sandbox completes it as admin@contoso.com.
	browser bool
}

func newHarness(t *testing.T, opts ...harnessOptions) *harness {
	t.Helper()
	var o harnessOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	keyring.MockInit()
	h := &harness{t: t, q: make(chan func(), 1024)}
	env := map[string]string{"M365WIZARD_CONFIG_DIR": t.TempDir(), "M365WIZARD_KEYRING_SERVICE": "m365wizard-ui-test"}
	fe, err := frontend.Open(frontend.Options{Sandbox: true, Getenv: func(k string) string { return env[k] },
		OpenURL: func(string) error {
			if o.browser {
				return nil
			}
			return errors.New("no browser here")
		},
		ShowCode: func(p graphops.DeviceCodePrompt) { h.w.showCode(p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fe.Close)
	h.fe, h.sb = fe, fe.Sandbox
	h.app = test.NewTempApp(t)
	win := h.app.NewWindow("M365 Setup Wizard")
	win.Resize(fyne.NewSize(1100, 750))
	t.Cleanup(win.Close)
	h.w = newWindow(fe, h.app, win, func(f func()) { h.q <- f })
	h.w.clipboardTTL = 200 * time.Millisecond
	return h
}

// until applies queued UI work until cond holds, failing after a minute.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s (screen %q, problem %q, progress %q)", what, h.w.heading.Text, h.w.problem.text(), h.w.progressLine.Text)
		}
		select {
		case f := <-h.q:
			f()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// idle waits for the running step to end.
func (h *harness) idle() {
	h.t.Helper()
	h.until("the step to finish", func() bool { return !h.w.busy && len(h.q) == 0 })
}

// next taps Next (checking its label) and waits for the work it starts.
func (h *harness) next(label string) {
	h.t.Helper()
	if got := h.w.nextBtn.Text; label != "" && got != label {
		h.t.Fatalf("on %q the Next button says %q, want %q", h.w.heading.Text, got, label)
	}
	if h.w.nextBtn.Disabled() || !h.w.nextBtn.Visible() {
		h.t.Fatalf("on %q the Next button cannot be pressed", h.w.heading.Text)
	}
	test.Tap(h.w.nextBtn)
	h.idle()
	if p := h.w.problem.text(); p != "" && h.w.eng != nil && h.w.eng.Status() == wizard.Failed {
		h.t.Fatalf("on %q after %q: %s", h.w.heading.Text, label, p)
	}
}

// on asserts the screen on show.
func (h *harness) on(title string) {
	h.t.Helper()
	if h.w.heading.Text != title {
		h.t.Fatalf("on %q, want %q (problem: %q)", h.w.heading.Text, title, h.w.problem.text())
	}
}

func screenAs[T screen](h *harness) T {
	h.t.Helper()
	s, ok := h.w.scr.(T)
	if !ok {
		h.t.Fatalf("screen %q is %T", h.w.heading.Text, h.w.scr)
	}
	return s
}

func (h *harness) welcome() *welcomeScreen { return screenAs[*welcomeScreen](h) }

// signIn goes through Cloud and sign-in with the browser (completed by the sandbox).
func (h *harness) signIn() {
	h.t.Helper()
	h.next("Sign in with browser")
	s := screenAs[*signInScreen](h)
	if !h.w.result || h.w.eng.State().Admin == nil {
		h.t.Fatalf("not signed in: %q", h.w.problem.text())
	}
	_ = s
}

// newSetup walks New setup end to end with the given features and mailbox,
// and returns the secret Value shown.
func (h *harness) newSetup(appName string) string {
	h.t.Helper()
	test.Tap(h.welcome().newSetup)
	h.on("Cloud and sign-in")
	h.signIn()
	h.next("Next")
	h.on("Register the app")
	reg := screenAs[*registerScreen](h)
	reg.name.SetText(appName)
	h.next("Next")
	h.on("API permissions")
	h.next("Register the app")
	h.on("Admin consent")
	h.next("Grant admin consent for Contoso")
	h.next("Next")
	h.on("Client secret")
	h.next("Create client secret")
	value := screenAs[*secretScreen](h).value.Text
	h.next("Next")
	h.on("Mailbox access")
	mb := screenAs[*mailboxScreen](h)
	mb.add("helpdesk@contoso.com")
	h.next("Next")
	h.next("Next") // past the script
	h.on("Test Settings")
	h.next("Test Settings")
	h.next("Next")
	h.on("Save and finish")
	h.next("Apply")
	h.next("Finish")
	h.on("Connect HelpMaster to Microsoft 365")
	return value
}

// stored is what the keychain lists.
func (h *harness) stored() []frontend.Stored {
	h.t.Helper()
	list, err := h.fe.Stored()
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// app reads an app of the sandbox tenant.
func (h *harness) sandboxApp(clientID string) (app sandbox.Application, found bool) {
	h.sb.Tenant(h.sb.TenantID(), func(t *sandbox.Tenant) {
		if a := t.AppByAppID(clientID); a != nil {
			app, found = *a, true
			app.PasswordCredentials = append([]sandbox.PasswordCredential(nil), a.PasswordCredentials...)
		}
	})
	return app, found
}

func (h *harness) keychainSecret(tenantID, clientID string) string {
	c, err := h.fe.Deps.Store.Load(context.Background(), tenantID, clientID)
	if err != nil {
		h.t.Fatalf("keychain: %v", err)
	}
	return c.Secret
}

func labelsOf(c *fyne.Container) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Card:
			walk(x.Content)
		case *fyne.Container:
			for _, y := range x.Objects {
				walk(y)
			}
		}
	}
	walk(c)
	return b.String()
}

type buttonT = widget.Button
