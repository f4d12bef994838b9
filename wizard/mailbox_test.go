package wizard

import (
	"context"
	"sort"
	"strings"
	"testing"

	"m365wizard/graphops"
	"m365wizard/graphops/exchange"
	"m365wizard/graphops/sandbox"
)

// RBAC chosen up front: the permission and consent steps leave Mail.Send out
// of Entra ID, Test Settings expects only User.Read.All but still probes
// Mail.Send (granted by Exchange) and verifies the scope, the Mailbox access
// step writes the RBAC script, and the mode survives a restart.
func TestRBACLeavesExchangePermissionsOutOfEntra(t *testing.T) {
	w := newWorld()
	var granted [][]string
	w.sess.ConsentFn = func(want []string) (*graphops.ConsentReport, error) {
		granted = append(granted, append([]string(nil), want...))
		r := &graphops.ConsentReport{Organization: "Contoso"}
		for _, x := range want {
			r.Grants = append(r.Grants, graphops.Grant{Permission: graphops.Permission{Value: x}, Granted: true})
		}
		return r, nil
	}
	var requested []string
	w.sess.EnsureFn = func(spec graphops.AppSpec) (*graphops.App, error) {
		requested = spec.AppRoles
		return &graphops.App{ObjectID: "obj-1", AppID: testClient, DisplayName: spec.DisplayName, UniqueName: spec.UniqueName(), ServicePrincipalID: "sp-1", Created: true}, nil
	}
	e := mustNew(t, FlowNewSetup, w, &State{Scoping: "rbac", Mailboxes: []string{"helpdesk@contoso.com"}, Features: []string{"users", "send"}})
	walk(t, e)
	st := e.State()
	if strings.Join(requested, ",") != "User.Read.All" || len(granted) != 1 || strings.Join(granted[0], ",") != "User.Read.All" {
		t.Fatalf("requested %v, granted %v", requested, granted)
	}
	o := w.tests[len(w.tests)-1]
	if strings.Join(o.Expect, ",") != "User.Read.All" || o.Scoping == nil || o.Scoping.Mode != exchange.ModeRBAC ||
		strings.Join(o.Scoping.Permissions, ",") != "Mail.Send" || o.Scoping.Mailboxes[0] != "helpdesk@contoso.com" {
		t.Fatalf("test options %+v scoping %+v", o, o.Scoping)
	}
	hasSendProbe := false
	for _, p := range o.Probes {
		hasSendProbe = hasSendProbe || p.Permission == "Mail.Send"
	}
	if !hasSendProbe {
		t.Fatal("the Mail.Send probe was dropped")
	}
	mp := st.Mailbox
	if mp == nil || mp.Mode != exchange.ModeRBAC || !strings.Contains(mp.Script, "New-ManagementRoleAssignment") ||
		!strings.Contains(mp.Script, "'Application Mail.Send'") || mp.Params.ServicePrincipalID != "sp-1" ||
		mp.Params.GroupAddress != "HelpMasterApp@contoso.com" || strings.Join(mp.EntraLeftOut, ",") != "Mail.Send" ||
		!strings.HasPrefix(string(mp.PS1()), exchange.BOM) || mp.FileName != "mailbox-access-rbac.ps1" || len(mp.Choices) != 3 {
		t.Fatalf("mailbox plan %+v", mp)
	}
	if w.progress.p.Scoping != "rbac" {
		t.Fatalf("progress scoping %q", w.progress.p.Scoping)
	}
	e2 := mustNew(t, FlowNewSetup, w, nil)
	if err := e2.Resume(w.progress.p); err != nil {
		t.Fatal(err)
	}
	if e2.State().Scoping != "rbac" || e2.scopingMode() != exchange.ModeRBAC {
		t.Fatalf("resumed scoping %q", e2.State().Scoping)
	}
}

// The guide's way (the default for New setup): Entra keeps Mail.Send, the
// script is the access policy's, and Test Settings verifies it.
func TestAccessPolicyIsTheDefault(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, &State{Mailboxes: []string{"helpdesk@contoso.com", "support@contoso.com"}, GroupAddress: "desk@contoso.com"})
	walk(t, e)
	o := w.tests[len(w.tests)-1]
	if strings.Join(o.Expect, ",") != "User.Read.All,Mail.Send" || o.Scoping == nil || o.Scoping.Mode != exchange.ModeAccessPolicy {
		t.Fatalf("test options %+v", o)
	}
	mp := e.State().Mailbox
	if mp == nil || !strings.Contains(mp.Script, "New-ApplicationAccessPolicy") || mp.Params.GroupAddress != "desk@contoso.com" ||
		mp.Params.GroupAlias != "desk" || len(mp.EntraLeftOut) != 0 {
		t.Fatalf("mailbox plan %+v", mp)
	}
	// Other flows verify scoping only when told the mode (the CLI's --scoping).
	w2 := newWorld()
	run := mustNew(t, FlowEnterExisting, w2, &State{ClientID: testClient, Tenant: testTenant, SecretInput: "abc1Q~" + strings.Repeat("x", 34)})
	walk(t, run)
	if w2.tests[0].Scoping != nil {
		t.Fatalf("enter-existing verified scoping unasked: %+v", w2.tests[0].Scoping)
	}
	w3 := newWorld()
	walk(t, mustNew(t, FlowEnterExisting, w3, &State{ClientID: testClient, Tenant: testTenant, SecretInput: "abc1Q~" + strings.Repeat("x", 34), Scoping: "none"}))
	if w3.tests[0].Scoping == nil || w3.tests[0].Scoping.Mode != exchange.ModeNone {
		t.Fatalf("--scoping none not passed: %+v", w3.tests[0].Scoping)
	}
}

// Choosing RBAC only at the Mailbox access step, after consent granted
// Mail.Send: the step takes it off the app and revokes the grant.
func TestRBACChosenLateRevokesTheEntraGrant(t *testing.T) {
	w := newWorld()
	var wants [][]string
	w.sess.ConsentFn = func(want []string) (*graphops.ConsentReport, error) {
		wants = append(wants, append([]string(nil), want...))
		r := &graphops.ConsentReport{Organization: "Contoso"}
		for _, x := range want {
			r.Grants = append(r.Grants, graphops.Grant{Permission: graphops.Permission{Value: x}, Granted: true})
		}
		return r, nil
	}
	e := mustNew(t, FlowNewSetup, w, &State{Mailboxes: []string{"helpdesk@contoso.com"}})
	for e.Current() != StepMailbox {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	e.State().Scoping = "rbac"
	if err := e.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(wants) != 2 || strings.Join(wants[0], ",") != "User.Read.All,Mail.Send" || strings.Join(wants[1], ",") != "User.Read.All" ||
		w.sess.count("EnsureApp") != 2 {
		t.Fatalf("consents %v, calls %v", wants, w.sess.calls)
	}
	if e.State().Mailbox == nil || e.State().Mailbox.Mode != exchange.ModeRBAC {
		t.Fatalf("plan %+v", e.State().Mailbox)
	}
}

func TestCheckMailboxOnlyReads(t *testing.T) {
	w := newWorld()
	e := mustNew(t, FlowNewSetup, w, &State{Scoping: "rbac", GroupAddress: "not an address", OutsideMailbox: "x@"})
	for e.Current() != StepMailbox {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	before := len(w.sess.calls)
	fe := e.Check()
	fields := map[string]bool{}
	for _, f := range fe {
		fields[f.Field] = true
	}
	if !fields["mailbox"] || len(fe) != 3 || len(w.sess.calls) != before {
		t.Fatalf("check: %+v, calls %v", fe, w.sess.calls[before:])
	}
}

// Against the sandbox, through the real graphops: RBAC New setup leaves the
// app with User.Read.All only; Test Settings says "not active yet" without
// failing; after the script "runs", Test stored settings says active; an
// Entra grant made behind the wizard's back is reported and removed.
func TestRBACAgainstTheSandbox(t *testing.T) {
	s := startSandbox(t)
	w := newWorld()
	d := sandboxDeps(s, w, "admin@contoso.com")
	setup := run(t, FlowNewSetup, d, &State{Scoping: "rbac", Mailboxes: []string{"helpdesk@contoso.com"}, Features: []string{"users", "send", "mailbox"}})
	st := setup.State()
	var held []string
	s.Tenant("", func(tn *sandbox.Tenant) { held = tn.RolesOf(tn.SPByAppID(st.App.AppID).ID) })
	if strings.Join(held, ",") != "User.Read.All" {
		t.Fatalf("the app holds %v in Entra ID", held)
	}
	if !st.Test.OK || !st.Saved || st.Test.Scoping == nil || st.Test.Scoping.State != graphops.ScopingPending {
		t.Fatalf("before the script: %+v %+v", st.Test.Scoping, st.Test.Checks)
	}

	if err := s.ApplyMailboxScript("", st.Mailbox.Params); err != nil {
		t.Fatal(err)
	}
	tested := run(t, FlowTestStored, d, &State{Tenant: st.Admin.TenantID, ClientID: st.App.AppID, Features: st.Features,
		Mailboxes: st.Mailboxes, Scoping: "rbac"})
	if r := tested.State().Test; !r.OK || r.Scoping.State != graphops.ScopingActive {
		t.Fatalf("after the script: %+v %+v", r.Scoping, r.Checks)
	}

	// Someone grants Mail.Send in Entra ID: the scope is defeated, and the
	// engine's remedy removes just that grant.
	run(t, FlowNewSetup, d, &State{Scoping: "access-policy", Mailboxes: []string{"helpdesk@contoso.com"}, Features: st.Features})
	s.Tenant("", func(tn *sandbox.Tenant) { held = tn.RolesOf(tn.SPByAppID(st.App.AppID).ID) })
	sort.Strings(held)
	if strings.Join(held, ",") != "Mail.ReadWrite,Mail.Send,User.Read.All" {
		t.Fatalf("access-policy run: %v", held)
	}
	check, err := New(FlowTestStored, d, &State{Tenant: st.Admin.TenantID, ClientID: st.App.AppID, Features: st.Features,
		Mailboxes: st.Mailboxes, Scoping: "rbac"})
	if err != nil {
		t.Fatal(err)
	}
	for check.Status() != Failed {
		if err := check.Next(context.Background()); err != nil && check.Status() != Failed {
			t.Fatal(err)
		}
	}
	if r := check.State().Test; r.OK || r.Scoping.State != graphops.ScopingDefeated || !strings.Contains(check.Failure().Error(), "Mailbox scoping") {
		t.Fatalf("with an Entra grant: %+v, failure %v", r.Scoping, check.Failure())
	}

	e, err := New(FlowNewSetup, d, &State{Scoping: "rbac", Mailboxes: []string{"helpdesk@contoso.com"}, Features: st.Features})
	if err != nil {
		t.Fatal(err)
	}
	for e.Current() != StepConsent {
		if err := e.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.RemoveEntraGrants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Tenant("", func(tn *sandbox.Tenant) { held = tn.RolesOf(tn.SPByAppID(st.App.AppID).ID) })
	if strings.Join(held, ",") != "User.Read.All" || len(rep.Revoked) != 2 {
		t.Fatalf("after RemoveEntraGrants the app holds %v (report %+v)", held, rep)
	}
}

// A setup stopped after Mailbox access (Test Settings failed) and resumed in
// a new engine keeps the scoping group and the outside mailbox the admin
// chose: the resumed run writes the script for the group the admin may
// already have made, not one under the default name.
func TestResumeKeepsTheScopingChoices(t *testing.T) {
	w := newWorld()
	d := w.deps()
	d.Progress = ProgressFile{Dir: t.TempDir()}
	failing := true
	w.testFn = func(graphops.TestOptions) (*graphops.TestReport, error) {
		if failing {
			failing = false
			return nil, &graphops.Error{Kind: graphops.KindUnavailable, Message: "Microsoft Graph could not be reached."}
		}
		return &graphops.TestReport{OK: true}, nil
	}
	e, err := New(FlowNewSetup, d, &State{Mailboxes: []string{"helpdesk@contoso.com"}, Scoping: "access-policy",
		GroupName: "Ticket Desk", GroupAddress: "ticketdesk@contoso.com", OutsideMailbox: "support@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		err = e.Next(context.Background())
	}
	if e.Current() != StepTest {
		t.Fatalf("stopped at %s: %v", e.Current(), err)
	}
	p, found, err := d.Progress.Load()
	if err != nil || !found {
		t.Fatalf("progress: %v %v", found, err)
	}
	e2, _ := New(FlowNewSetup, d, &State{})
	if err := e2.Resume(p); err != nil {
		t.Fatal(err)
	}
	st := e2.State()
	if st.GroupName != "Ticket Desk" || st.OutsideMailbox != "support@contoso.com" || e2.MailboxParams().GroupAddress != "ticketdesk@contoso.com" {
		t.Fatalf("resumed: group %q %q, outside %q", st.GroupName, e2.MailboxParams().GroupAddress, st.OutsideMailbox)
	}
	walk(t, e2)
	if st.Mailbox == nil || st.Mailbox.Params.GroupName != "Ticket Desk" || st.Mailbox.Params.GroupAddress != "ticketdesk@contoso.com" ||
		!strings.Contains(st.Mailbox.Script, "ticketdesk@contoso.com") {
		t.Fatalf("the resumed run's script is for another group: %+v", st.Mailbox)
	}
	c, err := w.store.Load(context.Background(), st.Admin.TenantID, st.App.AppID)
	if err != nil || c.Scoping != "access-policy" {
		t.Fatalf("stored scoping %q (%v)", c.Scoping, err)
	}
}
