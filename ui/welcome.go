package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops/sandbox"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
	"m365wizard/wizard/profile"
)

// welcomeScreen chooses the flow and shows what the keychain holds, with the
// days until each secret expires.
type welcomeScreen struct {
	base
	w      *Window
	stored []frontend.Stored

	newSetup, replace, existing, testStored *widget.Button
	resume, discard                         *widget.Button
	// Per stored entry (tests tap them).
	replaceFor, testFor, forgetFor, expireFor []*widget.Button
	choice                                    *profileChoice
	expiryText                                []*widget.Label
	box                                       *fyne.Container
}

func newWelcome(w *Window) *welcomeScreen {
	s := &welcomeScreen{w: w}
	s.build()
	return s
}

func (s *welcomeScreen) title() string { return "Connect " + s.w.product() + " to Microsoft 365" }

func (s *welcomeScreen) intro() string {
	p := s.w.chosenProfile()
	if p == nil {
		return ""
	}
	intro := p.Help.Intro
	if intro == "" {
		intro = p.Product + " reads your Microsoft 365 tenant through an app registration in Microsoft Entra ID."
	}
	guide := "the " + p.Product + " guide"
	if p.Guide.Title != "" {
		guide = "the guide (" + p.Guide.Title + ")"
	}
	return intro + " This wizard does it for you, step by step as " + guide + " describes, and keeps the result in this computer's keychain."
}

func (s *welcomeScreen) view() fyne.CanvasObject { return s.box }

func (s *welcomeScreen) focus() fyne.Focusable { return s.newSetup }

func (s *welcomeScreen) build() {
	w := s.w
	stored, err := w.fe.Stored()
	s.stored = stored
	box := container.NewVBox()
	if w.fe.Sandbox != nil {
		c, _ := warning("Sandbox: a simulated Microsoft 365 tenant (Contoso) runs inside this program. Nothing reaches Microsoft. " +
			"Sign in as " + frontend.SandboxAdmin + " (Global Administrator).")
		box.Add(c)
		if w.fe.MemoryKeychain {
			m, _ := warning("This computer's keychain could not be used, so the sandbox keeps its (throwaway) secrets in memory until the window closes.")
			box.Add(m)
		}
	}
	if p, ok := w.fe.Unfinished(); ok && p.AppObjectID != "" {
		box.Add(s.unfinished(p))
	}

	s.choice = w.newProfileChoice()
	box.Add(heading2("Which product do you connect?"))
	box.Add(container.NewBorder(nil, nil, nil, s.choice.open, s.choice.sel))
	box.Add(para(s.productNote()))

	s.newSetup = widget.NewButtonWithIcon("New setup", theme.ContentAddIcon(), func() { w.start(wizard.FlowNewSetup, w.newState(), nil) })
	s.newSetup.Importance = widget.HighImportance
	s.replace = widget.NewButtonWithIcon("Replace an expired secret", theme.ViewRefreshIcon(), func() {
		if len(s.stored) == 0 {
			w.start(wizard.FlowReplaceSecret, w.newState(), nil)
			return
		}
		w.startReplace(frontend.StateFor(mostUrgent(s.stored)))
	})
	s.existing = widget.NewButtonWithIcon("Enter existing details", theme.DocumentCreateIcon(), func() {
		w.start(wizard.FlowEnterExisting, w.newState(), nil)
	})
	s.testStored = widget.NewButtonWithIcon("Test stored settings", theme.MediaPlayIcon(), func() {
		w.start(wizard.FlowTestStored, frontend.StateFor(mostUrgent(s.stored)), nil)
	})
	if len(stored) == 0 {
		s.testStored.Disable()
	}
	choice := func(b *widget.Button, text string) fyne.CanvasObject {
		d := para(text)
		return container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(250, b.MinSize().Height), b), nil, d)
	}
	storedBox := container.NewVBox()
	if len(stored) > 0 {
		box.Add(storedBox) // what is stored (and any alarm) comes first
	}
	box.Add(heading2("What do you want to do?"))
	box.Add(choice(s.newSetup, s.newSetupText()))
	box.Add(choice(s.replace, "The secret expired (or soon will): make a new one for the same app, test it, and remove the old one."))
	box.Add(choice(s.existing, "You registered the app already: enter its Application (client) ID, Directory (tenant) ID and secret, test them and store them."))
	box.Add(choice(s.testStored, "Run Test Settings with what this computer's keychain holds."))

	if len(stored) == 0 {
		box.Add(widget.NewSeparator())
		box.Add(storedBox)
	}
	storedBox.Add(heading2("Stored in this computer's keychain"))
	switch {
	case err != nil:
		l := para("The list of stored settings could not be read: " + err.Error())
		l.Importance = widget.DangerImportance
		storedBox.Add(l)
	case len(stored) == 0:
		storedBox.Add(para("Nothing yet. After New setup or Enter existing details, the app is listed here with the date its secret expires."))
	}
	for i, st := range stored {
		storedBox.Add(s.storedCard(i, st))
	}
	s.box = box
}

// newSetupText says what New setup does for the chosen product.
func (s *welcomeScreen) newSetupText() string {
	p := s.w.chosenProfile()
	if p == nil {
		return "Register the app in Microsoft Entra ID, grant its Microsoft Graph permissions, create its credential and test it."
	}
	what := "grant its Microsoft Graph permissions"
	if p.Custom() {
		what = "grant the Microsoft Graph permissions you pick"
	}
	cred := "create its client secret"
	switch {
	case p.VendorCertificate():
		cred = "upload the certificate " + p.Product + " gives you"
	case p.Credential.Default == profile.CredentialCertificate:
		cred = "create its certificate"
	}
	parts := []string{"Register the " + p.Product + " app in Microsoft Entra ID", what, cred}
	if p.DomainFilter.Enabled {
		parts = append(parts, "count the users of its "+strings.ToLower(labelOr(p.DomainFilter.Label, "domains")))
	}
	if p.MailboxScoping.Enabled {
		parts = append(parts, "limit its mailboxes")
	}
	return strings.Join(parts, ", ") + " and test it."
}

// productNote says where the chosen profile comes from.
func (s *welcomeScreen) productNote() string {
	p := s.w.chosenProfile()
	if p == nil {
		return ""
	}
	src := "Built-in profile"
	if !p.Builtin() {
		src = "Your profile file " + s.w.profileFile
	}
	if p.Guide.Title != "" {
		src += ", following " + p.Guide.Title
	}
	return src + ". Open profile… reads a profile file of your own (docs/profiles.md describes the format)."
}

func labelOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// storedProduct is the product a stored app was set up for.
func storedProduct(st frontend.Stored) string {
	if p, err := wizard.LoadProfile(&wizard.State{Profile: st.Profile, ProfileFile: st.ProfileFile}); err == nil {
		return p.Product
	}
	return "the product"
}

// mostUrgent is the stored app whose secret expires first (expired first of all).
func mostUrgent(list []frontend.Stored) frontend.Stored {
	best := list[0]
	for _, s := range list[1:] {
		if s.Expiry() != frontend.ExpiryUnknown && (best.Expiry() == frontend.ExpiryUnknown || s.DaysLeft < best.DaysLeft) {
			best = s
		}
	}
	return best
}

func (s *welcomeScreen) unfinished(p wizard.Progress) fyne.CanvasObject {
	w := s.w
	where := p.TenantName
	if where == "" {
		where = p.TenantID
	}
	text := fmt.Sprintf("An unfinished New setup: the app \"%s\" in %s (Application (client) ID %s), stopped on %q.", p.AppName, where, p.ClientID, stepTitle(p.Step))
	s.resume = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { w.start(wizard.FlowNewSetup, nil, &p) })
	s.resume.Importance = widget.HighImportance
	s.discard = widget.NewButton("Forget it", func() {
		_ = w.deps.Progress.Clear()
		w.notice = "The unfinished setup was forgotten. Its app stays in the tenant; New setup finds and reuses it."
		w.showWelcome()
	})
	c, _ := warning(text)
	return widget.NewCard("", "", container.NewVBox(c, container.NewHBox(s.resume, s.discard)))
}

// stepTitle is a step's title as New setup lists it.
func stepTitle(id wizard.StepID) string {
	titles := map[wizard.StepID]string{wizard.StepSignIn: "Cloud and sign-in", wizard.StepRegister: "Register the app",
		wizard.StepPermissions: "API permissions", wizard.StepConsent: "Admin consent", wizard.StepCredential: "Client secret",
		wizard.StepMailbox: "Mailbox access", wizard.StepTest: "Test Settings", wizard.StepSave: "Save"}
	if t, ok := titles[id]; ok {
		return t
	}
	return string(id)
}

// expiryLine says when the stored credential expires, with a warning under
// 30 days and a plain alarm once expired.
func expiryLine(st frontend.Stored) (string, widget.Importance, fyne.Resource) {
	what := "client secret"
	if st.Credential.Type == "certificate" {
		what = "certificate"
	}
	when := st.Credential.Expires.Local().Format("2 January 2006")
	switch st.Expiry() {
	case frontend.ExpiryExpired:
		ago := "less than a day ago"
		if n := -st.DaysLeft - 1; n > 0 { // DaysLeft rounds down: -1 is under a day ago
			ago = days(n) + " ago"
		}
		return fmt.Sprintf("The %s EXPIRED on %s (%s). %s can no longer connect to Microsoft 365. Replace it now.", what, when, ago, storedProduct(st)),
			widget.DangerImportance, theme.ErrorIcon()
	case frontend.ExpirySoon:
		return fmt.Sprintf("The %s expires in %s, on %s. Replace it before then, or %s stops connecting.", what, days(st.DaysLeft), when, storedProduct(st)),
			widget.WarningImportance, theme.WarningIcon()
	case frontend.ExpiryUnknown:
		return "The " + what + "'s expiry is not known (it was entered by hand).", widget.MediumImportance, theme.InfoIcon()
	}
	return fmt.Sprintf("The %s expires on %s (in %s).", what, when, days(st.DaysLeft)), widget.SuccessImportance, theme.ConfirmIcon()
}

func (s *welcomeScreen) storedCard(i int, st frontend.Stored) fyne.CanvasObject {
	w := s.w
	name := st.AppDisplayName
	if name == "" {
		name = "App " + st.ClientID
	}
	tenant := st.TenantName
	if tenant == "" {
		tenant = st.TenantID
	}
	text, imp, icon := expiryLine(st)
	exp := para(text)
	exp.Importance = imp
	s.expiryText = append(s.expiryText, exp)

	rep := widget.NewButtonWithIcon("Replace secret", theme.ViewRefreshIcon(), func() {
		w.startReplace(frontend.StateFor(st))
	})
	if st.Expiry() == frontend.ExpiryExpired || st.Expiry() == frontend.ExpirySoon {
		rep.Importance = widget.HighImportance
	}
	test := widget.NewButtonWithIcon("Test", theme.MediaPlayIcon(), func() {
		w.start(wizard.FlowTestStored, frontend.StateFor(st), nil)
	})
	forget := widget.NewButtonWithIcon("Forget", theme.DeleteIcon(), func() { s.forget(st) })
	s.replaceFor, s.testFor, s.forgetFor = append(s.replaceFor, rep), append(s.testFor, test), append(s.forgetFor, forget)
	buttons := container.NewHBox(rep, test, forget)
	if w.fe.Sandbox != nil && st.Credential.Type != "certificate" {
		exp := widget.NewButton("Sandbox: let it expire", func() { s.expire(st) })
		exp.Importance = widget.LowImportance
		s.expireFor = append(s.expireFor, exp)
		buttons.Add(exp)
	}
	_ = i
	body := container.NewVBox(
		bold(name+" — "+tenant),
		para("Application (client) ID: "+st.ClientID+"\nDirectory (tenant) ID: "+st.TenantID),
		container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, exp),
		buttons)
	return widget.NewCard("", "", body)
}

func (s *welcomeScreen) forget(st frontend.Stored) {
	w := s.w
	dialog.ShowConfirm("Forget the stored settings?",
		"The secret of \""+st.AppDisplayName+"\" is deleted from this computer's keychain. The app registration in Microsoft Entra ID stays.",
		func(ok bool) {
			if !ok {
				return
			}
			w.run("Deleting from the keychain…", func(ctx context.Context) error {
				return w.fe.Forget(ctx, st.TenantID, st.ClientID)
			}, func(err error) {
				w.showWelcome()
				if err != nil {
					w.problem.show(err)
				}
			})
		}, w.win)
}

// expire makes a stored sandbox secret expire now, in the simulated tenant
// and in the keychain's list, so Replace an expired secret can be tried for
// real. Only in --sandbox.
func (s *welcomeScreen) expire(st frontend.Stored) {
	w := s.w
	sb := w.fe.Sandbox
	if sb == nil {
		return
	}
	w.run("Letting the sandbox secret expire…", func(ctx context.Context) error {
		return expireSandboxSecret(ctx, w.fe, sb, st)
	}, func(err error) {
		w.showWelcome()
		if err != nil {
			w.problem.show(err)
		}
	})
}

func expireSandboxSecret(ctx context.Context, fe *frontend.Frontend, sb *sandbox.Server, st frontend.Stored) error {
	past := time.Now().Add(-25 * time.Hour)
	err := sb.Tenant(st.TenantID, func(t *sandbox.Tenant) {
		if app := t.AppByAppID(st.ClientID); app != nil {
			for i := range app.PasswordCredentials {
				if app.PasswordCredentials[i].KeyID == st.Credential.KeyID {
					app.PasswordCredentials[i].EndDateTime = past
				}
			}
		}
	})
	if err != nil {
		return err
	}
	c, err := fe.Keychain.Load(ctx, st.TenantID, st.ClientID)
	if err != nil {
		return err
	}
	c.Expires = past
	return fe.Keychain.Save(ctx, c)
}
