package graphops

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/exchange"
	"m365wizard/graphops/sandbox"
)

func scopingCheck(t *testing.T, rep *TestReport) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == ScopingCheckName {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", ScopingCheckName, rep.Checks)
	return Check{}
}

func scoped(mode exchange.Mode, outside string) func(*TestOptions) {
	return func(o *TestOptions) {
		o.Scoping = &ScopingOptions{Mode: mode, Mailboxes: []string{"helpdesk@contoso.com"}, Outside: outside,
			Permissions: []string{"Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"}}
	}
}

// The guide's way, in each state: no policy yet (not refused: pending, the
// report still OK), the policy applied (active, with an outside mailbox
// Test Settings found itself), and the chosen mailbox left out of the group.
func TestScopingAccessPolicyStates(t *testing.T) {
	e := newEnv(t)
	r, _ := provisioned(t, e)

	rep, err := e.test(r, scoped(exchange.ModeAccessPolicy, ""))
	if err != nil {
		t.Fatal(err)
	}
	c := scopingCheck(t, rep)
	if !rep.OK || !rep.Pending() || !c.OK || !c.Pending || rep.Scoping.State != ScopingPending ||
		!strings.HasPrefix(c.Message, ScopingPendingText) || rep.Scoping.Outside == "" || rep.Scoping.Outside == "helpdesk@contoso.com" {
		t.Fatalf("no policy yet: OK=%v %+v %+v", rep.OK, c, rep.Scoping)
	}

	if err := e.s.ApplyAccessPolicy("", r.app.AppID, "HelpMaster mailboxes", "HelpMasterApp@contoso.com", []string{"helpdesk@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	rep, err = e.test(r, scoped(exchange.ModeAccessPolicy, ""))
	if err != nil {
		t.Fatal(err)
	}
	c = scopingCheck(t, rep)
	if !rep.OK || rep.Pending() || rep.Scoping.State != ScopingActive || !strings.HasPrefix(c.Message, ScopingActiveText) ||
		!rep.Scoping.AllowedWorks || !rep.Scoping.OutsideRefused {
		t.Fatalf("policy applied: OK=%v %+v %+v %+v", rep.OK, c, rep.Scoping, failed(rep))
	}

	// The product's own mailbox outside the group: refused, a real failure.
	rep, err = e.test(r, func(o *TestOptions) {
		scoped(exchange.ModeAccessPolicy, "helpdesk@contoso.com")(o)
		o.Scoping.Mailboxes = []string{"support@contoso.com"}
		o.Mailbox = "helpdesk@contoso.com"
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); rep.OK || c.OK || rep.Scoping.State != ScopingFailed || !strings.Contains(c.NextStep, "Add support@contoso.com to the group") {
		t.Fatalf("chosen mailbox outside the group: %+v %+v", c, rep.Scoping)
	}
}

// The delay: a policy set but not yet applied by Exchange is "not active yet".
func TestScopingNotActiveYetDuringTheLag(t *testing.T) {
	e := newEnv(t)
	r, _ := provisioned(t, e)
	e.s.SetBehaviour(sandbox.Behaviour{MailboxScopeLag: time.Hour})
	if err := e.s.ApplyAccessPolicy("", r.app.AppID, "HelpMaster mailboxes", "HelpMasterApp@contoso.com", []string{"helpdesk@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.test(r, scoped(exchange.ModeAccessPolicy, "user@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); !rep.OK || !c.Pending || rep.Scoping.Outside != "user@contoso.com" || !strings.Contains(c.Message, "user@contoso.com is not refused yet") {
		t.Fatalf("during the lag: %+v %+v", c, rep.Scoping)
	}
}

// RBAC for Applications: with the Entra grants still there the scope is
// defeated (a failure naming the grants); RevokeAppRoles removes just those;
// then, while Exchange applies the assignments, the product's mailbox is
// pending too; once applied, active.
func TestScopingRBACDefeatedThenPendingThenActive(t *testing.T) {
	e := newEnv(t)
	r, sess := provisioned(t, e)
	ctx := context.Background()
	p := exchange.Params{Mode: exchange.ModeRBAC, AdminUPN: "admin@contoso.com", AppDisplayName: "HelpMaster", AppID: r.app.AppID,
		ServicePrincipalID: r.app.ServicePrincipalID, Mailboxes: []string{"helpdesk@contoso.com"},
		Permissions: []string{"Mail.Send", "Mail.ReadWrite", "Calendars.ReadWrite"}}.WithDefaults("contoso.com")
	if err := e.s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	rep, err := e.test(r, scoped(exchange.ModeRBAC, "user@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	c := scopingCheck(t, rep)
	if rep.OK || c.OK || rep.Scoping.State != ScopingDefeated || strings.Join(rep.Scoping.EntraGrants, ",") != "Calendars.ReadWrite,Mail.ReadWrite,Mail.Send" ||
		!strings.Contains(c.Message, "Exchange adds Entra grants") || !strings.Contains(c.Message, "user@contoso.com answered") {
		t.Fatalf("defeated: %+v %+v", c, rep.Scoping)
	}

	revoked, err := sess.RevokeAppRoles(ctx, r.app, r.plan, rep.Scoping.EntraGrants, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	if len(revoked.Revoked) != 3 || len(revoked.Grants) != 1 || revoked.Grants[0].Permission.Value != "User.Read.All" {
		t.Fatalf("revoke: %+v", revoked)
	}
	held, _ := sess.ConsentedRoles(ctx, r.app, r.plan)
	if strings.Join(held, ",") != "User.Read.All" {
		t.Fatalf("after revoke the app holds %v", held)
	}

	rbacOnly := func(o *TestOptions) {
		scoped(exchange.ModeRBAC, "user@contoso.com")(o)
		o.Expect = []string{"User.Read.All"}
	}
	// Re-run the script with a lag: Exchange has not applied it yet.
	if err := e.s.RemoveRBAC("", r.app.AppID); err != nil {
		t.Fatal(err)
	}
	e.s.SetBehaviour(sandbox.Behaviour{MailboxScopeLag: time.Hour})
	if err := e.s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	rep, err = e.test(r, rbacOnly)
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); !rep.OK || !c.Pending || rep.Scoping.State != ScopingPending {
		t.Fatalf("RBAC pending: OK=%v %+v %+v failed %+v", rep.OK, c, rep.Scoping, failed(rep))
	}
	for _, ch := range rep.Checks {
		if ch.Permission == "Mail.ReadWrite" && !ch.Pending {
			t.Fatalf("the inbox probe during the lag: %+v", ch)
		}
	}

	e.s.SetBehaviour(sandbox.Behaviour{})
	if err := e.s.RemoveRBAC("", r.app.AppID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	rep, err = e.test(r, rbacOnly)
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); !rep.OK || rep.Pending() || rep.Scoping.State != ScopingActive || !rep.Scoping.OutsideRefused {
		t.Fatalf("RBAC active: %+v %+v %+v", c, rep.Scoping, failed(rep))
	}
	for _, ch := range rep.Checks {
		if ch.Permission == "Mail.Send" && (!ch.OK || !strings.Contains(ch.Message, "RBAC for Applications")) {
			t.Fatalf("Mail.Send check under RBAC: %+v", ch)
		}
	}
}

// No scoping: a warning that every mailbox is open, not a failure.
func TestScopingNoneWarns(t *testing.T) {
	e := newEnv(t)
	r, _ := provisioned(t, e)
	rep, err := e.test(r, scoped(exchange.ModeNone, ""))
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); !rep.OK || !c.OK || !c.Warning || rep.Scoping.State != ScopingNone || !strings.Contains(c.Message, "every mailbox") {
		t.Fatalf("none: %+v %+v", c, rep.Scoping)
	}
}

// An app that may only send: the scoping probe is a sendMail with no
// recipients, which Exchange refuses for the recipients after its access
// check; nothing is ever sent.
func TestScopingWithMailSendOnlySendsNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.mustSignIn(t, "admin@contoso.com")
	spec := AppSpec{DisplayName: "Sender", Profile: "helpmaster", AppRoles: []string{"User.Read.All", "Mail.Send"}}
	r, err := e.runSetup(ctx, t, sess, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.ApplyAccessPolicy("", r.app.AppID, "Sender mailboxes", "SenderApp@contoso.com", []string{"helpdesk@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	var before int
	e.s.Tenant("", func(tn *sandbox.Tenant) { before = len(tn.SentMail) })
	rep, err := e.test(r, func(o *TestOptions) {
		o.Expect, o.Probes = spec.AppRoles, helpMasterProbes[:2]
		scoped(exchange.ModeAccessPolicy, "user@contoso.com")(o)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := scopingCheck(t, rep); !rep.OK || rep.Scoping.State != ScopingActive {
		t.Fatalf("send-only: %+v %+v %+v", c, rep.Scoping, failed(rep))
	}
	e.s.Tenant("", func(tn *sandbox.Tenant) {
		if len(tn.SentMail) != before {
			t.Fatalf("the scoping check sent %d messages", len(tn.SentMail)-before)
		}
	})
}
