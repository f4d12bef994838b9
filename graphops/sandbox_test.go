package graphops

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// env is a sandbox tenant and a cloud pointed at it, as --sandbox wires them.
type env struct {
	s     *sandbox.Server
	cloud Cloud
	trust TrustConfig
}

func newEnv(t *testing.T, opts ...sandbox.Options) *env {
	t.Helper()
	var o sandbox.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := sandbox.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cloud, err := ResolveCloud("", func(k string) string {
		return map[string]string{EnvLoginURL: s.LoginURL(), EnvGraphURL: s.GraphURL()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{s: s, cloud: cloud, trust: TrustConfig{ExtraCAs: s.CertPool()}}
}

func (e *env) http() *http.Client { return NewHTTPClient(e.cloud, e.trust) }

// signIn signs upn in through the browser flow, the sandbox's sign-in page
// standing in for the browser.
func (e *env) signIn(t *testing.T, upn string, steps ...string) (*Session, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return SignInInteractive(ctx, SignInOptions{
		Cloud: e.cloud, Tenant: e.s.TenantDomain(), HTTPClient: e.http(), Permissions: ScopesFor(steps...),
		OpenURL: func(u string) error { return e.s.CompleteSignIn(ctx, u, upn) },
	})
}

func (e *env) mustSignIn(t *testing.T, upn string) *Session {
	t.Helper()
	s, err := e.signIn(t, upn, NeedRegister, NeedConsent, NeedSecret, NeedMailbox)
	if err != nil {
		t.Fatalf("sign-in as %s: %v", upn, err)
	}
	return s
}

// countApps counts app registrations in the primary tenant whose uniqueName is u.
func (e *env) countApps(t *testing.T, displayName string) int {
	n := 0
	e.s.Tenant("", func(tn *sandbox.Tenant) {
		for _, a := range tn.Apps {
			if a.DisplayName == displayName {
				n++
			}
		}
	})
	return n
}

// progressLog collects progress reports.
type progressLog struct {
	mu sync.Mutex
	ps []Progress
}

func (p *progressLog) add(x Progress) { p.mu.Lock(); p.ps = append(p.ps, x); p.mu.Unlock() }
func (p *progressLog) all() []Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Progress(nil), p.ps...)
}

var helpMaster = AppSpec{DisplayName: "HelpMaster", Profile: "helpmaster",
	AppRoles: []string{"User.Read.All", "Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"}}

var helpMasterProbes = []Probe{
	{Permission: "User.Read.All", Kind: ProbeUsers},
	{Permission: "Mail.Send", Kind: ProbeSendMail},
	{Permission: "Mail.ReadWrite", Kind: ProbeInbox},
	{Permission: "Calendars.ReadWrite", Kind: ProbeCalendar},
}

// setupResult is what a full setup produced.
type setupResult struct {
	app    *App
	plan   *Plan
	secret *NewSecret
	report *TestReport
	admin  *Admin
}

// runSetup does the HelpMaster setup after sign-in, as the wizard's New setup flow does.
func (e *env) runSetup(ctx context.Context, t *testing.T, sess *Session, spec AppSpec) (*setupResult, error) {
	t.Helper()
	r := &setupResult{}
	var err error
	if r.admin, err = sess.WhoAmI(ctx); err != nil {
		return r, err
	}
	if r.plan, err = sess.Prepare(ctx, spec); err != nil {
		return r, err
	}
	if r.app, err = sess.EnsureApp(ctx, spec, r.plan); err != nil {
		return r, err
	}
	if _, err = sess.GrantAdminConsent(ctx, r.app, r.plan, spec.AppRoles, r.admin.TenantName, true); err != nil {
		return r, err
	}
	if r.secret, err = sess.AddSecret(ctx, r.app, "HelpMaster", 365*24*time.Hour, r.plan.Policy); err != nil {
		return r, err
	}
	r.report, err = TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: r.admin.TenantID,
		ClientID: r.app.AppID, Credential: AppCredential{Secret: r.secret.Value}, Expect: spec.AppRoles,
		Probes: helpMasterProbes, Mailbox: "helpdesk@" + e.s.TenantDomain(), Fresh: true, Patience: 30 * time.Second})
	return r, err
}
