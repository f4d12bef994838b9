package ui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/graphops/sandbox"
	"m365wizard/wizard"
	"m365wizard/wizard/profile"
)

// chooseProduct picks a built-in profile in Welcome's product choice.
func (h *harness) chooseProduct(key string) {
	h.t.Helper()
	wl := h.welcome()
	for opt, k := range wl.choice.keys {
		if k == key {
			wl.choice.sel.SetSelected(opt)
		}
	}
	p, err := profile.Load(key)
	if err != nil {
		h.t.Fatal(err)
	}
	h.on("Connect " + p.Product + " to Microsoft 365")
}

// fakeFile makes the next file dialog "choose" this file.
func (h *harness) fakeFile(name string, data []byte) string {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.w.openFile = func(_ string, _ []string, done func(string, []byte, error)) {
		b, err := os.ReadFile(path)
		done(path, b, err)
	}
	return path
}

// walkNewSetup presses New setup and then each screen's Next button (its own
// label: Sign in with browser, Register the app, Upload certificate…) until
// the flow is done, calling the hook of a step once its screen shows, before
// its work runs. It returns the flow's final state.
func (h *harness) walkNewSetup(hooks map[wizard.StepID]func()) *wizard.State {
	h.t.Helper()
	test.Tap(h.welcome().newSetup)
	e := h.w.eng
	if e == nil {
		h.t.Fatalf("New setup did not start: %q", h.w.problem.text())
	}
	seen := map[wizard.StepID]bool{}
	for i := 0; h.w.eng != nil; i++ {
		if i > 40 {
			h.t.Fatalf("stuck on %q", h.w.heading.Text)
		}
		id := h.w.shown
		if hook := hooks[id]; hook != nil && !h.w.result && !seen[id] {
			seen[id] = true
			hook()
		}
		h.next(h.w.nextBtn.Text)
	}
	for id := range hooks {
		if !seen[id] {
			h.t.Errorf("the flow never showed %s", id)
		}
	}
	return e.State()
}

// vendorCertificate is a certificate as Passly hands it out: PEM, public part
// only, valid for a year.
func vendorCertificate(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "Passly SSO signing"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Each built-in profile's New setup runs end to end in the window against
// the sandbox, with its own screens (feature table or permission picker,
// domains, the vendor's certificate, mailboxes) and every probe passing.
func TestEveryProfileNewSetupInTheWindow(t *testing.T) {
	all := profile.All()
	if len(all) != 6 {
		t.Fatalf("%d built-in profiles", len(all))
	}
	for _, p := range all {
		p := p
		t.Run(p.Key, func(t *testing.T) {
			h := newHarness(t)
			h.chooseProduct(p.Key)
			if got := h.welcome().choice.sel.Selected; !strings.HasPrefix(got, p.Product) {
				t.Fatalf("the choice shows %q", got)
			}
			if p.Help.Intro != "" && !strings.Contains(h.w.intro.Text, p.Help.Intro) {
				t.Fatalf("Welcome's intro is not the profile's: %q", h.w.intro.Text)
			}
			hooks := map[wizard.StepID]func(){}
			var thumbprint string
			hooks[wizard.StepPermissions] = func() {
				ps := screenAs[*permissionsScreen](h)
				if p.Help.Permissions != "" && !strings.Contains(h.w.intro.Text, p.Help.Permissions) {
					t.Errorf("permissions intro %q", h.w.intro.Text)
				}
				switch p.Key {
				case "custom":
					if len(ps.checks) != 0 || ps.pickEntry == nil {
						t.Fatal("no permission picker for the custom profile")
					}
					test.Type(ps.pickEntry, "user.read.all, Group.Read.All")
					test.Tap(ps.pickAdd)
					if strings.Join(ps.picked, " ") != "User.Read.All Group.Read.All" {
						t.Fatalf("picked %v (want the tenant's spelling)", ps.picked)
					}
					test.Tap(ps.showAll) // the tenant's live list, with Pick buttons
					top := h.w.win.Canvas().Overlays().Top()
					if top == nil {
						t.Fatal("no live list")
					}
					search := findWidget[*entry](t, top)
					if search == nil {
						t.Fatal("no search field in the live list")
					}
					test.Type(search, "Group.Create")
					tapButton(t, top, "Pick")
					if !slices.Contains(ps.picked, "Group.Create") {
						t.Fatalf("Pick in the live list: picked %v", ps.picked)
					}
					tapButton(t, top, "Remove")
					if slices.Contains(ps.picked, "Group.Create") {
						t.Fatalf("Remove in the live list: picked %v", ps.picked)
					}
					h.w.win.Canvas().Overlays().Top().Hide()
					h.w.win.Canvas().Overlays().Remove(h.w.win.Canvas().Overlays().Top())
				case "quality-clouds":
					if txt := labelsOf(ps.box); !strings.Contains(txt, "Azure Active Directory Graph > User.Read (delegated)") {
						t.Errorf("the retired Azure AD Graph item is not shown as the profile says:\n%s", txt)
					}
					if !strings.Contains(h.w.intro.Text, "Azure Active Directory Graph") {
						t.Error("the guide's words about Azure Active Directory Graph are missing")
					}
				default:
					for _, f := range p.Features {
						if ps.checks[f.Key] == nil {
							t.Errorf("feature %s not in the table", f.Key)
						}
					}
				}
			}
			hooks[wizard.StepConsent] = func() {
				cs := screenAs[*consentScreen](h)
				if p.Key == "custom" {
					if cs.statusOf("Group.Read.All") == "" {
						t.Error("the picked permission is not on the consent screen")
					}
				}
				for _, sc := range p.DelegatedScopes(h.w.eng.State().Features) {
					if cs.statusOf(sc) == "" {
						t.Errorf("the delegated permission %s is not on the consent screen", sc)
					}
				}
			}
			if p.VendorCertificate() {
				hooks[wizard.StepCredential] = func() {
					h.on("Certificate from " + p.Product)
					sec := screenAs[*secretScreen](h)
					if h.w.nextBtn.Text != "Upload certificate" || sec.certPick == nil {
						t.Fatalf("button %q", h.w.nextBtn.Text)
					}
					// A file that is not a certificate is refused at the field.
					h.fakeFile("notes.pem", []byte("nonsense"))
					test.Tap(sec.certPick)
					if sec.errs.text("certificate-file") == "" || sec.certData != nil {
						t.Fatal("a bad certificate file was taken")
					}
					cert := vendorCertificate(t)
					vc, err := graphops.ParseVendorCertificate(cert, time.Now())
					if err != nil {
						t.Fatal(err)
					}
					thumbprint = vc.Thumbprint
					h.fakeFile("passly.cer", cert)
					test.Tap(sec.certPick)
					if sec.thumb == nil || sec.thumb.Text != thumbprint || sec.errs.text("certificate-file") != "" {
						t.Fatalf("thumbprint before the upload: %v", sec.thumb)
					}
				}
			}
			if p.DomainFilter.Enabled {
				hooks[wizard.StepDomains] = func() {
					h.on(p.DomainFilter.Label)
					ds := screenAs[*domainsScreen](h)
					want := "All domains"
					if p.Key == "quickhelp" {
						ds.domains.SetText("contoso.com")
						want = "contoso.com"
					} else if ds.domains.Text != "*" {
						t.Errorf("default domains %q", ds.domains.Text)
					} else {
						ds.domains.SetText("*")
					}
					h.until("the user count", func() bool { return strings.Contains(ds.previewText(), want) })
				}
			}
			if p.MailboxScoping.Enabled {
				hooks[wizard.StepMailbox] = func() {
					mb := screenAs[*mailboxScreen](h)
					mb.add("helpdesk@contoso.com")
					h.next("Next")
					test.Tap(mb.sandboxRun) // the Exchange administrator runs the script
					h.idle()
				}
			}
			hooks[wizard.StepTest] = func() {
				if p.Help.Test != "" && h.w.intro.Text != p.Help.Test {
					t.Errorf("test intro %q", h.w.intro.Text)
				}
			}
			st := h.walkNewSetup(hooks)

			if !st.Saved || st.Test == nil || !st.Test.OK || st.App == nil {
				t.Fatalf("not saved: %+v", st.Test)
			}
			for _, c := range st.Test.Checks {
				if !c.OK || c.Pending {
					t.Errorf("check %+v", c)
				}
			}
			if st.Profile != p.Key {
				t.Errorf("profile %q", st.Profile)
			}
			app, ok := h.sandboxApp(st.App.AppID)
			if !ok {
				t.Fatal("no app in the sandbox")
			}
			switch {
			case p.VendorCertificate():
				if len(app.PasswordCredentials) != 0 || len(app.KeyCredentials) != 1 || st.NewCert == nil || st.NewCert.Thumbprint != thumbprint {
					t.Errorf("vendor certificate: secrets %d, keys %d", len(app.PasswordCredentials), len(app.KeyCredentials))
				}
			default:
				if len(app.PasswordCredentials) != 1 || st.NewSecret == nil {
					t.Errorf("secrets %d", len(app.PasswordCredentials))
				}
			}
			if p.DomainFilter.Enabled && (st.DomainCount == nil || st.DomainCount.Users == 0) {
				t.Errorf("domain count %+v", st.DomainCount)
			}
			stored := h.stored()
			if len(stored) != 1 || stored[0].ClientID != st.App.AppID || stored[0].Profile != p.Key {
				t.Fatalf("stored %+v", stored)
			}
			h.on("Connect " + p.Product + " to Microsoft 365") // Welcome keeps the product
		})
	}
}

// Passly's credential screen shows the uploaded certificate's thumbprint
// large and no secret; Test Settings runs from the admin's side.
func TestPasslyThumbprintAndAdminSideTest(t *testing.T) {
	h := newHarness(t)
	h.chooseProduct("passly")
	cert := vendorCertificate(t)
	vc, _ := graphops.ParseVendorCertificate(cert, time.Now())
	var sawValue bool
	st := h.walkNewSetup(map[wizard.StepID]func(){
		wizard.StepCredential: func() {
			h.fakeFile("passly.pem", cert)
			test.Tap(screenAs[*secretScreen](h).certPick)
		},
		wizard.StepTest: func() {
			ts := screenAs[*testScreen](h)
			if ts.sendTo != nil {
				t.Error("Passly's test offers a test message")
			}
			h.next("Test Settings")
			if got := ts.successText(); !strings.Contains(got, "press Verify") || !strings.Contains(got, "Is verified") {
				t.Errorf("success text %q", got)
			}
		},
		wizard.StepSave: func() {
			if !strings.Contains(h.w.intro.Text, "no secret") {
				t.Errorf("save intro %q", h.w.intro.Text)
			}
		},
	})
	_ = sawValue
	if st.NewCert == nil || !st.NewCert.Vendor || st.NewCert.Thumbprint != vc.Thumbprint || st.NewSecret != nil {
		t.Fatalf("cert %+v secret %v", st.NewCert, st.NewSecret)
	}
	if last := st.Test.Checks[len(st.Test.Checks)-1]; last.Name != graphops.CheckSignInAsApp {
		t.Errorf("not tested from the admin's side: %+v", last)
	}
	if s := h.stored(); len(s) != 1 || !s[0].Credential.VendorHeld {
		t.Fatalf("stored %+v", s)
	}
}

// A bad profile file is refused with the loader's own error in a dialog, and
// nothing else changes; a good one is followed by New setup end to end.
func TestOpenProfileFile(t *testing.T) {
	h := newHarness(t)
	before := h.w.heading.Text
	h.fakeFile("mine.json", []byte(`{"format": 1, "key": "mine",}`))
	test.Tap(h.welcome().choice.open)
	if top := h.w.win.Canvas().Overlays().Top(); top == nil {
		t.Fatal("no dialog for a bad profile file")
	}
	if !strings.Contains(h.w.profileErr, "mine.json:1:29") || !strings.Contains(h.w.profileErr, "comma before a closing bracket") {
		t.Fatalf("the dialog says %q", h.w.profileErr)
	}
	if h.w.profileFile != "" || h.w.profileKey != "" || h.w.heading.Text != before || h.w.eng != nil {
		t.Fatalf("a bad file changed something: %q %q %q", h.w.profileFile, h.w.profileKey, h.w.heading.Text)
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	// A wrong field type is reported with its line and field.
	h.fakeFile("typed.json", []byte("{\n  \"format\": 1,\n  \"key\": \"typed\",\n  \"features\": [{\"key\": \"a\", \"required\": \"yes\"}]\n}"))
	test.Tap(h.welcome().choice.open)
	if !strings.Contains(h.w.profileErr, "typed.json:4:") || !strings.Contains(h.w.profileErr, "required") {
		t.Fatalf("the dialog says %q", h.w.profileErr)
	}
	h.w.win.Canvas().Overlays().Top().Hide()

	// A good file: the admin's own variant of QuickHelp.
	data, err := os.ReadFile("../assets/profiles/quickhelp.json")
	if err != nil {
		t.Fatal(err)
	}
	mine := strings.Replace(string(data), `"key": "quickhelp"`, `"key": "our-quickhelp"`, 1)
	mine = strings.Replace(mine, `"product": "QuickHelp"`, `"product": "QuickHelp (ours)"`, 1)
	mine = strings.Replace(mine, `"label": "Approved domains"`, `"label": "Our domains"`, 1)
	path := h.fakeFile("ours.json", []byte(mine))
	test.Tap(h.welcome().choice.open)
	h.on("Connect QuickHelp (ours) to Microsoft 365")
	if h.w.profileFile != path || !strings.Contains(h.welcome().choice.sel.Selected, "ours.json") {
		t.Fatalf("the file is not the choice: %q %q", h.w.profileFile, h.welcome().choice.sel.Selected)
	}
	st := h.walkNewSetup(map[wizard.StepID]func(){
		wizard.StepDomains: func() {
			h.on("Our domains")
			screenAs[*domainsScreen](h).domains.SetText("contoso.com")
		},
	})
	if st.ProfileFile != path || st.Profile != "our-quickhelp" || !st.Saved || !st.Test.OK {
		t.Fatalf("state: file %q profile %q saved %v", st.ProfileFile, st.Profile, st.Saved)
	}
	if s := h.stored(); len(s) != 1 || s[0].ProfileFile != path {
		t.Fatalf("stored %+v", s)
	}
}

// RBAC for Applications end to end: chosen on API permissions, Mail.Send
// stays out of Entra ID (permissions, consent, the sandbox app), the script
// assigns it in Exchange, the sandbox runs it, and Test again shows the
// scope active once Exchange (the sandbox's lag) applied it.
func TestRBACModeEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.sb.SetBehaviour(sandbox.Behaviour{MailboxScopeLag: 1500 * time.Millisecond})
	var ts *testScreen
	st := h.walkNewSetup(map[wizard.StepID]func(){
		wizard.StepPermissions: func() {
			ps := screenAs[*permissionsScreen](h)
			if ps.scoping == nil || ps.viaExchange("Mail.Send") {
				t.Fatal("no scoping choice, or RBAC marked before it was chosen")
			}
			for label, m := range ps.modes {
				if m == exchange.ModeRBAC {
					ps.scoping.SetSelected(label)
				}
			}
			if !ps.viaExchange("Mail.Send") {
				t.Fatal("the table does not say Exchange grants Mail.Send")
			}
		},
		wizard.StepConsent: func() {
			cs := screenAs[*consentScreen](h)
			if cs.statusOf("Mail.Send") != "" || cs.statusOf("User.Read.All") == "" {
				t.Fatalf("consent lists Mail.Send %q / User.Read.All %q", cs.statusOf("Mail.Send"), cs.statusOf("User.Read.All"))
			}
			if !strings.Contains(labelsOf(cs.box), "Not granted in Entra ID: Mail.Send") {
				t.Error("consent does not say why Mail.Send is missing")
			}
		},
		wizard.StepMailbox: func() {
			mb := screenAs[*mailboxScreen](h)
			if mb.selectedMode() != exchange.ModeRBAC {
				t.Fatalf("mailbox mode %q", mb.selectedMode())
			}
			mb.add("helpdesk@contoso.com")
			h.next("Next")
			if !strings.Contains(h.w.eng.State().Mailbox.Script, "New-ManagementRoleAssignment") || mb.sandboxRun == nil {
				t.Fatal("no RBAC script, or no sandbox button")
			}
			test.Tap(mb.sandboxRun)
			h.idle()
			if !strings.Contains(h.w.problem.text(), "The sandbox ran the script") {
				t.Fatalf("after the sandbox run: %q", h.w.problem.text())
			}
		},
		wizard.StepTest: func() {
			ts = screenAs[*testScreen](h)
			h.next("Test Settings")
			st := h.w.eng.State()
			if st.Test.Scoping == nil || st.Test.Scoping.State != graphops.ScopingPending || ts.again == nil {
				t.Fatalf("before Exchange applied it: %+v, Test again %v", st.Test.Scoping, ts.again != nil)
			}
			if !strings.Contains(richTexts(ts.checks), graphops.ScopingPendingText) {
				t.Errorf("the pending check is not shown:\n%s", richTexts(ts.checks))
			}
			time.Sleep(1600 * time.Millisecond)
			test.Tap(ts.again)
			h.idle()
			st = h.w.eng.State()
			if st.Test.Scoping == nil || st.Test.Scoping.State != graphops.ScopingActive {
				t.Fatalf("after Test again: %+v (%q)", st.Test.Scoping, h.w.problem.text())
			}
			if !strings.Contains(richTexts(ts.checks), graphops.ScopingActiveText) || ts.again != nil && ts.again.Visible() && containsObj(ts.checks, ts.again) {
				t.Errorf("after Test again:\n%s", richTexts(ts.checks))
			}
			if !h.w.result || h.w.nextBtn.Text != "Next" {
				t.Fatalf("result %v next %q", h.w.result, h.w.nextBtn.Text)
			}
		},
	})
	if st.Scoping != "rbac" || !st.Saved {
		t.Fatalf("scoping %q saved %v", st.Scoping, st.Saved)
	}
	for _, g := range st.Consent.Grants {
		if strings.EqualFold(g.Permission.Value, "Mail.Send") {
			t.Fatal("Mail.Send was granted in Entra ID")
		}
	}
	app, _ := h.sandboxApp(st.App.AppID)
	for _, r := range app.RequiredResourceAccess {
		for _, a := range r.ResourceAccess {
			if a.ID == "b633e1c5-b582-4048-a93e-9f11b44c7e96" { // Mail.Send
				t.Fatal("the app requests Mail.Send in Entra ID")
			}
		}
	}
	_ = ts
}

// richTexts is the text of the rich texts and labels in c (Test Settings' checks).
func richTexts(c *fyne.Container) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.RichText:
			b.WriteString(x.String() + "\n")
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *fyne.Container:
			for _, y := range x.Objects {
				walk(y)
			}
		}
	}
	walk(c)
	return b.String()
}

// containsObj reports whether o is in c (at any depth).
func containsObj(c *fyne.Container, o fyne.CanvasObject) bool {
	for _, x := range c.Objects {
		if x == o {
			return true
		}
		if y, ok := x.(*fyne.Container); ok && containsObj(y, o) {
			return true
		}
	}
	return false
}
