package graphops

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/sandbox"
)

// A dropped connection on the upsert (idempotent by design) is resent and
// still makes exactly one app; on the service principal POST (not idempotent)
// it is not resent blindly, and a re-run completes with the same app.
func TestDroppedConnectionsLoseNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	e.s.InjectFault(sandbox.Fault{Kind: sandbox.FaultDrop, Host: sandbox.HostGraph, Method: "PATCH", PathContains: "uniqueName"})
	e.s.InjectFault(sandbox.Fault{Kind: sandbox.FaultDrop, Host: sandbox.HostGraph, Method: "POST", PathContains: "/servicePrincipals"})
	_, err = sess.EnsureApp(ctx, helpMaster, plan)
	if KindOf(err) != KindUnavailable {
		t.Fatalf("a dropped service principal POST: %v (want KindUnavailable, not a blind resend)", err)
	}
	if n := e.s.Log().Count(sandbox.HostGraph, "PATCH", "uniqueName"); n != 2 {
		t.Fatalf("the upsert went out %d times; want 2 (dropped, then resent)", n)
	}
	if n := e.s.Log().Count(sandbox.HostGraph, "POST", "/servicePrincipals"); n != 1 {
		t.Fatalf("the service principal POST went out %d times; want 1", n)
	}
	// Re-run: finds the app (204 on the upsert), creates the service principal.
	plan, err = sess.Prepare(ctx, helpMaster)
	if err != nil || plan.Existing == nil {
		t.Fatalf("re-run did not find the app: %v", err)
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil || app.Created || app.ServicePrincipalID == "" {
		t.Fatalf("re-run: %v %+v", err, app)
	}
	if n := e.countApps(t, "HelpMaster"); n != 1 {
		t.Fatalf("%d apps after a dropped upsert and a re-run", n)
	}
}

// An app whose permissions were never consented: Test Settings says which
// permission is missing and that admin consent is the next step.
func TestTestSettingsWithoutConsentNamesTheMissingGrant(t *testing.T) {
	e := newEnv(t)
	appID, err := e.s.SeedApp("", "Half done", "User.Read.All")
	if err != nil {
		t.Fatal(err)
	}
	sess := e.mustSignIn(t, "admin@contoso.com")
	ctx := context.Background()
	var objectID string
	e.s.Tenant("", func(tn *sandbox.Tenant) { objectID = tn.AppByAppID(appID).ID })
	secret, err := sess.AddSecret(ctx, &App{ObjectID: objectID, AppID: appID}, "test", 30*24*time.Hour, SecretPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := TestSettings(ctx, TestOptions{Cloud: e.cloud, HTTPClient: e.http(), TenantID: e.s.TenantID(), ClientID: appID,
		Credential: AppCredential{Secret: secret.Value}, Expect: helpMaster.AppRoles, Probes: helpMasterProbes,
		Mailbox: "helpdesk@contoso.com", Fresh: true, Patience: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || strings.Join(rep.Roles, ",") != "User.Read.All" {
		t.Fatalf("report OK=%v roles=%v", rep.OK, rep.Roles)
	}
	var missing []string
	for _, c := range failed(rep) {
		if strings.HasPrefix(c.Name, "Permission ") {
			missing = append(missing, c.Permission)
			if !strings.Contains(c.NextStep, "Grant admin consent") {
				t.Errorf("%s: next step %q", c.Permission, c.NextStep)
			}
		}
	}
	if strings.Join(missing, ",") != "Mail.Send,Mail.ReadWrite,Calendars.ReadWrite" {
		t.Fatalf("missing grants reported: %v", missing)
	}
}
