package sdktest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/oauth2permissiongrants"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	"github.com/microsoftgraph/msgraph-sdk-go/serviceprincipalswithappid"

	"m365wizard/graphops/sandbox"
)

func TestDirectoryServicePrincipalCreateDuplicateAndDelete(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	app := entraNewApp(t, admin, "Enterprise app")
	sp := entraNewSP(t, admin, *app.GetAppId())

	if entraStr(sp.GetAppId()) != *app.GetAppId() || entraStr(sp.GetDisplayName()) != "Enterprise app" ||
		entraStr(sp.GetAppDisplayName()) != "Enterprise app" || sp.GetAccountEnabled() == nil || !*sp.GetAccountEnabled() ||
		sp.GetAppOwnerOrganizationId() == nil || sp.GetAppOwnerOrganizationId().String() != s.TenantID() ||
		entraStr(sp.GetServicePrincipalType()) != "Application" || len(sp.GetServicePrincipalNames()) == 0 ||
		sp.GetServicePrincipalNames()[0] != *app.GetAppId() || sp.GetAppRoles() == nil || sp.GetKeyCredentials() == nil {
		t.Fatalf("service principal shape: %+v", sp)
	}

	body := models.NewServicePrincipal()
	body.SetAppId(app.GetAppId())
	_, err := admin.ServicePrincipals().Post(ctx, body, nil)
	entraODataErr(t, err, 409, "Request_MultipleObjectsWithSameKeyValue", "Another object with the same value for property servicePrincipalNames already exists.")

	unknown := uuid.NewString()
	body.SetAppId(&unknown)
	_, err = admin.ServicePrincipals().Post(ctx, body, nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "The appId '"+unknown+"' of the service principal does not reference a valid application object.")

	// Lists filter by appId and displayName; alternate key by appId.
	for _, f := range []string{"appId eq '" + *app.GetAppId() + "'", "displayName eq 'Enterprise app'"} {
		list, err := admin.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: entraS(f)}})
		if err != nil || len(list.GetValue()) != 1 || *list.GetValue()[0].GetId() != *sp.GetId() {
			t.Fatalf("%s: %v %v", f, err, list)
		}
	}
	byAppID, err := admin.ServicePrincipalsWithAppId(app.GetAppId()).Get(ctx, nil)
	if err != nil || *byAppID.GetId() != *sp.GetId() {
		t.Fatalf("(appId=…): %v", err)
	}

	// Deleting the SP; first-party principals cannot be deleted.
	if err := admin.ServicePrincipals().ByServicePrincipalId(*sp.GetId()).Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err = admin.ServicePrincipals().ByServicePrincipalId(*sp.GetId()).Get(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", *sp.GetId()))
	err = admin.ServicePrincipals().ByServicePrincipalId(entraGraphSPID(t, s)).Delete(ctx, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

func TestDirectoryMicrosoftGraphServicePrincipal(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	reader := userClient(t, s, "user@contoso.com", "Application.Read.All")
	graph, err := reader.ServicePrincipalsWithAppId(entraS(entraGraphAppID)).Get(ctx, &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetRequestConfiguration{
		QueryParameters: &serviceprincipalswithappid.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters{
			Select: []string{"id", "appId", "displayName", "appRoles", "oauth2PermissionScopes"}}})
	if err != nil {
		t.Fatal(err)
	}
	if *graph.GetId() != entraGraphSPID(t, s) || entraStr(graph.GetDisplayName()) != "Microsoft Graph" || graph.GetServicePrincipalNames() != nil {
		t.Fatalf("Graph SP = %v %v (unselected names %v)", *graph.GetId(), entraStr(graph.GetDisplayName()), graph.GetServicePrincipalNames())
	}
	var role models.AppRoleable
	for _, r := range graph.GetAppRoles() {
		if entraStr(r.GetValue()) == "User.Read.All" {
			role = r
		}
	}
	if role == nil || role.GetId().String() != entraRoleUserReadAll || entraStr(role.GetDisplayName()) != "Read all users' full profiles" ||
		len(role.GetAllowedMemberTypes()) != 1 || role.GetAllowedMemberTypes()[0] != "Application" || !*role.GetIsEnabled() ||
		entraStr(role.GetOrigin()) != "Application" {
		t.Fatalf("User.Read.All app role = %+v", role)
	}
	var scope models.PermissionScopeable
	for _, sc := range graph.GetOauth2PermissionScopes() {
		if entraStr(sc.GetValue()) == "User.Read" {
			scope = sc
		}
	}
	if scope == nil || scope.GetId().String() != entraScopeUserRead || entraStr(scope.GetTypeEscaped()) != "User" ||
		entraStr(scope.GetAdminConsentDisplayName()) == "" || entraStr(scope.GetUserConsentDescription()) == "" {
		t.Fatalf("User.Read scope = %+v", scope)
	}
}

func TestDirectoryAppRoleAssignedTo(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	graphSP := entraGraphSPID(t, s)
	app := entraNewApp(t, admin, "Needs consent")
	sp := entraNewSP(t, admin, *app.GetAppId())
	assignedTo := admin.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo()

	got, err := assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
	if err != nil {
		t.Fatal(err)
	}
	id := entraStr(got.GetId())
	principalBytes := func(s string) []byte {
		u := uuid.MustParse(s)
		return []byte{u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]}
	}
	prefix := base64.RawURLEncoding.EncodeToString(principalBytes(*sp.GetId()))[:21]
	if len(id) != 43 || !strings.HasPrefix(id, prefix) || strings.ContainsAny(id, "+/=") {
		t.Fatalf("assignment id %q: want 43 base64url chars starting %q", id, prefix)
	}
	if got.GetPrincipalId().String() != *sp.GetId() || got.GetResourceId().String() != graphSP || got.GetAppRoleId().String() != entraRoleUserReadAll ||
		entraStr(got.GetPrincipalType()) != "ServicePrincipal" || entraStr(got.GetPrincipalDisplayName()) != "Needs consent" ||
		entraStr(got.GetResourceDisplayName()) != "Microsoft Graph" || got.GetCreatedDateTime() == nil {
		t.Fatalf("assignment = %+v", got)
	}

	// Duplicate, unknown role, unknown principal.
	_, err = assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Permission being assigned already exists on the object.")
	_, err = assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, uuid.NewString()), nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Permission being assigned was not found on application.")
	ghost := uuid.NewString()
	_, err = assignedTo.Post(ctx, entraAssignment(ghost, graphSP, entraRoleMailSend), nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource '"+ghost+"' does not exist or one of its queried reference-property objects are not present.")

	// Application Administrator (and Cloud Application Administrator) cannot
	// grant Microsoft Graph app roles: only Global / Privileged Role Administrator.
	appAdmin := userClient(t, s, "appadmin@contoso.com", entraAdminScopes...)
	_, err = appAdmin.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleMailSend), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// PIM-eligible but not activated Global Administrator: still denied.
	pim := userClient(t, s, "pimadmin@contoso.com", entraAdminScopes...)
	_, err = pim.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleMailSend), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// The scope alone is not enough: it needs Application.Read.All (or Directory.Read.All) too.
	onlyAssign := userClient(t, s, "admin@contoso.com", "AppRoleAssignment.ReadWrite.All")
	_, err = onlyAssign.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleMailSend), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	withDirRead := userClient(t, s, "admin@contoso.com", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All")
	if _, err := withDirRead.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleMailSend), nil); err != nil {
		t.Fatalf("AppRoleAssignment.ReadWrite.All + Directory.Read.All: %v", err)
	}

	// Reads from both sides.
	list, err := assignedTo.Get(ctx, nil)
	if err != nil || len(list.GetValue()) != 2 {
		t.Fatalf("appRoleAssignedTo list: %v %d", err, len(list.GetValue()))
	}
	mine, err := admin.ServicePrincipals().ByServicePrincipalId(*sp.GetId()).AppRoleAssignments().Get(ctx, nil)
	if err != nil || len(mine.GetValue()) != 2 {
		t.Fatalf("client-side appRoleAssignments: %v", err)
	}

	// The client's app-only token now carries the roles.
	if err := s.Tenant("", func(tn *sandbox.Tenant) {
		if roles := tn.RolesOf(*sp.GetId()); strings.Join(roles, ",") != "User.Read.All,Mail.Send" {
			t.Errorf("RolesOf = %v", roles)
		}
	}); err != nil {
		t.Fatal(err)
	}

	// Revoke one; it disappears.
	if err := assignedTo.ByAppRoleAssignmentId(id).Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	list, _ = assignedTo.Get(ctx, nil)
	if len(list.GetValue()) != 1 || list.GetValue()[0].GetAppRoleId().String() != entraRoleMailSend {
		t.Fatalf("after delete: %+v", list.GetValue())
	}
	err = assignedTo.ByAppRoleAssignmentId(id).Delete(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func TestDirectoryAppOnlyConsent(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	graphSP := entraGraphSPID(t, s)
	// An automation app with the documented permission pair grants roles without a user.
	automation := appClient(t, s, entraSeedApp(t, s, "Provisioner", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"))
	app := entraNewApp(t, automation, "Provisioned")
	sp := entraNewSP(t, automation, *app.GetAppId())
	if _, err := automation.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx,
		entraAssignment(*sp.GetId(), graphSP, entraRoleApplicationReadAll), nil); err != nil {
		t.Fatalf("app-only appRoleAssignedTo: %v", err)
	}
	// Without AppRoleAssignment.ReadWrite.All: 403.
	other := appClient(t, s, entraSeedApp(t, s, "Half", "Application.ReadWrite.All"))
	_, err := other.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx,
		entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	// The consented app's own token works for what it was granted.
	provisioned := appClient(t, s, *app.GetAppId())
	if _, err := provisioned.Applications().Get(ctx, nil); err != nil {
		t.Fatalf("Application.Read.All token: %v", err)
	}
}

func TestDirectorySPReplicationLag(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	graphSP := entraGraphSPID(t, s)
	app := entraNewApp(t, admin, "Fresh principal")
	const lag = 400 * time.Millisecond
	s.SetBehaviour(sandbox.Behaviour{SPReplicationLag: lag})
	created := time.Now()
	sp := entraNewSP(t, admin, *app.GetAppId())
	assignedTo := admin.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo()

	_, err := assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
	entraODataErr(t, err, 400, "Request_BadRequest", "Not a valid reference update.")
	_, err = assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource '"+*sp.GetId()+"' does not exist or one of its queried reference-property objects are not present.")

	seen := entraPoll(t, 5*time.Second, "assign during SP replication", func() error {
		_, err := assignedTo.Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleUserReadAll), nil)
		return err
	})
	if time.Since(created) < lag || len(seen) == 0 {
		t.Fatalf("assigned after %v (%d failures): the lag was not applied", time.Since(created), len(seen))
	}
	list, _ := assignedTo.Get(ctx, nil)
	if len(list.GetValue()) != 1 {
		t.Fatalf("%d assignments after retries, want exactly 1", len(list.GetValue()))
	}
}

func TestDirectoryOAuth2PermissionGrants(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	graphSP := entraGraphSPID(t, s)
	app := entraNewApp(t, admin, "Delegated client")
	sp := entraNewSP(t, admin, *app.GetAppId())

	body := models.NewOAuth2PermissionGrant()
	body.SetClientId(sp.GetId())
	body.SetConsentType(entraS("AllPrincipals"))
	body.SetResourceId(&graphSP)
	body.SetScope(entraS("User.Read Mail.Send"))
	g, err := admin.Oauth2PermissionGrants().Post(ctx, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entraStr(g.GetId())) != 43 || entraStr(g.GetPrincipalId()) != "" || entraStr(g.GetScope()) != "User.Read Mail.Send" ||
		entraStr(g.GetConsentType()) != "AllPrincipals" || entraStr(g.GetClientId()) != *sp.GetId() {
		t.Fatalf("grant = %+v", g)
	}
	_, err = admin.Oauth2PermissionGrants().Post(ctx, body, nil)
	entraODataErr(t, err, 409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists.")

	// A user without an admin role cannot consent for the organisation.
	_, err = userClient(t, s, "user@contoso.com", "DelegatedPermissionGrant.ReadWrite.All").Oauth2PermissionGrants().Post(ctx, body, nil)
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")

	list, err := admin.Oauth2PermissionGrants().Get(ctx, &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetRequestConfiguration{
		QueryParameters: &oauth2permissiongrants.Oauth2PermissionGrantsRequestBuilderGetQueryParameters{Filter: entraS("clientId eq '" + *sp.GetId() + "'")}})
	if err != nil || len(list.GetValue()) != 1 || *list.GetValue()[0].GetId() != *g.GetId() {
		t.Fatalf("filter by clientId: %v", err)
	}
	patch := models.NewOAuth2PermissionGrant()
	patch.SetScope(entraS("User.Read"))
	if _, err := admin.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(*g.GetId()).Patch(ctx, patch, nil); err != nil {
		t.Fatal(err)
	}
	again, err := admin.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(*g.GetId()).Get(ctx, nil)
	if err != nil || entraStr(again.GetScope()) != "User.Read" {
		t.Fatalf("after PATCH: %v %v", err, again)
	}
	if err := admin.Oauth2PermissionGrants().ByOAuth2PermissionGrantId(*g.GetId()).Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	list, _ = admin.Oauth2PermissionGrants().Get(ctx, nil)
	if len(list.GetValue()) != 0 {
		t.Fatalf("grant survived DELETE")
	}
}

func TestDirectoryDeletingAnAppTakesItsEnterpriseAppAlong(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	admin := userClient(t, s, "admin@contoso.com", entraAdminScopes...)
	graphSP := entraGraphSPID(t, s)
	app := entraNewApp(t, admin, "Short-lived")
	sp := entraNewSP(t, admin, *app.GetAppId())
	if _, err := admin.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Post(ctx, entraAssignment(*sp.GetId(), graphSP, entraRoleMailSend), nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.Applications().ByApplicationId(*app.GetId()).Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := admin.ServicePrincipalsWithAppId(app.GetAppId()).Get(ctx, nil)
	entraODataErr(t, err, 404, "Request_ResourceNotFound", "Resource '"+*app.GetAppId()+"' does not exist or one of its queried reference-property objects are not present.")
	list, err := admin.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Get(ctx, nil)
	if err != nil || len(list.GetValue()) != 0 {
		t.Fatalf("assignments of the deleted principal remain: %v %d", err, len(list.GetValue()))
	}
}

func TestDirectoryOwnedByDuringAppReplication(t *testing.T) {
	s := start(t)
	ctx := entraCtx(t)
	automation := appClient(t, s, entraSeedApp(t, s, "Automation", "Application.ReadWrite.OwnedBy"))
	s.SetBehaviour(sandbox.Behaviour{AppReplicationLag: 300 * time.Millisecond})
	app := entraNewApp(t, automation, "Owned")
	body := models.NewServicePrincipal()
	body.SetAppId(app.GetAppId())
	_, err := automation.ServicePrincipals().Post(ctx, body, nil)
	// terraform-provider-azuread#611: the misleading 403 of a not yet replicated app.
	entraODataErr(t, err, 403, "Authorization_RequestDenied", "When using this permission, the backing application of the service principal being created must in the local tenant")
	entraPoll(t, 5*time.Second, "OwnedBy SP create", func() error {
		_, err := automation.ServicePrincipals().Post(ctx, body, nil)
		return err
	})
}
