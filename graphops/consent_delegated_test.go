package graphops

import (
	"context"
	"testing"

	"m365wizard/graphops/sandbox"
)

// Admin consent to delegated permissions: one AllPrincipals grant, created
// for a new app, widened (other scopes kept) for an app that has one, and
// left alone when it already holds them.
func TestGrantDelegatedConsentCreatesWidensAndKeeps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess, err := e.signIn(t, "admin@contoso.com", NeedRegister, NeedConsent, NeedDelegatedConsent)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := sess.Prepare(ctx, helpMaster)
	if err != nil {
		t.Fatal(err)
	}
	app, err := sess.EnsureApp(ctx, helpMaster, plan)
	if err != nil {
		t.Fatal(err)
	}
	orgWide := func() (scopes []string) {
		e.s.Tenant("", func(tn *sandbox.Tenant) {
			for _, g := range tn.Grants {
				if g.ClientID == app.ServicePrincipalID && g.ConsentType == "AllPrincipals" && g.ResourceID == tn.GraphSP.ID {
					scopes = append(scopes, g.Scope)
				}
			}
		})
		return scopes
	}

	grants, err := sess.GrantDelegatedConsent(ctx, app, plan, []string{"User.Read"}, "Contoso")
	if err != nil || len(grants) != 1 || !grants[0].Granted || grants[0].Permission.Type != "Scope" {
		t.Fatalf("new app: %+v %v", grants, err)
	}
	if got := orgWide(); len(got) != 1 || got[0] != "User.Read" {
		t.Fatalf("after the first consent: %q", got)
	}
	grants, err = sess.GrantDelegatedConsent(ctx, app.WithGrantsRead(), plan, []string{"offline_access"}, "Contoso")
	if err != nil || len(grants) != 1 || grants[0].Permission.Value != "offline_access" {
		t.Fatalf("widening: %+v %v", grants, err)
	}
	if got := orgWide(); len(got) != 1 || got[0] != "User.Read offline_access" {
		t.Fatalf("after widening: %q (one grant, User.Read kept)", got)
	}
	e.s.Log().Reset()
	if _, err := sess.GrantDelegatedConsent(ctx, app.WithGrantsRead(), plan, []string{"OFFLINE_ACCESS"}, "Contoso"); err != nil {
		t.Fatal(err)
	}
	if got, n := orgWide(), e.s.Log().Count(sandbox.HostGraph, "", "oauth2PermissionGrants"); len(got) != 1 || got[0] != "User.Read offline_access" || n != 1 {
		t.Fatalf("granted again: %q after %d requests (want the one read)", got, n)
	}
	if _, err := sess.GrantDelegatedConsent(ctx, app, plan, []string{"No.Such.Scope"}, "Contoso"); KindOf(err) != KindInput {
		t.Fatalf("unknown scope: %v", err)
	}
}
