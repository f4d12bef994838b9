package graphops

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// provisioned makes a HelpMaster app with consent and a secret, returning what
// Test Settings needs.
func provisioned(t *testing.T, e *env) (*setupResult, *Session) {
	t.Helper()
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	r, err := e.runSetup(ctx, t, sess, helpMaster)
	if err != nil || !r.report.OK {
		t.Fatalf("setup: %v %+v", err, r.report)
	}
	return r, sess
}

func (e *env) test(r *setupResult, mutate func(*TestOptions)) (*TestReport, error) {
	o := TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: r.admin.TenantID, ClientID: r.app.AppID,
		Credential: AppCredential{Secret: r.secret.Value}, Expect: helpMaster.AppRoles, Probes: helpMasterProbes,
		Mailbox: "helpdesk@contoso.com", Patience: 5 * time.Second}
	if mutate != nil {
		mutate(&o)
	}
	return TestSettings(context.Background(), o)
}

func failed(rep *TestReport) []Check {
	var out []Check
	for _, c := range rep.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

func TestTestSettingsExplainsEachFailure(t *testing.T) {
	e := newEnv(t)
	r, sess := provisioned(t, e)
	otherTenant := e.s.AddTenant(sandbox.TenantOptions{DisplayName: "Fabrikam", Domain: "fabrikam.com"})

	cases := []struct {
		name     string
		mutate   func(*TestOptions)
		wantCode string
		wantStep string
	}{
		{"wrong secret value", func(o *TestOptions) { o.Credential.Secret = strings.Repeat("x", 40) }, "AADSTS7000215", "Value"},
		{"app not in that tenant", func(o *TestOptions) { o.TenantID = otherTenant }, "AADSTS700016", "Application (client) ID"},
		{"tenant not found", func(o *TestOptions) { o.TenantID = "nosuchtenant.com" }, "AADSTS90002", "cloud"},
		{"mailbox without Exchange", func(o *TestOptions) { o.Mailbox = "noreply@contoso.com" }, "MailboxNotEnabledForRESTAPI", "mailbox"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := e.test(r, c.mutate)
			if err != nil {
				t.Fatal(err)
			}
			f := failed(rep)
			if rep.OK || len(f) == 0 || f[0].Code != c.wantCode || !strings.Contains(f[0].NextStep, c.wantStep) {
				t.Fatalf("failed checks = %+v; want %s with a next step about %q", f, c.wantCode, c.wantStep)
			}
			for _, ch := range rep.Checks {
				if strings.Contains(ch.Message+ch.NextStep, r.secret.Value) {
					t.Fatal("a check repeats the secret")
				}
			}
		})
	}

	t.Run("expired secret", func(t *testing.T) {
		e.s.Tenant("", func(tn *sandbox.Tenant) {
			a := tn.AppByAppID(r.app.AppID)
			for i := range a.PasswordCredentials {
				a.PasswordCredentials[i].EndDateTime = time.Now().Add(-time.Hour)
			}
		})
		rep, err := e.test(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f := failed(rep); len(f) == 0 || f[0].Code != "AADSTS7000222" || !strings.Contains(f[0].NextStep, "Replace an expired secret") {
			t.Fatalf("expired secret: %+v", f)
		}
	})

	t.Run("mailbox outside the access policy", func(t *testing.T) {
		// A fresh secret, since the previous subtest expired the first.
		s2, err := sess.AddSecret(context.Background(), r.app, "second", 30*24*time.Hour, SecretPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.SetMailboxScope("", r.app.AppID, []string{"support@contoso.com"}); err != nil {
			t.Fatal(err)
		}
		rep, err := e.test(r, func(o *TestOptions) { o.Credential.Secret = s2.Value; o.Fresh = true })
		if err != nil {
			t.Fatal(err)
		}
		f := failed(rep)
		if len(f) != 2 || f[0].Code != "ErrorAccessDenied" || !strings.Contains(f[0].NextStep, "scoping") {
			t.Fatalf("scoped mailbox: %+v", f)
		}
		rep, err = e.test(r, func(o *TestOptions) { o.Credential.Secret = s2.Value; o.Mailbox = "support@contoso.com" })
		if err != nil || !rep.OK {
			t.Fatalf("allowed mailbox: %v %+v", err, failed(rep))
		}
	})
}

// A secret ID (GUID) pasted instead of the Value is caught before anything is sent.
func TestSecretIDInsteadOfValueIsCaughtBeforeSending(t *testing.T) {
	e := newEnv(t)
	e.s.Log().Reset()
	_, err := TestSettings(context.Background(), TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: e.s.TenantID(),
		ClientID: "11111111-2222-3333-4444-555555555555", Credential: AppCredential{Secret: "f0b0b335-1d71-4883-8f98-567911bfdca6"}})
	ge, ok := AsError(err)
	if !ok || ge.Kind != KindInput || ge.Field != "secret" || !strings.Contains(ge.Message, "Secret ID") {
		t.Fatalf("GUID secret: %v", err)
	}
	if n := len(e.s.Log().Entries()); n != 0 {
		t.Fatalf("%d requests sent for a secret ID", n)
	}
}

// A certificate credential: generated, uploaded next to an existing one
// (which is kept), and used by Test Settings.
func TestCertificateCredential(t *testing.T) {
	e := newEnv(t)
	r, sess := provisioned(t, e)
	ctx := context.Background()
	firstDER, _, err := GenerateCertificate("CN=vendor", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.AddCertificate(ctx, r.app.ObjectID, firstDER); err != nil {
		t.Fatal(err)
	}
	der, pemBundle, err := GenerateCertificate("CN=HelpMaster", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := sess.AddCertificate(ctx, r.app.ObjectID, der)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Thumbprint != Thumbprint(der) || len(cred.Thumbprint) != 40 {
		t.Fatalf("thumbprint %q", cred.Thumbprint)
	}
	list, err := sess.Credentials(ctx, r.app.ObjectID)
	if err != nil {
		t.Fatal(err)
	}
	thumbs := map[string]bool{}
	for _, c := range list {
		thumbs[c.Thumbprint] = true
		if c.Thumbprint == cred.Thumbprint && (cred.KeyID == "" || c.KeyID != cred.KeyID) {
			t.Errorf("uploaded with key ID %q, listed as %q", cred.KeyID, c.KeyID)
		}
	}
	if !thumbs[Thumbprint(firstDER)] || !thumbs[Thumbprint(der)] {
		t.Fatalf("uploading a second certificate dropped the first: %+v", list)
	}
	rep, err := e.test(r, func(o *TestOptions) { o.Credential = AppCredential{CertPEM: pemBundle}; o.Fresh = true })
	if err != nil || !rep.OK {
		t.Fatalf("certificate Test Settings: %v %+v", err, failed(rep))
	}
}

// Secrets are listed with expiry and removed by keyId only.
func TestListAndRemoveSecrets(t *testing.T) {
	e := newEnv(t)
	r, sess := provisioned(t, e)
	ctx := context.Background()
	second, err := sess.AddSecret(ctx, r.app, "replacement", 180*24*time.Hour, SecretPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := sess.Credentials(ctx, r.app.ObjectID)
	if err != nil || len(list) != 2 {
		t.Fatalf("credentials: %v %+v", err, list)
	}
	for _, c := range list {
		if c.Type != "secret" || c.End.IsZero() || c.Hint == "" {
			t.Fatalf("credential listed without expiry or hint: %+v", c)
		}
		if d := c.DaysLeft(time.Now()); d < 170 || d > 366 {
			t.Fatalf("days left %d", d)
		}
	}
	if err := sess.RemoveSecret(ctx, r.app.ObjectID, r.secret.KeyID); err != nil {
		t.Fatal(err)
	}
	list, _ = sess.Credentials(ctx, r.app.ObjectID)
	if len(list) != 1 || list[0].KeyID != second.KeyID {
		t.Fatalf("after removing the first secret: %+v", list)
	}
	if err := sess.RemoveSecret(ctx, r.app.ObjectID, "not-a-key"); KindOf(err) != KindInput {
		t.Fatalf("bad key id: %v", err)
	}
}

// Undo deletes the app; deleting it again is not an error.
func TestDeleteAppIsIdempotent(t *testing.T) {
	e := newEnv(t)
	r, sess := provisioned(t, e)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := sess.DeleteApp(ctx, r.app.ObjectID); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if e.countApps(t, "HelpMaster") != 0 {
		t.Fatal("app still there after undo")
	}
}

// Device code sign-in prints Microsoft's sentence and completes when approved.
func TestDeviceCodeSignIn(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var prompt DeviceCodePrompt
	sess, err := SignInDeviceCode(ctx, SignInOptions{Cloud: e.cloud, Tenant: e.s.TenantID(), HTTPClient: e.http(), Permissions: ScopesFor(NeedRegister)},
		func(p DeviceCodePrompt) {
			prompt = p
			go func() {
				time.Sleep(200 * time.Millisecond) // the admin types the code on another device
				_ = e.s.ApproveDeviceCode(p.UserCode, "admin@contoso.com")
			}()
		})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(prompt.Message, "To sign in, use a web browser to open the page ") || !strings.Contains(prompt.Message, prompt.UserCode) {
		t.Fatalf("device code message %q", prompt.Message)
	}
	if sess.UPN != "admin@contoso.com" || sess.TenantID != e.s.TenantID() {
		t.Fatalf("session %s", sess)
	}
	if _, err := sess.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
}
