package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/wizard"
)

// testScreen: Test Settings as the app: each check with a spinner, then pass
// or fail with the next step for each failure; the guide's "Microsoft 365
// Authentication was successful" when all pass.
type testScreen struct {
	base
	w        *Window
	sendTo   *entry
	checks   *fyne.Container
	spinners []*widget.Activity
	success  *fyne.Container
	box      *fyne.Container
}

func newTestSettings(w *Window) *testScreen { return &testScreen{w: w} }

func (s *testScreen) title() string { return "Test Settings" }
func (s *testScreen) intro() string {
	return "Click Test Settings to ensure that authentication and configuration is correct: the wizard signs in as the app, " +
		"with its new credential, and makes one small real call for each permission."
}

func (s *testScreen) focus() fyne.Focusable {
	if s.sendTo != nil {
		return s.sendTo
	}
	return nil
}

func (s *testScreen) view() fyne.CanvasObject {
	st := s.w.eng.State()
	s.checks = container.NewVBox()
	s.success = container.NewVBox()
	s.box = container.NewVBox()
	if p := profileOf(st); p != nil && containsFold(p.AppRoles(st.Features), "Mail.Send") {
		s.sendTo = newEntry(s.w)
		s.sendTo.SetPlaceHolder("optional: an address to send a test message to")
		s.box.Add(formRow("Send a test message", s.sendTo,
			para("Leave it empty to check Mail.Send without sending anything.")))
	}
	s.box.Add(s.success)
	s.box.Add(s.checks)
	s.pending(st)
	return s.box
}

// pending lists what will be checked, before the run.
func (s *testScreen) pending(st *wizard.State) {
	s.checks.Objects = nil
	s.spinners = nil
	names := []string{"Sign in as the app"}
	if p := profileOf(st); p != nil {
		for _, r := range p.AppRoles(st.Features) {
			names = append(names, "Permission "+r)
		}
	}
	for _, n := range names {
		a := widget.NewActivity()
		s.spinners = append(s.spinners, a)
		s.checks.Add(container.NewBorder(nil, nil, container.NewStack(widget.NewIcon(theme.NewDisabledResource(theme.RadioButtonIcon())), a), nil, widget.NewLabel(n)))
	}
	s.checks.Refresh()
}

func (s *testScreen) load(st *wizard.State) {
	if s.sendTo != nil {
		s.sendTo.SetText(st.SendTestTo)
	}
}

func (s *testScreen) apply(st *wizard.State) {
	if s.sendTo != nil {
		st.SendTestTo = strings.TrimSpace(s.sendTo.Text)
	}
}

func (s *testScreen) action(*wizard.State) string { return "Test Settings" }
func (s *testScreen) retry(*wizard.State) string  { return "Test again" }

func (s *testScreen) busyText(st *wizard.State) string {
	if st.NewSecret != nil || st.NewCert != nil {
		return "Testing as the app. A new secret takes a little while to work everywhere; the wizard waits for it…"
	}
	return "Testing as the app…"
}

func (s *testScreen) setBusy(b bool) {
	if b {
		s.success.Objects = nil
		s.success.Refresh()
		s.pending(s.w.eng.State())
		for _, a := range s.spinners {
			a.Start()
		}
		if s.sendTo != nil {
			s.sendTo.Disable()
		}
		return
	}
	for _, a := range s.spinners {
		a.Stop()
	}
	if s.sendTo != nil {
		s.sendTo.Enable()
	}
}

// show lists each check's outcome: one line each, the next step under a
// failure.
func (s *testScreen) show(rep *graphops.TestReport) {
	s.checks.Objects = nil
	s.spinners = nil
	for _, c := range rep.Checks {
		var icon fyne.Resource = theme.NewSuccessThemedResource(theme.ConfirmIcon())
		nameStyle := widget.RichTextStyleStrong
		switch {
		case !c.OK:
			icon = theme.NewErrorThemedResource(theme.ErrorIcon())
			nameStyle.ColorName = theme.ColorNameError
		case c.Pending:
			icon = theme.NewWarningThemedResource(theme.HistoryIcon())
			nameStyle.ColorName = theme.ColorNameWarning
		case c.Warning:
			icon = theme.NewWarningThemedResource(theme.WarningIcon())
			nameStyle.ColorName = theme.ColorNameWarning
		}
		segs := []widget.RichTextSegment{&widget.TextSegment{Style: nameStyle, Text: c.Name}}
		if c.Message != "" {
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleInline, Text: "  " + c.Message})
		}
		if c.NextStep != "" && (!c.OK || c.Pending || c.Warning) {
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: ""},
				&widget.TextSegment{Style: widget.RichTextStyleInline, Text: "Next step: " + c.NextStep})
		}
		if c.Code != "" && !c.OK {
			segs = append(segs, &widget.TextSegment{Style: widget.RichTextStyleInline, Text: "  (" + c.Code + ")"})
		}
		rt := widget.NewRichText(segs...)
		rt.Wrapping = fyne.TextWrapWord
		s.checks.Add(container.NewBorder(nil, nil, container.NewVBox(widget.NewIcon(icon)), nil, rt))
	}
	if sc := rep.Scoping; sc != nil && sc.State == graphops.ScopingDefeated && len(sc.EntraGrants) > 0 && s.w.eng.Flow() == wizard.FlowNewSetup {
		fix := widget.NewButtonWithIcon("Remove the Entra grants of "+strings.Join(sc.EntraGrants, ", "), theme.DeleteIcon(), s.removeGrants)
		fix.Importance = widget.WarningImportance
		s.checks.Add(container.NewHBox(fix))
	}
	s.checks.Refresh()
}

// removeGrants revokes the Exchange permissions' grants in Entra ID (RBAC for
// Applications: each one opens every mailbox), then the admin tests again.
func (s *testScreen) removeGrants() {
	w := s.w
	e := w.eng
	w.run("Removing the mail permissions' grants from the app in Entra ID…", func(ctx context.Context) error {
		_, err := e.RemoveEntraGrants(ctx)
		return err
	}, func(err error) {
		if err != nil {
			w.problem.show(err)
			return
		}
		w.problem.info("The grants were removed. Press Test again.")
	})
}

func (s *testScreen) result(st *wizard.State) bool {
	if st.Test == nil {
		return false
	}
	s.show(st.Test)
	if st.Test.OK {
		text := graphops.SuccessText
		if p := profileOf(st); p != nil && p.Test.SuccessText != "" {
			text = p.Test.SuccessText
		}
		msg := widget.NewLabel(text)
		msg.TextStyle = fyne.TextStyle{Bold: true}
		msg.SizeName = theme.SizeNameSubHeadingText
		msg.Importance = widget.SuccessImportance
		s.success.Objects = []fyne.CanvasObject{widget.NewCard("", "",
			container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil, msg))}
		if st.Flow != wizard.FlowTestStored {
			s.success.Add(para("Next stores the settings in this computer's keychain."))
		}
		s.success.Refresh()
	}
	return true
}

func (s *testScreen) failed(st *wizard.State, err error) {
	if st.Test != nil && !st.Test.OK {
		s.show(st.Test)
		return
	}
	s.pending(st)
}

// successText is the success line shown (for tests).
func (s *testScreen) successText() string {
	for _, o := range s.success.Objects {
		if c, ok := o.(*widget.Card); ok {
			if b, ok := c.Content.(*fyne.Container); ok {
				for _, x := range b.Objects {
					if l, ok := x.(*widget.Label); ok {
						return l.Text
					}
				}
			}
		}
	}
	return ""
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
