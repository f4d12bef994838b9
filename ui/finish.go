package ui

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// finishScreen: Save and finish. Stored in the keychain; a summary with the
// Application (client) ID, the Directory (tenant) ID, the secret's expiry,
// copy buttons, a link to the app in the Entra admin center of the chosen
// cloud, and an export of the summary (never the secret).
type finishScreen struct {
	base
	w       *Window
	outcome *fyne.Container
	export  *widget.Button
	link    *widget.Hyperlink
	box     *fyne.Container
}

func newFinish(w *Window) *finishScreen { return &finishScreen{w: w} }

func (s *finishScreen) title() string {
	switch s.w.eng.Flow() {
	case wizard.FlowReplaceSecret:
		return "Keychain updated"
	case wizard.FlowEnterExisting:
		return "Apply"
	}
	return "Save and finish"
}

// The guide's "click Apply to save your configuration" and the button agree:
// the button is Apply, in every flow.
func (s *finishScreen) intro() string {
	st := s.w.eng.State()
	success := graphops.SuccessText
	if p := profileOf(st); p != nil && p.Test.SuccessText != "" {
		success = p.Test.SuccessText
	}
	if adminSideTest(st) {
		return "Click Apply to save your configuration: the wizard lists the app with its certificate's thumbprint and expiry. " +
			"There is no secret: the certificate's private key stays with " + productOf(st) + ", so the keychain gets nothing."
	}
	return "If you get a " + success + " message, click Apply to save your configuration: " +
		"the wizard stores it in this computer's keychain (Windows Credential Manager, macOS Keychain, GNOME Keyring)."
}

func (s *finishScreen) view() fyne.CanvasObject {
	s.outcome = container.NewVBox()
	s.box = container.NewVBox(para("Nothing is written to a file: the keychain holds the secret, and a list of what it holds (without the secret) lets the Welcome screen say when it expires."), s.outcome)
	return s.box
}

func (s *finishScreen) action(*wizard.State) string   { return "Apply" }
func (s *finishScreen) retry(st *wizard.State) string { return s.action(st) }
func (s *finishScreen) busyText(*wizard.State) string { return "Storing in the keychain…" }

func (s *finishScreen) result(st *wizard.State) bool {
	if !st.Saved {
		return false
	}
	w := s.w
	s.box.Objects = []fyne.CanvasObject{s.outcome}
	o := s.outcome
	o.Objects = nil
	saved := "Stored in this computer's keychain."
	if adminSideTest(st) {
		saved = "Saved: the app is listed with its certificate's thumbprint and expiry. Nothing secret is stored."
	}
	o.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil, bold(saved)))
	sum := summarize(st)
	o.Add(w.copyRow("Application (client) ID:", sum.clientID))
	o.Add(w.copyRow("Directory (tenant) ID:", sum.tenantID))
	if sum.expiry != "" {
		o.Add(para(sum.expiry))
	}
	if cloud, err := w.deps.Cloud(st.Cloud); err == nil && cloud.EntraURL != "" && sum.clientID != "" {
		u := cloud.AppRegistrationURL(sum.clientID)
		s.link = widget.NewHyperlink("Open the app in the Microsoft Entra admin center", nil)
		if pu, err := url.Parse(u); err == nil {
			s.link.SetURL(pu)
		}
		o.Add(s.link)
	}
	if p := profileOf(st); p != nil && p.Handoff.Text != "" {
		o.Add(widget.NewSeparator())
		o.Add(bold("In " + p.Product))
		o.Add(para(p.Handoff.Location + ": " + p.Handoff.Text))
		for _, f := range p.Handoff.Fields {
			switch f.Value {
			case profile.ValueCertificateThumbprint:
				if st.NewCert != nil {
					o.Add(w.copyRow(f.Label+":", st.NewCert.Thumbprint))
				}
			case profile.ValueDomains:
				if len(st.Domains) > 0 {
					o.Add(w.copyRow(f.Label+":", strings.Join(st.Domains, ", ")))
				}
			}
		}
	}
	s.export = widget.NewButtonWithIcon("Export summary…", theme.DocumentSaveIcon(), func() { s.exportSummary(st) })
	o.Add(container.NewHBox(s.export))
	o.Refresh()
	return true
}

func (s *finishScreen) exportSummary(st *wizard.State) {
	text := summarize(st).text()
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		defer wc.Close()
		if _, err := wc.Write([]byte(text)); err != nil {
			s.w.problem.show(err)
			return
		}
		s.w.problem.info("Saved the summary to " + wc.URI().Path() + " (without the secret).")
	}, s.w.win)
	d.SetFileName("m365wizard-summary.txt")
	d.Show()
}

// summary is what the admin takes away: never the secret.
type summary struct {
	app, org, cloud, clientID, tenantID, expiry, mailboxes, scoping string
	permissions                                                     []string
}

func summarize(st *wizard.State) summary {
	s := summary{cloud: st.Cloud, tenantID: st.Tenant, clientID: st.ClientID, app: st.AppName, scoping: st.Scoping}
	if st.Admin != nil {
		s.org, s.tenantID = st.Admin.TenantName, st.Admin.TenantID
	}
	if st.App != nil {
		s.clientID, s.app = st.App.AppID, st.App.DisplayName
	}
	if st.Stored != nil {
		if s.clientID == "" {
			s.clientID = st.Stored.ClientID
		}
		if s.tenantID == "" {
			s.tenantID = st.Stored.TenantID
		}
		if s.app == "" {
			s.app = st.Stored.AppName
		}
		if s.org == "" {
			s.org = st.Stored.TenantName
		}
	}
	var end time.Time
	what := "client secret"
	switch {
	case st.NewCert != nil:
		end, what = st.NewCert.End, "certificate"
	case st.NewSecret != nil:
		end = st.NewSecret.End
	case st.Stored != nil && st.SecretInput == "":
		end = st.Stored.Expires
	}
	if !end.IsZero() {
		left := int(time.Until(end).Hours() / 24)
		s.expiry = fmt.Sprintf("The %s expires on %s (in %s). The Welcome screen warns 30 days before; Replace an expired secret makes a new one.",
			what, end.Local().Format("2 January 2006"), days(left))
	} else {
		s.expiry = "The " + what + "'s expiry is not known (it was entered by hand): check it in the Entra admin center under Certificates & secrets."
	}
	if p := profileOf(st); p != nil {
		s.permissions = p.AppRoles(st.Features)
	}
	s.mailboxes = strings.Join(st.Mailboxes, ", ")
	return s
}

func (s summary) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "M365 Setup Wizard: summary (%s)\n\n", time.Now().Format("2006-01-02 15:04"))
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-26s %s\n", k+":", v)
		}
	}
	line("App", s.app)
	line("Organization", s.org)
	line("Cloud", s.cloud)
	line("Application (client) ID", s.clientID)
	line("Directory (tenant) ID", s.tenantID)
	line("Permissions", strings.Join(s.permissions, ", "))
	line("Mailboxes", s.mailboxes)
	line("Mailbox scoping", s.scoping)
	fmt.Fprintf(&b, "\n%s\n\nThe secret itself is in this computer's keychain only; it is not in this file.\n", s.expiry)
	return b.String()
}

// removeOldScreen: the old secrets go only after the new one tested green and
// the keychain holds it.
type removeOldScreen struct {
	base
	w       *Window
	outcome *fyne.Container
}

func newRemoveOld(w *Window) *removeOldScreen { return &removeOldScreen{w: w} }

func (s *removeOldScreen) title() string {
	if s.w.eng.Flow() == wizard.FlowNewSetup {
		return "Remove the leftover secret"
	}
	return "Remove the old secret"
}

// keptOld: a replacement where the admin keeps the app's old secrets, so
// only secrets lost by an interrupted run go (New setup has no such choice).
func (s *removeOldScreen) keptOld(st *wizard.State) bool {
	return s.w.eng.Flow() == wizard.FlowReplaceSecret && !st.RemoveOld
}

func (s *removeOldScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	intro := "The new secret tested green and is in the keychain. These secrets the app had before are removed now (Secret IDs):"
	if s.keptOld(st) {
		intro = "The new secret tested green and is in the keychain. The secret an earlier run made and lost is removed now; the app's other secrets stay, as you chose (Secret IDs):"
	}
	s.outcome = container.NewVBox(para(intro))
	for _, id := range s.w.eng.SecretsToRemove() {
		l := widget.NewLabel(id)
		l.TextStyle = fyne.TextStyle{Monospace: true}
		s.outcome.Add(l)
	}
	return s.outcome
}

func (s *removeOldScreen) action(*wizard.State) string {
	return "Remove old secret"
}
func (s *removeOldScreen) retry(st *wizard.State) string { return s.action(st) }
func (s *removeOldScreen) busyText(*wizard.State) string { return "Removing the old secret…" }

func (s *removeOldScreen) result(st *wizard.State) bool {
	done := fmt.Sprintf("Removed %d old secret(s). Only the new secret works from now on.", len(st.RemovedIDs))
	if s.keptOld(st) {
		done = fmt.Sprintf("Removed %d lost secret(s). The new secret and the old ones you kept work.", len(st.RemovedIDs))
	}
	s.outcome.Objects = []fyne.CanvasObject{container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
		bold(done))}
	if sum := summarize(st); sum.expiry != "" {
		s.outcome.Add(para(sum.expiry))
	}
	s.outcome.Refresh()
	return true
}
