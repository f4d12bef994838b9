package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/wizard"
)

// registerScreen: the app's name (the profile's default), single tenant
// explained; an app from an earlier run is detected and reused.
type registerScreen struct {
	base
	w       *Window
	name    *entry
	inputs  *fyne.Container
	outcome *fyne.Container
	box     *fyne.Container
}

func newRegister(w *Window) *registerScreen {
	s := &registerScreen{w: w}
	s.name = newEntry(w)
	s.outcome = container.NewVBox()
	return s
}

func (s *registerScreen) title() string { return "Register the app" }
func (s *registerScreen) intro() string {
	return "Step 1 of the guide: create the " + productOf(s.w.eng.State()) + " app registration in Microsoft Entra ID (App registrations > New registration)."
}
func (s *registerScreen) focus() fyne.Focusable { return s.name }

func (s *registerScreen) view() fyne.CanvasObject {
	org := "your organization"
	st := s.w.eng.State()
	if st.Admin != nil {
		org = orgName(st)
	}
	product := productOf(st)
	nameHelp := "Enter a name, eg. " + product + "."
	if p := profileOf(st); p != nil && p.Help.Register != "" {
		nameHelp = p.Help.Register
	}
	s.inputs = container.NewVBox(
		formRow("Name", s.name, para(nameHelp+" Users of the tenant see it under Enterprise applications."), s.errs.at("app-name")),
		bold("Supported account types"),
		container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
			para("Accounts in this organizational directory only ("+org+" only - Single tenant)")),
		para(product+" signs in to your tenant only, as itself, so the app is single tenant: nobody outside "+org+" can use it."),
		s.errs.at("profile"),
		para("Next looks for an app this wizard registered earlier, so running the setup again never makes a second one. Nothing is changed yet."),
	)
	s.box = container.NewVBox(s.inputs, s.outcome)
	return s.box
}

func (s *registerScreen) load(st *wizard.State) { s.name.SetText(st.AppName) }

func (s *registerScreen) apply(st *wizard.State) { st.AppName = strings.TrimSpace(s.name.Text) }

func (s *registerScreen) busyText(*wizard.State) string {
	return "Reading the tenant: Microsoft Graph's permissions, an earlier app, the secret lifetime policy…"
}

func (s *registerScreen) setBusy(b bool) {
	if b {
		s.name.Disable()
	} else {
		s.name.Enable()
	}
}

// result shows the app found from an earlier run; with none, the wizard goes
// straight on to API permissions.
func (s *registerScreen) result(st *wizard.State) bool {
	if st.Plan == nil || st.Plan.Existing == nil {
		return false
	}
	app := st.Plan.Existing
	s.inputs.Hide()
	s.outcome.Objects = []fyne.CanvasObject{
		container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil,
			bold("An app from an earlier run was found: \""+app.DisplayName+"\". It will be reused, not registered a second time.")),
		s.w.copyRow("Application (client) ID:", app.AppID),
		para("Its permissions are brought in line with your choice on the next screen; its existing secrets stay until you remove them."),
	}
	s.outcome.Refresh()
	return true
}
