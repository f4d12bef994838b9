package frontend

import (
	"context"
	"errors"
	"testing"

	"github.com/zalando/go-keyring"

	"m365wizard/graphops"
	"m365wizard/wizard"
)

// An Application Administrator registers the app but cannot grant consent;
// a Global Administrator approves it in the browser (the consent link);
// "check again" (Next on Admin consent) then finds the grants, although this
// run created the app.
func TestBrowserConsentFallbackThenCheckAgain(t *testing.T) {
	keyring.MockInit()
	var f *Frontend
	env := map[string]string{"M365WIZARD_CONFIG_DIR": t.TempDir(), "M365WIZARD_KEYRING_SERVICE": "m365wizard-frontend-test"}
	f, err := Open(Options{Sandbox: true, Getenv: func(k string) string { return env[k] },
		OpenURL: func(u string) error { return f.Sandbox.CompleteSignIn(context.Background(), u, "appadmin@contoso.com") }})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, _ := f.Engine(wizard.FlowNewSetup, &wizard.State{Mailboxes: []string{"helpdesk@contoso.com"}, Scoping: "none"})
	ctx := context.Background()
	for e.Current() != wizard.StepConsent {
		if err := e.Next(ctx); err != nil {
			t.Fatalf("%s: %v", e.Current(), err)
		}
	}
	if e.State().Admin.CanConsent {
		t.Fatal("the Application Administrator is said to be able to consent")
	}
	if err := e.Next(ctx); graphops.KindOf(err) != graphops.KindPermission {
		t.Fatalf("consent as Application Administrator: %v", err)
	}
	st := e.State()
	cloud, _ := f.Deps.Cloud(st.Cloud)
	if err := f.Sandbox.CompleteAdminConsent(ctx, cloud.AdminConsentURL(st.Admin.TenantID, st.App.AppID, ""), "admin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.Next(ctx); err != nil {
		t.Fatalf("check again after the browser consent: %v", err)
	}
	if !st.Consent.AllGranted() {
		t.Fatalf("grants: %+v", st.Consent.Grants)
	}
}

// A setup killed after it created the app resumes knowing it made the app,
// so Cancel can still offer to remove it.
func TestResumedSetupStillKnowsItMadeTheApp(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	f := sandboxFrontend(t, dir)
	e, _ := f.Engine(wizard.FlowNewSetup, &wizard.State{Mailboxes: []string{"helpdesk@contoso.com"}})
	ctx := context.Background()
	for e.Current() != wizard.StepConsent {
		if err := e.Next(ctx); err != nil {
			t.Fatalf("%s: %v", e.Current(), err)
		}
	}
	if !e.MadeSomething() {
		t.Fatal("the run that created the app does not know it")
	}
	// A new process: the same config folder and tenant.
	p, ok := f.Unfinished()
	if !ok {
		t.Fatal("no unfinished setup saved")
	}
	e2, _ := f.Engine(wizard.FlowNewSetup, &wizard.State{})
	if err := e2.Resume(p); err != nil {
		t.Fatal(err)
	}
	if !e2.MadeSomething() {
		t.Fatal("the resumed setup forgot it made the app")
	}
	finish(t, e2)
	if err := e2.Undo(ctx); err != nil && !errors.Is(err, wizard.ErrFinished) {
		t.Fatalf("undo: %v", err)
	}
}
