package ui

import (
	"context"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
)

// consentScreen: what will be granted, "Grant admin consent for <org>", each
// permission's status turning to "Granted for <org>", and the browser
// consent link for an account that cannot grant it here.
type consentScreen struct {
	base
	w       *Window
	status  map[string]*widget.Label // by permission (lower case)
	icons   map[string]*widget.Icon
	box     *fyne.Container
	link    *widget.Hyperlink
	approve *widget.Button // sandbox: approve the browser consent as the admin
}

func newConsent(w *Window) *consentScreen {
	return &consentScreen{w: w, status: map[string]*widget.Label{}, icons: map[string]*widget.Icon{}}
}

func (s *consentScreen) title() string { return "Admin consent" }
func (s *consentScreen) intro() string {
	st := s.w.eng.State()
	if p := profileOf(st); p != nil && p.Help.Consent != "" {
		return p.Help.Consent
	}
	return "Once the API permissions have been added to the " + productOf(st) + " app, you need to grant consent to use the app within your tenant: Grant admin consent for " +
		orgName(st) + "."
}

// wanted is the application permissions the app asks for.
func (s *consentScreen) wanted(st *wizard.State) []string {
	return entraRoles(st)
}

func (s *consentScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	org := orgName(st)
	s.box = container.NewVBox(bold("These Microsoft Graph permissions will be granted for " + org + ":"))
	weights := []float32{2.5, 1.5, 3}
	s.box.Add(newRow(weights, bold("API / Permissions name"), bold("Type"), bold("Status")))
	s.box.Add(widget.NewSeparator())
	row := func(p, typ string) {
		name := widget.NewLabel(p)
		name.TextStyle = fyne.TextStyle{Monospace: true}
		stat := widget.NewLabel("Not granted for " + org)
		stat.Importance = widget.WarningImportance
		icon := widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))
		s.status[strings.ToLower(p)], s.icons[strings.ToLower(p)] = stat, icon
		s.box.Add(newRow(weights, name, widget.NewLabel(typ), container.NewBorder(nil, nil, icon, nil, stat)))
	}
	for _, p := range s.wanted(st) {
		row(p, "Application")
	}
	// A profile's delegated permissions (SaaS connector: offline_access):
	// the portal's button grants them for the organization too.
	if p := profileOf(st); p != nil {
		for _, sc := range p.DelegatedScopes(st.Features) {
			row(sc, "Delegated")
		}
	}
	if out := exchangeGrants(st); len(out) > 0 {
		s.box.Add(container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(theme.InfoIcon())), nil,
			para("Not granted in Entra ID: "+strings.Join(out, ", ")+". With RBAC for Applications Exchange grants them to the app itself, "+
				"for the chosen mailboxes only (Mailbox access); a grant here would open every mailbox.")))
	}
	if st.Admin != nil && !st.Admin.CanConsent {
		s.box.Add(s.browserFallback(st))
	} else {
		s.box.Add(para("Granting consent lets the app use these permissions as itself, for the whole organisation, until you limit mailboxes on the next screens."))
	}
	return s.box
}

// browserFallback is the admin consent link, for a Global Administrator to
// open when the signed-in account cannot grant consent here.
func (s *consentScreen) browserFallback(st *wizard.State) fyne.CanvasObject {
	w := s.w
	c, _ := warning(st.Admin.UPN + " cannot grant admin consent. Send this link to a Global Administrator (or open it and sign in as one), " +
		"then press \"Check again\": the wizard reads the grants back.")
	box := container.NewVBox(c)
	cloud, err := w.deps.Cloud(st.Cloud)
	if err != nil || st.App == nil {
		return box
	}
	u := cloud.AdminConsentURL(st.Admin.TenantID, st.App.AppID, "")
	s.link = widget.NewHyperlink("Open the admin consent page", nil)
	if pu, err := url.Parse(u); err == nil {
		s.link.SetURL(pu)
	}
	box.Add(container.NewHBox(s.link, widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() { w.app.Clipboard().SetContent(u) })))
	if sb := w.fe.Sandbox; sb != nil {
		s.approve = widget.NewButton("Sandbox: approve it as "+frontend.SandboxAdmin, func() {
			w.run("Approving the consent page as "+frontend.SandboxAdmin+"…", func(ctx context.Context) error {
				return sb.CompleteAdminConsent(ctx, u, frontend.SandboxAdmin)
			}, func(err error) {
				if err != nil {
					w.problem.show(err)
					return
				}
				w.problem.info("Approved in the (simulated) browser. Press \"Check again\".")
			})
		})
		box.Add(container.NewHBox(s.approve))
	}
	return box
}

func (s *consentScreen) action(st *wizard.State) string {
	if st.Admin != nil && !st.Admin.CanConsent {
		return "Check again"
	}
	return "Grant admin consent for " + orgName(st)
}

func (s *consentScreen) retry(st *wizard.State) string { return s.action(st) }

func (s *consentScreen) busyText(st *wizard.State) string {
	return "Granting admin consent for " + orgName(st) + " and reading the grants back…"
}

func (s *consentScreen) result(st *wizard.State) bool {
	r := st.Consent
	if r == nil {
		return false
	}
	for _, g := range r.Grants {
		key := strings.ToLower(g.Permission.Value)
		l, ok := s.status[key]
		if !ok {
			continue
		}
		l.SetText(r.Status(g))
		if g.Granted {
			l.Importance = widget.SuccessImportance
			s.icons[key].SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
		} else {
			l.Importance = widget.DangerImportance
			s.icons[key].SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
		}
		l.Refresh()
	}
	if len(r.Revoked) > 0 {
		s.box.Add(para("Removed grants no longer wanted: " + strings.Join(r.Revoked, ", ") + "."))
	}
	if r.AllGranted() {
		s.box.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
			bold("Admin consent granted for "+r.Organization+".")))
	}
	return true
}

// statusOf is a permission's status line (for tests).
func (s *consentScreen) statusOf(permission string) string {
	if l, ok := s.status[strings.ToLower(permission)]; ok {
		return l.Text
	}
	return ""
}
