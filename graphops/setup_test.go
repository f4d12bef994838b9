package graphops

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// The HelpMaster setup, sign-in through a green Test Settings, against the
// sandbox through the real MSAL Go and msgraph-sdk-go. The target: at
// most 8 requests after sign-in with no faults.
func TestFullHelpMasterSetupIsGreenInAtMostEightRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	admin, err := sess.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !admin.CanConsent || admin.TenantName != "Contoso" || admin.UPN != "admin@contoso.com" || admin.Domains[0] != "contoso.com" {
		t.Fatalf("WhoAmI = %+v", admin)
	}
	e.s.Log().Reset() // count from after sign-in (WhoAmI belongs to the sign-in step)
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Existing != nil {
		t.Fatalf("fresh tenant has an app from an earlier run: %+v", plan.Existing)
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatal(err)
	}
	if !app.Created || app.AppID == "" || app.ServicePrincipalID == "" {
		t.Fatalf("app = %+v", app)
	}
	consent, err := sess.GrantAdminConsent(ctx, app, plan, helpMaster.AppRoles, admin.TenantName, true)
	if err != nil {
		t.Fatal(err)
	}
	if !consent.AllGranted() || len(consent.Grants) != 4 || consent.Status(consent.Grants[0]) != "Granted for Contoso" {
		t.Fatalf("consent = %+v", consent)
	}
	secret, err := sess.AddSecret(ctx, app, "HelpMaster", 365*24*time.Hour, plan.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret.Value) < 30 || !strings.HasPrefix(secret.Value, secret.Hint) {
		t.Fatalf("secret hint %q does not start the value (len %d)", secret.Hint, len(secret.Value))
	}
	rep, err := TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: admin.TenantID,
		ClientID: app.AppID, Credential: AppCredential{Secret: secret.Value}, Expect: helpMaster.AppRoles,
		Probes: helpMasterProbes, Mailbox: "helpdesk@contoso.com", Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("Test Settings not green: %+v", rep.Checks)
	}
	n := len(e.s.Log().Entries()) - countBatched(e)
	t.Logf("HelpMaster setup after sign-in through green Test Settings: %d requests on the wire", n)
	for _, le := range e.s.Log().Entries() {
		if !le.Batched {
			t.Logf("  %s %s %s -> %d", le.Host, le.Method, le.Path, le.Status)
		}
	}
	if n > 8 {
		t.Fatalf("%d requests; the target is at most 8", n)
	}
	if e.countApps(t, "HelpMaster") != 1 {
		t.Fatal("not exactly one HelpMaster app")
	}
}

func countBatched(e *env) int {
	n := 0
	for _, le := range e.s.Log().Entries() {
		if le.Batched {
			n++
		}
	}
	return n
}

// A re-run finds the app, keeps grants, never makes a second app or a duplicate grant.
func TestSetupRerunIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	first, err := e.runSetup(ctx, t, sess, helpMaster)
	if err != nil || !first.report.OK {
		t.Fatalf("first run: %v %+v", err, first.report)
	}
	// Second run with one permission fewer: the dropped grant is revoked, the rest kept.
	fewer := helpMaster
	fewer.AppRoles = []string{"User.Read.All", "Mail.Send"}
	plan, err := sess.Prepare(ctx, fewer)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Existing == nil || plan.Existing.AppID != first.app.AppID {
		t.Fatalf("re-run did not find the first run's app: %+v", plan.Existing)
	}
	app, err := sess.EnsureApp(ctx, fewer, plan)
	if err != nil {
		t.Fatal(err)
	}
	if app.Created || app.AppID != first.app.AppID || app.ServicePrincipalID != first.app.ServicePrincipalID {
		t.Fatalf("re-run app = %+v, first = %+v", app, first.app)
	}
	rep, err := sess.GrantAdminConsent(ctx, app, plan, fewer.AppRoles, "Contoso", true)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.AllGranted() || len(rep.Revoked) != 2 {
		t.Fatalf("consent on re-run = %+v", rep)
	}
	held, err := sess.ConsentedRoles(ctx, app, plan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(held, ",") != "Mail.Send,User.Read.All" {
		t.Fatalf("app holds %v after re-run", held)
	}
	if n := e.countApps(t, "HelpMaster"); n != 1 {
		t.Fatalf("%d HelpMaster apps after a re-run", n)
	}
}

// Replication lags after creating the app and its service principal are
// retried with visible progress, and the setup still goes green.
func TestSetupRidesOutReplicationLag(t *testing.T) {
	e := newEnv(t)
	e.s.SetBehaviour(sandbox.Behaviour{AppReplicationLag: 700 * time.Millisecond, SPReplicationLag: 700 * time.Millisecond,
		SecretPropagationLag: 500 * time.Millisecond, ConsentLag: 500 * time.Millisecond})
	var prog progressLog
	ctx := WithProgress(context.Background(), prog.add)
	sess := e.mustSignIn(t, "admin@contoso.com")
	r, err := e.runSetup(ctx, t, sess, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	if !r.report.OK {
		t.Fatalf("Test Settings: %+v", r.report.Checks)
	}
	var sawSP, sawConsent bool
	for _, p := range prog.all() {
		sawSP = sawSP || strings.Contains(p.Activity, "replicate the new app")
		sawConsent = sawConsent || strings.Contains(p.Activity, "service principal")
		if p.Deadline.IsZero() || p.Wait <= 0 {
			t.Fatalf("progress without a wait or deadline: %+v", p)
		}
	}
	if !sawSP || !sawConsent {
		t.Fatalf("progress did not show the replication waits: %+v", prog.all())
	}
	if e.countApps(t, "HelpMaster") != 1 {
		t.Fatal("replication retries made a second app")
	}
}

// 429 and 503 are retried after Retry-After, the retried POST keeps its body,
// and the wait is reported.
func TestThrottlingAndUnavailableAreRetriedWithProgress(t *testing.T) {
	e := newEnv(t)
	e.s.InjectFault(sandbox.Fault{Kind: sandbox.FaultThrottle, Host: sandbox.HostGraph, Method: "POST", PathContains: "/servicePrincipals", RetryAfter: 1200 * time.Millisecond})
	e.s.InjectFault(sandbox.Fault{Kind: sandbox.FaultUnavailable, Host: sandbox.HostGraph, Method: "POST", PathContains: "/addPassword", RetryAfter: 300 * time.Millisecond})
	var prog progressLog
	ctx := WithProgress(context.Background(), prog.add)
	sess := e.mustSignIn(t, "admin@contoso.com")
	start := time.Now()
	r, err := e.runSetup(ctx, t, sess, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	if !r.report.OK {
		t.Fatalf("Test Settings: %+v", r.report.Checks)
	}
	var waits []time.Duration
	for _, p := range prog.all() {
		if strings.Contains(p.Activity, "slow down") || strings.Contains(p.Activity, "unavailable") {
			waits = append(waits, p.Wait)
		}
	}
	if len(waits) != 2 || waits[0] != 1200*time.Millisecond || waits[1] != 300*time.Millisecond {
		t.Fatalf("throttle waits reported = %v; want [1.2s 300ms] (Retry-After honoured, not truncated)", waits)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Fatal("the setup did not actually wait for Retry-After")
	}
}

// A tenant policy capping secret lifetime is read, explained, and enforced
// before anything is sent; the allowed maximum works.
func TestSecretLifetimeCapIsExplainedBeforeSending(t *testing.T) {
	e := newEnv(t)
	if err := e.s.SetSecretLifetimeCap("", 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Policy.MaxLifetime != 90*24*time.Hour || !strings.Contains(plan.Policy.Explain(), "90 days") {
		t.Fatalf("policy = %+v (%q)", plan.Policy, plan.Policy.Explain())
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatal(err)
	}
	e.s.Log().Reset()
	_, err = sess.AddSecret(ctx, app, "too long", 365*24*time.Hour, plan.Policy)
	if KindOf(err) != KindPolicy || !strings.Contains(err.Error(), "90 days") {
		t.Fatalf("12-month secret under a 90-day cap: %v", err)
	}
	if n := e.s.Log().Count("", "", "addPassword"); n != 0 {
		t.Fatalf("%d addPassword requests sent for a lifetime the policy forbids", n)
	}
	if _, err := sess.AddSecret(ctx, app, "allowed", 90*24*time.Hour, plan.Policy); err != nil {
		t.Fatalf("the allowed maximum failed: %v", err)
	}
	// Even if the wizard had not read the policy, Graph's own refusal is explained.
	_, err = sess.AddSecret(ctx, app, "unread policy", 365*24*time.Hour, SecretPolicy{})
	if KindOf(err) != KindPolicy {
		t.Fatalf("Graph's policy error was not recognised: %v", err)
	}
}

// An Application Administrator is told before anything changes that consent
// needs another role, and consent fails with that explanation; a user with no
// admin role cannot even get the wizard's permissions, so nothing is created.
func TestNonAdminAccountsStopBeforeChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "appadmin@contoso.com")
	admin, err := sess.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if admin.CanConsent || !admin.CanRegisterApps || !strings.Contains(admin.Advice, "Global Administrator") {
		t.Fatalf("app admin: %+v", admin)
	}
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatalf("an Application Administrator may register apps: %v", err)
	}
	_, err = sess.GrantAdminConsent(ctx, app, plan, helpMaster.AppRoles, admin.TenantName, true)
	if KindOf(err) != KindPermission || !strings.Contains(err.Error(), "cannot grant admin consent") {
		t.Fatalf("consent as app admin: %v", err)
	}
	url := e.cloud.AdminConsentURL(admin.TenantID, app.AppID, "")
	if !strings.HasPrefix(url, e.s.LoginURL()+"/"+admin.TenantID+"/adminconsent?client_id="+app.AppID) {
		t.Fatalf("admin consent link = %s", url)
	}

	for _, upn := range []string{"user@contoso.com", "pimadmin@contoso.com"} {
		before := e.countApps(t, "HelpMaster")
		_, err := e.signIn(t, upn, NeedRegister, NeedConsent)
		if KindOf(err) != KindPermission && KindOf(err) != KindSignIn {
			t.Fatalf("%s signed in with admin scopes: %v", upn, err)
		}
		if e.countApps(t, "HelpMaster") != before {
			t.Fatalf("%s: something was created", upn)
		}
	}
}

// "Users can register applications" and the Application Developer role (the
// SaaS connector guide's list): WhoAmI reads the setting where the account
// may, judges who can register, and registration then goes as judged.
func TestWhoAmIJudgesWhoMayRegister(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin, err := e.mustSignIn(t, "admin@contoso.com").WhoAmI(ctx)
	if err != nil || admin.UsersCanRegisterApps == nil || !*admin.UsersCanRegisterApps || !admin.CanConsent || admin.Advice != "" {
		t.Fatalf("global administrator: %+v %v", admin, err)
	}
	appAdmin, err := e.mustSignIn(t, "appadmin@contoso.com").WhoAmI(ctx)
	if err != nil || appAdmin.UsersCanRegisterApps != nil || !appAdmin.CanRegisterApps || appAdmin.RegistrationRefused() {
		t.Fatalf("application administrator (may not read the setting, may register): %+v %v", appAdmin, err)
	}
	// An admin consented the sign-in client's permissions for the whole
	// organization, so accounts without a role can sign in with them too.
	e.s.Tenant("", func(tn *sandbox.Tenant) {
		sp := tn.SPByAppID(DefaultSignInClientID)
		tn.Grants = append(tn.Grants, &sandbox.OAuth2PermissionGrant{ID: "org-wide", ClientID: sp.ID, ConsentType: "AllPrincipals",
			ResourceID: tn.GraphSP.ID, Scope: strings.Join(ScopesFor(NeedRegister, NeedConsent, NeedSecret, NeedMailbox), " ")})
	})
	as := func(upn string, usersMay bool, roles ...string) (*Session, *Admin) {
		t.Helper()
		e.s.Tenant("", func(tn *sandbox.Tenant) {
			tn.UsersCanRegisterApps = usersMay
			tn.UserByIDOrUPN(upn).Roles = roles
		})
		sess := e.mustSignIn(t, upn)
		a, err := sess.WhoAmI(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sess, a
	}
	register := func(sess *Session) error {
		// Each account starts from a tenant without the app (an app someone
		// else owns is not theirs to change).
		e.s.Tenant("", func(tn *sandbox.Tenant) { clear(tn.Apps) })
		plan, err := sess.Prepare(ctx, helpMaster)
		if err == nil {
			_, err = sess.EnsureApp(ctx, helpMaster, plan)
		}
		return err
	}

	// No role, setting unreadable: not refused up front; Entra decides (Yes here).
	sess, a := as("user@contoso.com", true)
	if a.UsersCanRegisterApps != nil || a.CanRegisterApps || a.RegistrationRefused() || !strings.Contains(a.Advice, "only if the tenant lets users register") {
		t.Fatalf("plain user: %+v", a)
	}
	if err := register(sess); err != nil {
		t.Fatalf("a plain user may register when the tenant lets users: %v", err)
	}
	// A Global Reader reads the setting: No, and no role that may register.
	sess, a = as("user@contoso.com", false, sandbox.RoleGlobalReader)
	if a.UsersCanRegisterApps == nil || *a.UsersCanRegisterApps || !a.RegistrationRefused() ||
		!strings.Contains(a.Advice, "Users can register applications: No") || !strings.Contains(a.Advice, "Application Developer") {
		t.Fatalf("global reader, setting No: %+v", a)
	}
	if err := register(sess); KindOf(err) != KindPermission || e.countApps(t, "HelpMaster") != 0 {
		t.Fatalf("Entra agrees that registering is refused: %v", err)
	}
	// …setting Yes: may register, cannot consent.
	_, a = as("user@contoso.com", true, sandbox.RoleGlobalReader)
	if !a.CanRegisterApps || a.CanConsent || !strings.Contains(a.Advice, "lets users register applications") {
		t.Fatalf("global reader, setting Yes: %+v", a)
	}
	// An Application Developer registers whatever the setting says.
	sess, a = as("user@contoso.com", false, sandbox.RoleApplicationDeveloper)
	if !a.CanRegisterApps || a.CanConsent || a.RegistrationRefused() || !strings.Contains(a.Advice, "cannot grant admin consent") {
		t.Fatalf("application developer: %+v", a)
	}
	if err := register(sess); err != nil {
		t.Fatalf("an Application Developer may register: %v", err)
	}
}

// Cancelling during a wait returns promptly with KindCancelled.
func TestCancellationEndsAWaitPromptly(t *testing.T) {
	e := newEnv(t)
	e.s.SetBehaviour(sandbox.Behaviour{AppReplicationLag: time.Minute})
	sess := e.mustSignIn(t, "admin@contoso.com")
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{}, 1)
	ctx = WithProgress(ctx, func(Progress) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	})
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := sess.EnsureApp(ctx, helpMaster, plan); done <- err }()
	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("no progress reported while waiting for replication")
	}
	cancel()
	select {
	case err := <-done:
		if KindOf(err) != KindCancelled {
			t.Fatalf("cancelled EnsureApp returned %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("EnsureApp did not return promptly after cancel")
	}
	// The app made before the cancel is found by a re-run: nothing is lost.
	e.s.SetBehaviour(sandbox.Behaviour{})
	plan, err = sess.Prepare(context.Background(), helpMaster)
	if err != nil || plan.Existing == nil {
		t.Fatalf("re-run after cancel did not find the app: %v", err)
	}
}

// With a 5 s secret propagation lag, Test Settings goes green within lag + 3 s.
func TestTimeToGreenWithFiveSecondSecretLag(t *testing.T) {
	if testing.Short() {
		t.Skip("takes over 5 s: measures the wait for a new secret to propagate")
	}
	e := newEnv(t)
	e.s.SetBehaviour(sandbox.Behaviour{SecretPropagationLag: 5 * time.Second})
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	admin, _ := sess.WhoAmI(ctx)
	plan, _ := sess.Prepare(ctx, helpMaster)
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.GrantAdminConsent(ctx, app, plan, helpMaster.AppRoles, admin.TenantName, true); err != nil {
		t.Fatal(err)
	}
	secret, err := sess.AddSecret(ctx, app, "HelpMaster", 180*24*time.Hour, plan.Policy)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: admin.TenantID, ClientID: app.AppID,
		Credential: AppCredential{Secret: secret.Value}, Expect: helpMaster.AppRoles, Probes: helpMasterProbes,
		Mailbox: "helpdesk@contoso.com", Fresh: true})
	took := time.Since(start)
	if err != nil || !rep.OK {
		t.Fatalf("Test Settings: %v %+v", err, rep)
	}
	t.Logf("time to green Test Settings with a 5 s secret propagation lag: %v", took.Round(10*time.Millisecond))
	if took > 8*time.Second {
		t.Fatalf("took %v; target lag + 3 s = 8 s", took)
	}
}

// An admin who cannot grant consent sends the admin consent link to a Global
// Administrator; after they accept in the browser, the wizard verifies the
// grants by reading them back.
func TestBrowserConsentFallbackIsVerified(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "appadmin@contoso.com")
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatal(err)
	}
	link := e.cloud.AdminConsentURL(e.s.TenantID(), app.AppID, "")
	if err := e.s.CompleteAdminConsent(ctx, link, "appadmin@contoso.com"); err == nil || !strings.Contains(err.Error(), "Need admin approval") {
		t.Fatalf("an Application Administrator consented to Graph application permissions: %v", err)
	}
	if held, _ := sess.ConsentedRoles(ctx, app, plan); len(held) != 0 {
		t.Fatalf("refused consent still granted %v", held)
	}
	if err := e.s.CompleteAdminConsent(ctx, link, "admin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	held, err := sess.ConsentedRoles(ctx, app, plan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(held, ",") != "Calendars.ReadWrite,Mail.ReadWrite,Mail.Send,User.Read.All" {
		t.Fatalf("after browser consent the app holds %v", held)
	}
}
