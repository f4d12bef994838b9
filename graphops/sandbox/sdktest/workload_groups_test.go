package sdktest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	graphgroups "github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"m365wizard/graphops/sandbox"
)

func newGroup(name, nick string, mailEnabled, securityEnabled bool, types ...string) *models.Group {
	g := models.NewGroup()
	g.SetDisplayName(ptr(name))
	g.SetMailNickname(ptr(nick))
	g.SetMailEnabled(ptr(mailEnabled))
	g.SetSecurityEnabled(ptr(securityEnabled))
	if len(types) > 0 {
		g.SetGroupTypes(types)
	}
	return g
}

func TestGroupsCreateListAndMembers(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "Passly", "Group.Create", "Group.Read.All"))

	// Seed 002's mail-enabled security group cannot be made through Graph.
	_, err := c.Groups().Post(ctx, newGroup("HelpMaster mailboxes", "helpmasterapp", true, true), nil)
	wantODataError(t, err, 400, "Request_BadRequest",
		"The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false.")
	_, err = c.Groups().Post(ctx, newGroup("No nickname", "", false, true), nil)
	wantODataError(t, err, 400, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'Group'.")

	var userID string
	_ = s.Tenant("", func(tn *sandbox.Tenant) { userID = tn.UserByIDOrUPN("user@contoso.com").ID })
	sec := newGroup("Passly users", "passlyusers", false, true)
	sec.SetAdditionalData(map[string]any{"members@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + userID}})
	created, err := c.Groups().Post(ctx, sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if created.GetMail() != nil || deref(created.GetSecurityEnabled()) != true || deref(created.GetId()) == "" {
		t.Fatalf("security group: mail %v", created.GetMail())
	}
	m365, err := c.Groups().Post(ctx, newGroup("Support team", "supportteam", true, false, "Unified"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if deref(m365.GetMail()) != "supportteam@contoso.com" || deref(m365.GetVisibility()) != "Public" {
		t.Fatalf("Microsoft 365 group mail %v", m365.GetMail())
	}
	_, err = c.Groups().Post(ctx, newGroup("Support again", "supportteam", true, false, "Unified"), nil)
	wantODataError(t, err, 400, "Request_BadRequest", "Another object with the same value for property proxyAddresses already exists.")

	// A mail-enabled security group made in the admin centre, then the filter
	// the wizard uses to offer groups for the access policy.
	_ = s.Tenant("", func(tn *sandbox.Tenant) {
		tn.Groups["0b5c5d7e-8f3a-4c7e-9d51-1a2b3c4d5e6f"] = &sandbox.Group{ID: "0b5c5d7e-8f3a-4c7e-9d51-1a2b3c4d5e6f",
			DisplayName: "HelpMaster mailboxes", Mail: "helpmasterapp@contoso.com", MailNickname: "helpmasterapp",
			MailEnabled: true, SecurityEnabled: true, CreatedDateTime: time.Now()}
	})
	res, err := c.Groups().Get(ctx, &graphgroups.GroupsRequestBuilderGetRequestConfiguration{QueryParameters: &graphgroups.GroupsRequestBuilderGetQueryParameters{
		Filter: ptr("mailEnabled eq true and securityEnabled eq true"), Select: []string{"id", "displayName", "mail"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetValue()) != 1 || deref(res.GetValue()[0].GetMail()) != "helpmasterapp@contoso.com" || res.GetValue()[0].GetMailEnabled() != nil {
		t.Fatalf("mail-enabled security groups: %d", len(res.GetValue()))
	}
	res, err = c.Groups().Get(ctx, &graphgroups.GroupsRequestBuilderGetRequestConfiguration{QueryParameters: &graphgroups.GroupsRequestBuilderGetQueryParameters{
		Filter: ptr("groupTypes/any(c:c eq 'Unified')")}})
	if err != nil || len(res.GetValue()) != 1 || deref(res.GetValue()[0].GetDisplayName()) != "Support team" {
		t.Fatalf("unified groups: %v", err)
	}
	_, err = c.Groups().Get(ctx, &graphgroups.GroupsRequestBuilderGetRequestConfiguration{QueryParameters: &graphgroups.GroupsRequestBuilderGetQueryParameters{
		Filter: ptr("visibility eq 'Public'")}})
	wantODataError(t, err, 400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'visibility' of resource 'Group'.")

	members, err := c.Groups().ByGroupId(deref(created.GetId())).Members().Get(ctx, nil)
	if err != nil || len(members.GetValue()) != 1 {
		t.Fatalf("members: %v", err)
	}
	u, ok := members.GetValue()[0].(models.Userable)
	if !ok || deref(u.GetUserPrincipalName()) != "user@contoso.com" {
		t.Fatalf("member is %T", members.GetValue()[0])
	}
	g, err := c.Groups().ByGroupId(deref(created.GetId())).Get(ctx, nil)
	if err != nil || deref(g.GetDisplayName()) != "Passly users" {
		t.Fatalf("get group: %v", err)
	}
	_, err = c.Groups().ByGroupId("00000000-0000-0000-0000-000000000001").Get(ctx, nil)
	wantODataError(t, err, 404, "Request_ResourceNotFound",
		"Resource '00000000-0000-0000-0000-000000000001' does not exist or one of its queried reference-property objects are not present.")

	// Group.Read.All alone does not create.
	reader := appClient(t, s, addApp(t, s, "Reader", "Group.Read.All"))
	_, err = reader.Groups().Post(ctx, newGroup("x", "x", false, true), nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

// Quality Clouds' probes: one audit record and the root site.
func TestReadProbes(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	c := appClient(t, s, addApp(t, s, "Quality Clouds", "AuditLog.Read.All", "Sites.Read.All"))

	audits, err := c.AuditLogs().DirectoryAudits().Get(ctx, &auditlogs.DirectoryAuditsRequestBuilderGetRequestConfiguration{
		QueryParameters: &auditlogs.DirectoryAuditsRequestBuilderGetQueryParameters{Top: ptr(int32(1))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audits.GetValue()) != 1 || deref(audits.GetValue()[0].GetActivityDisplayName()) == "" || audits.GetOdataNextLink() == nil {
		t.Fatalf("directoryAudits $top=1: %d records, next %v", len(audits.GetValue()), audits.GetOdataNextLink())
	}
	site, err := c.Sites().BySiteId("root").Get(ctx, nil)
	if err != nil || deref(site.GetWebUrl()) != "https://contoso.sharepoint.com" {
		t.Fatalf("sites/root: %v", err)
	}
	noAudit := appClient(t, s, addApp(t, s, "Sync", "User.Read.All"))
	_, err = noAudit.AuditLogs().DirectoryAudits().Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// (SharePoint's own refusal text is not modelled: only the status is asserted.)
	_, err = noAudit.Sites().BySiteId("root").Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 {
		t.Fatalf("sites/root without Sites.Read.All: %v", err)
	}
	// Delegated audit reads need an audit-reading role as well as the scope.
	_, err = userClient(t, s, "user@contoso.com", "AuditLog.Read.All").AuditLogs().DirectoryAudits().Get(ctx, nil)
	wantODataError(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}
