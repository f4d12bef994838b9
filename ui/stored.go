package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
	"m365wizard/wizard/frontend"
)

// storedScreen: the stored settings a Replace or Test flow works on. Without
// a stored app the admin types its tenant and client ID; in Replace, a secret
// already made in the Azure portal may be pasted instead of making one here.
type storedScreen struct {
	base
	w        *Window
	tenant   *entry
	clientID *entry
	pasted   *widget.Check
	secret   *entry
	box      *fyne.Container
}

func newStored(w *Window) *storedScreen { return &storedScreen{w: w} }

func (s *storedScreen) title() string { return "Stored settings" }
func (s *storedScreen) intro() string {
	if s.w.eng.Flow() == wizard.FlowReplaceSecret {
		return "Replace an expired secret: the wizard signs in, makes a new secret for the same app, tests it, updates the keychain and removes the old secret."
	}
	product := "the product"
	if p, err := wizard.LoadProfile(s.w.eng.State()); err == nil {
		product = p.Product // the stored app's product, whatever Welcome has chosen
	}
	return "Test stored settings: the wizard signs in as the app with what the keychain holds, as " + product + "'s own test does."
}

func (s *storedScreen) view() fyne.CanvasObject {
	w := s.w
	st := w.eng.State()
	s.box = container.NewVBox()
	s.tenant, s.clientID = newEntry(w), newEntry(w)
	s.tenant.SetText(st.Tenant)
	s.clientID.SetText(st.ClientID)
	if st.ClientID != "" && st.Tenant != "" {
		name, org := st.ClientID, st.Tenant
		for _, x := range storedList(w) {
			if strings.EqualFold(x.ClientID, st.ClientID) && strings.EqualFold(x.TenantID, st.Tenant) {
				name, org = x.AppDisplayName, x.TenantName
				text, imp, icon := expiryLine(x)
				l := para(text)
				l.Importance = imp
				defer s.box.Add(container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, l))
			}
		}
		s.box.Add(bold(name + " — " + org))
		s.box.Add(w.copyRow("Application (client) ID:", st.ClientID))
		s.box.Add(w.copyRow("Directory (tenant) ID:", st.Tenant))
	} else {
		s.tenant.SetPlaceHolder("Directory (tenant) ID or domain")
		s.clientID.SetPlaceHolder("Application (client) ID")
		s.box.Add(para("Nothing is stored on this computer for the app. Enter its IDs (Entra admin center > App registrations > the app > Overview)."))
		s.box.Add(formRow("Application (client) ID", s.clientID, s.errs.at("client-id")))
		s.box.Add(formRow("Directory (tenant) ID", s.tenant, s.errs.at("tenant")))
	}
	s.box.Add(s.errs.at("stored"))
	if w.eng.Flow() == wizard.FlowReplaceSecret {
		s.secret = newPasswordEntry(w)
		s.secret.SetPlaceHolder("the new secret's Value")
		s.secret.Hide()
		s.pasted = widget.NewCheck("I already made a new secret in the Azure portal: use its Value", func(on bool) {
			if on {
				s.secret.Show()
				w.win.Canvas().Focus(s.secret)
			} else {
				s.secret.Hide()
			}
			w.refresh()
		})
		s.box.Add(widget.NewSeparator())
		s.box.Add(s.pasted)
		s.box.Add(s.secret)
		s.box.Add(s.errs.at("secret"))
		s.box.Add(para("Otherwise the next steps sign you in and make the new secret here."))
	}
	return s.box
}

func storedList(w *Window) []frontend.Stored {
	list, _ := w.fe.Stored()
	return list
}

func (s *storedScreen) focus() fyne.Focusable {
	if s.clientID.Visible() && s.clientID.Text == "" {
		return s.clientID
	}
	return nil
}

func (s *storedScreen) apply(st *wizard.State) {
	if st.Stored == nil {
		st.Tenant, st.ClientID = strings.TrimSpace(s.tenant.Text), strings.TrimSpace(s.clientID.Text)
	}
	if s.pasted != nil {
		st.SecretInput = ""
		if s.pasted.Checked {
			st.SecretInput = s.secret.Text
		}
	}
}

func (s *storedScreen) busyText(*wizard.State) string { return "Reading the keychain…" }

// findAppScreen: the app, found by its client ID, and its secrets with expiry.
type findAppScreen struct {
	base
	w   *Window
	box *fyne.Container
}

func newFindApp(w *Window) *findAppScreen { return &findAppScreen{w: w} }

func (s *findAppScreen) title() string { return "The app" }
func (s *findAppScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	id := st.ClientID
	if st.Stored != nil {
		id = st.Stored.ClientID
	}
	s.box = container.NewVBox(para("Next finds the app registration with Application (client) ID " + id + " in your tenant, and lists its secrets."))
	return s.box
}
func (s *findAppScreen) action(*wizard.State) string   { return "Find the app" }
func (s *findAppScreen) retry(*wizard.State) string    { return "Find the app" }
func (s *findAppScreen) busyText(*wizard.State) string { return "Finding the app and its secrets…" }

func (s *findAppScreen) result(st *wizard.State) bool {
	app := st.App
	if app == nil {
		return false
	}
	w := s.w
	s.box.Objects = []fyne.CanvasObject{
		bold("Found \"" + app.DisplayName + "\""),
		w.copyRow("Application (client) ID:", app.AppID),
		heading2("Client secrets"),
	}
	if len(app.Passwords) == 0 {
		s.box.Add(para("The app has no client secrets."))
	}
	now := time.Now()
	for _, p := range app.Passwords {
		s.box.Add(credentialLine(p, now))
	}
	s.box.Add(para("Next: a new client secret for this app. The old ones stay until the new one has tested green."))
	s.box.Refresh()
	return true
}

func credentialLine(p graphops.Credential, now time.Time) fyne.CanvasObject {
	d := p.DaysLeft(now)
	name := p.DisplayName
	if name == "" {
		name = "(no description)"
	}
	text := name + "  ·  " + p.Hint + "…  ·  "
	imp, icon := widget.MediumImportance, theme.ConfirmIcon()
	switch {
	case d < 0:
		text += "expired on " + p.End.Local().Format("2 January 2006")
		imp, icon = widget.DangerImportance, theme.ErrorIcon()
	case d < 30:
		text += "expires in " + days(d)
		imp, icon = widget.WarningImportance, theme.WarningIcon()
	default:
		text += "expires on " + p.End.Local().Format("2 January 2006")
	}
	l := para(text)
	l.Importance = imp
	return container.NewBorder(nil, nil, widget.NewIcon(icon), nil, l)
}

// detailsScreen: Enter existing details, as the guide's Step 6 has them
// copied into HelpMaster.
type detailsScreen struct {
	base
	w        *Window
	cloud    *widget.Select
	clientID *entry
	tenant   *entry
	secret   *entry
}

func newDetails(w *Window) *detailsScreen { return &detailsScreen{w: w} }

func (s *detailsScreen) title() string { return "Application and tenant details" }
func (s *detailsScreen) intro() string {
	return "Copy the Application (client) ID, Directory (tenant) ID and Client secret from Azure (App registrations > your app > Overview, and Certificates & secrets)."
}
func (s *detailsScreen) focus() fyne.Focusable { return s.clientID }

func (s *detailsScreen) view() fyne.CanvasObject {
	w := s.w
	labels, _, _ := cloudLabels()
	s.cloud = widget.NewSelect(labels, nil)
	s.cloud.SetSelectedIndex(0)
	s.clientID, s.tenant, s.secret = newEntry(w), newEntry(w), newPasswordEntry(w)
	s.clientID.SetPlaceHolder("e.g. e7e4dbfc-046f-4074-9b3b-2ae8f144f59b")
	s.tenant.SetPlaceHolder("the Directory (tenant) ID or a verified domain")
	s.secret.SetPlaceHolder("the secret's Value (not its Secret ID)")
	return container.NewVBox(
		formRow("Cloud", s.cloud, s.errs.at("cloud")),
		formRow("Application (client) ID", s.clientID, s.errs.at("client-id")),
		formRow("Directory (tenant) ID", s.tenant, s.errs.at("tenant")),
		formRow("Client secret", s.secret, para("Copy it from the Value column. The Secret ID is a GUID too, and the wizard refuses it before sending anything."), s.errs.at("secret")),
	)
}

func (s *detailsScreen) load(st *wizard.State) {
	_, _, byName := cloudLabels()
	if l, ok := byName[st.Cloud]; ok {
		s.cloud.SetSelected(l)
	}
	s.clientID.SetText(st.ClientID)
	s.tenant.SetText(st.Tenant)
}

func (s *detailsScreen) apply(st *wizard.State) {
	_, byLabel, _ := cloudLabels()
	st.Cloud = byLabel[s.cloud.Selected]
	st.ClientID, st.Tenant = strings.TrimSpace(s.clientID.Text), strings.TrimSpace(s.tenant.Text)
	st.SecretInput = s.secret.Text
}
