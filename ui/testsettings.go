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
	again    *widget.Button // Test again, when a check is pending (Exchange not there yet)
}

func newTestSettings(w *Window) *testScreen { return &testScreen{w: w} }

func (s *testScreen) title() string { return "Test Settings" }
func (s *testScreen) intro() string {
	if p := profileOf(s.w.eng.State()); p != nil && p.Help.Test != "" {
		return p.Help.Test
	}
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
	if p := profileOf(st); p != nil && !adminSideTest(st) && containsFold(entraRoles(st), "Mail.Send") {
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
	if adminSideTest(st) {
		names = []string{"The app registration and its enterprise application", "The certificate on the app"}
	}
	for _, r := range entraRoles(st) {
		names = append(names, "Permission "+r)
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
	if s.pendingChecks(st.Test) && s.w.eng.Status() != wizard.Completed {
		s.again = widget.NewButtonWithIcon("Test again", theme.ViewRefreshIcon(), s.testAgain)
		s.again.Importance = widget.HighImportance
		s.checks.Add(container.NewHBox(s.again))
		s.checks.Refresh()
	}
	if st.Test.OK {
		text := graphops.SuccessText
		p := profileOf(st)
		if p != nil && p.Test.SuccessText != "" {
			text = p.Test.SuccessText
		}
		if p != nil && adminSideTest(st) {
			// The wizard checked from the admin's side; the vendor's own test
			// says the product's success words.
			text = "Ready for " + p.Product + ": press " + labelOr(p.Test.Button, "Test Settings") + " there"
			if p.Test.SuccessText != "" {
				text += " (it shows " + p.Test.SuccessText + ")"
			}
		}
		msg := widget.NewLabel(text)
		msg.TextStyle = fyne.TextStyle{Bold: true}
		msg.SizeName = theme.SizeNameSubHeadingText
		msg.Importance = widget.SuccessImportance
		s.success.Objects = []fyne.CanvasObject{widget.NewCard("", "",
			container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil, msg))}
		switch {
		case st.Flow == wizard.FlowTestStored:
		case adminSideTest(st):
			s.success.Add(para("Next saves the app's details and the certificate's thumbprint; there is no secret to store."))
		default:
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

// adminSideTest: the vendor keeps the private key, so Test Settings checks
// from the admin's side (Passly).
func adminSideTest(st *wizard.State) bool {
	return (st.NewCert != nil && st.NewCert.Vendor) || (st.NewCert == nil && st.Stored != nil && st.Stored.VendorHeld) ||
		(st.Flow == wizard.FlowNewSetup && len(st.VendorCertificate) > 0)
}

func (s *testScreen) pendingChecks(rep *graphops.TestReport) bool {
	for _, c := range rep.Checks {
		if c.Pending {
			return true
		}
	}
	return false
}

// testAgain runs Test Settings again once it passed with a pending check
// (mailbox scoping not in force yet): the engine steps back to Test
// Settings and runs it, and the screen shows the new report.
func (s *testScreen) testAgain() {
	w := s.w
	e := w.eng
	if w.busy || e == nil {
		return
	}
	if e.Current() != wizard.StepTest && !e.Back() {
		return
	}
	if e.Current() != wizard.StepTest {
		w.showStep()
		return
	}
	st := e.State()
	s.apply(st)
	w.result = false
	w.run(s.busyText(st), e.Next, func(err error) { w.stepDone(s, wizard.StepTest, err) })
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
