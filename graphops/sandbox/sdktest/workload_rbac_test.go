package sdktest

import (
	"context"
	"strings"
	"testing"
	"time"

	"m365wizard/graphops/exchange"
	"m365wizard/graphops/sandbox"
)

const (
	msgRAOP   = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
	msgDenied = "Access is denied. Check credentials and try again."
)

// RBAC for Applications: the app holds no mail permission in Entra ID (its
// token has no Mail role), and Exchange grants Mail.ReadWrite on the members of
// the group only, after the scope lag.
func TestRBACGrantsOnlyTheGroupsMembersAfterTheLag(t *testing.T) {
	s := start(t)
	appID := addApp(t, s, "HelpMaster", "User.Read.All")
	c := appClient(t, s, appID)
	const lag = 300 * time.Millisecond
	s.SetBehaviour(sandbox.Behaviour{MailboxScopeLag: lag})

	_, err := inbox(t, c, "helpdesk@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", msgDenied) // no grant anywhere yet

	if _, err := s.CreateMailSecurityGroup("", "HelpMaster mailboxes", "HelpMasterApp@contoso.com", []string{"helpdesk@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	set := time.Now()
	if err := s.AssignRBAC("", appID, "helpmasterapp@contoso.com", []string{"Application Mail.ReadWrite"}); err != nil {
		t.Fatal(err)
	}
	// Test-ServicePrincipalAuthorization skips the cache: it knows at once.
	auth, err := s.TestServicePrincipalAuthorization("", appID, "helpdesk@contoso.com")
	if err != nil || len(auth) != 1 || auth[0].RoleName != "Application Mail.ReadWrite" || !auth[0].InScope {
		t.Fatalf("authorization on a member = %+v %v", auth, err)
	}
	if auth, _ := s.TestServicePrincipalAuthorization("", appID, "user@contoso.com"); len(auth) != 1 || auth[0].InScope {
		t.Fatalf("authorization on a non-member = %+v", auth)
	}
	eventually(t, 5*time.Second, "the RBAC assignment reaches Graph", func() bool {
		_, err := inbox(t, c, "helpdesk@contoso.com")
		return err == nil
	})
	if time.Since(set) < lag {
		t.Fatal("RBAC applied before its lag")
	}
	_, err = inbox(t, c, "user@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", msgDenied)
	// The role grants only its own permission: no sending, no calendar.
	err = c.Users().ByUserId("helpdesk@contoso.com").SendMail().Post(context.Background(), mailMessage("x", "x", "user@contoso.com"), nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", msgDenied)

	// Removal also takes the lag.
	if err := s.RemoveRBAC("", appID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the removal reaches Graph", func() bool {
		_, err := inbox(t, c, "helpdesk@contoso.com")
		return err != nil
	})
}

// The union rule: an Entra grant of the same permission opens every mailbox,
// whatever the RBAC scope says; an access policy narrows only the Entra grant.
func TestRBACIsDefeatedByAnEntraGrant(t *testing.T) {
	s := start(t)
	appID := addApp(t, s, "HelpMaster", "User.Read.All", "Mail.ReadWrite")
	c := appClient(t, s, appID)
	p := exchange.Params{Mode: exchange.ModeRBAC, AdminUPN: "admin@contoso.com", AppDisplayName: "HelpMaster", AppID: appID,
		ServicePrincipalID: "sp", Mailboxes: []string{"helpdesk@contoso.com"}, Permissions: []string{"Mail.ReadWrite"}}.WithDefaults("contoso.com")
	if err := s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	if _, err := inbox(t, c, "user@contoso.com"); err != nil {
		t.Fatalf("with an Entra grant the scope must have no effect: %v", err)
	}
	// Example One of Exchange's FAQ: a policy narrows the Entra grant, RBAC
	// adds its own scope; the union is what the app gets.
	if _, err := s.CreateMailSecurityGroup("", "Support only", "supportonly@contoso.com", []string{"support@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMailboxScopeGroup("", appID, "supportonly@contoso.com"); err != nil {
		t.Fatal(err)
	}
	for mb, ok := range map[string]bool{"support@contoso.com": true, "helpdesk@contoso.com": true, "user@contoso.com": false} {
		_, err := inbox(t, c, mb)
		if ok && err != nil {
			t.Errorf("%s: %v", mb, err)
		}
		if !ok {
			wantODataError(t, err, 403, "ErrorAccessDenied", msgRAOP)
		}
	}
}

// The access-policy script as the --sandbox walk-through runs it: the group
// appears in Graph as a mail-enabled security group with the chosen members,
// and the policy narrows the Entra grant to them.
func TestApplyAccessPolicyScript(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	appID := addApp(t, s, "HelpMaster", "User.Read.All", "Mail.Send", "Mail.ReadWrite")
	c := appClient(t, s, appID)
	p := exchange.Params{Mode: exchange.ModeAccessPolicy, AdminUPN: "admin@contoso.com", AppDisplayName: "HelpMaster", AppID: appID,
		Mailboxes: []string{"helpdesk@contoso.com", "support@contoso.com"}}.WithDefaults("contoso.com")
	if err := s.ApplyMailboxScript("", p); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyMailboxScript("", p); err != nil { // the script is safe to run again
		t.Fatal(err)
	}
	var groups []*sandbox.Group
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		for _, g := range tn.Groups {
			if strings.EqualFold(g.Mail, "HelpMasterApp@contoso.com") {
				groups = append(groups, g)
			}
		}
	})
	if len(groups) != 1 || !groups[0].MailEnabled || !groups[0].SecurityEnabled || len(groups[0].Members) != 2 || groups[0].DisplayName != "HelpMaster mailboxes" {
		t.Fatalf("groups = %+v", groups)
	}
	for _, mb := range p.Mailboxes {
		if _, err := inbox(t, c, mb); err != nil {
			t.Fatalf("%s: %v", mb, err)
		}
	}
	_, err := inbox(t, c, "user@contoso.com")
	wantODataError(t, err, 403, "ErrorAccessDenied", msgRAOP)
	err = c.Users().ByUserId("admin@contoso.com").SendMail().Post(ctx, mailMessage("x", "x", "user@contoso.com"), nil)
	wantODataError(t, err, 403, "ErrorAccessDenied", msgRAOP)

	// Refusals: a distribution list cannot be the policy's group; RBAC needs the
	// app's service principal; an unknown role is not an Exchange role.
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		tn.Groups["dl"] = &sandbox.Group{ID: "dl", DisplayName: "List", Mail: "list@contoso.com", MailEnabled: true}
	})
	if _, err := s.CreateMailSecurityGroup("", "List", "list@contoso.com", nil); err == nil {
		t.Error("a distribution list was taken as a mail-enabled security group")
	}
	if err := s.AssignRBAC("", "00000000-0000-0000-0000-000000000001", "HelpMasterApp@contoso.com", []string{"Mail.Send"}); err == nil {
		t.Error("RBAC for an app with no service principal")
	}
	if err := s.AssignRBAC("", appID, "HelpMasterApp@contoso.com", []string{"Application User.Read.All"}); err == nil {
		t.Error("an Entra-only permission as an Exchange role")
	}
}
