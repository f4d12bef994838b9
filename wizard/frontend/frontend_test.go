package frontend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"m365wizard/wizard"
)

func sandboxFrontend(t *testing.T, dir string) *Frontend {
	t.Helper()
	env := map[string]string{"M365WIZARD_CONFIG_DIR": dir, "M365WIZARD_KEYRING_SERVICE": "m365wizard-frontend-test"}
	f, err := Open(Options{Sandbox: true, Getenv: func(k string) string { return env[k] },
		OpenURL: func(string) error { return errors.New("no browser here") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func finish(t *testing.T, e *wizard.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for e.Status() != wizard.Completed {
		if err := e.Next(ctx); err != nil {
			t.Fatalf("%s: %v", e.Current(), err)
		}
	}
}

// A sandbox walk-through without a browser: sign-in completes by itself, the
// result is listed as stored with its expiry, and Forget removes it.
func TestSandboxWalkThroughWithoutBrowser(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	f := sandboxFrontend(t, dir)
	e, err := f.Engine(wizard.FlowNewSetup, &wizard.State{Mailboxes: []string{"helpdesk@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	finish(t, e)
	st := e.State()
	list, err := f.Stored()
	if err != nil || len(list) != 1 {
		t.Fatalf("stored: %+v %v", list, err)
	}
	s := list[0]
	if s.ClientID != st.App.AppID || s.TenantID != f.Sandbox.TenantID() || s.DaysLeft < 364 || s.DaysLeft > 365 || s.Expiry() != ExpiryOK {
		t.Fatalf("stored entry: %+v days %d expiry %s", s.Connection, s.DaysLeft, s.Expiry())
	}

	// Test stored settings from the list entry alone.
	e2, err := f.Engine(wizard.FlowTestStored, StateFor(s))
	if err != nil {
		t.Fatal(err)
	}
	finish(t, e2)
	if !e2.State().Test.OK {
		t.Fatalf("stored settings do not test green: %+v", e2.State().Test)
	}

	if err := f.Forget(context.Background(), s.TenantID, s.ClientID); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.Stored(); len(list) != 0 {
		t.Fatalf("still listed after Forget: %+v", list)
	}
	if _, err := f.Deps.Store.Load(context.Background(), s.TenantID, s.ClientID); !errors.Is(err, wizard.ErrNotStored) {
		t.Fatalf("still in the keychain after Forget: %v", err)
	}
}

// A new sandbox run starts clean: the earlier run's tenant is gone, so are
// its stored settings (and only the sandbox's).
func TestSandboxRunForgetsEarlierSandboxRun(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	f := sandboxFrontend(t, dir)
	e, _ := f.Engine(wizard.FlowNewSetup, &wizard.State{Mailboxes: []string{"helpdesk@contoso.com"}})
	finish(t, e)
	if list, _ := f.Stored(); len(list) != 1 {
		t.Fatalf("first run stored %d", len(list))
	}
	f.Close()
	g := sandboxFrontend(t, dir)
	if list, err := g.Stored(); err != nil || len(list) != 0 {
		t.Fatalf("second sandbox run sees the first one's settings: %+v %v", list, err)
	}
	if _, ok := g.Unfinished(); ok {
		t.Fatal("second sandbox run offers to resume the first")
	}
}

func TestDaysLeftAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in     time.Duration
		days   int
		expiry string
	}{
		{400 * 24 * time.Hour, 400, ExpiryOK},
		{30 * 24 * time.Hour, 30, ExpiryOK},
		{29*24*time.Hour + time.Hour, 29, ExpirySoon},
		{time.Hour, 0, ExpirySoon},
		{-time.Hour, -1, ExpiryExpired},
		{-48 * time.Hour, -2, ExpiryExpired},
	} {
		d := DaysLeft(now.Add(c.in), now)
		s := Stored{DaysLeft: d}
		s.Credential.Expires = now.Add(c.in)
		if d != c.days || s.Expiry() != c.expiry {
			t.Errorf("%v: %d days, %s; want %d, %s", c.in, d, s.Expiry(), c.days, c.expiry)
		}
	}
	if (Stored{}).Expiry() != ExpiryUnknown {
		t.Error("no expiry is not unknown")
	}
}

// The certificate alternative: uploaded, tested as the app with its key, the
// key stored in the keychain and the thumbprint listed.
func TestSandboxCertificateSetup(t *testing.T) {
	keyring.MockInit()
	f := sandboxFrontend(t, t.TempDir())
	e, err := f.Engine(wizard.FlowNewSetup, &wizard.State{CredentialType: "certificate", Mailboxes: []string{"helpdesk@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	finish(t, e)
	st := e.State()
	if st.NewCert == nil || st.NewSecret != nil || !st.Test.OK {
		t.Fatalf("certificate setup: cert %v secret %v test %+v", st.NewCert != nil, st.NewSecret != nil, st.Test)
	}
	list, _ := f.Stored()
	if len(list) != 1 || list[0].Credential.Type != "certificate" || list[0].Credential.Thumbprint != st.NewCert.Thumbprint || list[0].Credential.Thumbprint == "" {
		t.Fatalf("listed: %+v", list)
	}
	c, err := f.Deps.Store.Load(context.Background(), list[0].TenantID, list[0].ClientID)
	if err != nil || c.Type != "certificate" || !strings.Contains(string(c.CertPEM), "PRIVATE KEY") || !strings.Contains(string(c.CertPEM), "CERTIFICATE") {
		t.Fatalf("keychain: %v type %q", err, c.Type)
	}
	// Test stored settings with it.
	e2, _ := f.Engine(wizard.FlowTestStored, StateFor(list[0]))
	finish(t, e2)
	if !e2.State().Test.OK {
		t.Fatalf("stored certificate does not test green: %+v", e2.State().Test)
	}
}

func TestCertificateTypeIsCheckedAtTheField(t *testing.T) {
	keyring.MockInit()
	f := sandboxFrontend(t, t.TempDir())
	e, _ := f.Engine(wizard.FlowNewSetup, &wizard.State{CredentialType: "password"})
	ctx := context.Background()
	for e.Current() != wizard.StepCredential {
		if err := e.Next(ctx); err != nil {
			t.Fatalf("%s: %v", e.Current(), err)
		}
	}
	before := len(f.Sandbox.Log().Entries())
	err := e.Next(ctx)
	var ve *wizard.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "credential" {
		t.Fatalf("bad credential type: %v", err)
	}
	if after := len(f.Sandbox.Log().Entries()); after != before {
		t.Fatalf("%d requests sent for bad input", after-before)
	}
}

func TestBadEnvironmentIsRefusedBeforeAnythingRuns(t *testing.T) {
	for k, v := range map[string]string{SignInClientEnv: "not-a-guid", "M365WIZARD_CA_FILE": "/nonexistent/ca.pem"} {
		env := map[string]string{"M365WIZARD_CONFIG_DIR": t.TempDir(), k: v}
		_, err := Open(Options{Getenv: func(k string) string { return env[k] }})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
