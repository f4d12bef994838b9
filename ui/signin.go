package ui

import (
	"context"
	"net/url"
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

// signInScreen: the cloud, "Sign in with browser" or "Use a code instead",
// then who signed in to which tenant, and a plain warning before any change
// when the account cannot grant admin consent.
type signInScreen struct {
	base
	w      *Window
	method string

	cloud    *widget.Select
	tenant   *entry
	useCode  *widget.Button
	noBrowse *widget.Button // sandbox: complete the browser sign-in here
	waiting  *fyne.Container
	codeBox  *fyne.Container
	code     *widget.Label
	approve  *widget.Button // sandbox: approve the device code here
	inputs   *fyne.Container
	outcome  *fyne.Container
	box      *fyne.Container
}

var cloudLabels = func() (labels []string, byLabel map[string]string, byName map[string]string) {
	byLabel, byName = map[string]string{}, map[string]string{}
	for _, c := range graphops.Clouds() {
		labels = append(labels, c.Label)
		byLabel[c.Label], byName[c.Name] = c.Name, c.Label
	}
	return
}

func newSignIn(w *Window) *signInScreen {
	s := &signInScreen{w: w, method: "browser"}
	labels, _, _ := cloudLabels()
	s.cloud = widget.NewSelect(labels, nil)
	s.tenant = newEntry(w)
	s.tenant.SetPlaceHolder("contoso.onmicrosoft.com or the Directory (tenant) ID — optional")
	s.useCode = widget.NewButtonWithIcon("Use a code instead", theme.ComputerIcon(), func() {
		s.method = "device-code"
		w.next()
	})
	cloudHelp := "Where your Microsoft 365 lives. Most organisations use Global; the US Government and China clouds are separate."
	if w.fe.Sandbox != nil {
		cloudHelp += " (Sandbox: every cloud goes to the simulated tenant.)"
	}
	s.inputs = container.NewVBox(
		formRow("Cloud", s.cloud, para(cloudHelp), s.errs.at("cloud")),
		formRow("Tenant", s.tenant, para("Leave it empty to use the tenant of the account you sign in with."), s.errs.at("tenant")),
		s.errs.at("sign-in"),
		para("Sign in with an administrator account (Global Administrator, or Privileged Role Administrator for admin consent). "+
			"The wizard asks only for the permissions its steps need, and changes nothing until you press Next on the later screens."),
		container.NewHBox(s.useCode),
	)
	s.noBrowse = widget.NewButton("No browser? Sign in as "+frontend.SandboxAdmin, func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := w.fe.SandboxSignIn(ctx, ""); err != nil {
				w.post(func() { w.problem.show(err) })
			}
		}()
	})
	wait := para("Complete the sign-in in your browser. This window carries on by itself once you have signed in.")
	s.waiting = container.NewVBox(wait)
	if w.fe.Sandbox != nil {
		s.waiting.Add(container.NewHBox(s.noBrowse))
	}
	s.waiting.Hide()
	s.code = widget.NewLabel("")
	s.code.TextStyle = fyne.TextStyle{Monospace: true}
	s.code.SizeName = theme.SizeNameHeadingText
	s.code.Selectable = true
	s.codeBox = container.NewVBox()
	s.codeBox.Hide()
	s.outcome = container.NewVBox()
	s.box = container.NewVBox(s.inputs, s.waiting, s.codeBox, s.outcome)
	return s
}

func (s *signInScreen) title() string {
	if s.w.eng != nil && s.w.eng.Flow() == wizard.FlowReplaceSecret {
		return "Sign in"
	}
	return "Cloud and sign-in"
}

func (s *signInScreen) intro() string {
	return "Log in with an administrator account: portal.azure.com (Global), or portal.azure.us (for US Government). " +
		"The wizard then does in your tenant what the guide has you click in the Azure portal."
}

func (s *signInScreen) view() fyne.CanvasObject { return s.box }
func (s *signInScreen) focus() fyne.Focusable   { return s.tenant }

func (s *signInScreen) load(st *wizard.State) {
	_, _, byName := cloudLabels()
	if l, ok := byName[st.Cloud]; ok {
		s.cloud.SetSelected(l)
	} else {
		s.cloud.SetSelectedIndex(0)
	}
	if st.Stored != nil || st.Tenant != "" {
		s.tenant.SetText(st.Tenant)
	}
}

func (s *signInScreen) apply(st *wizard.State) {
	_, byLabel, _ := cloudLabels()
	st.Cloud = byLabel[s.cloud.Selected]
	st.Tenant = strings.TrimSpace(s.tenant.Text)
	st.SignInMethod = s.method
	s.method = "browser"
}

func (s *signInScreen) action(*wizard.State) string { return "Sign in with browser" }
func (s *signInScreen) retry(*wizard.State) string  { return "Sign in with browser" }

func (s *signInScreen) busyText(st *wizard.State) string {
	if st.SignInMethod == "device-code" {
		return "Waiting for the code to be entered and the sign-in completed…"
	}
	return "Waiting for the sign-in in your browser…"
}

func (s *signInScreen) setBusy(b bool) {
	if b {
		s.cloud.Disable()
		s.tenant.Disable()
		s.useCode.Disable()
		s.inputs.Hide() // the code or the browser hint in view, not the form
		if s.w.eng.State().SignInMethod != "device-code" {
			s.waiting.Show()
		}
		return
	}
	s.cloud.Enable()
	s.tenant.Enable()
	s.useCode.Enable()
	s.inputs.Show()
	s.waiting.Hide()
	s.codeBox.Hide()
}

// showCode shows the device code and where to enter it, with copy buttons.
func (s *signInScreen) showCode(p graphops.DeviceCodePrompt) {
	w := s.w
	s.code.SetText(p.UserCode)
	s.codeBox.Objects = nil
	s.codeBox.Add(bold("Sign in with a code"))
	s.codeBox.Add(para("On any device, open the address below, enter the code, and sign in with an administrator account."))
	s.codeBox.Add(container.NewHBox(s.code, widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() {
		w.app.Clipboard().SetContent(p.UserCode)
	})))
	link := widget.NewHyperlink(p.VerificationURL, nil)
	if u, err := url.Parse(p.VerificationURL); err == nil {
		link.SetURL(u)
	}
	s.codeBox.Add(container.NewHBox(link, widget.NewButtonWithIcon("Copy address", theme.ContentCopyIcon(), func() {
		w.app.Clipboard().SetContent(p.VerificationURL)
	})))
	if !p.ExpiresOn.IsZero() {
		s.codeBox.Add(para("The code works until " + p.ExpiresOn.Local().Format("15:04") + "."))
	}
	if sb := w.fe.Sandbox; sb != nil {
		code := p.UserCode
		s.approve = widget.NewButton("Sandbox: enter the code as "+frontend.SandboxAdmin, func() {
			go func() {
				if err := sb.ApproveDeviceCode(code, frontend.SandboxAdmin); err != nil {
					w.post(func() { w.problem.show(err) })
				}
			}()
		})
		s.codeBox.Add(container.NewHBox(s.approve))
	}
	s.codeBox.Show()
}

func (s *signInScreen) result(st *wizard.State) bool {
	a := st.Admin
	if a == nil {
		return false
	}
	s.inputs.Hide()
	s.outcome.Objects = nil
	s.outcome.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon())), nil,
		bold("Signed in as "+a.DisplayName+" ("+a.UPN+")")))
	roles := "no administrator role"
	if len(a.Roles) > 0 {
		roles = strings.Join(a.Roles, ", ")
	}
	s.outcome.Add(s.w.copyRow("Organization:", a.TenantName))
	s.outcome.Add(s.w.copyRow("Directory (tenant) ID:", a.TenantID))
	s.outcome.Add(para("Active roles: " + roles))
	if !a.CanConsent && st.Flow == wizard.FlowNewSetup {
		advice := a.Advice
		if advice == "" {
			advice = "Ask a Global Administrator or Privileged Role Administrator to grant admin consent, or sign in as one."
		}
		c, _ := warning("This account cannot grant admin consent for Microsoft Graph application permissions. " +
			"You can register the app and create its secret, but on Admin consent someone with the right role must approve it. " + advice)
		s.outcome.Add(c)
	} else if st.Flow == wizard.FlowNewSetup {
		s.outcome.Add(para("Nothing has been changed yet. Next: the app registration."))
	}
	return true
}
